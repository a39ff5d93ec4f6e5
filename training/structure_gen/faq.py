"""Headings: FAQ headings answered by the sentence under them, and headings (or PDF outline entries) whose
section opens by describing their subject."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from rag.text import Span, sentences
from rag.types import Block

from .describe import describe, described_question
from .drafts import Draft, Page, complete, draft, first_sentence
from .limits import OUTLINE_SENTENCES
from .text import _PRONOUNS, flat, opens_clause, short_answer, unnumbered, untitled

_CONTENT_KINDS = frozenset({"prose", "list_item", "definition", "note"})
_ANSWER_LABEL = re.compile(r"^(?:Short answer|Answer|Yes|No)\s*[:,.]\s*", re.IGNORECASE)
_QUESTION_WORD = re.compile(r"^(how|why|what|when|where|which|who|can|is|are|do|does|should|will|was)\b",
                            re.IGNORECASE)


def section_content(page: Page, index: int, limit: int = 2) -> Iterator[Block]:
    """The first content blocks under the heading at ``index`` (its own section only, before any subsection)."""
    heading = page.blocks[index]
    seen = 0
    for block in page.blocks[index + 1 :]:
        if block.kind == "heading" or block.path != heading.path or seen >= limit:
            return
        if block.kind in _CONTENT_KINDS:
            seen += 1
            yield block


def heading_title(page: Page, block: Block) -> str:
    return unnumbered(block.path[-1] if block.path else page.text[block.start : block.end], page.marked)


def faq_question_text(title: str, product: str) -> str:
    """A heading phrased as a question, as a user asks it: 'How to pick Debian packages' -> 'How do I pick Debian
    packages?'; '' when the heading is not one."""
    how_to = re.match(r"how\s+to\s+(.+)", title, re.IGNORECASE)
    if how_to and len(how_to.group(1).split()) >= 2:
        rest = untitled(how_to.group(1).rstrip("?"))
        suffix = f" in {product}" if product and product.lower() not in rest.lower() else ""
        return f"How do I {rest}{suffix}?"
    if title.endswith("?") and len(title.split()) >= 3 and _QUESTION_WORD.match(title):
        return title
    return ""


def faq_questions(page: Page) -> Iterator[Draft]:
    """Headings phrased as questions (or 'How to ...'), answered by the first sentence under them."""
    for index, block in enumerate(page.blocks):
        if block.kind != "heading":
            continue
        question = faq_question_text(heading_title(page, block), page.product)
        if not question:
            continue
        for content in section_content(page, index):
            unit = first_sentence(page, content)
            if not complete(unit) or len(unit[1].split()) < 5 or opens_clause(unit[1], page.language):
                continue
            label = _ANSWER_LABEL.match(unit[1])
            fact = short_answer(unit[1][label.end() if label else 0 :])
            word = question.split()[0].lower()
            kind = word if word in ("how", "why", "what", "who", "when") else "yesno"
            made = draft(page, question, [fact], unit, "date" if kind == "when" else kind, "faq")
            if made:
                yield made
                break


def outline_questions(page: Page) -> Iterator[Draft]:
    """A heading whose section opens by describing its subject: '6.3.1. The apt-cache policy Command' + 'The
    apt-cache policy command displays the pinning priorities ...' -> 'What does the apt-cache policy command do?'"""
    if page.source.endswith(".pdf"):
        return
    for index, block in enumerate(page.blocks):
        title = heading_title(page, block) if block.kind == "heading" else ""
        if not title or faq_question_text(title, page.product):
            continue
        spans = [s for content in section_content(page, index) for s in sentences(page.text, content.start,
                                                                                   content.end)]
        made = outlined(page, title, spans[:OUTLINE_SENTENCES])
        if made:
            yield made


def outlined(page: Page, title: str, spans: list[Span]) -> Draft | None:
    """The question of the first of ``spans`` that describes ``title``, if one does."""
    for span in spans:
        unit = (span.start, flat(page.text[span.start : span.end]))
        described = describe(title, unit[1]) if complete(unit) else None
        if described and described.fact and described.fact.split()[0].lower() not in _PRONOUNS | {"what", "how"}:
            context = page.product if re.search(r"[-_()./]|^[a-z]+$", described.said.split()[-1]) or (
                described.form != "is") else ""
            return draft(page, described_question(described, context), [described.fact], unit, "what", "outline")
    return None


def pdf_outline_questions(page: Page) -> Iterator[Draft]:
    """An outline entry (bookmark) of a PDF, found as a line of its page, and the sentences after it."""
    starts = page.pages
    ends = [*starts[1:], len(page.text)]
    for number, path in page.outline:
        if number >= len(starts):
            continue
        title = flat(path[-1])
        line = re.compile(r"^(?:(?:[A-Z]|\d+)(?:\.\d+)*\.?\s+|Appendix [A-Z]\s+)?" + re.escape(title) + r"\s*$",
                          re.MULTILINE)
        found = line.search(page.text, starts[number], ends[number])
        spans = [s for s in sentences(page.text, found.end(), ends[number]) if s.start >= found.end()] if found else []
        made = outlined(page, title, spans[:OUTLINE_SENTENCES])
        if made:
            yield replace(made, group=f"{page.source}#{' > '.join(path[:2])}")
