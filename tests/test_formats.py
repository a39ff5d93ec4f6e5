"""HTML, PDF and DOCX extraction on real files made by the tests: main text only, page offsets, clear reasons."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from conftest import unreadable_reason
from pdf_samples import make_encrypted_pdf, make_pdf, make_pdf_bytes

from rag.index.indexer import Indexer, chunk_document
from rag.index.store import ChromaStore
from rag.ingest.chunking import paragraphs
from rag.ingest.documents import read_document
from rag.ingest.formats import extract, page_spans
from rag.types import Citation, IndexInfo, page_of

PAGE_ONE = [
    "The Kestrel Ridge Observatory opened in 1987.",
    "It sits on a granite ridge above the valley.",
    "Visitors reach it by a narrow mountain road.",
]
PAGE_TWO = [
    "The main telescope has a mirror 4.2 meters wide.",
    "Its dome was rebuilt after a storm in 2011.",
]
PAGE_THREE = ["Night tours run every Friday from May to October."]


# --- PDF ----------------------------------------------------------------------------------------------------


@pytest.fixture
def three_page_pdf(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "observatory.pdf", [PAGE_ONE, PAGE_TWO, PAGE_THREE])


def test_hand_made_pdf_is_valid_and_pypdf_reads_its_text(three_page_pdf: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(three_page_pdf, strict=True)  # strict: a wrong xref offset would raise
    assert len(reader.pages) == 3
    assert "mirror 4.2 meters wide" in reader.pages[1].extract_text()
    assert "Night tours" in reader.pages[2].extract_text()


def test_pdf_text_has_every_page_with_its_start_offset(three_page_pdf: Path) -> None:
    doc = read_document(three_page_pdf, "observatory.pdf")
    assert len(doc.pages) == 3
    assert doc.pages[0] == 0
    assert doc.text[doc.pages[1] :].startswith("The main telescope has a mirror")
    assert doc.text[doc.pages[2] :].startswith("Night tours run every Friday")
    for line in PAGE_ONE + PAGE_TWO + PAGE_THREE:
        assert line in doc.text
    # Pages are separated by a blank line, so each is its own paragraph for the chunker.
    assert len(paragraphs(doc.text)) == 3
    assert doc.page_at(doc.text.index("granite")) == 1
    assert doc.page_at(doc.text.index("4.2 meters")) == 2
    assert doc.page_at(len(doc.text) - 1) == 3


def test_page_helpers() -> None:
    assert page_of((), 10) is None
    assert [page_of((0, 10, 25), offset) for offset in (0, 9, 10, 24, 25, 99)] == [1, 1, 2, 2, 3, 3]
    assert page_spans((0, 10, 25), 40) == [(1, 0, 10), (2, 10, 25), (3, 25, 40)]


def test_pdf_chunks_never_straddle_a_page_and_quote_the_extracted_text(tmp_path: Path) -> None:
    long_page = [f"Sentence number {i} of the long first page talks about telescopes." for i in range(12)]
    path = make_pdf(tmp_path / "long.pdf", [long_page, PAGE_TWO, PAGE_THREE])
    doc = read_document(path, "long.pdf")
    records = chunk_document(doc, chunk_chars=200)
    assert len(records) > 3  # the first page needs several chunks
    spans = page_spans(doc.pages, len(doc.text))
    for r in records:
        assert doc.text[r.start : r.end] == r.text
        page, start, end = spans[r.page - 1]
        assert start <= r.start < r.end <= end, f"chunk {r.index} crosses out of page {page}"
    assert {r.page for r in records} == {1, 2, 3}
    assert [r.page for r in records if "4.2 meters" in r.text] == [2]


def test_text_file_chunks_have_no_page(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("One paragraph.\n\nAnother paragraph.\n", encoding="utf-8")
    doc = read_document(path, "plain.txt")
    assert doc.pages == ()
    assert doc.page_at(3) is None
    assert all(r.page is None for r in chunk_document(doc, 100))


def test_password_protected_pdf_is_unreadable(tmp_path: Path) -> None:
    path = make_encrypted_pdf(tmp_path / "locked.pdf", [PAGE_ONE], password="secret")
    assert "password" in unreadable_reason(path)


def test_pdf_encrypted_with_an_empty_user_password_is_read(tmp_path: Path) -> None:
    # Only an owner password: every viewer opens it without asking, so the index reads it too.
    path = make_encrypted_pdf(tmp_path / "restricted.pdf", [PAGE_ONE, PAGE_TWO], password="")
    doc = read_document(path, "restricted.pdf")
    assert "4.2 meters" in doc.text
    assert len(doc.pages) == 2


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("truncated.pdf", lambda good: good[: len(good) // 3]),
        ("no_header.pdf", lambda good: b"this is not a pdf at all, just words\n" * 20),
        ("garbage.pdf", lambda good: b"%PDF-1.4\n" + bytes(range(256)) * 8),
        ("header_only.pdf", lambda good: b"%PDF-1.7\n%%EOF\n"),
    ],
)
def test_corrupt_pdf_is_unreadable_with_a_reason(tmp_path: Path, name: str, make) -> None:
    path = tmp_path / name
    path.write_bytes(make(make_pdf_bytes([PAGE_ONE, PAGE_TWO])))
    reason = unreadable_reason(path)
    assert "PDF" in reason


def test_pdf_without_text_is_unreadable(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", [[], []])
    assert "no extractable text" in unreadable_reason(path)


# --- PDF page chrome and page breaks ---------------------------------------------------------------------------

GUIDE_BODY = [
    ["Guide to the Kestrel Ridge Observatory", "The observatory opened in 1987 on a granite ridge.",
     "The dome was rebuilt after a storm that"],
    ["damaged the roof and the shutter in 2011. Repairs took a year.",
     "The main telescope has a mirror 4.2 meters wide."],
    ["Night tours run every Friday from May to October.", "Tickets are sold at the gate."],
    ["The road is closed in winter.", "Snow chains are required in March."],
]


def _manual(body: list[list[str]], header: str = "Chapter 2: The Observatory {n}") -> list[list[str]]:
    """Pages as a typeset manual prints them: a running header with the page number on top (from page 2), the
    page number alone at the bottom of the first page."""
    pages = []
    for n, lines in enumerate(body, start=1):
        pages.append([*lines, str(n)] if n == 1 else [header.format(n=n), *lines])
    return pages


def _page_ranges(pages: tuple[int, ...], length: int) -> list[range]:
    return [range(start, end) for _, start, end in page_spans(pages, length)]


def test_running_header_on_every_page_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "guide.pdf", _manual(GUIDE_BODY))
    doc = read_document(path, "guide.pdf")
    assert "Chapter 2" not in doc.text
    assert not re.search(r"^\d+$", doc.text, re.MULTILINE)  # no bare page number line
    assert len(doc.pages) == 4
    assert doc.text[doc.pages[2] :].startswith("Night tours run every Friday")
    assert doc.text[doc.pages[3] :].startswith("The road is closed in winter.")


def test_running_header_without_a_page_number_on_every_page_is_dropped(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "guide.pdf", [["Kestrel Ridge Visitor Handbook", *lines] for lines in GUIDE_BODY])
    doc = read_document(path, "guide.pdf")
    assert "Visitor Handbook" not in doc.text
    assert "Night tours run every Friday" in doc.text


def test_a_line_at_the_top_of_one_page_only_is_kept(tmp_path: Path) -> None:
    body = [list(lines) for lines in GUIDE_BODY]
    body[2] = ["Chapter 3: Tours 3", *body[2]]  # looks like a running header, but stands on one page only
    body[3] = ["Access", *body[3]]
    path = make_pdf(tmp_path / "guide.pdf", body)
    doc = read_document(path, "guide.pdf")
    assert doc.text[doc.pages[0] :].startswith("Guide to the Kestrel Ridge Observatory")
    assert doc.text[doc.pages[2] :].startswith("Chapter 3: Tours 3\nNight tours")
    assert doc.text[doc.pages[3] :].startswith("Access\nThe road is closed")


def test_a_content_line_ending_a_few_pages_is_kept(tmp_path: Path) -> None:
    # Like gnuplot's 'Syntax:' at the foot of 10 of its 311 pages: it repeats, but carries no page number and
    # stands on too few pages to be a running footer.
    body = [[f"Command number {n} draws a plot of its own."] for n in range(1, 31)]
    for n in (4, 11, 25):
        body[n - 1].append("Syntax:")
    path = make_pdf(tmp_path / "commands.pdf", body)
    doc = read_document(path, "commands.pdf")
    assert doc.text.count("Syntax:") == 3


def test_sentence_over_a_page_break_is_one_block_and_one_chunk_cited_on_its_first_page(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "guide.pdf", _manual(GUIDE_BODY))
    doc = read_document(path, "guide.pdf")
    sentence = "The dome was rebuilt after a storm that damaged the roof and the shutter in 2011."
    at = doc.text.index(sentence)  # the page number and the header no longer stand inside it
    assert doc.page_at(at) == 1 and doc.page_at(at + len(sentence) - 1) == 2
    assert doc.text[doc.pages[1] :].startswith("damaged the roof")
    [block] = [b for b in doc.blocks if b.start <= at < b.end]
    assert block.end >= at + len(sentence)
    assert doc.page_at(block.start) == 1
    # The rest of page 2 is a block of page 2: the joined block takes only the end of the sentence.
    assert any(doc.page_at(b.start) == 2 and "Repairs took a year." in doc.text[b.start : b.end] for b in doc.blocks)
    records = chunk_document(doc, chunk_chars=200)
    [chunk] = [r for r in records if sentence in r.text]
    assert chunk.page == 1
    assert [r.page for r in records if "4.2 meters" in r.text] == [2]


def test_paragraph_that_ends_its_sentence_at_the_page_end_stays_separate(tmp_path: Path) -> None:
    body = [["The dome was rebuilt after a storm in 2011."], ["the shutter was replaced in 2015."],
            ["Tours run on Fridays."]]
    path = make_pdf(tmp_path / "guide.pdf", _manual(body))
    doc = read_document(path, "guide.pdf")
    assert doc.text == ("The dome was rebuilt after a storm in 2011.\n\nthe shutter was replaced in 2015.\n\n"
                        "Tours run on Fridays.")
    assert [doc.page_at(b.start) for b in doc.blocks] == [1, 2, 3]
    assert [r.page for r in chunk_document(doc, chunk_chars=200)] == [1, 2, 3]


def test_a_hyphenated_word_piece_or_a_comma_at_the_page_end_joins_the_pages(tmp_path: Path) -> None:
    body = [["The observatory was con-"], ["nected to the grid in 1990, and to the road"],
            ["in 1992."], ["Visitors come from Denver, Boulder,"], ["Aspen and Vail."]]
    path = make_pdf(tmp_path / "guide.pdf", _manual(body))
    doc = read_document(path, "guide.pdf")
    # The hyphen is kept (only a dictionary could tell 'con-nected' from 'well-known'); the break is a line break.
    assert doc.text.startswith("The observatory was con-\nnected to the grid in 1990, and to the road in 1992.")
    assert doc.text.endswith("Visitors come from Denver, Boulder,\nAspen and Vail.")
    assert [doc.text[b.start : b.end].split()[0] for b in doc.blocks] == ["The", "Visitors"]
    assert [doc.page_at(b.start) for b in doc.blocks] == [1, 4]


def test_page_offsets_map_every_line_to_its_page_after_headers_and_joins(tmp_path: Path) -> None:
    pages = _manual(GUIDE_BODY)
    doc = read_document(make_pdf(tmp_path / "guide.pdf", pages), "guide.pdf")
    ranges = _page_ranges(doc.pages, len(doc.text))
    for number, lines in enumerate(GUIDE_BODY, start=1):
        for line in lines:
            at = doc.text.index(line)
            assert doc.page_at(at) == number, line
            assert at in ranges[number - 1] and at + len(line) - 1 in ranges[number - 1], line


# --- HTML ---------------------------------------------------------------------------------------------------

NOISY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Bridge news</title>
<style>body { font-family: sans-serif; } .ad { color: red; }</style>
<script>window.trackingId = "SCRIPT-NOISE-123"; console.log("SCRIPT-NOISE");</script>
</head><body>
<header class="site-header"><a href="/">SITE-LOGO-NOISE</a><form><input name="q"><button>SEARCH-NOISE</button>
</form></header>
<nav><ul><li><a href="/">NAV-HOME-NOISE</a></li><li><a href="/world">NAV-WORLD-NOISE</a></li></ul></nav>
<div class="layout">
  <aside class="related">ASIDE-RELATED-NOISE</aside>
  <main>
    <article>
      <header><h1>New bridge opens in Da Nang</h1></header>
      <p>The Dragon River bridge opened on Saturday after
         three years of work.</p>
      <p>It carries <b>12,000 cars</b> a day &amp; two tram lines.</p>
      <ul><li>Length: 666 meters</li><li>Cost: 88 million dollars</li></ul>
      <div role="navigation">ROLE-NAV-NOISE</div>
      <noscript>NOSCRIPT-NOISE</noscript>
    </article>
  </main>
</div>
<footer>FOOTER-NOISE &copy; 2024</footer>
<script src="app.js"></script>
</body></html>
"""


