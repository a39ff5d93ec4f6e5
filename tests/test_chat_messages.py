"""The chat's history as Gradio 6 hands it back: content as a list of blocks, not a string."""

from __future__ import annotations

from rag.serve.chat import NOT_SURE_PREFIX, conversation_turns, message_text
from rag.types import Turn


def test_plain_string_content():
    assert message_text({"role": "user", "content": "Who did Lavrov meet?"}) == "Who did Lavrov meet?"


def test_gradio6_text_blocks_are_joined_and_files_skipped():
    message = {"role": "user", "content": [
        {"type": "text", "text": "Who did Lavrov meet"},
        {"type": "file", "file": {"path": "/tmp/x.txt"}, "alt_text": None},
        {"type": "text", "text": "in Mongolia?"},
    ]}
    assert message_text(message) == "Who did Lavrov meet in Mongolia?"


def test_missing_or_odd_content_is_empty():
    assert message_text({"role": "user"}) == ""
    assert message_text({"role": "user", "content": None}) == ""
    assert message_text({"role": "user", "content": ["not a block", 3]}) == ""


def test_the_conversation_carries_each_question_with_the_answer_shown():
    history = [
        {"role": "user", "content": "Which country did Lavrov visit before Hanoi?"},
        {"role": "assistant", "content": [{"type": "text", "text": "He had visited **Mongolia** [1]."}]},
        {"role": "user", "content": "Who is its foreign minister?"},
        {"role": "assistant", "content": NOT_SURE_PREFIX + "Not sure."},
        {"role": "user", "content": "A question whose answer was cut off"},
    ]
    assert conversation_turns(history) == [
        Turn("Which country did Lavrov visit before Hanoi?", "He had visited **Mongolia** [1]."),
        Turn("Who is its foreign minister?", "❔ not sure Not sure."),
        Turn("A question whose answer was cut off", ""),
    ]
