"""training/structure_gen: each template makes its question from a tiny document (written to tmp_path
and read as the product reads it) and refuses the bad cases; the output passes training/check_questions.py."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pdf_samples import make_pdf_bytes

TRAINING = Path(__file__).resolve().parent.parent / "training"
sys.path.insert(0, str(TRAINING))
import check_questions
from structure_gen import __main__ as cli
from structure_gen import api, build, checks, corpora, definitions, drafts, faq, limits, options, tables, text, versions


def page(tmp_path: Path, name: str, content: str | bytes, product: str = "", language: str = "en") -> drafts.Page:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return build.load_page(path, tmp_path, corpora.Corpus("t", "docs", product, language))


def made(template, p: drafts.Page, docs: Path) -> dict[str, tuple[str, ...]]:
    """question -> facts of the drafts that pass this file's rules and the checker's."""
    out = {}
    for item in template(p):
        if not checks.rejection(item) and not check_questions.problems(checks.record("t", 1, item), docs):
            out[item.question] = item.facts
    return out


def html(body: str) -> str:
    return f"<html><body><main>{body}</main></body></html>"


# ------------------------------------------------------------------------------------------- text helpers


def test_leading_words_cut_at_a_word_boundary_without_trailing_function_words():
    assert text.leading_words("do not list implied . and ..") == "do not list implied"
    assert text.leading_words("Decorator to wrap a function with a memoizing callable.") == (
        "Decorator to wrap a function with a memoizing")  # at most eight words
    assert text.leading_words("displays the pinning priorities and distribution properties of each package") == (
        "displays the pinning priorities and distribution properties")
    assert text.leading_words("Return a new :class:`dict` of it.") is None  # cut short by markup: too little left
    assert text.leading_words("Usage help.") == "Usage help"  # a two-word description is taken whole


def test_plain_reads_past_rest_and_markdown_markup_only_where_the_source_has_it():
    assert text.plain(":func:`~os.path.join` and ``\\A`` and *typed*") == "os.path.join and \\A and typed"
    assert text.plain("See [`config`](/using-npm/config).") == "See config."
    assert text.plain('"*.tar.gz" and "*.deb" file', marked=False) == '"*.tar.gz" and "*.deb" file'


def test_rejection_names_the_fault():
    good = drafts.Draft("What does the ls command do?", ("list directory contents",), "ls - list directory contents",
                    "what", "definition")
    assert checks.rejection(good) == ""
    assert checks.rejection(replace(good, question="What does ``ls`` do?")) == "markup in the question"
    assert checks.rejection(replace(good, question="What does :command:`ls` do?")) == "markup in the question"
    assert checks.rejection(replace(good, question="Does ls list directory contents?")) == "answer in the question"
    assert checks.rejection(replace(good, question="Which is ls - list directory?", facts=("ls",))) in (
        "answer in the question", "a copy of the evidence")
    assert checks.rejection(replace(good, question="What is ls - list directory contents about?",
                                facts=("ls - list",))) == "answer in the question"
    assert checks.rejection(replace(good, facts=("remove files",))) == "fact not in the evidence"
    copy = drafts.Draft("Is it true that ls lists directory contents today?", ("directory",), "ls lists directory "
                    "contents today", "yesno", "x")
    assert checks.rejection(copy) in ("a copy of the evidence", "answer in the question")


# ------------------------------------------------------------------------------------------------ templates

RST = """\
functools --- Higher-order functions
====================================

.. module:: functools

.. function:: lru_cache(maxsize=128, typed=False)

   Decorator to wrap a function with a memoizing callable.

   .. versionadded:: 3.2

   .. versionchanged:: 3.3
      Added the *typed* option.

.. function:: reduce(function, iterable)

   Return the value accumulated by applying the function.

.. function:: log1p(x=1)

   Natural logarithm of one plus x.

Regular expressions
-------------------

``\\A``
   Matches only at the start of the string.
