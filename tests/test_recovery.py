"""A running app recovers, with no restart, when its index folder is deleted, replaced or made read-only under it
(rag/index/reopen.py): the next question says what to do or reopens the index, and once the folder is back
(built by another process, as `rag index` in another shell) questions and uploads work again.

The fast tests build the index again in a subprocess with the hash embedder; the slow test runs the real
`rag serve` and the real `rag index`. Every test runs under a hard time limit and checks the measured times.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import SEEDS, UNCHECKABLE_REPLY, ScriptedModel, fake_app, rag_env
from peers import ScriptedServer, hard_limit
from served_app import ServedApp, _wait_until_answering, rag_command

from rag.config import PROJECT_ROOT
from rag.serve.chat import ChatService, message_text

QUESTION = "When will Lavrov visit China?"
FACT, FILE = "April 8-9", "004_6a4118b6b4af9dbd.txt"
NEW_FILE = "zz_bridge.txt"
NEW_TEXT = "The Varnel river bridge in Ostrava was opened in 1957 by the engineer Karel Dusek.\n"
NEW_QUESTION = "Who opened the Varnel river bridge?"
UPLOAD_TEXT = "The Oslo harbour festival was opened by Mayor Ingrid Solheim.\n"
SLACK_S = 1.0  # a question against a hash-embedder index takes well under this

# Another process building the index (as `rag index` would, with the hash embedder the fast tests use).
BUILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from conftest import fake_app
    from rag.app import rebuild_index
    tmp = Path(sys.argv[1])
    if sys.argv[3] == "rebuild":
        from conftest import make_settings
        rebuild_index(make_settings(tmp))
    print(fake_app(tmp).store.count())
""")


def _build_elsewhere(tmp: Path, how: str = "sync") -> None:
    run = subprocess.run([sys.executable, "-c", BUILD, str(tmp), str(Path(__file__).parent), how],
                         capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT, check=False)
    assert run.returncode == 0, run.stderr


def _final(service: ChatService, question: str) -> tuple[str, str, float]:
    started = time.monotonic()
    conversation, sources, _ = list(service.respond(question, []))[-1]
    return conversation[-1]["content"], sources, time.monotonic() - started


def _app(tmp: Path) -> ChatService:
    shutil.copytree(SEEDS, tmp / "docs")
    service = ChatService(fake_app(tmp, ScriptedModel(UNCHECKABLE_REPLY)))  # the answer quotes the best evidence
    answer, sources, _ = _final(service, QUESTION)
    assert FACT in answer and FILE in sources
    return service


def _upload(service: ChatService, tmp: Path, name: str = "oslo.txt") -> str:
    upload = tmp / "uploads" / name
    upload.parent.mkdir(exist_ok=True)
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    return service.add_files([upload])[0]


