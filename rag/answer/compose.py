"""Assemble the shown answer from checked model sentences and quoted evidence, numbering citations as used.

The layout: the short answer first (the model's sentences that add something, else the value asked for or the
model's short phrase), then the one quote it rests on with the answer highlighted, then a rival source's figure
as one short line. A model sentence that only restates the quote is held back (the quote says it), and one that
repeats what an earlier shown sentence says is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answer.checking import CheckedSentence
from rag.answer.evidence import ScoredSentence
from rag.answer.spans import Span
from rag.text import numbers, terms
from rag.types import AnswerSentence, Citation

SHORT_PHRASE_WORDS = 12  # a held model sentence this short still leads the answer, above its quote


def with_marker(text: str, n: int) -> str:
    """'Lavrov met Son.' -> 'Lavrov met Son [1].'"""
    if text and text[-1] in ".!?":
        return f"{text[:-1]} [{n}]{text[-1]}"
    if len(text) > 1 and text[-1] in "\"'”’»)" and text[-2] in ".!?":
        return f"{text} [{n}]"  # '"The Ukrainian crisis." [1]': the quotation ends the sentence
    return f"{text} [{n}]."  # a fragment ('The United States') still ends, so the next sentence stays apart


_BRACKETED_NUMBER = re.compile(r"\[(\d[\d,\s]*)\]")


def defuse_markers(quote: str) -> str:
    """A quoted '[0]' (code indexing a list, a footnote) is not one of our citation markers: a word joiner after
    the bracket keeps it from being read as one, and it looks the same."""
    return _BRACKETED_NUMBER.sub("[\u2060\\1]", quote)


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def said(text: str) -> set[str]:
    """What a sentence states, for comparing sentences: its content terms and its numbers."""
    return set(terms(text)) | numbers(text)


@dataclass
class AnswerBuilder:
    """The answer so far. Each ``add_*`` returns the text to append to what is shown (with its leading space or
    line break), or None when nothing is added; citations are numbered 1, 2, ... in the order the answer first
    uses them. ``quote`` is the evidence index of the unit quoted, the best holding the kind of fact asked for;
    a model sentence resting on another unit is shown with its own citation above it, so when the model chose
    the wrong unit, the best one is still in sight. A model sentence that says nothing the quoted unit does not
    is held back, since the quote shows it."""

    evidence: list[ScoredSentence]
    quote: int = 0
    asked: frozenset[str] = frozenset()  # the question's terms and values: restating them adds nothing
    sentences: list[AnswerSentence] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # rejected model sentences, with the reason
    held: list[CheckedSentence] = field(default_factory=list)  # accepted model sentences the quote already says
    supports: set[int] = field(default_factory=set)  # evidence indexes (0-based) that model sentences rest on
    _numbers: dict[int, int] = field(default_factory=dict)

    def number(self, evidence_index: int) -> int:
        return self._numbers.setdefault(evidence_index, len(self._numbers) + 1)

    def _append(self, sentence: AnswerSentence) -> str:
        delta = (sentence.separator if self.sentences else "") + sentence.text
        self.sentences.append(sentence)
        return delta

    @property
    def parts(self) -> list[str]:
        return [s.text for s in self.sentences]

    def model_claims(self) -> list[str]:
        """What the model's accepted sentences say, shown or held back."""
        return [s.claim for s in self.sentences if s.origin == "model"] + [c.text for c in self.held]

    def shown_model(self) -> list[AnswerSentence]:
        return [s for s in self.sentences if s.origin == "model"]

    def add_model_sentence(self, sentence: CheckedSentence) -> str | None:
        if sentence.support is None:
            self.removed.append(f"{sentence.text} ({sentence.reason})")
            return None
        index = sentence.support - 1
        self.supports.add(index)
        claim = said(sentence.text) - self.asked
        if index == self.quote and claim <= said(self.evidence[index].shown):
            self.held.append(sentence)  # the quote will say it
            return None
        if claim <= set().union(*(said(s.claim) for s in self.sentences)):
            return None  # an earlier sentence already says it
        return self._model_line(sentence.text, index)

    def _model_line(self, text: str, index: int) -> str:
        n = self.number(index)
        return self._append(AnswerSentence(with_marker(text, n), text, (n,), "model"))

    def add_short_phrase(self, sentence: CheckedSentence) -> str | None:
        """Show a held model sentence as the short answer when it is short enough to read as one."""
        if len(sentence.text.split()) > SHORT_PHRASE_WORDS:
            return None
        return self.show_held(sentence)

    def show_held(self, sentence: CheckedSentence) -> str:
        """Show a held model sentence with its citation."""
        assert sentence.support is not None
        self.held.remove(sentence)
        return self._model_line(sentence.text, sentence.support - 1)

    def add_short(self, evidence_index: int, span: Span) -> str:
        """The value asked for, read off the unit it rests on: '$5.54 billion [1].'"""
        n = self.number(evidence_index)
        text = span.text.rstrip(".")
        return self._append(AnswerSentence(f"{text} [{n}].", text, (n,), "short", (0, len(text))))

    def add_quote(self, evidence_index: int, highlight: Span | None = None, origin: str = "quote") -> str:
        """Quote an evidence unit as shown, on its own line, with the answer's span highlighted: '"..." [2]'."""
        quote = defuse_markers(" ".join(self.evidence[evidence_index].shown.split()))
        mark = None
        if highlight is not None:
            value = defuse_markers(" ".join(highlight.text.split()))
            at = quote.find(value)
            mark = (at + 1, at + 1 + len(value)) if value and at >= 0 else None  # + 1: the opening quote mark
        n = self.number(evidence_index)
        return self._append(AnswerSentence(f'"{quote}" [{n}]', quote, (n,), origin, mark))

    def add_rival(self, evidence_index: int, span: Span | None) -> str:
        """A source that disagrees, as one short line with its own citation: '[2] gives $7.1 billion.'"""
        if span is None:
            return self.add_quote(evidence_index, origin="conflict")
        n = self.number(evidence_index)
        value = span.text.rstrip(".")
        text = f"[{n}] gives {value}."
        at = text.index(value)
        return self._append(AnswerSentence(text, value, (n,), "conflict", (at, at + len(value))))

    def add_list(self, evidence_index: int, items: list[str]) -> str:
        """A count read off a sentence that lists the items: 'The documents list 3: A, B and C [1].'"""
        n = self.number(evidence_index)
        claim = f"{len(items)}: {_listed(items)}"
        return self._append(AnswerSentence(f"The documents list {claim} [{n}].", claim, (n,), "list"))

    @property
    def text(self) -> str:
        return "".join((s.separator if i else "") + s.text for i, s in enumerate(self.sentences))

    def citations(self) -> list[Citation]:
        out = []
        for index, n in sorted(self._numbers.items(), key=lambda kv: kv[1]):
            item = self.evidence[index]
            p = item.passage
            out.append(Citation(n=n, source=p.source, start=p.start, end=p.end, quote=p.text,
                                score=round(item.score, 4), page=p.page, shown=item.shown,
                                breadcrumb=p.breadcrumb))
        return out
