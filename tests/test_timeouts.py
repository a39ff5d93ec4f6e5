"""Time-outs against real misbehaving peers on 127.0.0.1 (tests/peers.py): a socket that listens and never
answers, one that never completes a connection, servers that answer HTTP 500, hang, send only keep-alives, or
stop in the middle of an answer. Each case must end in a clear message within its time-out, measured here, and the
web chat must keep serving through all of them. Every test runs under a hard time limit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SEEDS, fake_app, make_settings, rag_env
from peers import (
    KEEPALIVE_EVERY_S,
    MIDWAY_TOKENS,
    FullSocket,
    ScriptedServer,
    SilentSocket,
    StallingProxy,
    hard_limit,
)

from rag.config import PROJECT_ROOT, load_settings
from rag.errors import AnswerCutOff, ConfigError, ServerError, ServerTimeout
from rag.index.chroma_server import ServerAddress
from rag.index.store import ChromaStore
from rag.llm.openai_chat import OpenAIChatGenerator
from rag.llm.prompting import build_prompt
from rag.serve.chat import CUT_OFF_MARK, CUT_OFF_SOURCES, ChatService, message_text
from rag.serve.cli import CUT_OFF_NOTE, main
from rag.types import IndexInfo, Passage

QUESTION = "When will Lavrov visit China?"
FACT, FILE = "April 8-9", "004_6a4118b6b4af9dbd.txt"
TIMEOUT_S = 1.0  # the time-out the fast tests set
SLACK_S = 1.0  # what a time-out may overrun by in-process (thread wake-ups, a busy machine)
STARTUP_S = 15.0  # a `rag` subprocess: interpreter start and imports, before the time-out starts
PROMPT = build_prompt("When?", [Passage(source="a.txt", start=0, end=20, text="It opened in 1932.", score=1.0)])
INFO = IndexInfo("hash-embedder", 64, 700)


def _one_error_line(stderr: str) -> str:
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    return stderr.strip()


# --- settings ----------------------------------------------------------------------------------------------------


def test_timeout_settings_from_the_environment_and_flags(monkeypatch) -> None:
    settings = load_settings(env={"RAG_CHROMA_TIMEOUT": "2.5", "RAG_LLM_TIMEOUT": "90"})
    assert (settings.chroma_timeout, settings.llm_timeout) == (2.5, 90.0)
    defaults = load_settings(env={})
    assert (defaults.chroma_timeout, defaults.llm_timeout) == (10.0, 60.0)
    from rag.serve.cli import _parser, _settings

    monkeypatch.setenv("RAG_LLM_TIMEOUT", "90")
    args = _parser().parse_args(["--chroma-timeout", "3", "ask", "--llm-timeout", "4", "q"])
    assert (_settings(args).chroma_timeout, _settings(args).llm_timeout) == (3.0, 4.0)


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "7200", "soon"])
@pytest.mark.parametrize("var", ["RAG_CHROMA_TIMEOUT", "RAG_LLM_TIMEOUT"])
def test_a_bad_timeout_is_a_config_error(var: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=var if raw == "soon" else "out of range"):
        load_settings(env={var: raw})


def test_help_names_the_timeout_settings(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "RAG_CHROMA_TIMEOUT, default 10" in out and "RAG_LLM_TIMEOUT, default 60" in out
    assert "--chroma-timeout SECONDS" in out and "--llm-timeout SECONDS" in out


# --- the Chroma server -------------------------------------------------------------------------------------------


def test_chroma_server_that_never_answers_times_out_naming_the_url(tmp_path) -> None:
    with SilentSocket() as silent, hard_limit(10) as clock:
        store = ChromaStore(tmp_path / "index", "documents", INFO, url=ServerAddress(silent.url, TIMEOUT_S))
        with pytest.raises(ServerTimeout) as info:
            store.open(create=True)
        took = clock.elapsed
    message = str(info.value)
    assert f"Chroma server at {silent.url} accepted the connection but did not answer" in message
    assert "within 1 s (RAG_CHROMA_TIMEOUT=1)" in message and "chroma run" in message
    assert TIMEOUT_S <= took < TIMEOUT_S + SLACK_S, took


def test_chroma_server_that_never_accepts_the_connection_times_out_connecting(tmp_path) -> None:
    with FullSocket() as full, hard_limit(10) as clock:
        store = ChromaStore(tmp_path / "index", "documents", INFO, url=ServerAddress(full.url, TIMEOUT_S))
        with pytest.raises(ServerTimeout, match=rf"Could not connect to the Chroma server at {full.url} in time"):
            store.open(create=True)
        took = clock.elapsed
    assert TIMEOUT_S <= took < TIMEOUT_S + SLACK_S, took


def test_chroma_server_that_answers_only_its_heartbeat_is_given_up_on(tmp_path) -> None:
    """chromadb's client sends requests while it is built, with no time-out of its own: they are bounded too."""
    from rag.index.chroma_server import _BUILD_REQUESTS

    waited = TIMEOUT_S * _BUILD_REQUESTS
    with ScriptedServer("heartbeat_only") as server, hard_limit(20) as clock:
        store = ChromaStore(tmp_path / "index", "documents", INFO, url=ServerAddress(server.url, TIMEOUT_S))
        with pytest.raises(ServerTimeout, match=rf"did not answer the client's first requests .* within {waited:g} s "
                                                r"\(RAG_CHROMA_TIMEOUT=1\)"):
            store.open(create=True)
        took = clock.elapsed
    assert ("GET", "/api/v2/heartbeat") in server.requests and len(server.requests) > 1
    assert waited <= took < waited + SLACK_S, took


