"""Spot evidence that disagrees: two sources giving different figures for the same question."""

from __future__ import annotations

from rag.answer_type import amounts, answer_type
from rag.evidence import ScoredSentence

MIN_RELATIVE_SCORE = 0.8  # the rival must be nearly as relevant as the best sentence


def conflicting_evidence(question: str, evidence: list[ScoredSentence], best: int) -> int | None:
    """Index of an evidence sentence from another file whose figures all differ from the best sentence's."""
    if answer_type(question) != "number" or not evidence:
        return None
    top = evidence[best]
    top_amounts = amounts(top.passage.text)
    if not top_amounts:
        return None
    for i, other in enumerate(evidence):
        if i == best or not other.typed or other.passage.source == top.passage.source:
            continue
        if other.score < MIN_RELATIVE_SCORE * top.score:
            continue
        other_amounts = amounts(other.passage.text)
        if other_amounts and not other_amounts & top_amounts:
            return i
    return None
