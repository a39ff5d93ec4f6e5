"""Split text into chunks and sentences, keeping character offsets so that ``text[start:end]`` is the piece."""

from __future__ import annotations

import re

from rag.errors import ConfigError
from rag.text import Span, sentences, trimmed

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
