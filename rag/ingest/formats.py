"""Extract the text of HTML, PDF and DOCX files: the text the index holds and citation offsets index.

Plain-text files are not handled here (they are decoded as they are, see rag.ingest.documents). Every extractor takes
the file's bytes and returns an ``Extracted``: text whose blocks (paragraphs, list items, table rows, pages) are
separated by blank lines, so the chunker's paragraph splitting sees them, and for a PDF the start offset of
every page. A file that cannot be read raises DocumentUnreadable with the reason.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from rag.errors import DocumentUnreadable
from rag.ingest.pdf_pages import join_pages
from rag.types import Block

log = logging.getLogger(__name__)

HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})
EXTRACTED_SUFFIXES = HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES

BLOCK_SEPARATOR = "\n\n"
# A .docx is a zip; refuse one whose members would unpack to more than this (a zip bomb).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

_SPACES = re.compile(r"[^\S\n]+")  # whitespace other than newlines
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Extracted:
    """Text extracted from a file. ``pages`` holds the start offset of each page (PDF only, else empty)."""

    text: str
    pages: tuple[int, ...] = ()
    blocks: tuple[Block, ...] = ()  # the structure the extractor read (tags, styles); empty: paragraphs


@dataclass(frozen=True)
class RawBlock:
    """A block as an extractor reads it, before offsets: its text, kind, and for a heading its level."""

    text: str
    kind: str = "prose"
    level: int = 0  # 1-6 for a heading (h1-h6, Word's 'Heading N'); 0 otherwise


def extract(raw: bytes, suffix: str, source: str) -> Extracted:
    """Extract the text of a file of one of EXTRACTED_SUFFIXES. Raises DocumentUnreadable."""
    suffix = suffix.lower()
    extractor: Callable[[bytes, str], Extracted]
    if suffix in HTML_SUFFIXES:
        extractor = extract_html
    elif suffix in PDF_SUFFIXES:
        extractor = extract_pdf
    elif suffix in DOCX_SUFFIXES:
        extractor = extract_docx
    else:
        raise DocumentUnreadable(f"{source}: no text extractor for {suffix!r} files.")
    result = extractor(raw, source)
    if not result.text.strip():
        raise DocumentUnreadable(f"{source}: {_EMPTY_REASON.get(suffix, 'has no text')}.")
    return result


_EMPTY_REASON = {
    ".html": "the page has no main text (only navigation, scripts or nothing at all)",
    ".htm": "the page has no main text (only navigation, scripts or nothing at all)",
    ".pdf": "the PDF has no extractable text (a scanned PDF needs OCR first)",
    ".docx": "the document has no text",
}


def _clean_line(line: str) -> str:
    return _SPACES.sub(" ", _CONTROL.sub("", line)).strip()


def join_blocks(blocks: list[str]) -> str:
    """Non-empty blocks, each with its lines cleaned, separated by blank lines."""
    return join_structured([RawBlock(b) for b in blocks])[0]


def join_structured(blocks: list[RawBlock]) -> tuple[str, tuple[Block, ...]]:
    """The text of non-empty blocks (lines cleaned) separated by blank lines, and each block with its offsets and
    heading path (the headings above it, by level); a table row carries the first row of its table."""
    out: list[str] = []
    placed: list[Block] = []
    sections: list[tuple[int, str]] = []
    header = ""
    pos = 0
    for block in blocks:
        lines = [_clean_line(line) for line in block.text.splitlines()]
        text = "\n".join(line for line in lines if line)
        if not text:
            continue
        if out:
            pos += len(BLOCK_SEPARATOR)
        if block.kind == "heading":
            sections = [s for s in sections if s[0] < block.level] + [(block.level, " ".join(text.split()))]
        path = tuple(t for _, t in sections)
        if block.kind == "table_row":
            header = header or text
        else:
            header = ""
        placed.append(Block(pos, pos + len(text), block.kind, path, header if header != text else ""))
        out.append(text)
        pos += len(text)
    return BLOCK_SEPARATOR.join(out), tuple(placed)


# --- HTML -------------------------------------------------------------------------------------------------

# Never text: code, styling, embedded objects, controls.
_HTML_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
              "math", "select", "button", "input", "textarea", "nav", "aside", "form", "dialog")
# Landmarks that are navigation, page header/footer or side content whatever their tag.
_HTML_DROP_ROLES = ("navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar")
# The signs documentation generators put after a heading or an API entry's signature, links to the page's own
# anchors or to the source: Sphinx's and MkDocs' "¶" (a.headerlink), Docusaurus' (a.hash-link), Sphinx viewcode's
# "[source]". Kept, they ended every heading of a breadcrumb ('How to use sessions¶ > Enabling sessions¶').
_HTML_DROP_LINKS = "a.headerlink, a.hash-link, .viewcode-link"
# header/footer are page chrome unless they belong to a sectioning element (then they head an article).
_SECTIONING = frozenset({"article", "section", "main"})
_HTML_BLOCKS = frozenset({
    "address", "article", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "legend",
    "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul",
})
_HTML_CELLS = frozenset({"td", "th"})


def _decode_html(raw: bytes, source: str) -> str:
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        declared = _CHARSET.search(raw[:4096])
        if declared:
            name = declared.group(1).decode("ascii", "replace")
            try:
                return raw.decode(name)
            except (LookupError, UnicodeDecodeError):
                pass
        raise DocumentUnreadable(
            f"{source}: is not valid UTF-8 (byte {exc.start}) and declares no charset that decodes it; "
            "save it as UTF-8 and index again."
        ) from exc


def _is_page_chrome(node: object) -> bool:
    """A header/footer that is not inside an article, section or main: the site's banner or footer."""
    parent = node.parent  # type: ignore[attr-defined]
    while parent is not None and parent.tag not in (None, "body", "html", "-document"):
        if parent.tag in _SECTIONING:
            return False
        parent = parent.parent
    return True


