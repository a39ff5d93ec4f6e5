"""Conflicting figures from two sources are both shown, each with its own citation."""

from __future__ import annotations

import pytest

from rag.answer.candidates import Candidate, candidate
from rag.answer.conflicts import conflicting_evidence
from rag.answer.question import analyse
from rag.types import Passage


def _s(source: str, text: str, dense: float, lexical: float = 0.5, context: str = "") -> Candidate:
    return candidate(Passage(source, 0, len(text), text), dense=dense, lexical=lexical, context=context)


Q_TEXT = "How much was trade between Vietnam and Russia worth in 2021?"
Q = analyse(Q_TEXT)
A = _s("a.txt", "Bilateral trade reached $5.54 billion in 2021.", 0.8)
B = _s("b.txt", "Two-way trade reached $7.1 billion in 2021.", 0.75)


def test_different_figures_from_another_file_conflict():
    assert conflicting_evidence(Q, [A, B], 0) == 1


def test_same_figure_from_another_file_does_not_conflict():
    same = _s("b.txt", "Trade was $5.54 billion in 2021, officials said.", 0.75)
    assert conflicting_evidence(Q, [A, same], 0) is None


def test_same_file_or_much_weaker_sentence_does_not_conflict():
    assert conflicting_evidence(Q, [A, _s("a.txt", "Trade reached $7.1 billion in 2021.", 0.75)], 0) is None
    assert conflicting_evidence(Q, [A, _s("b.txt", "It has 151 projects.", 0.2, 0.0)], 0) is None


def test_a_figure_attributed_to_someone_has_no_rival_in_a_passage_that_never_names_them():
    # The sentence's passage now travels with it (ScoredSentence.context) instead of a separate passages list.
    q = analyse("What share of Vietnam's trade does Russia account for, according to Thayer?")
    assert q.kind == "number"
    a_chunk = "Thayer writes that trade is small. Two-way trade was one percent, or $7.1 billion."
    b_chunk = "Officials said trade between Vietnam and Russia reached $5.54 billion."
    a = _s("a.txt", "Two-way trade was one percent, or $7.1 billion.", 0.8, context=a_chunk)
    b = _s("b.txt", "Officials said trade between Vietnam and Russia reached $5.54 billion.", 0.75, context=b_chunk)
    assert conflicting_evidence(q, [a, b], 0) is None
    # Without the attribution the two figures do conflict.
    assert conflicting_evidence(analyse("What share of Vietnam's trade is with Russia?"), [a, b], 0) == 1


def test_a_hedged_share_question_asks_for_a_number():
    q = analyse("Roughly what share of Vietnam's trade does Russia account for, according to Thayer?")
    assert q.kind == "number"


def test_a_sentence_without_its_context_is_read_alone():
    # No context: the sentence itself must name what the best one's passage names.
    a = _s("a.txt", "Thayer says two-way trade was $7.1 billion.", 0.8)
    b = _s("b.txt", "Two-way trade reached $5.54 billion.", 0.75)
    assert conflicting_evidence(analyse("How much is trade worth, according to Thayer?"), [a, b], 0) is None


def test_an_untyped_rival_does_not_conflict():
    rival = candidate(Passage("b.txt", 0, 10, "Trade was $7.1 billion."), dense=0.8, lexical=0.5, typed=False)
    assert conflicting_evidence(Q, [A, rival], 0) is None


def test_only_questions_asking_for_an_amount():
    assert conflicting_evidence(analyse("Who signed the trade deal?"), [A, B], 0) is None
    assert conflicting_evidence(Q, [], 0) is None


@pytest.mark.slow
def test_pipeline_shows_both_figures_with_their_own_citations(real_app):
    answer = real_app.pipeline.ask(Q_TEXT)
    assert "5.54" in answer.answer and "7.1" in answer.answer
    by_source = {c.source.rsplit("/", 1)[-1] for c in answer.citations}
    assert {"001_9f4acd3a2150c267.txt", "002_cd5c2d4c352cb8e4.txt"} <= by_source
