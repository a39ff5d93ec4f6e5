"""Document structure on real files of each format: reST (Python docs), Markdown, HTML (Debian handbook, the
Russian aptitude manual) and DOCX (written by python-docx with Word's built-in styles)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.index.indexer import chunk_document
from rag.ingest.documents import read_document
from rag.ingest.structure import entry_name, markdown_blocks, rst_blocks, structure_suffix, title_text
from rag.types import Block

DATA = Path(__file__).parent / "data"
PYDOCS = DATA / "pydocs" / "docs"
HANDBOOK = DATA / "handbook" / "docs"
APTITUDE = DATA / "aptitude_ru" / "docs"


def _find(doc_text: str, blocks: tuple[Block, ...] | list[Block], needle: str) -> Block:
    return next(b for b in blocks if needle in doc_text[b.start : b.end])


def test_rest_api_entries_put_their_name_in_the_path_and_version_notes_under_them() -> None:
    doc = read_document(PYDOCS / "library" / "functools.rst.txt", "library/functools.rst.txt")
    assert all(doc.text[b.start : b.end].strip() == doc.text[b.start : b.end] for b in doc.blocks)
    signature = _find(doc.text, doc.blocks, ".. decorator:: cached_property(func)")
    assert signature.kind == "signature"
    body = _find(doc.text, doc.blocks, "The cached value can be cleared by deleting the attribute")
    assert body.kind == "prose" and body.path[-1] == "cached_property"
    assert body.path[0].startswith("functools — Higher-order functions")
    versions = [b for b in doc.blocks if b.kind == "directive" and b.path[-1:] == ("cached_property",)]
    assert [doc.text[b.start : b.end] for b in versions] == [".. versionadded:: 3.8"]
    code = _find(doc.text, doc.blocks, "def stdev(self):")
    assert code.kind == "code"  # the literal block after 'Example::'


def test_rest_grid_table_rows_carry_their_header_and_sections_nest() -> None:
    doc = read_document(PYDOCS / "library" / "logging.rst.txt", "library/logging.rst.txt")
    row = _find(doc.text, doc.blocks, "``ERROR``    | 40")
    assert (row.kind, row.header) == ("table_row", "Level | Numeric value")
    assert row.path[-1] == "Logging Levels"
    multi = _find(doc.text, doc.blocks, "| asctime")
    assert "Human-readable time when the" in doc.text[multi.start : multi.end]  # a row of several lines is one
    assert "created.  By" in doc.text[multi.start : multi.end] or "created" in doc.text[multi.start : multi.end]


def test_rest_faq_question_headings_are_headings_and_answers_sit_under_them() -> None:
    doc = read_document(PYDOCS / "faq" / "design.rst.txt", "faq/design.rst.txt")
    heading = _find(doc.text, doc.blocks, "Why must dictionary keys be immutable?")
    assert heading.kind == "heading"
    after = doc.blocks[doc.blocks.index(heading) + 1]
    assert after.kind == "prose" and after.path[-1] == "Why must dictionary keys be immutable?"


def test_rest_helpers() -> None:
    assert entry_name("Path.unlink(missing_ok=False)") == "Path.unlink"
    assert entry_name("lru_cache(maxsize=128, typed=False)") == "lru_cache"
    assert title_text(":mod:`functools` --- Higher-order functions") == "functools — Higher-order functions"
    assert structure_suffix("x.rst.txt", "") == ".rst"
    assert structure_suffix("news.txt", "Lavrov met Son.\n\nHe said so.") == ".txt"
    text = "Title\n=====\n\nPara one.\n\nSub\n---\n\n.. note::\n\n   Careful here.\n"
    kinds = [(b.kind, b.path) for b in rst_blocks(text)]
    assert kinds == [("heading", ("Title",)), ("prose", ("Title",)), ("heading", ("Title", "Sub")),
                     ("note", ("Title", "Sub"))]


def test_markdown_blocks_from_markdown_it(tmp_path: Path) -> None:
    # A real Markdown file of this machine (systemd's porting notes), copied as a user would drop it in.
    source = Path("/usr/share/doc/systemd/DISTRO_PORTING.md")
    if not source.is_file():
        pytest.skip("systemd's DISTRO_PORTING.md is not on this machine")
    path = tmp_path / "porting.md"
    shutil.copy(source, path)
    doc = read_document(path, "porting.md")
    kinds = {b.kind for b in doc.blocks}
    assert {"heading", "prose", "list_item"} <= kinds
    assert all(b.path for b in doc.blocks if b.kind != "heading" and b.start > doc.blocks[0].end)
    text = ("# Guide\n\nIntro.\n\n## Install\n\n- step one\n- step two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "```\ncode\n```\n")
    got = [(b.kind, b.path, text[b.start : b.end], b.header) for b in markdown_blocks(text)]
    assert ("list_item", ("Guide", "Install"), "- step one", "") in got
    assert ("table_row", ("Guide", "Install"), "| a | b |", "") in got
    assert ("table_row", ("Guide", "Install"), "| 1 | 2 |", "a | b") in got
    assert ("code", ("Guide", "Install"), "```\ncode\n```", "") in got


def test_html_headings_lists_and_definitions_from_the_handbook() -> None:
    doc = read_document(HANDBOOK / "sect.apt-get.html", "sect.apt-get.html")
    heading = _find(doc.text, doc.blocks, "6.2.1. Initialization")
    assert heading.kind == "heading"
    under = doc.blocks[doc.blocks.index(heading) + 1]
    assert under.path[-1] == "6.2.1. Initialization" and under.path[0].startswith("6.2.")
    assert {"code", "term", "definition", "list_item"} <= {b.kind for b in doc.blocks}
    for b in doc.blocks:
        assert doc.text[b.start : b.end].strip()


def test_html_russian_manual_keeps_cyrillic_headings_in_the_path() -> None:
    doc = read_document(APTITUDE / "ch02s05s05.html", "ch02s05s05.html")
    prose = _find(doc.text, doc.blocks, "В своем базовом виде файл настроек")
    assert prose.path[-1] == "Формат файла настроек"


def test_a_sphinx_page_has_no_permalink_signs_in_its_text_or_breadcrumbs() -> None:
    """Django's Sphinx-built docs (training/corpora) put a '¶' link after every heading and entry signature."""
    page = Path(__file__).parents[1] / "training/corpora/django_doc/docs/topics/http/sessions.html"
    assert "headerlink" in page.read_text(encoding="utf-8")  # the page does carry them
    doc = read_document(page, "sessions.html")
    assert "¶" not in doc.text
    prose = _find(doc.text, doc.blocks, "To enable session functionality, do the following")
    assert prose.path[-1] == "Enabling sessions"
    assert all("¶" not in heading for b in doc.blocks for heading in b.path)


