"""Spot evidence that disagrees: two sources giving different figures for the same question."""

from __future__ import annotations

from rag.answer.evidence import ScoredSentence, amounts
from rag.answer.question import Question
from rag.text import has_name_term, terms

MIN_RELATIVE_SCORE = 0.8  # the rival must be nearly as relevant as the best sentence


def _named(question: Question, sentence: ScoredSentence) -> set[str]:
    have = set(terms(sentence.context or sentence.passage.text))
    return {n for n in question.names if any(has_name_term(have, t) for t in terms(n))}


def conflicting_evidence(question: Question, evidence: list[ScoredSentence], best: int) -> int | None:
    """Index of an evidence sentence from another file whose figures all differ from the best sentence's.

    The rival's passage must name everything of the question that the best one's does: a figure 'according to
    Thayer' has no rival in a report that never mentions Thayer."""
    if question.kind != "number" or not evidence:
        return None
    top = evidence[best]
    top_amounts = amounts(top.passage.text)
    if not top_amounts:
        return None
    top_named = _named(question, top)
    for i, other in enumerate(evidence):
        if i == best or not other.typed or other.passage.source == top.passage.source:
            continue
        if other.score < MIN_RELATIVE_SCORE * top.score:
            continue
        if not top_named <= _named(question, other):
            continue
        other_amounts = amounts(other.passage.text)
        if other_amounts and not other_amounts & top_amounts:
            return i
    return None
