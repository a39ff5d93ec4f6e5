"""training/gemma_questions.py: which generated questions are kept before the round trip, the prompt, the sources."""

from __future__ import annotations

import sys
from pathlib import Path

from rag.answer.candidates import candidate
from rag.types import Passage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
import gemma_questions as gq

UNIT = "By default the scheduler starts four worker threads, one per core, when the service is launched."


def test_a_question_that_reads_as_one_and_does_not_copy_its_unit_is_kept():
    assert gq.rejected("How many worker threads does the scheduler start by default?", UNIT) is None


def test_copies_templates_and_non_questions_are_rejected():
    assert gq.rejected("Does the scheduler start four worker threads, one per core, when launched?", UNIT) == (
        "copies the unit")
    assert gq.rejected("What does the passage say about the scheduler?", UNIT) == "generic"
    assert gq.rejected("What is the difference between threads and cores?", UNIT) == "generic"
    assert gq.rejected("The scheduler starts threads.", UNIT) == "not a question"
    assert gq.rejected("Why?", UNIT) == "not a question"


def test_the_prompt_ends_with_the_unit_on_one_line_and_stops_at_the_line_end():
    p = gq.prompt("First line\nsecond  line.")
    assert p.completion.endswith("Passage: First line second line.\nQuestion:")
    assert p.completion.count("Passage:") == len(gq.SHOTS) + 1 and "\n" in p.stops


def test_sources_are_training_and_tuning_units_of_prose_length_never_held_out_or_code():
    def unit(text: str, kind: str = "prose"):
        return candidate(Passage("a.txt", 0, len(text), text), 0.5, 0.5, kind=kind)

    def pool(label: str, *units):
        return type("P", (), {"set": label, "candidates": units})()

    prose = unit(UNIT)
    code = unit("for thread in range(4): start(thread) # launches one worker per core of the machine", "code")
    short = unit("Four threads.")
    secret = unit("The held-out unit says the scheduler keeps a queue of at most sixty-four pending jobs.")
    units = gq.source_units([pool("training", prose, code, short), pool("held-out", secret)])  # type: ignore[list-item]
    assert units == [UNIT]