def test_chroma_server_answering_500_says_so_at_once(tmp_path) -> None:
    with ScriptedServer("500") as server, hard_limit(10) as clock:
        store = ChromaStore(tmp_path / "index", "documents", INFO, url=ServerAddress(server.url, TIMEOUT_S))
        with pytest.raises(ServerError, match=rf"Chroma server at {server.url} answered HTTP 500 .*look at its log"):
            store.open(create=True)
        assert clock.elapsed < SLACK_S


def _ask_cli(env: dict[str, str], *args: str, limit: float) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, env=env,
                            cwd=PROJECT_ROOT, timeout=limit, check=False)
    return result, time.monotonic() - started


@pytest.mark.parametrize("timeout", [2.0, None], ids=["RAG_CHROMA_TIMEOUT=2", "default"])
def test_cli_ask_against_a_silent_chroma_server_exits_with_one_line(tmp_path, timeout: float | None) -> None:
    """The issue's first case: `rag ask --chroma-url` at a socket that never answers printed nothing for 90 s."""
    limit = timeout or load_settings(env={}).chroma_timeout
    env = rag_env(tmp_path, **({"RAG_CHROMA_TIMEOUT": str(timeout)} if timeout else {}))
    with SilentSocket() as silent:
        result, took = _ask_cli(env, "ask", "--chroma-url", silent.url, QUESTION, limit=limit + STARTUP_S + 30)
    assert result.returncode == 1 and result.stdout == ""
    line = _one_error_line(result.stderr)
    assert line.startswith(f"error: The Chroma server at {silent.url} accepted the connection but did not answer")
    assert f"within {limit:g} s (RAG_CHROMA_TIMEOUT={limit:g})" in line and "its log" in line
    assert limit <= took < limit + STARTUP_S, took


def test_cli_index_against_a_chroma_server_answering_500(tmp_path) -> None:
    shutil.copytree(SEEDS, tmp_path / "docs")
    with ScriptedServer("500") as server:
        result, took = _ask_cli(rag_env(tmp_path), "index", "--chroma-url", server.url, limit=STARTUP_S + 30)
    assert result.returncode == 1
    assert _one_error_line(result.stderr).startswith(f"error: The Chroma server at {server.url} answered HTTP 500")
    assert took < STARTUP_S


def test_chroma_server_that_stalls_during_questions_is_a_message_and_the_chat_recovers(tmp_path) -> None:
    """A real `chroma run` behind a proxy that stops passing its answers on: the question in flight ends with
    the time-out message, and once the server answers again the same chat answers, no restart."""
    from test_servers import start_chroma

    server, url = start_chroma(tmp_path / "chroma")
    port = int(url.rsplit(":", 1)[1])
    shutil.copytree(SEEDS, tmp_path / "docs")
    try:
        with StallingProxy(port) as proxy, hard_limit(60):
            app = fake_app(tmp_path, _llm(tmp_path, "http://127.0.0.1:9"), chroma_url=proxy.url,
                           chroma_timeout=TIMEOUT_S, retrieval="dense")
            service = ChatService(app)
            assert "5 document(s) indexed" in service.documents_markdown()
            proxy.stall()
            started = time.monotonic()
            answer, sources = _final(service, QUESTION)
            took = time.monotonic() - started
            assert answer.startswith(f"⚠️ The Chroma server at {proxy.url} accepted the connection but did not "
                                     "answer a `"), answer
            assert "RAG_CHROMA_TIMEOUT=1" in answer and sources == ""
            assert TIMEOUT_S <= took < TIMEOUT_S + SLACK_S, took
            proxy.resume()
            assert "5 document(s) indexed" in service.documents_markdown()
    finally:
        server.stop()


# --- the OpenAI-compatible LLM server -----------------------------------------------------------------------------


