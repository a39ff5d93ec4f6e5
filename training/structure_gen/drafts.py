"""A page as the product reads it, a draft question, and the evidence units a draft quotes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rag.answer.units import WHOLE_KINDS
from rag.text import sentences
from rag.types import Block

from .text import flat


@dataclass(frozen=True)
class Page:
    """One file as the product extracts it, with what its questions name for context."""

    source: str  # relative to the docs folder
    text: str
    blocks: tuple[Block, ...]
    product: str = ""
    language: str = "en"
    marked: bool = True  # written in reST or Markdown: inline markup to read past
    pages: tuple[int, ...] = ()  # a PDF's page starts
    outline: tuple[tuple[int, tuple[str, ...]], ...] = ()  # a PDF's bookmarks: (page, heading path)


@dataclass(frozen=True)
class Draft:
    """A question made by a template, before it is checked and capped."""

    question: str
    facts: tuple[str, ...]
    evidence: str
    kind: str  # the checker's kinds: what/number/version/how/why/yesno...
    structure: str  # the template: default, version, table...
    source: str = ""
    start: int = 0  # offset of the evidence unit in the file: the order of the output
    group: str = ""  # what MAX_PER_FILE counts over: the file, or a PDF's chapter


def span_at(page: Page, block: Block, pos: int) -> tuple[int, int] | None:
    """The evidence unit holding offset ``pos`` as rag.answer.units cuts it: the whole block for a table row,
    version note, signature or term; else the sentence of the block."""
    if block.kind in WHOLE_KINDS or block.kind == "code":
        return block.start, block.end
    return next(((s.start, s.end) for s in sentences(page.text, block.start, block.end) if s.start <= pos < s.end),
                None)


def unit_at(page: Page, block: Block, pos: int) -> tuple[int, str] | None:
    span = span_at(page, block, pos)
    return (span[0], flat(page.text[span[0] : span[1]])) if span else None


def first_sentence(page: Page, block: Block) -> tuple[int, str] | None:
    spans = sentences(page.text, block.start, block.end)
    return (spans[0].start, flat(page.text[spans[0].start : spans[0].end])) if spans else None


def complete(unit: tuple[int, str] | None) -> bool:
    """A sentence that ends as a sentence does (a unit cut short by a line break or page break does not)."""
    return bool(unit) and bool(re.search(r"[.!?][\"'”’)]*$", unit[1]))


def draft(page: Page, question: str, facts: Iterable[str | None], unit: tuple[int, str] | None, kind: str,
          structure: str) -> Draft | None:
    """A Draft when every part is there (facts None or empty make none)."""
    given = list(facts)
    fact_list = tuple(f for f in given if f)
    if not unit or not fact_list or len(fact_list) != len(given):
        return None
    return Draft(flat(question), fact_list, unit[1], kind, structure, page.source, unit[0], page.source)
