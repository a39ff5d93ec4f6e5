"""A PDF's pages, as pypdf reads them line by line, made into one text: page chrome dropped, page breaks mended.

Manuals print a running header or footer on every page ('Chapter 3: Basic Shell Features 43', '22 gnuplot 5.4')
and a bare page number on the others; pypdf returns it as the page's first (or last) line, and left in it lands
inside every sentence a page break cuts. Such lines are dropped when their shape (digits replaced) repeats at the
same edge of other pages and either their page number advances with the page or they stand on many pages.

A page's text is its lines with wrapped lines joined. Pages are separated by a blank line (a paragraph break for
the chunker), except where a page stops in mid-sentence and the next goes on with it: there the break is an
ordinary line break, and the sentence is one sentence of one block that starts on the first page.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from rag.text import sentences

# A line repeated at the top (or bottom) of at least this share of a document's pages is chrome even without a page
# number in it. Chosen on training/corpora/pdf_manuals (bashref, gnuplot, R-intro): every running header there
# carries its page number and is caught by the numbering rule, while the most frequent edge line that is content,
# gnuplot's 'Syntax:', ends 10 of 311 pages (3%). A header printed on every page, or on every other page of a
# two-sided layout, stands on about half the pages or more; 0.25 keeps a wide margin on both sides.
RUNNING_MIN_SHARE = 0.25
# ... and on at least this many pages: in a short document two pages that start alike ('Example:') are chance.
RUNNING_MIN_PAGES = 3
# A line is never dropped for repeating unless its shape stands at that edge of at least this many pages.
MIN_REPEATS = 2

_DIGITS = re.compile(r"\d+")
_ROMAN = re.compile(r"(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})")  # i to cccxcix: front matter
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}

# A line break inside a sentence: pypdf ends every printed line with one; the next line goes on in lower case.
_WRAPPED_LINE = re.compile(r"(?<=[^\s\-])\n(?=[a-z])")
# A text that ends its sentence: . ! ? or : last, or a closing quote or bracket after one.
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)\]]*$")
_WORD_PIECE = re.compile(r"[^\W\d_]-$")  # a word cut at the line end: "reg-" of "reg-" / "ular"


@dataclass(frozen=True)
class PageText:
    """The pages' text, the start offset of each page, and the stretches of text whose paragraphs are blocks of
    one page: (0-based page, start, end); a stretch holding a sentence that runs over a page break ends after it."""

    text: str
    pages: tuple[int, ...]
    segments: tuple[tuple[int, int, int], ...]
    dropped: tuple[str, ...] = ()  # the running header/footer lines and page numbers removed
    joined: int = 0  # page breaks a sentence runs over


@dataclass(frozen=True)
class _Edge:
    """The first or last line of a page: where it is, and the numbers in it."""

    page: int
    line: int
    numbers: tuple[int, ...]


def _roman(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))


def _shape(line: str) -> tuple[str, tuple[int, ...]]:
    """A line with its numbers replaced by '#', and those numbers; a bare lower-case roman numeral is one number."""
    if _ROMAN.fullmatch(line):
        return "#", (_roman(line),)
    return _DIGITS.sub("#", line), tuple(int(n) for n in _DIGITS.findall(line))


def _edges(pages: list[list[str]]) -> dict[tuple[str, str, int], list[_Edge]]:
    """The first and last line of every page, grouped by edge, shape and count of numbers (a line '#' is no page
    number)."""
    groups: dict[tuple[str, str, int], list[_Edge]] = defaultdict(list)
    for page, lines in enumerate(pages):
        for edge, index in (("top", 0), ("bottom", len(lines) - 1)):
            if lines and (edge == "top" or index > 0):
                shape, numbers = _shape(lines[index])
                groups[(edge, shape, len(numbers))].append(_Edge(page, index, numbers))
    return groups


def _numbered(edges: list[_Edge]) -> dict[_Edge, int]:
    """The edges (of one shape) with a number that advances with the page, a page number: each with its offset
    (number - page), shared by at least MIN_REPEATS of them."""
    found: dict[_Edge, int] = {}
    for k in range(len(edges[0].numbers)):
        offsets = Counter(e.numbers[k] - e.page for e in edges)
        found.update({e: e.numbers[k] - e.page for e in edges if offsets[e.numbers[k] - e.page] >= MIN_REPEATS})
    return found


def running_lines(pages: list[list[str]]) -> set[tuple[int, int]]:
    """(page, line) of the running headers, footers and page numbers of a document given as its pages' lines."""
    groups = _edges(pages)
    often = max(RUNNING_MIN_PAGES, RUNNING_MIN_SHARE * len(pages))
    found: set[tuple[int, int]] = set()
    numbering: set[int] = set()  # page number - page, as the running lines number the pages
    for edges in groups.values():
        if len(edges) < MIN_REPEATS:
            continue
        if len(edges) >= often:
            found.update((e.page, e.line) for e in edges)
        numbered = _numbered(edges)
        found.update((e.page, e.line) for e in numbered)
        numbering.update(numbered.values())
    # A lone bare page number (an index's first page) when it numbers its page as the running lines do.
    for (_, shape, count), edges in groups.items():
        if (shape, count) == ("#", 1):
            found.update((e.page, e.line) for e in edges if e.numbers[0] - e.page in numbering)
    return found