def test_html_keeps_main_text_and_drops_navigation_scripts_and_chrome(tmp_path: Path) -> None:
    path = tmp_path / "bridge.html"
    path.write_text(NOISY_PAGE, encoding="utf-8")
    doc = read_document(path, "bridge.html")
    assert "NOISE" not in doc.text, doc.text
    assert "font-family" not in doc.text
    for expected in ("New bridge opens in Da Nang", "three years of work", "12,000 cars a day & two tram lines",
                     "Length: 666 meters", "Cost: 88 million dollars"):
        assert expected in doc.text
    assert doc.pages == ()
    # Each block element is its own paragraph for the chunker; inline line breaks are joined.
    blocks = [doc.text[s.start : s.end] for s in paragraphs(doc.text)]
    assert blocks == [
        "New bridge opens in Da Nang",
        "The Dragon River bridge opened on Saturday after three years of work.",
        "It carries 12,000 cars a day & two tram lines.",
        "Length: 666 meters",
        "Cost: 88 million dollars",
    ]


def test_html_without_main_uses_the_body_minus_page_chrome() -> None:
    page = (b"<html><body><header>BANNER</header><nav>MENU</nav><h2>Report</h2><div>First block.</div>"
            b"<div>Second<br>line.</div><table><tr><th>City</th><th>Cars</th></tr><tr><td>Hue</td><td>9</td></tr>"
            b"</table><footer>COPYRIGHT</footer></body></html>")
    text = extract(page, ".html", "p.html").text
    assert text == "Report\n\nFirst block.\n\nSecond\nline.\n\nCity | Cars\n\nHue | 9"