def _llm(tmp_path: Path, url: str, timeout: float = TIMEOUT_S) -> OpenAIChatGenerator:
    return OpenAIChatGenerator(make_settings(tmp_path, llm_url=url, llm_timeout=timeout))


def _drain(gen: OpenAIChatGenerator) -> tuple[list[str], BaseException | None, float]:
    """The pieces the generator yields, the error it ends with, and the seconds from the request to that end."""
    pieces: list[str] = []
    started = time.monotonic()
    try:
        pieces.extend(gen.stream(PROMPT, 32))
    except ServerError as exc:
        return pieces, exc, time.monotonic() - started
    return pieces, None, time.monotonic() - started


def test_llm_socket_that_never_answers_times_out_at_the_first_token(tmp_path) -> None:
    with SilentSocket() as silent, hard_limit(10):
        pieces, error, took = _drain(_llm(tmp_path, silent.url))
    assert pieces == [] and isinstance(error, ServerTimeout)
    assert f"server at {silent.url}/v1 accepted the question but sent no answer within 1 s (RAG_LLM_TIMEOUT=1)" \
        in str(error)
    assert TIMEOUT_S <= took < TIMEOUT_S + SLACK_S, took


def test_llm_server_that_never_accepts_the_connection_times_out_connecting(tmp_path) -> None:
    with FullSocket() as full, hard_limit(10):
        _, error, took = _drain(_llm(tmp_path, full.url))
        with pytest.raises(ServerTimeout, match="Could not connect"):
            _llm(tmp_path, full.url).warm_up()
    assert isinstance(error, ServerTimeout)
    assert f"Could not connect to the language-model server at {full.url}/v1 within 1 s" in str(error)
    assert TIMEOUT_S <= took < TIMEOUT_S + SLACK_S, took


@pytest.mark.parametrize(("mode", "kind", "pieces", "says", "at_least", "at_most"), [
    ("hang", ServerTimeout, 0, "accepted the question but sent no answer within 1 s", TIMEOUT_S, TIMEOUT_S + SLACK_S),
    # Keep-alives reset no clock: the limit holds to within one keep-alive interval.
    ("keepalive", ServerTimeout, 0, "sent no answer within 1 s", TIMEOUT_S, TIMEOUT_S + KEEPALIVE_EVERY_S + SLACK_S),
    ("500", ServerError, 0, 'failed (HTTP 500: {"error": {"message": "the model crashed (scripted)"}}). Check its log',
     0.0, SLACK_S),
    ("close_midway", AnswerCutOff, MIDWAY_TOKENS, f"closed the connection after {MIDWAY_TOKENS} streamed piece(s)",
     0.0, SLACK_S),
    ("stall_midway", AnswerCutOff, MIDWAY_TOKENS,
     f"stopped answering after {MIDWAY_TOKENS} streamed piece(s): nothing more within 1 s", TIMEOUT_S,
     TIMEOUT_S + SLACK_S),
    ("end_midway", AnswerCutOff, MIDWAY_TOKENS, "ended the stream before finishing the answer", 0.0, SLACK_S),
])
def test_llm_server_misbehaving(tmp_path, mode: str, kind: type, pieces: int, says: str, at_least: float,
                                at_most: float) -> None:
    with ScriptedServer(mode) as server, hard_limit(10):
        got, error, took = _drain(_llm(tmp_path, server.url))
    assert len(got) == pieces
    assert type(error) is kind, error
    assert f"language-model server at {server.url}/v1" in str(error) and says in str(error)
    assert at_least <= took < at_most, took


def test_llm_warm_up_times_out_against_a_silent_socket(tmp_path) -> None:
    with SilentSocket() as silent, hard_limit(10) as clock:
        with pytest.raises(ServerTimeout, match="sent no answer within 1 s"):
            _llm(tmp_path, silent.url).warm_up()
        assert TIMEOUT_S <= clock.elapsed < TIMEOUT_S + SLACK_S


def test_a_finished_stream_without_done_is_complete(tmp_path) -> None:
    with ScriptedServer("ok") as server:
        assert "".join(_llm(tmp_path, server.url).stream(PROMPT, 32)).startswith("Lavrov will visit China")


# --- the CLI and the web chat --------------------------------------------------------------------------------------


def _seeded(tmp_path: Path) -> Path:
    shutil.copytree(SEEDS, tmp_path / "docs")
    return tmp_path


def _cli_app(monkeypatch, tmp_path: Path, url: str) -> None:
    """`rag ask` in this process on a hash-embedder index, its model the server at ``url``."""
    import rag.app

    app = fake_app(_seeded(tmp_path), _llm(tmp_path, url))
    monkeypatch.setattr(rag.app, "build_app", lambda *args, **kwargs: app)