def page_text(lines: list[str]) -> str:
    """A page's lines with wrapped lines joined, so that a sentence stays one sentence."""
    return _WRAPPED_LINE.sub(" ", "\n".join(lines))


def joint(before: str, after: str) -> str | None:
    """What stands between two pages' texts when the first stops in mid-sentence and the second goes on with it
    (starts in lower case, or finishes a hyphenated word piece or the clause after a comma): the line break a page
    would hold there, ' ' for a wrapped line. None when the first page ends its sentence or the second starts anew."""
    if not before or not after or _SENTENCE_END.search(before):
        return None
    first = after[0]
    goes_on = first.islower() or (first.isalpha() and bool(_WORD_PIECE.search(before))) or (
        first.isalnum() and before.endswith(","))
    if not goes_on:
        return None
    return " " if _WRAPPED_LINE.search(f"{before[-1]}\n{first}") else "\n"


def _carried_end(text: str, start: int, page_start: int, page_end: int) -> int:
    """Where the sentence that runs over the page break at ``page_start`` ends (``page_end`` at most)."""
    line = max(start, text.rfind("\n", start, page_start - 1) + 1)  # the page's last line: no need to read more
    for span in sentences(text, line, page_end):
        if span.end > page_start:
            return span.end
    return page_end


def _segments(text: str, starts: list[int], ends: list[int], joined: list[bool]) -> tuple[tuple[int, int, int], ...]:
    """(page, start, end) stretches: one per page, except that the sentence running over a break stays with the
    stretch it starts in (the next page's stretch starts after it, or not at all when it fills that page)."""
    out: list[tuple[int, int, int]] = []
    page, start = 0, starts[0]
    for i in range(1, len(starts)):
        if not joined[i - 1]:
            out.append((page, start, ends[i - 1]))
            page, start = i, starts[i]
            continue
        cut = _carried_end(text, start, starts[i], ends[i])
        if cut < ends[i]:
            out.append((page, start, cut))
            page, start = i, cut
    out.append((page, start, ends[-1]))
    return tuple(out)


def join_pages(pages: list[list[str]], separator: str) -> PageText:
    """One text of the pages (each a list of cleaned, non-empty lines): running lines dropped, pages separated by
    ``separator`` unless a sentence runs over the break."""
    if not pages:
        return PageText("", (), ())
    dropped = running_lines(pages)
    texts = [page_text([line for j, line in enumerate(lines) if (i, j) not in dropped])
             for i, lines in enumerate(pages)]
    parts: list[str] = []
    starts: list[int] = []
    joined: list[bool] = []
    pos = 0
    for i, text in enumerate(texts):
        if i:
            glue = joint(texts[i - 1], text)
            joined.append(glue is not None)
            parts.append(separator if glue is None else glue)
            pos += len(parts[-1])
        starts.append(pos)
        parts.append(text)
        pos += len(text)
    full = "".join(parts)
    ends = [s + len(t) for s, t in zip(starts, texts, strict=True)]
    return PageText(full, tuple(starts), _segments(full, starts, ends, joined),
                    tuple(pages[i][j] for i, j in sorted(dropped)), sum(joined))