def _html_root(tree: object) -> object | None:
    """<main> if present, else the only <article>, else <body>."""
    main = tree.css_first("main") or tree.css_first('[role="main"]')  # type: ignore[attr-defined]
    if main is not None:
        return main
    articles = tree.css("article")  # type: ignore[attr-defined]
    if len(articles) == 1:
        return articles[0]
    return tree.body  # type: ignore[attr-defined]


_NOTE_CLASSES = re.compile(r"\b(note|warning|tip|important|caution|admonition|hint|attention|danger)\b")


def _html_kind(open_tags: list[tuple[str, str]]) -> tuple[str, int]:
    """The kind (and heading level) of text inside the given open block elements (innermost last)."""
    tags = [t for t, _ in open_tags]
    if "pre" in tags:
        return "code", 0
    for tag, _ in reversed(open_tags):
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            return "heading", int(tag[1])
        if tag == "tr":
            return "table_row", 0
        if tag == "li":
            return "list_item", 0
        if tag == "dt":
            return "term", 0
        if tag == "dd":
            return "definition", 0
    if any(_NOTE_CLASSES.search(cls) for _, cls in open_tags):
        return "note", 0
    return "prose", 0


def _html_blocks(root: object) -> list[RawBlock]:
    """Text of ``root``: a new block at each block element, cells of a row on one line, <br> a line break; each
    block's kind from the elements it stands in (h1-h6, pre, li, tr, dt/dd, an admonition's class).

    Walks with an explicit stack (deeply nested pages must not hit Python's recursion limit).
    """
    blocks: list[RawBlock] = []
    current: list[str] = []
    open_tags: list[tuple[str, str]] = []

    def flush() -> None:
        if current:
            kind, level = _html_kind(open_tags)
            blocks.append(RawBlock("".join(current), kind, level))
            current.clear()

    # Stack items: ("node", node) to visit, or ("end", tag) to close a block element after its children.
    stack: list[tuple[str, object]] = [("node", root)]
    while stack:
        kind, item = stack.pop()
        if kind == "end":
            if item in _HTML_CELLS:
                current.append(" | ")
            else:
                flush()
                if open_tags:
                    open_tags.pop()
            continue
        node = item
        if node.is_text_node:  # type: ignore[attr-defined]
            text = node.text_content or ""  # type: ignore[attr-defined]
            pre = node.parent is not None and node.parent.tag == "pre"  # type: ignore[attr-defined]
            current.append(text if pre else re.sub(r"\s+", " ", text))
            continue
        tag = node.tag  # type: ignore[attr-defined]
        if tag == "br":
            current.append("\n")
            continue
        if tag in _HTML_BLOCKS:
            flush()
            attrs = node.attributes  # type: ignore[attr-defined]
            open_tags.append((tag, str(attrs.get("class") or "")))
            stack.append(("end", tag))
        elif tag in _HTML_CELLS:
            stack.append(("end", tag))
        children = list(node.iter(include_text=True))  # type: ignore[attr-defined]
        stack.extend(("node", child) for child in reversed(children))
    flush()
    # A row's cells end with " | "; drop the trailing separator.
    return [RawBlock(re.sub(r"(\s*\|\s*)+$", "", b.text.strip()), b.kind, b.level) for b in blocks]


