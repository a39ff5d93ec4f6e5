"""Prompts: evidence numbered from 1 in order, the question in both shapes, one line per source."""

from __future__ import annotations

import re

from rag.llm.prompting import COMPLETION_STOPS, INSTRUCTION, build_prompt, format_evidence
from rag.types import Passage

EVIDENCE = [
    Passage(source="seeds/a.txt", start=0, end=40, text="Lavrov visited Vietnam\non Wednesday."),
    Passage(source="seeds/b.txt", start=5, end=60, text="The  bridge\r\n\r\ncarries\t12,000 cars."),
    Passage(source="seeds/a.txt", start=90, end=120, text="Pham Minh Chinh met Lavrov."),
]
QUESTION = "Who did Lavrov meet in Hanoi?"


def _sources_block(text: str) -> list[str]:
    """The numbered source lines of the last 'Sources:' block (the completion has a worked example first)."""
    block = text.rsplit("Sources:\n", 1)[1]
    return [line for line in block.splitlines() if re.match(r"\[\d+\] ", line)]


def test_evidence_is_numbered_from_one_in_the_given_order() -> None:
    assert format_evidence(EVIDENCE).splitlines() == [
        "[1] Lavrov visited Vietnam on Wednesday.",
        "[2] The bridge carries 12,000 cars.",
        "[3] Pham Minh Chinh met Lavrov.",
    ]


def test_chat_messages_hold_instruction_sources_and_question() -> None:
    prompt = build_prompt(QUESTION, EVIDENCE)
    assert [m["role"] for m in prompt.messages] == ["system", "user"]
    assert prompt.messages[0]["content"] == INSTRUCTION
    user = prompt.messages[1]["content"]
    assert _sources_block(user) == format_evidence(EVIDENCE).splitlines()
    assert user.endswith(f"Question: {QUESTION}")


def test_completion_has_the_sources_and_question_and_ends_with_answer() -> None:
    prompt = build_prompt(QUESTION, EVIDENCE)
    assert prompt.completion.startswith(INSTRUCTION)
    assert _sources_block(prompt.completion) == format_evidence(EVIDENCE).splitlines()
    assert prompt.completion.endswith(f"Question: {QUESTION}\nAnswer:")
    assert prompt.completion.endswith("Answer:")


def test_evidence_order_is_kept_when_reversed() -> None:
    prompt = build_prompt(QUESTION, list(reversed(EVIDENCE)))
    lines = _sources_block(prompt.messages[1]["content"])
    assert lines[0] == "[1] Pham Minh Chinh met Lavrov."
    assert lines[2] == "[3] Lavrov visited Vietnam on Wednesday."


def test_newlines_in_evidence_and_question_are_collapsed() -> None:
    prompt = build_prompt("  Who did Lavrov\nmeet?  ", EVIDENCE)
    user = prompt.messages[1]["content"]
    # One line per source: no passage text may start a line of its own.
    assert "\non Wednesday" not in user and "\ncarries" not in user
    assert "\ncarries" not in prompt.completion
    assert user.endswith("Question: Who did Lavrov meet?")
    assert prompt.completion.endswith("Question: Who did Lavrov meet?\nAnswer:")
    assert "\t" not in user and "\r" not in user


def test_no_evidence_still_gives_a_well_formed_prompt() -> None:
    prompt = build_prompt(QUESTION, [])
    assert _sources_block(prompt.messages[1]["content"]) == []
    assert prompt.completion.endswith(f"Question: {QUESTION}\nAnswer:")


def test_completion_stops_at_a_new_line_and_each_prompt_has_its_own_list() -> None:
    first, second = build_prompt(QUESTION, EVIDENCE), build_prompt(QUESTION, EVIDENCE)
    assert first.stops == COMPLETION_STOPS
    assert "\n" in first.stops
    first.stops.append("X")
    assert second.stops == COMPLETION_STOPS