def test_html_permalink_and_source_links_of_doc_generators_are_not_text() -> None:
    page = ("<html><body><main><h1>Sessions<a class='headerlink' href='#s' title='Link to this heading'>¶</a></h1>"
            "<dl><dt>class SessionBase<a class='reference internal' href='_modules/s.html'><span class='viewcode-link'>"
            "<span class='pre'>[source]</span></span></a><a class='headerlink' href='#b'>¶</a></dt>"
            "<dd><p>The base class.</p></dd></dl><h2>Usage<a class='hash-link' href='#u'>#</a></h2>"
            "<p>See <a href='#s'>Sessions</a> above.</p></main></body></html>").encode()
    text = extract(page, ".html", "p.html").text
    assert text == "Sessions\n\nclass SessionBase\n\nThe base class.\n\nUsage\n\nSee Sessions above."


def test_html_declared_charset_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "latin.htm"
    path.write_bytes('<html><head><meta charset="iso-8859-1"></head><body><p>Café crème à Hanoi.</p></body>'
                     "</html>".encode("latin-1"))
    assert read_document(path, "latin.htm").text == "Café crème à Hanoi."


def test_html_invalid_utf8_without_charset_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bad.html"
    path.write_bytes("<p>Café</p>".encode("latin-1"))
    assert "UTF-8" in unreadable_reason(path)


