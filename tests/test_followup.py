"""Follow-ups read with the previous turn: what its answer named, and the question with its pronoun resolved."""

from __future__ import annotations

import pytest
from conftest import fake_app

from rag.answer.refusal import Refusal
from rag.pipeline import Decision, Pipeline
from rag.retrieval.followup import as_turns, contextual_query, is_follow_up, referent, resolve, understood
from rag.types import Turn

MONGOLIA = Turn(
    "Which country did Lavrov visit the day before he arrived in Hanoi?",
    "\"Lavrov is currently on a trip to Asia to seek support amid his country’s diplomatic isolation by the West. "
    "He had visited Mongolia a day before arriving in Vietnam's capital Hanoi.\" [1]")


def test_the_referent_of_a_quote_is_the_new_name_closest_to_the_question_words():
    assert referent(MONGOLIA) == "Mongolia"  # not Asia (another sentence), not Vietnam (after 'in')


def test_the_referent_of_a_short_answer_is_its_name():
    turn = Turn("Who is Adah Gallant married to?", 'Dalton Gallant [1]. "The husband of Adah Gallant is Dalton '
                'Gallant." [1]')
    assert referent(turn) == "Dalton Gallant"


def test_a_short_answer_of_a_few_lower_case_words_is_itself_the_referent():
    assert referent(Turn("Which program rotates the logs?", 'logrotate [1]. "logrotate, the program ..." [1]')) \
        == "logrotate"


def test_a_quote_opening_in_lower_case_opens_with_code():
    turn = Turn("Which program takes care of rotating and archiving the log files?",
                '"logrotate, the program responsible for these rotations, follows directives in '
                '/etc/logrotate.conf." [1]')
    assert referent(turn) == "logrotate"


def test_no_answer_or_nothing_new_gives_no_referent():
    assert referent(Turn("Who is Lavrov?")) == ""
    assert referent(Turn("Who is Lavrov?", "The documents do not answer this question.")) == ""


@pytest.mark.parametrize("question, resolved", [
    ("Who is its foreign minister?", "Who is Mongolia's foreign minister?"),
    ("What's her hobby?", "What's Mongolia's hobby?"),
    ("Will he meet her?", "Will Mongolia meet her?"),  # the first pronoun only
    ("Which directory does that package put the keys in?", "Which directory does Mongolia put the keys in?"),
    ("Its syntax is convoluted. Is there a friendlier tool?",
     "Mongolia's syntax is convoluted. Is there a friendlier tool?"),
    ("А какое у него значение по умолчанию?", "А какое у Mongolia значение по умолчанию?"),
])
def test_resolve_replaces_the_first_pronoun(question, resolved):
    assert resolve(question, "Mongolia") == resolved


def test_a_follow_up_is_understood_and_retrieved_with_the_previous_answer():
    assert understood("Who is its foreign minister?", [MONGOLIA]) == "Who is Mongolia's foreign minister?"
    assert "Mongolia's foreign minister" in contextual_query("Who is its foreign minister?", [MONGOLIA])
    # Without the answer, the previous question is the context, as before.
    bare = as_turns([MONGOLIA.question])
    assert understood("Who is its foreign minister?", bare) == "Who is its foreign minister?"
    assert contextual_query("Who is its foreign minister?", bare) == f"{MONGOLIA.question} Who is its foreign minister?"


def test_a_standalone_question_is_left_alone():
    assert understood("Who is the prime minister of Mongolia?", [MONGOLIA]) == "Who is the prime minister of Mongolia?"
    assert contextual_query("Who is the prime minister of Mongolia?", [MONGOLIA]) == \
        "Who is the prime minister of Mongolia?"


def test_russian_follow_ups_are_follow_ups():
    assert is_follow_up("А какое у него значение по умолчанию?")
    assert is_follow_up("Какие цвета у него по умолчанию?")


# Pipeline.decide: which of a follow-up's two readings is kept (each reading's decision stubbed by its confidence).


@pytest.mark.parametrize("resolved, unresolved, refused, kept", [
    (0.8236, 0.8255, False, "Who is Mongolia's foreign minister?"),  # a near tie (a CPU's numerics) keeps it
    (0.10, 0.30, False, "Who is Mongolia's foreign minister?"),  # both unsure, within the margin
    (0.16, 0.53, False, "Who is its foreign minister?"),  # the other reading is clearly better
    (0.90, 0.20, True, "Who is its foreign minister?"),  # the resolved reading is refused
])
def test_the_resolved_reading_is_kept_unless_refused_or_clearly_worse(tmp_path, monkeypatch, resolved, unresolved,
                                                                       refused, kept):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Battsetseg Batmunkh is the foreign minister of Mongolia.\n")
    app = fake_app(tmp_path, min_confidence=0.0)
    assert app.pipeline.params.resolved_margin == 0.25

    def decided(self, q, k, threshold, point, started):
        first = q.text != "Who is its foreign minister?"
        return Decision(q, [], [], Refusal("low_score", "stub") if refused and first else None, 0.35, "stub",
                        self.stats(), confidence=resolved if first else unresolved)

    monkeypatch.setattr(Pipeline, "_decide", decided)
    chosen = app.pipeline.decide("Who is its foreign minister?", [MONGOLIA])
    assert chosen.question.text == kept
    assert chosen.confidence == (resolved if kept != "Who is its foreign minister?" else unresolved)
