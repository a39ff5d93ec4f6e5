"""The web chat: its function streams answers with sources, keeps conversations apart, takes uploads;
and the launched Gradio app answers through gradio_client."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import free_port

from rag.serve.chat import REFUSED_PREFIX, ChatService

pytestmark = pytest.mark.slow


def test_respond_streams_answer_then_sources(real_app):
    service = ChatService(real_app)
    steps = list(service.respond("When will Lavrov visit China?", []))
    assert len(steps) >= 3  # placeholder, streamed text, final answer with sources
    conversations = [conv for conv, _, _ in steps]
    assert conversations[0][-1]["content"] == "…"
    final_conv, final_sources, _ = steps[-1]
    assert final_conv[0] == {"role": "user", "content": "When will Lavrov visit China?"}
    assert "**April 8-9**" in final_conv[-1]["content"]  # the answer's span, bold in the chat
    assert "004_6a4118b6b4af9dbd.txt" in final_sources
    assert '<mark class="rag-answer">April 8-9</mark>' in final_sources  # and marked in its source


def test_follow_up_uses_the_conversation(real_app):
    service = ChatService(real_app)
    *_, (conversation, _, _) = service.respond("Who did Lavrov meet in Mongolia?", [])
    *_, (conversation, sources, _) = service.respond("And who is its prime minister?", conversation)
    assert len(conversation) == 4
    assert not conversation[-1]["content"].startswith(REFUSED_PREFIX)
    assert "003_8696cf6703ef46b9.txt" in sources


def test_refused_answer_looks_different(real_app):
    *_, (conversation, sources, draft) = ChatService(real_app).respond("What is the recipe for pho?", [])
    assert conversation[-1]["content"].startswith(REFUSED_PREFIX)
    assert "Nearest passages" in sources
    assert "not asked" in draft  # the draft section says no model text was generated


def test_empty_question_gets_a_message_not_a_crash(real_app):
    *_, (conversation, _, _) = ChatService(real_app).respond("   ", [])
    assert "empty" in conversation[-1]["content"]


def test_upload_then_ask_about_it(real_app, tmp_path):
    """An upload named to climb out of the documents folder (a Windows client's '..\\..\\' name, which a POSIX
    path keeps as one file name) is stored inside it under its plain name, indexed, and answers questions. The
    session's shared app gets its documents and index back even when an assert fails."""
    docs = real_app.settings.docs_dir
    before = set(docs.iterdir())
    upload = tmp_path / "..\\..\\oslo notes.txt"
    upload.write_text("The Oslo harbour festival of 2031 was opened by Mayor Ingrid Solheim on 3 March.\n",
                      encoding="utf-8")
    service = ChatService(real_app)
    try:
        status, documents = service.add_files([upload])
        assert "indexed" in status
        assert set(docs.iterdir()) - before == {docs / "oslo notes.txt"}
        assert not (docs.parent / "oslo notes.txt").exists() and not (docs.parent.parent / "oslo notes.txt").exists()
        assert "oslo notes.txt" in documents and ".." not in documents
        *_, (conversation, sources, _) = service.respond("Who opened the Oslo harbour festival?", [])
        assert "Solheim" in conversation[-1]["content"]
        assert "oslo notes.txt" in sources
    finally:
        for added in set(docs.iterdir()) - before:
            added.unlink()
        real_app.indexer.sync(docs)


def test_unreadable_upload_is_refused_and_not_kept(real_app, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02 not text")
    before = real_app.store.count()
    status, _ = ChatService(real_app).add_files([bad])
    assert "binary" in status
    assert not (real_app.settings.docs_dir / "bad.txt").exists()
    assert real_app.store.count() == before


def test_launched_app_answers_through_gradio_client(real_app):
    from gradio_client import Client

    from rag.serve.web import build_ui

    demo = build_ui(real_app)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        result = client.predict("How many projects have Russian companies invested in Vietnam?", 4, api_name="/ask")
        assert result["refused"] is False
        assert "151" in result["answer"]
        assert {Path(c["source"]).name for c in result["citations"]} == {"002_cd5c2d4c352cb8e4.txt"}
        empty = client.predict("  ", 4, api_name="/ask")
        assert "empty" in empty["error"]
    finally:
        demo.close()
