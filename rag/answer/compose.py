"""Assemble the shown answer from checked model sentences and quoted evidence, numbering citations as used."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answer.checking import CheckedSentence
from rag.answer.evidence import ScoredSentence
from rag.types import AnswerSentence, Citation


def with_marker(text: str, n: int) -> str:
    """'Lavrov met Son.' -> 'Lavrov met Son [1].'"""
    if text and text[-1] in ".!?":
        return f"{text[:-1]} [{n}]{text[-1]}"
    return f"{text} [{n}]."  # a fragment ('The United States') still ends, so the next sentence stays apart


_BRACKETED_NUMBER = re.compile(r"\[(\d[\d,\s]*)\]")


def defuse_markers(quote: str) -> str:
    """A quoted '[0]' (code indexing a list, a footnote) is not one of our citation markers: a word joiner after
    the bracket keeps it from being read as one, and it looks the same."""
    return _BRACKETED_NUMBER.sub("[\u2060\\1]", quote)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass
class AnswerBuilder:
    """The answer so far. Each ``add_*`` returns the text to append to what is shown (with its leading space),
    or None when nothing is added; citations are numbered 1, 2, ... in the order the answer first uses them."""

    evidence: list[ScoredSentence]
    sentences: list[AnswerSentence] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # rejected model sentences, with the reason
    supports: set[int] = field(default_factory=set)  # evidence indexes (0-based) that model sentences rest on
    _numbers: dict[int, int] = field(default_factory=dict)

    def number(self, evidence_index: int) -> int:
        return self._numbers.setdefault(evidence_index, len(self._numbers) + 1)

    def _append(self, sentence: AnswerSentence) -> str:
        delta = (" " if self.sentences else "") + sentence.text
        self.sentences.append(sentence)
        return delta

    @property
    def parts(self) -> list[str]:
        return [s.text for s in self.sentences]

    def model_claims(self) -> list[str]:
        return [s.claim for s in self.sentences if s.origin == "model"]

    def add_model_sentence(self, sentence: CheckedSentence) -> str | None:
        if sentence.support is None:
            self.removed.append(f"{sentence.text} ({sentence.reason})")
            return None
        index = sentence.support - 1
        self.supports.add(index)
        n = self.number(index)
        return self._append(AnswerSentence(with_marker(sentence.text, n), sentence.text, (n,), "model"))

    def add_quote(self, evidence_index: int, lead: str, origin: str = "quote") -> str:
        """Quote an evidence sentence verbatim, e.g. 'The documents say: "..." [2]'."""
        quote = defuse_markers(" ".join(self.evidence[evidence_index].shown.split()))
        n = self.number(evidence_index)
        return self._append(AnswerSentence(f'{lead}: "{quote}" [{n}]', quote, (n,), origin))

    def add_list(self, evidence_index: int, items: list[str]) -> str:
        """A count read off a sentence that lists the items: 'The documents list 3: A, B and C [1].'"""
        n = self.number(evidence_index)
        claim = f"{len(items)}: {_listed(items)}"
        return self._append(AnswerSentence(f"The documents list {claim} [{n}].", claim, (n,), "list"))

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def citations(self) -> list[Citation]:
        out = []
        for index, n in sorted(self._numbers.items(), key=lambda kv: kv[1]):
            item = self.evidence[index]
            p = item.passage
            out.append(Citation(n=n, source=p.source, start=p.start, end=p.end, quote=p.text,
                                score=round(item.score, 4), page=p.page, shown=item.shown,
                                breadcrumb=p.breadcrumb))
        return out