def extract_html(raw: bytes, source: str) -> Extracted:
    """The main text of an HTML page: <main> or the article, without navigation, scripts, styles, header,
    footer, aside and forms."""
    from selectolax.lexbor import LexborHTMLParser  # deferred: only needed for HTML files

    if b"\x00" in raw[:8192]:
        raise DocumentUnreadable(f"{source}: looks like a binary file, not an HTML page.")
    html_text = _decode_html(raw, source)
    try:
        tree = LexborHTMLParser(html_text)
        tree.strip_tags(list(_HTML_DROP), recursive=True)
        for selector in [f'[role="{role}"]' for role in _HTML_DROP_ROLES] + ["[hidden]", '[aria-hidden="true"]']:
            for node in tree.css(selector):
                node.decompose()
        for node in tree.css(_HTML_DROP_LINKS):
            node.decompose()
        for node in tree.css("header, footer"):
            if _is_page_chrome(node):
                node.decompose()
        root = _html_root(tree)
        blocks = _html_blocks(root) if root is not None else []
    except DocumentUnreadable:
        raise
    except Exception as exc:  # the parser's errors on hostile input are not a fixed set
        log.debug("HTML parse of %s failed", source, exc_info=True)
        raise DocumentUnreadable(f"{source}: cannot be read as HTML ({type(exc).__name__}: {exc}).") from exc
    text, placed = join_structured(blocks)
    return Extracted(text=text, blocks=placed)


# --- PDF --------------------------------------------------------------------------------------------------


def _pdf_pages(reader: Any, source: str) -> Iterator[list[str]]:
    """Each page's cleaned, non-empty lines."""
    from pypdf import PasswordType

    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise DocumentUnreadable(
            f"{source}: the PDF is password-protected; save an unprotected copy and index that."
        )
    for page in reader.pages:
        lines = (_clean_line(line) for line in (page.extract_text() or "").splitlines())
        yield [line for line in lines if line]


def extract_pdf(raw: bytes, source: str) -> Extracted:
    """The text of every page without its running header/footer and page number, pages separated by a blank line
    unless a sentence runs over the break (rag.ingest.pdf_pages); ``pages`` = the start offset of each page."""
    if not raw.lstrip()[:5].startswith(b"%PDF-") and b"%PDF-" not in raw[:1024]:
        raise DocumentUnreadable(f"{source}: is not a PDF file (no %PDF header).")
    from pypdf import PdfReader  # deferred: only needed for PDF files

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = list(_pdf_pages(reader, source))
    except DocumentUnreadable:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, but also ValueError, KeyError... on broken files
        log.debug("PDF read of %s failed", source, exc_info=True)
        reason = "it is encrypted" if "decrypt" in str(exc).lower() else f"{type(exc).__name__}: {exc}"
        raise DocumentUnreadable(f"{source}: cannot be read as a PDF ({reason}); is the file damaged?") from exc
    if not pages:
        raise DocumentUnreadable(f"{source}: the PDF has no pages.")
    joined = join_pages(pages, BLOCK_SEPARATOR)
    log.info("%s: %d pages, %d running header/footer lines dropped, %d sentences joined over a page break",
             source, len(pages), len(joined.dropped), joined.joined)
    return Extracted(text=joined.text, pages=joined.pages,
                     blocks=_pdf_blocks(joined.text, joined.segments, pdf_outline(reader)))


