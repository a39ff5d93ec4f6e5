"""Spot evidence that disagrees: two sources giving different figures for the same question."""

from __future__ import annotations

from rag.answer.candidates import Candidate
from rag.answer.facts import facts_of
from rag.answer.params import DEFAULTS, AnswerParams
from rag.answer.question import Question
from rag.text import has_name_term


def _named(question: Question, c: Candidate) -> set[str]:
    have = c.context_facts.term_set
    return {n for n in question.names if any(has_name_term(have, t) for t in facts_of(n).terms)}


def conflicting_evidence(question: Question, evidence: list[Candidate], best: int,
                         params: AnswerParams = DEFAULTS) -> int | None:
    """Index of an evidence unit from another file whose figures all differ from the best unit's.

    The rival's passage must name everything of the question that the best one's does: a figure 'according to
    Thayer' has no rival in a report that never mentions Thayer."""
    if question.kind != "number" or not evidence:
        return None
    top = evidence[best]
    top_amounts = top.facts.amounts
    if not top_amounts:
        return None
    top_named = _named(question, top)
    for i, other in enumerate(evidence):
        if i == best or not other.typed or other.passage.source == top.passage.source:
            continue
        if other.score < params.rival_min_relative_score * top.score:
            continue
        if not top_named <= _named(question, other):
            continue
        other_amounts = other.facts.amounts
        if other_amounts and not other_amounts & top_amounts:
            return i
    return None
