"""The chat's history as Gradio 6 hands it back: content as a list of blocks, not a string."""

from __future__ import annotations

from rag.serve.chat import message_text


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
