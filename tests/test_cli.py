"""The `rag` command: JSON schema, streaming output, errors with clear messages and non-zero exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT, rag_env, run_rag

from rag.serve.cli import main, read_history
from rag.types import Turn


@pytest.mark.slow
def test_ask_json_prints_exactly_the_schema(cli_indexed_seeds):
    result = run_rag(cli_indexed_seeds, "ask", "--json",
                     "How many projects have Russian companies invested in Vietnam?")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)  # the whole stdout is one JSON object
    assert {"question", "answer", "short", "refused", "citations", "timings_ms", "sentences"} <= set(payload)
    for sentence in payload["sentences"]:
        assert set(sentence) == {"text", "claim", "citations", "origin", "highlight"}
        if sentence["highlight"]:
            start, end = sentence["highlight"]
            assert 0 <= start < end <= len(sentence["text"])
    assert payload["refused"] is False
    assert set(payload["timings_ms"]) == {"retrieve", "first_token", "total"}
    markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", payload["answer"])}
    assert markers and markers <= {c["n"] for c in payload["citations"]}
    for c in payload["citations"]:
        assert set(c) == {"n", "source", "start", "end", "quote", "score", "page", "shown", "breadcrumb"}
        assert c["page"] is None  # a .txt file has no pages
        text = (cli_indexed_seeds / "docs" / os.path.basename(c["source"])).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]


@pytest.mark.slow
def test_ask_streams_answer_then_numbered_sources_and_index_is_idempotent(cli_indexed_seeds):
    again = run_rag(cli_indexed_seeds, "index")
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in again.stdout
    result = run_rag(cli_indexed_seeds, "ask", "When will Lavrov visit China?")
    assert result.returncode == 0, result.stderr
    answer, _, sources = result.stdout.partition("Sources:")
    assert "[1]" in answer
    assert "004_6a4118b6b4af9dbd.txt" in sources
    # The quote it rests on has a line of its own, the date asked for in Markdown bold (stdout is not a terminal).
    quote = next(line for line in answer.splitlines() if line.startswith('"'))
    assert "**April 8-9**" in quote


def test_not_sure_quotes_its_passages_once_and_lists_where_they_are(cli_indexed_seeds):
    result = run_rag(cli_indexed_seeds, "ask", "When will Lavrov visit China?", RAG_MIN_CONFIDENCE="1")
    assert result.returncode == 0, result.stderr
    answer, _, listed = result.stdout.partition("Passages that may answer:")
    assert answer.startswith("Not sure")
    quotes = re.findall(r'^"(.*?)" \[\d+\]$', answer, re.MULTILINE | re.DOTALL)  # a passage keeps its lines
    assert quotes and "**" in quotes[0]  # the passage quoted whole, its likeliest unit in Markdown bold
    entries = [line.strip() for line in listed.strip().splitlines()]
    assert len(entries) == len(quotes) and all(e.startswith(f"[{i}] ") and e.endswith(")")
                                               for i, e in enumerate(entries, start=1)), entries


def test_empty_question_is_an_error(tmp_path, capsys):
    assert main(["--index", str(tmp_path / "index"), "ask", "   "]) == 1
    assert "question is empty" in capsys.readouterr().err


def test_history_turns_come_from_the_json_file_then_the_flags(tmp_path):
    turns = tmp_path / "turns.json"
    turns.write_text(json.dumps([{"question": "Q1?", "answer": "Mongolia [1]."}, {"question": "Q2?"}]))
    assert read_history(turns, ["Q3? => Wang Yi [1].", "Q4?"]) == [
        Turn("Q1?", "Mongolia [1]."), Turn("Q2?", ""), Turn("Q3?", "Wang Yi [1]."), Turn("Q4?", "")]


@pytest.mark.parametrize("content, says", [
    ("not json", "it is not JSON"),
    ('{"question": "Q1?"}', 'a "question" string'),
    ('[{"answer": "only an answer"}]', 'a "question" string'),
])
def test_a_bad_history_file_is_an_error_that_shows_the_format(tmp_path, capsys, content, says):
    turns = tmp_path / "turns.json"
    turns.write_text(content)
    assert main(["--index", str(tmp_path / "index"), "ask", "--history-json", str(turns), "Who is he?"]) == 1
    err = capsys.readouterr().err
    assert says in err and '[{"question": "...", "answer": "..."}]' in err


def test_a_missing_history_file_is_an_error(tmp_path, capsys):
    assert main(["--index", str(tmp_path / "index"), "ask", "--history-json", str(tmp_path / "no.json"), "Q?"]) == 1
    assert "cannot read --history-json" in capsys.readouterr().err


def test_no_index_yet_is_an_error(tmp_path, capsys):
    assert main(["--index", str(tmp_path / "none"), "ask", "Who is Lavrov?"]) == 1
    assert "rag index" in capsys.readouterr().err


def test_missing_docs_folder_is_an_error(tmp_path, capsys):
    code = main(["--docs", str(tmp_path / "missing"), "--index", str(tmp_path / "index"), "index"])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.slow  # the `cli_indexed_seeds` fixture runs `rag index` with the real embedder
def test_missing_model_file_is_an_error(cli_indexed_seeds, capsys):
    code = main(["--docs", str(cli_indexed_seeds / "docs"), "--index", str(cli_indexed_seeds / "index"),
                 "--model", str(cli_indexed_seeds / "nope.gguf"), "ask", "Who is Lavrov?"])
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


# --- `rag index --rebuild` deletes only an index --------------------------------------------------------------


def test_rebuild_refuses_a_folder_that_is_not_an_index_and_deletes_nothing(tmp_path, docs_copy, capsys):
    folder = tmp_path / "my-files"
    (folder / "photos").mkdir(parents=True)
    (folder / "thesis.txt").write_text("Three years of work.\n", encoding="utf-8")
    (folder / "photos" / "cat.jpg").write_bytes(b"\xff\xd8\xff")
    code = main(["--docs", str(docs_copy), "--index", str(folder), "index", "--rebuild"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: Refusing to rebuild the index in {folder}: it holds 'photos', 'thesis.txt'"), err
    assert "Nothing was deleted" in err and "--index" in err and "Traceback" not in err
    assert (folder / "thesis.txt").read_text(encoding="utf-8") == "Three years of work.\n"
    assert (folder / "photos" / "cat.jpg").read_bytes() == b"\xff\xd8\xff"
    assert sorted(p.name for p in folder.iterdir()) == ["photos", "thesis.txt"]  # no index was made there either


def test_rebuild_is_accepted_for_a_missing_folder_and_for_an_index(tmp_path, docs_copy, capsys, monkeypatch):
    """The command path with the hash embedder, twice in one process: the rebuild drops Chroma's cached client
    for the folder, so the second run does not read the deleted database. (What the rebuilt index holds is
    checked in a fresh process by the slow test below.)"""
    from conftest import HashEmbedder

    monkeypatch.setattr("rag.app.make_embedder", lambda settings: HashEmbedder())
    index = tmp_path / "index"
    argv = ["--docs", str(docs_copy), "--index", str(index), "index", "--rebuild"]
    assert main(argv) == 0  # nothing there yet
    assert "5 added" in capsys.readouterr().out
    assert (index / "chroma.sqlite3").is_file() and (index / "bm25").is_dir()
    assert main(argv) == 0, capsys.readouterr().err  # an index with its lexical index is not refused
    capsys.readouterr()
    (index / "notes.txt").write_text("mine\n", encoding="utf-8")  # anything else in it: refused, all kept
    before = sorted(p.relative_to(index) for p in index.rglob("*"))
    assert main(argv) == 1
    assert "it holds 'notes.txt', which no index contains" in capsys.readouterr().err
    assert sorted(p.relative_to(index) for p in index.rglob("*")) == before
    assert (index / "notes.txt").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.slow
def test_rebuild_of_a_real_index_builds_it_again(cli_indexed_seeds):
    rebuilt = run_rag(cli_indexed_seeds, "index", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "5 added, 0 updated, 0 removed, 0 unchanged" in rebuilt.stdout
    asked = run_rag(cli_indexed_seeds, "ask", "--json", "When will Lavrov visit China?")
    assert asked.returncode == 0, asked.stderr
    assert "April 8-9" in json.loads(asked.stdout)["answer"]


@pytest.mark.slow
def test_native_model_log_lines_show_only_with_verbose(cli_indexed_seeds):
    import re

    native = re.compile(r"^(?:llama|ggml|load)_\w*:", re.MULTILINE)  # 'llama_kv_cache_iswa: using ...'
    quiet = run_rag(cli_indexed_seeds, "ask", "When will Lavrov visit China?")
    assert quiet.returncode == 0, quiet.stderr
    assert not native.search(quiet.stderr) and not native.search(quiet.stdout), quiet.stderr
    loud = run_rag(cli_indexed_seeds, "-v", "ask", "When will Lavrov visit China?")
    assert loud.returncode == 0, loud.stderr
    assert "rag.llm.llama_cpp" in loud.stderr  # llama.cpp's own lines, through logging


@pytest.mark.slow
def test_ask_history_answers_a_follow_up_as_the_web_chat_does(cli_indexed_seeds):
    alone = run_rag(cli_indexed_seeds, "ask", "--json", "Who will he meet there?")
    follow = run_rag(cli_indexed_seeds, "ask", "--json", "--history", "When will Lavrov visit China?",
                     "Who will he meet there?")
    assert follow.returncode == 0, follow.stderr
    payload = json.loads(follow.stdout)
    assert not payload["refused"]
    assert "Wang Yi" in payload["answer"]  # his Chinese counterpart, in the China visit's reports
    assert "004_6a4118b6b4af9dbd.txt" in {os.path.basename(c["source"]) for c in payload["citations"]}
    assert json.loads(alone.stdout)["answer"] != payload["answer"]  # the history is what made the difference


@pytest.mark.slow
def test_a_follow_up_refers_to_the_previous_answer_with_the_real_model(cli_indexed_seeds, tmp_path):
    """Issue 20: 'its' in the follow-up is the country the first *answer* named (Mongolia), not anything its
    question said. The first answer is the product's own, passed back as the web chat and `rag chat` do."""
    first = run_rag(cli_indexed_seeds, "ask", "--json",
                    "Which country did Lavrov visit the day before he arrived in Hanoi?")
    assert first.returncode == 0, first.stderr
    earlier = json.loads(first.stdout)
    assert "Mongolia" in earlier["answer"]
    turns = tmp_path / "turns.json"
    turns.write_text(json.dumps([{"question": earlier["question"], "answer": earlier["answer"]}]), encoding="utf-8")
    follow = run_rag(cli_indexed_seeds, "ask", "--json", "--history-json", str(turns), "Who is its foreign minister?")
    assert follow.returncode == 0, follow.stderr
    payload = json.loads(follow.stdout)
    assert payload["understood"] == "Who is Mongolia's foreign minister?"
    assert "Batmunkh" in payload["short"]
    assert "003_8696cf6703ef46b9.txt" in {os.path.basename(c["source"]) for c in payload["citations"]}
    # The same turn given as 'QUESTION => ANSWER' on the command line reads the same way.
    inline = run_rag(cli_indexed_seeds, "ask", "--json", "--history",
                     f"{earlier['question']} => {earlier['answer']}", "Who is its foreign minister?")
    assert json.loads(inline.stdout)["understood"] == "Who is Mongolia's foreign minister?"
    printed = run_rag(cli_indexed_seeds, "ask", "--history-json", str(turns), "Who is its foreign minister?")
    assert "(read as: Who is Mongolia's foreign minister?)" in printed.stdout and "Batmunkh" in printed.stdout


