"""Spot evidence that disagrees: two sources giving different figures for the same question."""

from __future__ import annotations

from rag.answer_type import amounts, answer_type
from rag.evidence import ScoredSentence, context_of
from rag.lexical import mentions, question_names, terms
from rag.records import Passage

MIN_RELATIVE_SCORE = 0.8  # the rival must be nearly as relevant as the best sentence


def _named(question: str, sentence: ScoredSentence, passages: list[Passage]) -> set[str]:
    have = set(terms(context_of(sentence, passages)))
    return {n for n in question_names(question) if mentions(have, n)}


def conflicting_evidence(question: str, evidence: list[ScoredSentence], best: int,
                         passages: list[Passage] = ()) -> int | None:
    """Index of an evidence sentence from another file whose figures all differ from the best sentence's.

    The rival's passage must name everything of the question that the best one's does: a figure 'according to
    Thayer' has no rival in a report that never mentions Thayer."""
    if answer_type(question) != "number" or not evidence:
        return None
    top = evidence[best]
    top_amounts = amounts(top.passage.text)
    if not top_amounts:
        return None
    top_named = _named(question, top, list(passages))
    for i, other in enumerate(evidence):
        if i == best or not other.typed or other.passage.source == top.passage.source:
            continue
        if other.score < MIN_RELATIVE_SCORE * top.score:
            continue
        if not top_named <= _named(question, other, list(passages)):
            continue
        other_amounts = amounts(other.passage.text)
        if other_amounts and not other_amounts & top_amounts:
            return i
    return None
