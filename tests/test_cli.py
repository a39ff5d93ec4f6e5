"""The `rag` command: JSON schema, streaming output, errors with clear messages and non-zero exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import SEEDS

from rag.cli import main
from rag.config import PROJECT_ROOT


def _env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_DOCS_DIR=str(tmp_path / "docs"), RAG_INDEX_DIR=str(tmp_path / "index"),
               RAG_CACHE_DIR=str(PROJECT_ROOT / ".cache"), **extra)
    return env


def _rag(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, check=False,
                          env=_env(tmp_path, **env), timeout=600, cwd=PROJECT_ROOT)


@pytest.fixture
def indexed(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "docs")
    result = _rag(tmp_path, "index")
    assert result.returncode == 0, result.stderr
    assert "5 added" in result.stdout
    return tmp_path


@pytest.mark.slow
def test_ask_json_prints_exactly_the_schema(indexed):
    result = _rag(indexed, "ask", "--json", "How many projects have Russian companies invested in Vietnam?")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)  # the whole stdout is one JSON object
    assert {"question", "answer", "refused", "citations", "timings_ms"} <= set(payload)
    assert payload["refused"] is False
    assert set(payload["timings_ms"]) == {"retrieve", "first_token", "total"}
    markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", payload["answer"])}
    assert markers and markers <= {c["n"] for c in payload["citations"]}
    for c in payload["citations"]:
        assert set(c) == {"n", "source", "start", "end", "quote", "score", "page"}
        assert c["page"] is None  # a .txt file has no pages
        text = (indexed / "docs" / os.path.basename(c["source"])).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]


@pytest.mark.slow
def test_ask_streams_answer_then_numbered_sources_and_index_is_idempotent(indexed):
    again = _rag(indexed, "index")
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in again.stdout
    result = _rag(indexed, "ask", "When will Lavrov visit China?")
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("Sources:")
    assert "[1]" in answer
    assert "004_6a4118b6b4af9dbd.txt" in sources


def test_empty_question_is_an_error(tmp_path, capsys):
    assert main(["--index", str(tmp_path / "index"), "ask", "   "]) == 1
    assert "question is empty" in capsys.readouterr().err


def test_no_index_yet_is_an_error(tmp_path, capsys):
    assert main(["--index", str(tmp_path / "none"), "ask", "Who is Lavrov?"]) == 1
    assert "rag index" in capsys.readouterr().err


def test_missing_docs_folder_is_an_error(tmp_path, capsys):
    code = main(["--docs", str(tmp_path / "missing"), "--index", str(tmp_path / "index"), "index"])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


def test_missing_model_file_is_an_error(indexed, capsys):
    code = main(["--docs", str(indexed / "docs"), "--index", str(indexed / "index"),
                 "--model", str(indexed / "nope.gguf"), "ask", "Who is Lavrov?"])
    assert code == 1
    err = capsys.readouterr().err
    assert "nope.gguf" in err and "RAG_MODEL_PATH" in err


def test_flags_before_and_after_the_command_both_count(tmp_path, capsys):
    assert main(["ask", "--index", str(tmp_path / "x"), "  "]) == 1
    assert main(["--index", str(tmp_path / "x"), "ask", "q?"]) == 1
    assert str(tmp_path / "x") in capsys.readouterr().err


def test_help_explains_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for word in ("index", "ask", "serve", "eval", "RAG_MODEL_PATH"):
        assert word in out