def test_docx_headings_and_lists_from_word_styles(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Installation", level=1)
    document.add_paragraph("Run the installer as root.")
    document.add_heading("Options", level=2)
    document.add_paragraph("The --quiet flag hides progress.", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Flag", "Meaning"
    table.cell(1, 0).text, table.cell(1, 1).text = "-q", "quiet"
    path = tmp_path / "guide.docx"
    document.save(path)
    doc = read_document(path, "guide.docx")
    got = [(b.kind, b.path, doc.text[b.start : b.end], b.header) for b in doc.blocks]
    assert got == [
        ("heading", ("Installation",), "Installation", ""),
        ("prose", ("Installation",), "Run the installer as root.", ""),
        ("heading", ("Installation", "Options"), "Options", ""),
        ("list_item", ("Installation", "Options"), "The --quiet flag hides progress.", ""),
        ("table_row", ("Installation", "Options"), "Flag | Meaning", ""),
        ("table_row", ("Installation", "Options"), "-q | quiet", "Flag | Meaning"),
    ]


def test_chunks_are_whole_blocks_with_their_path_and_the_embedding_sees_it() -> None:
    doc = read_document(PYDOCS / "library" / "functools.rst.txt", "library/functools.rst.txt")
    chunks = chunk_document(doc, 700)
    assert chunks[0].start == doc.blocks[0].start and chunks[-1].end == doc.blocks[-1].end
    starts = {b.start for b in doc.blocks}
    for c in chunks:
        assert c.text == doc.text[c.start : c.end]
        assert c.blocks and all(c.start <= b.start and b.end <= c.end for b in c.blocks)
        assert c.start in starts or any(b.start == c.start for b in c.blocks)  # a long block may be cut at a sentence
    entry = next(c for c in chunks if "The cached value can be cleared" in c.text)
    assert entry.path[-1] == "cached_property"
    assert entry.embedding_text.startswith(" > ".join(entry.path) + "\n")


def test_pdf_pages_take_the_heading_of_the_outline_entry_they_stand_under(tmp_path: Path) -> None:
    import io

    from pdf_samples import make_pdf_bytes
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf_bytes(
        [["Intro text here."], ["Setup text here."], ["More setup text."]]))))
    chapter = writer.add_outline_item("Getting started", 0)
    writer.add_outline_item("Installation", 1, parent=chapter)
    path = tmp_path / "manual.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    doc = read_document(path, "manual.pdf")
    got = [(doc.page_at(b.start), b.path) for b in doc.blocks]
    assert got == [(1, ("Getting started",)), (2, ("Getting started", "Installation")),
                   (3, ("Getting started", "Installation"))]
    chunks = chunk_document(doc, 700)
    assert [c.page for c in chunks] == [1, 2, 3]  # still one page per chunk, now with its heading
    assert chunks[1].path == ("Getting started", "Installation")