def pdf_outline(reader: Any) -> list[tuple[int, tuple[str, ...]]]:
    """(0-based page, heading path) of every entry of the PDF's outline (bookmarks), in page order; empty when
    the file has none or it cannot be read (the text is still indexed, without headings)."""
    found: list[tuple[int, tuple[str, ...]]] = []

    def walk(items: list[Any], parents: tuple[str, ...]) -> None:
        last: tuple[str, ...] = parents
        for item in items:
            if isinstance(item, list):
                walk(item, last)
                continue
            title = " ".join(str(getattr(item, "title", "") or "").split())
            page = reader.get_destination_page_number(item)
            if title and page is not None and page >= 0:
                last = (*parents, title)
                found.append((page, last))

    from pypdf.errors import PyPdfError

    try:
        walk(list(reader.outline or []), ())
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # a damaged outline must not cost the document its text
        log.debug("PDF outline not read: %s", exc)
        return []
    return sorted(found, key=lambda e: e[0])


def _pdf_blocks(text: str, segments: tuple[tuple[int, int, int], ...],
                outline: list[tuple[int, tuple[str, ...]]]) -> tuple[Block, ...]:
    """Paragraphs of each page's stretch of text (a sentence run over a page break stays with the page it starts
    on), under the last outline heading that starts on or before that page."""
    from rag.ingest.structure import plain_blocks

    out: list[Block] = []
    for number, start, end in segments:
        path = next((p for page, p in reversed(outline) if page <= number), ())
        out.extend(replace(b.shifted(start), path=path) for b in plain_blocks(text[start:end]))
    return tuple(out)


# --- DOCX -------------------------------------------------------------------------------------------------


def _check_zip(raw: bytes, source: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentUnreadable(
            f"{source}: is not a valid .docx file (not a zip archive); save it again from your word processor."
        ) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentUnreadable(
            f"{source}: unpacks to {unpacked // (1024 * 1024)} MB, more than the "
            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB allowed."
        )


_DOCX_HEADING = re.compile(r"^(?:heading\s*(\d)|title)$", re.IGNORECASE)


def _docx_paragraph(item: Any) -> RawBlock:
    style = str(getattr(getattr(item, "style", None), "name", "") or "")
    heading = _DOCX_HEADING.match(style.strip())
    if heading:
        return RawBlock(item.text, "heading", int(heading.group(1) or 0) if heading.group(1) else 0)
    if "list" in style.lower():
        return RawBlock(item.text, "list_item")
    return RawBlock(item.text, "code" if "code" in style.lower() else "prose")


def _docx_blocks(container: object, depth: int = 0) -> list[RawBlock]:
    """Paragraphs (with their kind from Word's styles: Heading N, List ..., Title) and table rows of a document
    or table cell, in document order."""
    from docx.table import Table

    blocks: list[RawBlock] = []
    for item in container.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Table):
            if depth >= 5:  # nested tables deeper than this are layout, not content
                continue
            for row in item.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell is returned once per grid column
                        continue
                    seen.add(id(cell._tc))
                    text = " ".join(" ".join(b.text for b in _docx_blocks(cell, depth + 1)).split())
                    if text:
                        cells.append(text)
                blocks.append(RawBlock(" | ".join(cells), "table_row"))
        else:
            blocks.append(_docx_paragraph(item))
    return blocks


def extract_docx(raw: bytes, source: str) -> Extracted:
    """Paragraphs and table rows (cells joined by ' | ') in document order, separated by blank lines."""
    import docx  # deferred: only needed for DOCX files

    _check_zip(raw, source)
    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = _docx_blocks(document)
    except Exception as exc:  # python-docx raises PackageNotFoundError, KeyError, lxml errors...
        log.debug("DOCX read of %s failed", source, exc_info=True)
        raise DocumentUnreadable(
            f"{source}: cannot be read as a .docx ({type(exc).__name__}: {exc}); save it again as .docx."
        ) from exc
    text, placed = join_structured(blocks)
    return Extracted(text=text, blocks=placed)


def page_spans(pages: tuple[int, ...], length: int) -> list[tuple[int, int, int]]:
    """(page number, start, end) of every page of a text of ``length`` characters."""
    ends = list(pages[1:]) + [length]
    return [(n, start, end) for n, (start, end) in enumerate(zip(pages, ends, strict=True), start=1)]