def test_index_deleted_then_built_by_another_process_while_the_chat_runs(tmp_path) -> None:
    with hard_limit(120):
        service = _app(tmp_path)
        docs_before = sorted(p.name for p in (tmp_path / "docs").iterdir())
        shutil.rmtree(tmp_path / "index")

        answer, sources, took = _final(service, QUESTION)
        assert answer.startswith(f"⚠️ The index folder {tmp_path / 'index'} was deleted or moved"), answer
        assert "Run `rag index` in another shell" in answer and "no restart needed" in answer and sources == ""
        assert took < SLACK_S, took
        assert service.documents_markdown().startswith("⚠️ The index folder")
        status = _upload(service, tmp_path)
        assert status.startswith("❌ The index folder") and "rag index" in status
        assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == docs_before  # nothing copied

        (tmp_path / "docs" / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
        _build_elsewhere(tmp_path)  # the folder is back, with one more document

        answer, sources, took = _final(service, NEW_QUESTION)  # read from the new index, not the deleted one
        assert "Karel Dusek" in answer and NEW_FILE in sources, answer
        assert took < SLACK_S, took
        answer, sources, _ = _final(service, QUESTION)
        assert FACT in answer and FILE in sources
        assert _upload(service, tmp_path).startswith("✅"), "the reopened index takes uploads"
        assert "7 document(s) indexed" in service.documents_markdown()


def test_index_rebuilt_in_place_by_another_process_while_the_chat_runs(tmp_path) -> None:
    """`rag index --rebuild` in another shell: the folder stays, its database is replaced."""
    with hard_limit(120):
        service = _app(tmp_path)
        (tmp_path / "docs" / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
        _build_elsewhere(tmp_path, "rebuild")
        answer, sources, took = _final(service, NEW_QUESTION)
        assert "Karel Dusek" in answer and NEW_FILE in sources, answer
        assert took < SLACK_S, took
        assert _upload(service, tmp_path).startswith("✅")
        assert "7 document(s) indexed" in service.documents_markdown()


# Read-only, in one process: root ignores file modes, so the script runs with CAP_DAC_OVERRIDE dropped (setpriv),
# as tests/test_hostile.py does.
READ_ONLY = textwrap.dedent("""
    import json, subprocess, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from test_recovery import QUESTION, _app, _final, _upload

    tmp = Path(sys.argv[1])
    service = _app(tmp)
    index = str(tmp / "index")
    out = {}
    subprocess.run(["chmod", "-R", "a-w", index], check=True)
    out["answer_read_only"] = _final(service, QUESTION)[:2]
    started = time.monotonic()
    out["upload_read_only"] = _upload(service, tmp, "first.txt")
    out["upload_read_only_s"] = time.monotonic() - started
    subprocess.run(["chmod", "-R", "u+w", index], check=True)
    started = time.monotonic()
    out["upload_writable"] = _upload(service, tmp, "second.txt")
    out["upload_writable_s"] = time.monotonic() - started
    out["answer_writable"] = _final(service, QUESTION)[:2]
    out["documents"] = service.documents_markdown()
    print(json.dumps(out))
""")


def test_read_only_index_recovers_in_the_same_process_once_writable(tmp_path) -> None:
    from test_hostile import _drop_root_override

    script = tmp_path / "read_only.py"
    script.write_text(READ_ONLY, encoding="utf-8")
    (tmp_path / "app").mkdir()
    with hard_limit(180):
        run = subprocess.run([*_drop_root_override(), sys.executable, str(script), str(tmp_path / "app"),
                              str(Path(__file__).parent)], capture_output=True, text=True, timeout=170,
                             cwd=PROJECT_ROOT, check=False)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert FACT in out["answer_read_only"][0]  # reading a read-only index still works
    assert out["upload_read_only"].startswith("❌ Cannot write to the index"), out["upload_read_only"]
    assert "chmod -R u+w" in out["upload_read_only"] and "no restart needed" in out["upload_read_only"]
    assert out["upload_writable"].startswith("✅ second.txt"), out["upload_writable"]  # same process
    assert FACT in out["answer_writable"][0] and FILE in out["answer_writable"][1]
    assert "6 document(s) indexed" in out["documents"]
    assert out["upload_read_only_s"] < 5 and out["upload_writable_s"] < 5, out


# --- the real `rag serve` -----------------------------------------------------------------------------------------


@contextmanager
def _serve(tmp: Path, *args: str) -> Iterator[ServedApp]:
    """`rag serve` over a copy of the seeds in ``tmp`` on a free port, with extra ``args``."""
    from conftest import free_port

    docs, index, log = tmp / "docs", tmp / "index", tmp / "serve.log"
    shutil.copytree(SEEDS, docs)
    port = free_port()
    cmd = [*rag_command(), "serve", "--docs", str(docs), "--index", str(index), "--port", str(port), *args]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=rag_env(), cwd=tmp)
    served = ServedApp(url=f"http://127.0.0.1:{port}/", docs_dir=docs, index_dir=index, log_path=log, process=proc)
    try:
        _wait_until_answering(served.url, proc, log)
        yield served
    finally:
        served.stop()


@pytest.mark.slow
def test_rag_serve_survives_a_deleted_index_and_a_hanging_model_server(tmp_path) -> None:
    """The real web chat (real embedder; its model a scripted OpenAI-compatible server): the index folder deleted
    and built again by `rag index` in another process, and the model server hanging, all with no restart."""
    from gradio_client import Client, handle_file

    def chat(client: Client) -> tuple[str, str, float]:
        started = time.monotonic()
        conversation, sources, _ = client.predict(QUESTION, [], 4, f"server @ {llm.url}/v1", api_name="/chat")
        return message_text(conversation[-1]), sources, time.monotonic() - started

    with (ScriptedServer("ok") as llm, hard_limit(600),
          _serve(tmp_path / "app", "--llm-url", llm.url, "--llm-timeout", "2") as served):
        client = Client(served.url, verbose=False)
        text, sources, _ = chat(client)
        assert FACT in text and FILE in sources, text

        llm.mode = "hang"
        text, _, took = chat(client)
        assert text.startswith(f"⚠️ The language-model server at {llm.url}/v1") and "within 2 s" in text, text
        assert 2 <= took < 2 + 5, took
        llm.mode = "ok"

        shutil.rmtree(served.index_dir)
        text, _, took = chat(client)
        assert text.startswith("⚠️ The index folder") and "rag index" in text, text
        assert took < 5, took

        env = rag_env(RAG_DOCS_DIR=str(served.docs_dir), RAG_INDEX_DIR=str(served.index_dir),
                      RAG_CACHE_DIR=str(PROJECT_ROOT / ".cache"))
        indexed = subprocess.run([*rag_command(), "index"], capture_output=True, text=True, env=env,
                                 timeout=300, check=False)
        assert indexed.returncode == 0, indexed.stderr

        text, sources, took = chat(client)
        assert FACT in text and FILE in sources, text
        assert took < 10, took
        upload = tmp_path / "oslo.txt"
        upload.write_text(UPLOAD_TEXT, encoding="utf-8")
        status, documents = client.predict([handle_file(str(upload))], api_name="/upload")
        assert status.startswith("✅"), status
        assert "6 document(s) indexed" in documents
        assert served.process.poll() is None  # the same process served everything
