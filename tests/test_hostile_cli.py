"""Hostile and broken input through the `rag` command, each in a fresh process like a user's: broken files in
the folder, questions in other scripts and of absurd length, and an index folder that is read-only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_rag
from test_hostile import SEED_FACT, SEED_FILE, SEED_QUESTION, _bad_files, _drop_root_override

pytestmark = pytest.mark.slow


def _chunk_ids(index_dir: Path) -> list[str]:
    """The chunk ids of an index, read in a separate process (no Chroma client left open in this one)."""
    code = ("import chromadb, json, sys; from chromadb.config import Settings; "
            "c = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False)); "
            "print(json.dumps(sorted(c.get_collection('documents', embedding_function=None).get(include=[])['ids'])))")
    run = subprocess.run([sys.executable, "-c", code, str(index_dir)], check=False, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def shared(indexed_folder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One indexed copy of the seeds for the tests that only ask; the tests that change the folder or the index
    take a private one (cli_indexed_seeds)."""
    return indexed_folder(tmp_path_factory.mktemp("hostile_cli"), cli=True).root


def _assert_seed_answer(tmp: Path) -> None:
    result = run_rag(tmp, "ask", "--json", SEED_QUESTION)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["refused"] is False and SEED_FACT in payload["answer"]
    assert SEED_FILE in {Path(c["source"]).name for c in payload["citations"]}


def test_index_skips_broken_files_and_names_each_reason(cli_indexed_seeds):
    before = _chunk_ids(cli_indexed_seeds / "index")
    expected = _bad_files(cli_indexed_seeds / "docs")
    result = run_rag(cli_indexed_seeds, "index")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    skipped = {line.split(": ", 1)[0].removeprefix("skipped").strip(): line
               for line in result.stdout.splitlines() if line.startswith("skipped")}
    assert {Path(s).name for s in skipped} == set(expected)
    for source, line in skipped.items():
        assert expected[Path(source).name] in line, line
    assert f"0 added, 0 updated, 0 removed, 5 unchanged, {len(expected)} skipped" in result.stdout
    assert _chunk_ids(cli_indexed_seeds / "index") == before
    _assert_seed_answer(cli_indexed_seeds)


def test_questions_in_other_scripts(shared):
    cyrillic, vietnamese = "Что обсуждал Лавров в Ханое?", "Ngoại trưởng Nga đã gặp ai ở Hà Nội?"
    result = run_rag(shared, "ask", "--json", cyrillic)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["question"] == cyrillic  # came through the command line and JSON intact
    assert payload["answer"]
    assert payload["citations"]  # an answer cites, a refusal lists the nearest passages
    streamed = run_rag(shared, "ask", vietnamese)
    assert streamed.returncode == 0, streamed.stderr
    assert "Sources:" in streamed.stdout or "Nearest passages:" in streamed.stdout
    assert "[1] " in streamed.stdout


def test_question_of_100k_characters(shared):
    result = run_rag(shared, "ask", "x" * 100_000)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: The question is 100,000 characters long; the limit is 2,000. "
                                     "Ask a shorter question.")
    assert result.stdout == ""


def test_read_only_index(cli_indexed_seeds):
    """With the index folder read-only (and root's override dropped, see test_hostile), asking and re-indexing
    fail with what to do; nothing is lost; after making it writable again everything works."""
    prefix = tuple(_drop_root_override())
    index_dir = cli_indexed_seeds / "index"
    before = _chunk_ids(index_dir)
    subprocess.run(["chmod", "-R", "a-w", str(index_dir)], check=True)
    try:
        asked = run_rag(cli_indexed_seeds, "ask", SEED_QUESTION, prefix=prefix)
        assert asked.returncode == 1, asked.stdout
        assert asked.stderr.startswith("error: Cannot open the index"), asked.stderr
        assert "read-only" in asked.stderr and "chmod -R u+w" in asked.stderr and "--rebuild" not in asked.stderr
        rebuilt = run_rag(cli_indexed_seeds, "index", "--rebuild", prefix=prefix)
        assert rebuilt.returncode == 1
        assert rebuilt.stderr.startswith("error: Cannot clear the index"), rebuilt.stderr
        assert "Traceback" not in asked.stderr + rebuilt.stderr
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(index_dir)], check=True)
    assert _chunk_ids(index_dir) == before
    _assert_seed_answer(cli_indexed_seeds)