def test_html_with_no_main_text_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "menu.html"
    path.write_text("<html><body><nav><a href='/'>Home</a></nav><script>x = 1</script></body></html>")
    assert "no main text" in unreadable_reason(path)


def test_binary_file_with_html_suffix_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "image.html"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    assert "binary" in unreadable_reason(path)


def test_deeply_nested_html_does_not_hit_the_recursion_limit() -> None:
    depth = 5000
    page = ("<div>" * depth + "<p>Deep text survives.</p>" + "</div>" * depth).encode()
    assert extract(page, ".html", "deep.html").text == "Deep text survives."


# --- DOCX ---------------------------------------------------------------------------------------------------


def _docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Larkspur Seed Library", level=1)
    document.add_paragraph("The library lends heirloom seeds to gardeners in the valley.")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text = "Founder"
    table.cell(0, 1).text = "Maren Holloway"
    table.cell(1, 0).text = "Founded"
    table.cell(1, 1).text = "2009"
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    merged.text = "Open on Saturdays"
    document.add_paragraph("Seeds are returned after the harvest.")
    document.save(str(path))
    return path


def test_docx_paragraphs_and_table_cells_in_document_order(tmp_path: Path) -> None:
    doc = read_document(_docx(tmp_path / "library.docx"), "library.docx")
    blocks = [doc.text[s.start : s.end] for s in paragraphs(doc.text)]
    assert blocks == [
        "Larkspur Seed Library",
        "The library lends heirloom seeds to gardeners in the valley.",
        "Founder | Maren Holloway",
        "Founded | 2009",
        "Open on Saturdays",  # a merged cell once, not once per grid column
        "Seeds are returned after the harvest.",
    ]
    assert doc.pages == ()


