"""Server settings and flags, and what happens when the Chroma server is not there (no server started here)."""

from __future__ import annotations

import pytest
from conftest import free_port, make_settings

from rag.app import build_app, rebuild_index
from rag.config import load_settings, parse_chroma_url
from rag.errors import ConfigError, ServerError
from rag.index.store import ChromaStore
from rag.serve.cli import _parser, _settings, main
from rag.types import IndexInfo


@pytest.mark.parametrize(("url", "parsed"), [
    ("http://127.0.0.1:8123", ("127.0.0.1", 8123, False)),
    ("http://chroma.local/", ("chroma.local", 8000, False)),
    ("https://chroma.example.com", ("chroma.example.com", 443, True)),
])
def test_parse_url(url: str, parsed: tuple[str, int, bool]) -> None:
    assert parse_chroma_url(url) == parsed


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://host", "http://host:8000/api/v2"])
def test_parse_url_refuses_what_it_cannot_use(url: str) -> None:
    with pytest.raises(ConfigError, match="RAG_CHROMA_URL"):
        parse_chroma_url(url)


def test_server_settings_from_the_environment() -> None:
    settings = load_settings(env={"RAG_CHROMA_URL": "http://127.0.0.1:8000", "RAG_LLM_URL": "http://127.0.0.1:8080",
                                  "RAG_LLM_MODEL": "gemma", "RAG_LLM_API_KEY": "secret"})
    assert (settings.chroma_url, settings.llm_url, settings.llm_model, settings.llm_api_key) == (
        "http://127.0.0.1:8000", "http://127.0.0.1:8080", "gemma", "secret")
    assert "secret" not in repr(settings)


def test_embedded_defaults_stay_the_default() -> None:
    settings = load_settings(env={})
    assert settings.chroma_url is None and settings.llm_url is None and settings.llm_api_key is None


@pytest.mark.parametrize("var", ["RAG_CHROMA_URL", "RAG_LLM_URL"])
def test_a_url_without_scheme_is_a_config_error(var: str) -> None:
    with pytest.raises(ConfigError, match="not a server address"):
        load_settings(env={var: "localhost:8000"})


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CHROMA_URL", "http://env:1")
    monkeypatch.setenv("RAG_LLM_URL", "http://env:2")
    args = _parser().parse_args(["--chroma-url", "http://flag:1", "ask", "--llm-url", "http://flag:2", "q"])
    settings = _settings(args)
    assert (settings.chroma_url, settings.llm_url) == ("http://flag:1", "http://flag:2")
    assert _settings(_parser().parse_args(["ask", "q"])).chroma_url == "http://env:1"


def test_unreachable_server_is_a_server_error_naming_the_url_and_how_to_start_it(tmp_path) -> None:
    port = free_port()  # nothing listens there
    store = ChromaStore(tmp_path / "index", "documents", IndexInfo("e", 4, 700), url=f"http://127.0.0.1:{port}")
    with pytest.raises(ServerError, match=rf"http://127.0.0.1:{port}.*chroma run --path DIR --host 127.0.0.1 "
                                          rf"--port {port}"):
        store.open(create=True)
    assert not (tmp_path / "index").exists()  # the local folder is not used for a server index
    with pytest.raises(ServerError, match=f"127.0.0.1:{port}"):
        rebuild_index(make_settings(tmp_path, chroma_url=f"http://127.0.0.1:{port}"))


def test_cli_reports_an_unreachable_server_in_one_line(tmp_path, docs_copy, capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code = main(["--chroma-url", url, "index", "--docs", str(docs_copy), "--index", str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: No Chroma server answers at " + url)
    assert "chroma run" in err and err.count("\n") == 1


def test_rebuild_without_a_server_still_clears_the_folder(tmp_path) -> None:
    settings = make_settings(tmp_path)
    settings.index_dir.mkdir(parents=True)
    (settings.index_dir / "chroma.sqlite3").write_text("x")
    rebuild_index(settings)
    assert not (settings.index_dir / "chroma.sqlite3").exists()


def test_build_app_hands_the_url_to_the_store(tmp_path) -> None:
    port = free_port()
    with pytest.raises(ServerError, match=str(port)):
        build_app(make_settings(tmp_path, chroma_url=f"http://127.0.0.1:{port}"), create_index=True)