@pytest.mark.slow
def test_which_person_question_is_answered_with_the_name_from_the_next_sentence(cli_indexed_seeds):
    """Issue 20: the sentence about the handshake does not name the minister; the next one does, and the short
    answer is that name (the model's draft quoted the wrong part and is removed)."""
    done = run_rag(cli_indexed_seeds, "ask", "--json",
                   "Which Canadian minister said she would not shake Lavrov's hand?")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["status"] == "answered"
    assert "Joly" in payload["short"]
    assert "shake his hand" in payload["answer"]  # the quote it rests on is still shown


@pytest.mark.slow
def test_rag_chat_holds_a_conversation_and_starts_over_on_new(cli_indexed_seeds):
    conversation = "When will Lavrov visit China?\nWho will he meet there?\n/new\n\n" + "x" * 2500 + "\n"
    result = subprocess.run([sys.executable, "-m", "rag", "chat"], input=conversation, capture_output=True,
                            text=True, env=rag_env(cli_indexed_seeds), timeout=600, cwd=PROJECT_ROOT, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("Sources:") == 2 and "(new conversation)" in out
    first, _, rest = out.partition("> Who will he meet there?")
    assert "April" in first and "004_6a4118b6b4af9dbd.txt" in first
    assert "Wang Yi" in rest.partition("(new conversation)")[0]
    assert "error: The question is 2,500 characters long" in out  # one bad question does not end the chat


@pytest.mark.slow
def test_a_reader_that_stops_early_ends_ask_quietly(cli_indexed_seeds):
    """`rag ask ... | head -1`: the reader closes the pipe; no traceback, exit code 1. (It closes before reading,
    so every write of the answer meets the closed pipe, however fast the answer comes.)"""
    proc = subprocess.Popen([sys.executable, "-m", "rag", "ask", "When will Lavrov visit China?"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=rag_env(cli_indexed_seeds),
                            cwd=PROJECT_ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=600) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err