def test_docx_that_is_not_a_zip_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_text("I am plain text pretending to be a Word document.")
    assert "not a valid .docx" in unreadable_reason(path)


def test_zip_without_a_document_is_unreadable(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("hello.txt", "not a word document")
    path = tmp_path / "hollow.docx"
    path.write_bytes(buffer.getvalue())
    assert ".docx" in unreadable_reason(path)


def test_truncated_docx_is_unreadable(tmp_path: Path) -> None:
    good = _docx(tmp_path / "good.docx").read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(good[: len(good) // 2])
    assert ".docx" in unreadable_reason(path)


def test_empty_docx_is_unreadable(tmp_path: Path) -> None:
    import docx

    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    assert "no text" in unreadable_reason(path)


# --- through the indexer and the store ----------------------------------------------------------------------


def test_indexer_skips_unreadable_files_with_reasons_and_indexes_the_rest(tmp_path: Path, hash_embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text("Plain notes about the observatory road.\n", encoding="utf-8")
    make_pdf(docs / "observatory.pdf", [PAGE_ONE, PAGE_TWO])
    _docx(docs / "library.docx")
    (docs / "bridge.html").write_text(NOISY_PAGE, encoding="utf-8")
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)
    make_encrypted_pdf(docs / "locked.pdf", [PAGE_ONE])
    (docs / "fake.docx").write_text("not a zip")
    (docs / "menu.html").write_text("<nav>Home</nav>")
    (docs / "latin.txt").write_bytes("café".encode("latin-1"))

    store = ChromaStore(tmp_path / "index", "documents", IndexInfo(hash_embedder.name, hash_embedder.dimension, 300))
    store.open(create=True)
    report = Indexer(store, hash_embedder, 300, lambda p: p.name).sync(docs)
    assert sorted(report.added) == ["bridge.html", "library.docx", "notes.txt", "observatory.pdf"]
    assert sorted(report.skipped) == ["corrupt.pdf", "fake.docx", "latin.txt", "locked.pdf", "menu.html"]
    assert "password" in report.skipped["locked.pdf"]
    assert all(reason.startswith(f"{name}: ") for name, reason in report.skipped.items())

    # The page is stored with each PDF chunk and comes back on the passage; other files have none.
    got = store.collection.get(include=["metadatas"])
    pages = {(m["source"], m.get("page")) for m in got["metadatas"]}
    assert ("observatory.pdf", 1) in pages and ("observatory.pdf", 2) in pages
    assert ("notes.txt", None) in pages
    [hit] = store.query(hash_embedder.embed(["The main telescope has a mirror 4.2 meters wide."])[0], 1)
    assert (hit.source, hit.page) == ("observatory.pdf", 2)
    text = read_document(docs / "observatory.pdf", "observatory.pdf").text
    assert text[hit.start : hit.end] == hit.text
    [txt_hit] = store.query(hash_embedder.embed(["Plain notes about the observatory road."])[0], 1)
    assert (txt_hit.source, txt_hit.page) == ("notes.txt", None)


def test_citation_carries_the_page_to_json_and_its_location() -> None:
    pdf = Citation(n=1, source="docs/a.pdf", start=5, end=20, quote="q", score=0.5, page=3)
    txt = Citation(n=2, source="docs/b.txt", start=0, end=4, quote="q", score=0.5)
    assert pdf.to_json()["page"] == 3
    assert txt.to_json()["page"] is None
    assert pdf.location == "docs/a.pdf, p. 3"
    assert txt.location == "docs/b.txt"


def test_sources_panel_names_the_pdf_page() -> None:
    from rag.serve.chat import sources_html
    from rag.types import Answer

    answer = Answer(question="q", answer="The mirror is 4.2 meters wide [1].", refused=False,
                    citations=[Citation(n=1, source="docs/observatory.pdf", start=60, end=108,
                                        quote="The main telescope has a mirror 4.2 meters wide.", score=0.7, page=2)])
    assert "observatory.pdf, p. 2" in sources_html(answer)


def test_uploaded_pdf_is_indexed_and_its_page_shown_in_the_sources(tmp_path: Path, hash_embedder,
                                                                   scripted_model) -> None:
    from conftest import fake_app

    from rag.serve.chat import ChatService

    # The model's draft holds nothing checkable, so the answer quotes the best evidence.
    app = fake_app(tmp_path, scripted_model("Maybe."), hash_embedder, sync=False)
    settings = app.settings
    settings.docs_dir.mkdir()
    service = ChatService(app)
    uploads = tmp_path / "uploads"
    pdf = make_pdf(uploads / "observatory.pdf", [PAGE_ONE, PAGE_TWO, PAGE_THREE])
    broken = uploads / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    status, documents = service.add_files([pdf, broken])
    assert "observatory.pdf: indexed" in status
    assert "broken.pdf" in status and "cannot be read as a PDF" in status
    assert not (settings.docs_dir / "broken.pdf").exists()  # an unreadable upload is not kept
    assert "observatory.pdf" in documents
    *_, (conversation, sources, _) = service.respond("How wide is the mirror of the main telescope?", [])
    assert "4.2 meters" in conversation[-1]["content"]
    assert "observatory.pdf, p. 2" in sources


def test_cli_text_prints_the_extracted_text_and_page_starts(three_page_pdf: Path, capsys) -> None:
    from rag.serve.cli import main

    assert main(["text", str(three_page_pdf)]) == 0
    out, err = capsys.readouterr()
    doc = read_document(three_page_pdf, "x.pdf")
    assert out == doc.text + "\n"
    assert "3 pages" in err and f"p. 2 at {doc.pages[1]}" in err


def test_cli_text_of_an_unreadable_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    from rag.serve.cli import main

    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    assert main(["text", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: ") and "broken.pdf" in err and "PDF" in err


# --- end to end with the real embedder and model ------------------------------------------------------------

REPORT_PAGES = [
    ["Kestrel Ridge Observatory: Annual Report",
     "The Kestrel Ridge Observatory opened in 1987 on a granite ridge",
     "above the Alder valley, two hours from the nearest town."],
    ["The observatory's main telescope has a mirror 4.2 meters wide,",
     "ground by the Halvorsen optical works in 1985."],
    ["Night tours for visitors run every Friday from May to October."],
]
# A manual with a running header on every page and a sentence the page break cuts: the fact is on page 2.
MANUAL_PAGES = [
    ["Wrenfield Pump Manual 1", "The Wrenfield pump is serviced once a year.",
     "Before each season the intake valve of the Wrenfield pump is cleaned with"],
    ["Wrenfield Pump Manual 2", "a solution of citric acid diluted one part in ten, never with bleach.",
     "Spare seals are kept in the blue cabinet."],
    ["Wrenfield Pump Manual 3", "The warranty covers five years of use."],
]


@pytest.fixture(scope="module")
def formats_app(indexed_folder, tmp_path_factory: pytest.TempPathFactory):
    """The real app over the seeds plus a PDF and a DOCX that answer questions the seeds do not."""
    import docx

    def library_docx(path: Path) -> None:
        document = docx.Document()
        document.add_paragraph("The Larkspur Seed Library lends heirloom seeds to gardeners in the Alder valley.")
        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "History"
        table.cell(0, 1).text = "Maren Holloway founded the Larkspur Seed Library in 2009."
        document.save(str(path))

    folder = indexed_folder(tmp_path_factory.mktemp("formats"),
                            files={"observatory.pdf": make_pdf_bytes(REPORT_PAGES), "library.docx": library_docx,
                                   "pump.pdf": make_pdf_bytes(MANUAL_PAGES)})
    report = folder.report
    assert not report.skipped
    assert {"observatory.pdf", "library.docx", "pump.pdf"} <= {Path(s).name for s in report.added}
    return folder.app


def _check_offsets(answer) -> None:
    """Each citation quotes exactly text[start:end] of its file's extracted text, with the page its start is on
    (None outside PDFs); and the answer's [n] markers are exactly the citations' numbers, so every marker has its
    entry and every entry is used (a refusal has no markers: its citations are the nearest passages)."""
    for c in answer.citations:
        doc = read_document(Path(c.source), c.source)  # sources outside the project are absolute paths
        assert doc.text[c.start : c.end] == c.quote
        assert c.page == doc.page_at(c.start), (c.source, c.start, c.page)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == (set() if answer.refused else {c.n for c in answer.citations}), answer


@pytest.mark.slow
def test_answer_cites_the_pdf_page_that_holds_the_fact(formats_app) -> None:
    answer = formats_app.pipeline.ask("How wide is the mirror of the Kestrel Ridge Observatory telescope?")
    assert not answer.refused, answer
    assert "4.2" in answer.answer
    cited = [(Path(c.source).name, c.page) for c in answer.citations]
    assert ("observatory.pdf", 2) in cited, cited
    pdf = next(c for c in answer.citations if c.page == 2)
    assert "4.2 meters" in pdf.quote
    assert pdf.to_json()["page"] == 2
    _check_offsets(answer)


@pytest.mark.slow
def test_a_sentence_cut_by_a_page_break_is_quoted_whole_from_the_page_it_starts_on(formats_app) -> None:
    answer = formats_app.pipeline.ask("What is the intake valve of the Wrenfield pump cleaned with?")
    assert not answer.refused, answer
    assert "citric acid" in answer.answer, answer.answer
    pump = [c for c in answer.citations if Path(c.source).name == "pump.pdf"]
    quote = next(c for c in pump if "citric acid" in c.quote)
    assert "intake valve" in quote.quote and quote.page == 1, (quote.quote, quote.page)
    assert "Manual" not in quote.quote  # the running header is not inside the sentence
    _check_offsets(answer)


@pytest.mark.slow
def test_answer_cites_the_docx_table(formats_app) -> None:
    answer = formats_app.pipeline.ask("Who founded the Larkspur Seed Library?")
    assert not answer.refused, answer
    assert "Maren Holloway" in answer.answer
    assert "library.docx" in {Path(c.source).name for c in answer.citations}
    assert all(c.page is None for c in answer.citations if not c.source.endswith(".pdf"))
    _check_offsets(answer)
