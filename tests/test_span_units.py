"""scripts/span_units.py: number short answers with and without the word the number counts, on pools."""

from __future__ import annotations

import sys
from pathlib import Path

from rag.answer.candidates import candidate
from rag.answer.question import analyse
from rag.types import Passage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import span_units
from pools import Pool


def _pool(question: str, unit: str, facts: tuple[str, ...], set_: str = "training") -> Pool:
    c = candidate(Passage("a.txt", 0, len(unit), unit), dense=0.9, lexical=1.0, typed=True)
    return Pool("x", set_, "q1", question, True, facts, analyse(question), (c.passage,), (c,), None)


def test_the_counted_word_makes_the_short_answer_hold_the_fact():
    pools = [_pool("How long can a line sent to syslog be?", "Lines longer than 1024 bytes are split.",
                   ("1024 bytes",)),
             _pool("How many retries does it make?", "It retries 3 times by default.", ("3",)),
             _pool("How long can a line be?", "Lines longer than 1024 bytes are split.", ("1024 bytes",),
                   set_="held-out")]  # never read
    c = span_units.count(pools)
    assert c["questions"] == 2 and c["unit holds the facts"] == 2
    assert c["number alone holds them"] == 1 and c["with the counted word"] == 2 and c["span changed"] == 2


def test_the_value_by_the_question_words_is_counted_against_the_first():
    unit = "On June 25 warships visited Cam Ranh, where Russia operated a naval base until 2002."
    pools = [_pool("Until what year did Russia run a naval base there?", unit, ("2002",)),
             _pool("On what day did the warships visit Cam Ranh?", unit, ("June 25",)),
             _pool("Until what year did Russia run a naval base?", unit, ("2002",), set_="held-out")]  # never read
    c = span_units.choice(pools, [3])
    assert c["units holding the facts"] == 2 and c["the first value"] == 1 and c["by question terms, 3 words"] == 2
    assert c["3 words: right where the first was wrong"] == 1 and c["3 words: wrong where the first was right"] == 0
