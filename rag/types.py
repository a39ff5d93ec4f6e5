"""Typed records that flow between the modules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A piece of a source file: ``file_text[start:end] == text`` (for HTML/PDF/DOCX, the extracted text)."""

    source: str
    start: int
    end: int
    text: str
    score: float = 0.0
    page: int | None = None  # 1-based page of a PDF; None for files without pages


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer, as printed and returned in JSON."""

    n: int
    source: str
    start: int
    end: int
    quote: str
    score: float
    page: int | None = None  # 1-based page of a PDF; None (JSON null) for files without pages

    @property
    def location(self) -> str:
        """'file.pdf, p. 3' for a PDF page, else the source."""
        return self.source if self.page is None else f"{self.source}, p. {self.page}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AnswerSentence:
    """One shown sentence of an answer. ``origin``: 'model' (a checked model sentence), 'quote' (evidence quoted
    verbatim), 'list' (a count or list read off a cited sentence), 'conflict' (a rival source's figure) or
    'refusal'. ``claim`` is what it asserts: the model's words or the quoted evidence, without lead-in."""

    text: str  # as shown, with its citation markers
    claim: str
    citations: tuple[int, ...]
    origin: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "claim": self.claim, "citations": list(self.citations), "origin": self.origin}


@dataclass
class Answer:
    """The checked answer to a question, with its citations and what was removed on the way."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    timings_ms: dict[str, float] = field(default_factory=dict)
    raw_answer: str = ""  # the model's text before checking
    removed: list[str] = field(default_factory=list)  # model sentences the checker rejected
    fallback: bool = False  # True when the answer quotes the evidence because no model sentence held up
    retrieved_sources: list[str] = field(default_factory=list)  # files of the retrieved passages, best first
    sentences: list[AnswerSentence] = field(default_factory=list)  # the answer, sentence by sentence
    decision: str = ""  # why it was refused, or how the refusal threshold was set

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "raw_answer": self.raw_answer,
            "removed": self.removed,
            "sentences": [s.to_json() for s in self.sentences],
            "decision": self.decision,
        }
