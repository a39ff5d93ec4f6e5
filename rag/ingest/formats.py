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
from dataclasses import dataclass
from typing import Any

from rag.errors import DocumentUnreadable

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
    out = []
    for block in blocks:
        lines = [_clean_line(line) for line in block.splitlines()]
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(text)
    return BLOCK_SEPARATOR.join(out)


# --- HTML -------------------------------------------------------------------------------------------------

# Never text: code, styling, embedded objects, controls.
_HTML_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
              "math", "select", "button", "input", "textarea", "nav", "aside", "form", "dialog")
# Landmarks that are navigation, page header/footer or side content whatever their tag.
_HTML_DROP_ROLES = ("navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar")
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


def _html_blocks(root: object) -> list[str]:
    """Text of ``root``: a new block at each block element, cells of a row on one line, <br> a line break.

    Walks with an explicit stack (deeply nested pages must not hit Python's recursion limit).
    """
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append("".join(current))
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
            stack.append(("end", tag))
        elif tag in _HTML_CELLS:
            stack.append(("end", tag))
        children = list(node.iter(include_text=True))  # type: ignore[attr-defined]
        stack.extend(("node", child) for child in reversed(children))
    flush()
    # A row's cells end with " | "; drop the trailing separator.
    return [re.sub(r"(\s*\|\s*)+$", "", b.strip()) for b in blocks]


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
    return Extracted(text=join_blocks(blocks))


# --- PDF --------------------------------------------------------------------------------------------------

# A line break inside a sentence: pypdf ends every printed line with one; the next line goes on in lower case.
_WRAPPED_LINE = re.compile(r"(?<=[^\s\-])\n(?=[a-z])")


def _pdf_page_text(text: str) -> str:
    """A page's text with wrapped lines joined (so a sentence stays one sentence) and lines cleaned."""
    lines = [_clean_line(line) for line in text.splitlines()]
    joined = "\n".join(line for line in lines if line)
    return _WRAPPED_LINE.sub(" ", joined)


def _pdf_pages(reader: Any, source: str) -> Iterator[str]:
    from pypdf import PasswordType

    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise DocumentUnreadable(
            f"{source}: the PDF is password-protected; save an unprotected copy and index that."
        )
    for page in reader.pages:
        yield page.extract_text() or ""


def extract_pdf(raw: bytes, source: str) -> Extracted:
    """The text of every page, pages separated by a blank line; ``pages`` = the start offset of each page."""
    if not raw.lstrip()[:5].startswith(b"%PDF-") and b"%PDF-" not in raw[:1024]:
        raise DocumentUnreadable(f"{source}: is not a PDF file (no %PDF header).")
    from pypdf import PdfReader  # deferred: only needed for PDF files

    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    try:
        for page_text in _pdf_pages(PdfReader(io.BytesIO(raw)), source):
            if parts:
                parts.append(BLOCK_SEPARATOR)
                pos += len(BLOCK_SEPARATOR)
            starts.append(pos)
            text = _pdf_page_text(page_text)
            parts.append(text)
            pos += len(text)
    except DocumentUnreadable:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, but also ValueError, KeyError... on broken files
        log.debug("PDF read of %s failed", source, exc_info=True)
        reason = "it is encrypted" if "decrypt" in str(exc).lower() else f"{type(exc).__name__}: {exc}"
        raise DocumentUnreadable(f"{source}: cannot be read as a PDF ({reason}); is the file damaged?") from exc
    if not starts:
        raise DocumentUnreadable(f"{source}: the PDF has no pages.")
    return Extracted(text="".join(parts), pages=tuple(starts))


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


def _docx_blocks(container: object, depth: int = 0) -> list[str]:
    """Paragraphs and table rows of a document or table cell, in document order."""
    from docx.table import Table

    blocks: list[str] = []
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
                    text = " ".join(" ".join(_docx_blocks(cell, depth + 1)).split())
                    if text:
                        cells.append(text)
                blocks.append(" | ".join(cells))
        else:
            blocks.append(item.text)
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
    return Extracted(text=join_blocks(blocks))


def page_spans(pages: tuple[int, ...], length: int) -> list[tuple[int, int, int]]:
    """(page number, start, end) of every page of a text of ``length`` characters."""
    ends = list(pages[1:]) + [length]
    return [(n, start, end) for n, (start, end) in enumerate(zip(pages, ends, strict=True), start=1)]