def test_cli_ask_against_a_silent_llm_server_exits_with_one_line(monkeypatch, tmp_path, capsys) -> None:
    """The issue's second case, in-process (the real embedder's version is the slow test below)."""
    with SilentSocket() as silent, hard_limit(20) as clock:
        _cli_app(monkeypatch, tmp_path, silent.url)
        started = clock.elapsed
        code = main(["ask", "--llm-url", silent.url, QUESTION])
        took = clock.elapsed - started
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert _one_error_line(err).startswith(f"error: The language-model server at {silent.url}/v1 accepted the "
                                           "question but sent no answer within 1 s")
    assert TIMEOUT_S <= took < TIMEOUT_S + SLACK_S, took


@pytest.mark.parametrize("mode", ["close_midway", "stall_midway"])
def test_cli_ask_marks_an_answer_cut_off_midway(monkeypatch, tmp_path, capsys, mode: str) -> None:
    with ScriptedServer(mode) as server, hard_limit(20):
        _cli_app(monkeypatch, tmp_path, server.url)
        code = main(["ask", "--llm-url", server.url, QUESTION])
    out, err = capsys.readouterr()
    assert code == 1
    checked, note = out.rstrip("\n").split("\n")
    assert FACT in checked and note == CUT_OFF_NOTE  # what was checked stays, marked; no "Sources:" follow
    line = _one_error_line(err)
    assert f"after {MIDWAY_TOKENS} streamed piece(s)" in line and "the answer is incomplete" in line


def _final(service: ChatService, question: str) -> tuple[str, str]:
    conversation, sources, _ = list(service.respond(question, []))[-1]
    return conversation[-1]["content"], sources


def test_web_chat_keeps_serving_through_every_misbehaviour(tmp_path) -> None:
    """The page as served (Gradio, driven through gradio_client): each misbehaviour of the model server ends in
    a message in the conversation within its time-out, and the next question is answered."""
    from gradio_client import Client

    from rag.serve.web import build_ui

    with ScriptedServer("ok") as server, hard_limit(120):
        app = fake_app(_seeded(tmp_path), _llm(tmp_path, server.url))
        demo = build_ui(app)
        demo.queue().launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
        try:
            client = Client(f"http://127.0.0.1:{demo.server_port}/", verbose=False)
            model = ChatService(app).models.default_name

            def chat(mode: str) -> tuple[str, str, float]:
                server.mode = mode
                started = time.monotonic()
                conversation, sources, _ = client.predict(QUESTION, [], 4, model, api_name="/chat")
                return message_text(conversation[-1]), sources, time.monotonic() - started

            shown, sources, _ = chat("ok")
            assert FACT in shown and FILE in sources
            for mode, says in (("hang", "sent no answer within 1 s"), ("keepalive", "sent no answer within 1 s"),
                               ("500", "failed (HTTP 500")):
                shown, sources, took = chat(mode)
                assert shown.startswith(f"⚠️ The language-model server at {server.url}/v1"), shown
                assert says in shown and sources == ""
                assert took < TIMEOUT_S + KEEPALIVE_EVERY_S + 3 * SLACK_S, (mode, took)
            for mode in ("close_midway", "stall_midway", "end_midway"):
                shown, sources, took = chat(mode)
                checked, _, reason = shown.partition(CUT_OFF_MARK)
                assert FACT in checked and "the answer is incomplete" in reason, shown
                assert sources == CUT_OFF_SOURCES
                assert took < TIMEOUT_S + 3 * SLACK_S, (mode, took)
            server.mode = "hang"
            error = client.predict(QUESTION, 4, "", api_name="/ask")["error"]
            assert "sent no answer within 1 s" in error
            shown, sources, _ = chat("ok")  # still serving, nothing restarted
            assert FACT in shown and FILE in sources
        finally:
            demo.close()


@pytest.mark.slow
def test_cli_ask_against_a_silent_llm_server_with_the_real_embedder(tmp_path) -> None:
    """The issue's second case as a user runs it: `rag index`, then `rag ask --llm-url` at a silent socket."""
    env = rag_env(_seeded(tmp_path), RAG_LLM_TIMEOUT="3")
    indexed, _ = _ask_cli(env, "index", limit=300)
    assert indexed.returncode == 0, indexed.stderr
    with SilentSocket() as silent:
        result, took = _ask_cli(env, "ask", "--llm-url", silent.url, QUESTION, limit=3 + STARTUP_S + 60)
    assert result.returncode == 1 and result.stdout == ""
    line = _one_error_line(result.stderr)
    assert line.startswith(f"error: The language-model server at {silent.url}/v1 accepted the question but sent no "
                           "answer within 3 s (RAG_LLM_TIMEOUT=3)")
    assert 3 <= took < 3 + STARTUP_S, took
