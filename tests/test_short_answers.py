"""scripts/short_answers.py: where an evaltable run's short answers come from, and whether they hold the facts."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import short_answers


def _row(qid: str, short: str, raw: str, facts_ok: bool = True, answerable: bool = True) -> dict:
    return {"id": qid, "short": short, "raw_answer": raw, "facts_ok": facts_ok, "answerable": answerable,
            "refused": False}


def test_short_answers_are_told_apart_by_where_they_come_from_and_judged_on_their_own():
    rows = [_row("a", "The father of Leena Glasgow was Booker Mena [1].", "The father of Leena Glasgow was Booker "
                 "Mena."),  # the model's sentence, over a quote that holds the fact
            _row("b", "Doug Glasgow [1].", "The father of Leena Glasgow was Booker Mena."),  # a name read off
            _row("c", "", "Whatever."),  # the quote alone
            _row("d", "February 2022 [1].", "In 2022.", facts_ok=False),
            _row("e", "Nobody [1].", "Nobody.", answerable=False)]  # unanswerable: not counted
    assert [short_answers.origin(r) for r in rows[:3]] == ["model", "value", None]
    facts = {"a": ["Doug Glasgow"], "b": ["Doug Glasgow"], "c": ["x"], "d": ["February 2022"]}
    c = short_answers.counts(rows, facts)
    assert (c["model wrong"], c["model wrong, quote right"], c["model right"]) == (1, 1, 0)
    assert (c["value right"], c["value wrong"], c["none"]) == (2, 0, 1)


def test_a_recorded_origin_is_taken_as_rag_eval_gave_it():
    phrase = _row("f", "Booker Mena [1].", "Booker Mena.") | {"short_origin": "model"}  # a short model phrase
    read = _row("g", "The value is 128 and more words [1].", "The value is 128 and more words.") | {
        "short_origin": "short"}
    assert [short_answers.origin(r) for r in (phrase, read)] == ["model", "value"]
