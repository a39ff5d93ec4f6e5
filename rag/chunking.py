"""Split text into chunks and sentences, keeping character offsets so that ``text[start:end]`` is the piece."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.errors import ConfigError

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace and an
# upper-case letter, digit or opening quote; a single newline also ends one (headlines, list items).
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[A-Z0-9\"“‘(\[])|\n+")
# Abbreviations whose period does not end a sentence.
_ABBREVIATIONS = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Lt|No|vs|etc|U\.S|U\.N|Inc|Ltd|Co)\.|\b[A-Z]\.)$")


@dataclass(frozen=True)
class Span:
    """A piece of a text by offsets; ``text[start:end]`` is the piece."""

    start: int
    end: int


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def paragraphs(text: str) -> list[Span]:
    """Blank-line separated blocks, trimmed of surrounding whitespace."""
    spans, pos = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        span = _trimmed(text, pos, match.start())
        if span:
            spans.append(span)
        pos = match.end()
    last = _trimmed(text, pos, len(text))
    if last:
        spans.append(last)
    return spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]`` as spans of ``text``."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        boundary = match.group()
        if "\n" not in boundary and _ABBREVIATIONS.search(text[pos : match.start()]):
            continue
        closing = len(boundary) - len(boundary.lstrip("\"'”’)]"))  # a closing quote stays with its sentence
        span = _trimmed(text, pos, match.start() + closing)
        if span:
            spans.append(span)
        pos = match.end()
    last = _trimmed(text, pos, end)
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
            piece = _trimmed(text, start, cut)
            if piece:
                pieces.append(piece)
            start = cut
        tail = _trimmed(text, start, sent.end)
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
