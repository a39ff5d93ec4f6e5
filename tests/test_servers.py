"""The same pipeline against real outside servers: a Chroma server (`chroma run`) holding the index and a
llama-cpp-python OpenAI-compatible server (`python -m llama_cpp.server`) running the packaged Gemma GGUF.

Both servers are started on free 127.0.0.1 ports with an offline environment and stopped at teardown.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import SEEDS, HashEmbedder, free_port, make_settings, rag_env, run_rag

from rag.app import rebuild_index
from rag.errors import IndexBroken, ServerError
from rag.index.indexer import Indexer
from rag.index.store import ChromaStore
from rag.llm.llama import resolve_model_path
from rag.types import IndexInfo

pytestmark = pytest.mark.slow

# Answered correctly by the embedded pipeline too (tests/test_integration.py). One case: each costs a generation.
CASES = [("When will Lavrov visit China?", "004_6a4118b6b4af9dbd.txt", "April 8-9")]


def _offline_env() -> dict[str, str]:
    return rag_env(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")


class Server:
    """A server process with its log in a file; ``wait`` polls ``ready_url`` until it answers 200."""

    def __init__(self, name: str, args: list[str], ready_url: str, log: Path) -> None:
        self.name, self.ready_url, self.log = name, ready_url, log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(args, stdout=self._log_file, stderr=subprocess.STDOUT, env=_offline_env(),
                                     cwd=log.parent)

    def wait(self, deadline_s: float) -> None:
        deadline = time.monotonic() + deadline_s
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"{self.name} exited with code {self.proc.returncode}; its log:\n{self.tail()}")
            try:
                response = httpx.get(self.ready_url, timeout=2.0)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"{self.name} not ready at {self.ready_url} after {deadline_s:.0f}s ({last}); "
                    f"its log:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if not self._log_file.closed:
            self._log_file.close()


def _chroma_command() -> list[str]:
    # The `chroma` console script of the chromadb package, next to this interpreter.
    script = Path(sys.executable).parent / "chroma"
    if not script.is_file():
        pytest.fail(f"{script} is missing: the chromadb package installs it; reinstall the project (make install).")
    return [str(script)]


def start_chroma(folder: Path) -> tuple[Server, str]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server("chroma run", [*_chroma_command(), "run", "--path", str(folder / "data"), "--host", "127.0.0.1",
                                   "--port", str(port)], f"{url}/api/v2/heartbeat", folder / "chroma.log")
    server.wait(deadline_s=60)
    return server, url


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, url = start_chroma(tmp_path_factory.mktemp("chroma"))
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("llm")
    model = resolve_model_path(make_settings(folder))  # assembles the packaged GGUF on a clean clone
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The GGUF has no chat template; --chat_format gemma gives the server Gemma's turn format.
    server = Server("llama_cpp.server", [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
                                         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
                                         "--chat_format", "gemma"], f"{url}/v1/models", folder / "llm.log")
    try:
        server.wait(deadline_s=180)
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def served(indexed_folder, tmp_path_factory: pytest.TempPathFactory, chroma_url: str, llm_url: str):
    """The real pipeline over a copy of seeds/, its index on the Chroma server, its model on the LLM server."""
    folder = indexed_folder(tmp_path_factory.mktemp("served"), chroma_url=chroma_url, llm_url=llm_url)
    assert len(folder.report.added) == len(list(SEEDS.glob("*.txt")))
    assert not (folder.index / "chroma.sqlite3").exists()  # the chunks are on the server, not in the folder
    return folder.app


@pytest.mark.parametrize(("question", "file", "fact"), CASES)
def test_question_answered_through_both_servers(served, question: str, file: str, fact: str) -> None:
    answer = served.pipeline.ask(question)
    assert not answer.refused
    assert answer.raw_answer  # the LLM server generated a draft
    assert fact.lower() in answer.answer.lower()
    assert answer.citations
    assert {Path(c.source).name for c in answer.citations} == {file}
    for c in answer.citations:
        assert Path(c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer


def test_resync_against_the_server_embeds_nothing(served) -> None:
    report = served.indexer.sync(served.settings.docs_dir)
    assert report.chunks_embedded == 0 and not report.changed


def test_another_process_shares_the_index_and_sees_new_files(served, chroma_url: str, llm_url: str) -> None:
    docs = served.settings.docs_dir
    (docs / "zz_bridge.txt").write_text(
        "The Varnel river bridge in Ostrava was opened in 1957 by the engineer Karel Dusek.\n", encoding="utf-8")
    try:
        assert served.indexer.sync(docs).added == [served.settings.display_path(docs / "zz_bridge.txt")]
        result = run_rag(docs.parent, "--chroma-url", chroma_url, "--llm-url", llm_url, "ask", "--json",
                         "When was the Varnel river bridge opened?", RAG_DOCS_DIR=str(docs),
                         RAG_INDEX_DIR=str(docs.parent / "other-index"), HF_HUB_OFFLINE="1",
                         TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert not answer["refused"]
        assert "1957" in answer["answer"]
        # The file the test process just added answers it. (The base model, given a chat prompt, may also copy
        # other evidence sentences verbatim; the checker lets supported copies stand, with their own citations.)
        first = answer["citations"][0]
        assert Path(first["source"]).name == "zz_bridge.txt" and "1957" in first["quote"]
    finally:
        (docs / "zz_bridge.txt").unlink()
        served.indexer.sync(docs)


def _hash_store(url: str, collection: str, info: IndexInfo | None = None) -> ChromaStore:
    return ChromaStore(Path("/nonexistent"), collection, info or IndexInfo("hash-embedder", 64, 700), url=url)


def test_rebuild_drops_the_collections_on_the_server(tmp_path, chroma_url: str, docs_copy: Path) -> None:
    settings = make_settings(tmp_path, chroma_url=chroma_url, collection="rebuild_me")
    store = _hash_store(chroma_url, "rebuild_me")
    store.open(create=True)
    Indexer(store, HashEmbedder(), 700, settings.display_path).sync(docs_copy)
    assert store.count() > 0
    rebuild_index(settings)
    again = _hash_store(chroma_url, "rebuild_me")
    again.open(create=True)
    assert again.count() == 0 and again.file_states() == {}
    report = Indexer(again, HashEmbedder(), 700, settings.display_path).sync(docs_copy)
    assert len(report.added) == len(list(SEEDS.glob("*.txt")))


def test_index_built_with_other_settings_is_refused_naming_the_server(chroma_url: str) -> None:
    _hash_store(chroma_url, "other_info").open(create=True)
    with pytest.raises(IndexBroken, match=rf"The index in {chroma_url} was built with .*chunk_chars=700"):
        _hash_store(chroma_url, "other_info", IndexInfo("hash-embedder", 64, 900)).open(create=False)


def test_a_server_that_goes_away_gives_a_server_error(tmp_path) -> None:
    server, url = start_chroma(tmp_path / "short-lived")
    try:
        store = _hash_store(url, "documents")
        store.open(create=True)
        assert store.count() == 0
    finally:
        server.stop()
    with pytest.raises(ServerError, match=rf"Chroma server at {url}.*chroma run"):
        store.count()