"""


def test_api_entries_give_defaults_returns_descriptions_and_version_notes(tmp_path):
    got = made(api.api_questions, page(tmp_path, "functools.rst.txt", RST, "Python"), tmp_path)
    assert got["What is the default value of the maxsize parameter of functools.lru_cache()?"] == ("128",)
    assert got["What is the default value of the typed parameter of functools.lru_cache()?"] == ("False",)
    assert got["In which version of Python was functools.lru_cache() added?"] == ("3.2",)
    assert got["In which version of Python did functools.lru_cache() gain the typed option?"] == ("3.3",)
    assert got["What does functools.reduce() return?"] == ("the value accumulated by applying the function",)
    assert got["What does functools.lru_cache() do?"] == ("Decorator to wrap a function with a memoizing",)
    # the default of log1p(x=1) stands in its name: refused
    assert not any("log1p" in q and "default" in q for q in got)


def test_a_definition_list_term_loses_its_markup(tmp_path):
    got = made(definitions.definition_questions, page(tmp_path, "functools.rst.txt", RST, "Python"), tmp_path)
    assert got == {"What does \\A mean in the functools module?": ("Matches only at the start of the string",)}


def test_html_definition_lists_and_boxes_but_not_a_table_of_contents(tmp_path):
    body = html("<dl><dt>6.1. Syntax</dt><dd>The syntax of the file.</dd>"
                "<dt>deb</dt><dd>package source (repository) of binary packages</dd></dl>"
                "<p>VOCABULARY Cache</p><p>A cache is a temporary storage system used to speed up access.</p>")
    got = made(definitions.definition_questions, page(tmp_path, "apt.html", body, "Debian"), tmp_path)
    assert got == {"What does deb mean in Debian?": ("package source (repository) of binary packages",),
                   "What is a cache?": ("a temporary storage system used to speed up",)}


def test_russian_definitions_get_russian_questions(tmp_path):
    body = html("<dl><dt>?not(шаблон), !шаблон</dt><dd>Выбирает пакеты, которые не соответствуют шаблону.</dd>"
                "<dt>?any</dt><dd>Если шаблон пуст, выбирает всё.</dd></dl>")
    got = made(definitions.definition_questions, page(tmp_path, "ch02.html", body, "aptitude", "ru"), tmp_path)
    assert got == {"Что выбирает поисковый термин ?not(шаблон) в aptitude?": (
        "пакеты, которые не соответствуют шаблону",)}  # a description opening with 'Если' answers nothing


def test_table_rows_are_read_with_their_header(tmp_path):
    body = html("<table><tr><th>package</th><th>popcon</th><th>size</th><th>description</th></tr>"
                "<tr><td>apt</td><td>V:874</td><td>4211</td><td>APT front-end to manage packages</td></tr></table>"
                "<p>Levels:</p><table><tr><th>Level</th><th>Numeric value</th></tr>"
                "<tr><td>CRITICAL</td><td>50</td></tr><tr><td>ERROR</td><td>40</td></tr></table>"
                "<p>Tip</p><table><tr><td>| Caution</td></tr><tr><td>Back up your data first.</td></tr></table>")
    got = made(tables.table_questions, page(tmp_path, "tables.html", body, "Debian"), tmp_path)
    assert got == {"What is the apt package used for?": ("APT front-end to manage packages",),
                   "What is the numeric value of the level CRITICAL?": ("50",),
                   "What is the numeric value of the level ERROR?": ("40",)}  # no popcon, size, or layout table


def test_version_notes_in_prose(tmp_path):
    body = html("<p>Generated column support was added with SQLite version 3.31.0 (2020-01-22).</p>"
                "<p>This pragma was added in SQLite version 3.32.0.</p>")
    got = made(versions.prose_version_questions, page(tmp_path, "gencol.html", body, "SQLite"), tmp_path)
    assert got == {"In which version of SQLite was generated column support added?": ("3.31.0",)}


def test_faq_headings_are_answered_by_the_sentence_under_them(tmp_path):
    text = ("# FAQ\n\n## Why are Python strings immutable?\n\nStrings are immutable for speed and for safety.\n\n"
            "## How to pick Debian packages\n\nRead the package descriptions with apt show first.\n\n"
            "## How do I build it?\n\nRun this:\n")
    got = made(faq.faq_questions, page(tmp_path, "faq.md", text, "Debian"), tmp_path)
    assert got == {"Why are Python strings immutable?": ("Strings are immutable for speed and for safety",),
                   "How do I pick Debian packages?": ("Read the package descriptions with apt show first",)}


def test_a_heading_whose_section_describes_its_subject(tmp_path):
    body = html("<h2>6.3.1. The apt-cache policy Command</h2><p>The apt-cache policy command displays the pinning "
                "priorities of each package source.</p><h2>6.4. Updating</h2><p>Updating is rarely needed.</p>")
    got = made(faq.outline_questions, page(tmp_path, "apt.html", body, "Debian"), tmp_path)
    assert got == {"What does the apt-cache policy command do in Debian?": (
        "displays the pinning priorities of each package source",)}


def test_a_pdf_outline_entry_and_the_sentence_after_its_line(tmp_path):
    from pypdf import PdfReader, PdfWriter

    raw = make_pdf_bytes([["Bash Reference Manual"], ["Chapter 3: Basic Shell Features 12", "3.3 Shell Functions",
                                                      "Shell functions are a way to group commands for later use."]])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    writer.add_outline_item(title="Shell Functions", page_number=1)
    out = io.BytesIO()
    writer.write(out)
    got = made(faq.pdf_outline_questions, page(tmp_path, "bashref.pdf", out.getvalue(), "Bash"), tmp_path)
    assert got == {"What are shell functions in Bash?": ("a way to group commands for later use",)}


MAN = """\
LS(1)                            User Commands                           LS(1)

NAME
       ls - list directory contents

