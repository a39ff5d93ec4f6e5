"""Assemble the shown answer from checked model sentences and quoted evidence, numbering citations as used."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.checking import CheckedSentence
from rag.evidence import ScoredSentence
from rag.records import Citation


def with_marker(text: str, n: int) -> str:
    """'Lavrov met Son.' -> 'Lavrov met Son [1].'"""
    if text and text[-1] in ".!?":
        return f"{text[:-1]} [{n}]{text[-1]}"
    return f"{text} [{n}]."  # a fragment ('The United States') still ends, so the next sentence stays apart


@dataclass
class AnswerBuilder:
    """The answer so far. Each ``add_*`` returns the text to append to what is shown (with its leading space),
    or None when nothing is added; citations are numbered 1, 2, ... in the order the answer first uses them."""

    evidence: list[ScoredSentence]
    parts: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # rejected model sentences, with the reason
    supports: set[int] = field(default_factory=set)  # evidence indexes (0-based) that model sentences rest on
    _numbers: dict[int, int] = field(default_factory=dict)

    def number(self, evidence_index: int) -> int:
        return self._numbers.setdefault(evidence_index, len(self._numbers) + 1)

    def _append(self, shown: str) -> str:
        delta = (" " if self.parts else "") + shown
        self.parts.append(shown)
        return delta

    def add_model_sentence(self, sentence: CheckedSentence) -> str | None:
        if sentence.support is None:
            self.removed.append(f"{sentence.text} ({sentence.reason})")
            return None
        index = sentence.support - 1
        self.supports.add(index)
        return self._append(with_marker(sentence.text, self.number(index)))

    def add_quote(self, evidence_index: int, lead: str) -> str:
        """Quote an evidence sentence verbatim, e.g. 'The documents say: "..." [2]'."""
        quote = " ".join(self.evidence[evidence_index].passage.text.split())
        return self._append(f'{lead}: "{quote}" [{self.number(evidence_index)}]')

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def citations(self) -> list[Citation]:
        out = []
        for index, n in sorted(self._numbers.items(), key=lambda kv: kv[1]):
            item = self.evidence[index]
            p = item.passage
            out.append(Citation(n=n, source=p.source, start=p.start, end=p.end, quote=p.text,
                                score=round(item.score, 4), page=p.page))
        return out
