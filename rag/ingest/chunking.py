"""Split text into chunks and sentences, keeping character offsets so that ``text[start:end]`` is the piece."""

from __future__ import annotations

import re
from dataclasses import replace

from rag.errors import ConfigError
from rag.text import Span, sentences, trimmed
from rag.types import Block, page_of

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(text: str) -> list[Span]:
    """Blank-line separated blocks, trimmed of surrounding whitespace."""
    spans, pos = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        span = trimmed(text, pos, match.start())
        if span:
            spans.append(span)
        pos = match.end()
    last = trimmed(text, pos, len(text))
    if last:
        spans.append(last)
    return spans


def _split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Break a span longer than max_chars at sentence ends, then hard-wrap at whitespace if needed."""
    pieces: list[Span] = []
    for sent in sentences(text, span.start, span.end):
        start = sent.start
        while sent.end - start > max_chars:
            cut = text.rfind(" ", start + 1, start + max_chars)
            cut = cut if cut > start else start + max_chars
            piece = trimmed(text, start, cut)
            if piece:
                pieces.append(piece)
            start = cut
        tail = trimmed(text, start, sent.end)
        if tail:
            pieces.append(tail)
    return pieces


def chunk_text(text: str, max_chars: int) -> list[Span]:
    """Pack paragraphs (split at sentences when too long) into chunks of at most ``max_chars`` characters."""
    if max_chars < 50:
        raise ConfigError(f"chunk size {max_chars} is too small; use at least 50 characters.")
    units: list[Span] = []
    for para in paragraphs(text):
        if para.end - para.start <= max_chars:
            units.append(para)
        else:
            units.extend(_split_long(text, para, max_chars))
    chunks: list[Span] = []
    current: Span | None = None
    for unit in units:
        if current is not None and unit.end - current.start <= max_chars:
            current = Span(current.start, unit.end)
        else:
            if current is not None:
                chunks.append(current)
            current = unit
    if current is not None:
        chunks.append(current)
    return chunks


_SECTION_STARTS = frozenset({"heading", "signature"})
MIN_FILL = 3  # a chunk at least 1/MIN_FILL full ends where a section or API entry starts


def _pieces(text: str, block: Block, max_chars: int) -> list[Block]:
    """A block, or a block longer than ``max_chars`` broken at sentences (each piece of the same kind)."""
    if block.end - block.start <= max_chars:
        return [block]
    return [replace(block, start=s.start, end=s.end) for s in _split_long(text, Span(block.start, block.end),
                                                                          max_chars)]


def chunk_path(blocks: tuple[Block, ...]) -> tuple[str, ...]:
    """A chunk's heading path: that of its first block of content (a heading's or an entry's body), else the
    first block's."""
    body = next((b for b in blocks if b.kind not in ("heading", "signature", "meta")), None)
    return (body or blocks[0]).path if blocks else ()


def chunk_blocks(text: str, blocks: tuple[Block, ...], max_chars: int,
                 pages: tuple[int, ...] = ()) -> list[tuple[Span, tuple[Block, ...]]]:
    """Pack whole blocks into chunks of at most ``max_chars`` characters; a chunk that is already a third full
    ends where a section or an API entry starts, and a block that starts on a later page than the chunk starts a
    new one (only a block that runs over a page break, a sentence the break cut, puts two pages in one chunk).
    Each chunk keeps its blocks."""
    if max_chars < 50:
        raise ConfigError(f"chunk size {max_chars} is too small; use at least 50 characters.")
    chunks: list[tuple[Span, tuple[Block, ...]]] = []
    current: list[Block] = []
    for whole in blocks:
        for n, block in enumerate(_pieces(text, whole, max_chars)):
            if current:
                start, prev = current[0].start, current[-1]
                boundary = block.kind in _SECTION_STARTS or (
                    block.path != prev.path and prev.kind not in _SECTION_STARTS)
                full = block.end - start > max_chars
                new_page = n == 0 and bool(pages) and page_of(pages, block.start) != page_of(pages, start)
                if full or new_page or (boundary and (prev.end - start) * MIN_FILL >= max_chars):
                    chunks.append((Span(start, prev.end), tuple(current)))
                    current = []
            current.append(block)
    if current:
        chunks.append((Span(current[0].start, current[-1].end), tuple(current)))
    return chunks