DESCRIPTION
       List information about the FILEs.

       -A, --almost-all
              do not list implied . and ..

       -C     list entries by columns

       --copy-dirlinks applies to all symlinks to directories.
"""


def test_man_pages_give_their_name_line_and_options(tmp_path):
    got = made(options.man_questions, page(tmp_path, "ls.1.txt", MAN), tmp_path)
    assert got == {"What does the ls command do?": ("list directory contents",),
                   "What does the -A (--almost-all) option of ls do?": ("do not list implied",),
                   "What does the -C option of ls do?": ("list entries by columns",)}  # not the prose line


def test_an_option_line_is_told_from_its_description_and_from_prose():
    assert options.man_option("-C     list entries by columns", "1") == ("-C", 7)
    assert options.man_option("-n, --lines=[-]NUM\n       print the first NUM lines", "1") == ("-n (--lines)", 26)
    assert options.man_option("-depth Process  each directory's contents first.", "1") == ("-depth", 7)
    assert options.man_option("--copy-dirlinks applies to all symlinks to directories.", "1") is None
    assert options.man_option("An  active  line in a crontab", "5") is None  # justified prose, not a keyword


def test_a_configuration_keyword_and_its_default(tmp_path):
    text = ("NAME\n     ssh_config - OpenSSH client configuration file\n\n     LogLevel\n             Gives the "
            "verbosity level that is used when logging messages.  The default is INFO.\n")
    got = made(options.man_questions, page(tmp_path, "ssh_config.5.txt", text), tmp_path)
    assert got["What does the LogLevel keyword of ssh_config do?"] == ("Gives the verbosity level that is used",)
    assert got["What is the default value of the LogLevel keyword of ssh_config?"] == ("INFO",)
    assert got["What is ssh_config?"] == ("OpenSSH client configuration file",)


def test_npm_config_options_but_not_package_json_fields(tmp_path):
    text = ("### Configuration\n\n#### `save-exact`\n\n* Default: false\n* Type: Boolean\n\n"
            "Dependencies saved to package.json will be configured with an exact version.\n\n"
            "#### `name`\n\nThe name of the package.\n")
    got = made(options.npm_option_questions, page(tmp_path, "npm-install.md", text, "npm"), tmp_path)
    assert got == {"What is the default value of the save-exact config option in npm?": ("false",),
                   "What type of value does the npm config option save-exact take?": ("Boolean",),
                   "What does the save-exact config option do in npm?": (
                       "Dependencies saved to package.json will be configured",)}


# ------------------------------------------------------------------------------------------- caps and output


def made_drafts(n: int, structure: str, source: str = "a.html", per_unit: int = 1) -> list[drafts.Draft]:
    return [drafts.Draft(f"What is {structure} {i}?", ("x",), f"x {i // per_unit}", "what", structure, source,
                     i // per_unit, source) for i in range(n)]


def test_the_caps_hold_and_share_out_between_structures():
    chosen = checks.choose(made_drafts(100, "table") + made_drafts(10, "version"))
    assert len(chosen) == limits.MAX_PER_FILE
    assert sum(d.structure == "version" for d in chosen) == 10  # the big table does not crowd them out
    assert len(checks.choose(made_drafts(10, "default", per_unit=5))) == 2 * limits.MAX_PER_UNIT
    # the same question text twice in a corpus is kept once
    assert len(checks.choose(made_drafts(3, "faq") + made_drafts(3, "faq", source="b.html"))) == 3


def test_output_is_stable_passes_the_checker_and_leaves_no_file_for_a_corpus_without_structure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    page(docs, "ls.1.txt", MAN)
    page(docs, "functools.rst.txt", RST, "Python")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "news.txt").write_text("A plain report. Nothing structured here.\n", encoding="utf-8")
    chosen = (corpora.Corpus("t", "docs", "Python"), corpora.Corpus("plain", "plain"))
    out = tmp_path / "out"
    (out).mkdir()
    (out / "plain.jsonl").write_text("stale\n", encoding="utf-8")
    assert cli.main(["--out", str(out)], corpora=chosen, root=tmp_path) == 0
    first = (out / "t.jsonl").read_text(encoding="utf-8")
    assert cli.main(["--out", str(out), "--corpus", "t"], corpora=chosen, root=tmp_path) == 0
    assert (out / "t.jsonl").read_text(encoding="utf-8") == first  # ids and order the same on every run
    assert not (out / "plain.jsonl").exists()
    records = [json.loads(line) for line in first.splitlines()]
    assert [r["id"] for r in records] == [f"t-s{n:04d}" for n in range(1, len(records) + 1)]
    assert all(r["note"].startswith("structure:") and r["answerable"] for r in records)
    monkeypatch.setattr(sys, "argv", ["check_questions.py", str(out / "t.jsonl"), "--docs", str(docs)])
    capsys.readouterr()
    assert check_questions.main() == 0
    assert capsys.readouterr().out.strip() == f"{len(records)} of {len(records)} questions pass"
