"""Version notes: reST's '.. versionadded::' directives and 'X was added in SQLite version 3.9.0' in prose."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.text import sentences
from rag.types import Block

from .drafts import Draft, Page, draft
from .text import _PRONOUNS, flat, lower_first, plain

_VERSION_NOTE = re.compile(r"^\.\.\s+(versionadded|versionchanged|deprecated-removed|deprecated|versionremoved)::"
                           r"\s*(\d+(?:\.\d+)+)(?:\s+(\d+(?:\.\d+)+))?\s*(.*)$", re.DOTALL)


def change_phrase(note: str) -> str:
    """The first sentence of a version note as words of a question: no markup, lower-case start, no full stop;
    empty when too long to quote."""
    text = plain(note)
    text = re.split(r"(?<=[.;])\s+(?=[A-Z])", text)[0].rstrip(" .;:")
    return lower_first(text) if 0 < len(text.split()) <= 14 else ""


def version_questions(page: Page, block: Block, subject: str, product: str = "Python") -> Iterator[Draft]:
    unit = (block.start, flat(page.text[block.start : block.end]))
    match = _VERSION_NOTE.match(unit[1])
    if not match:
        return
    directive, version, second, note = match.groups()
    where = f"In which version of {product}"
    phrase = change_phrase(note)
    gained = re.match(r"(?:added|add|new)\s+(.+)", phrase)
    param = re.match(r"(?:the\s+)?(\w+)\s+((?:keyword(?:-only)?\s+)?(?:parameter|argument|option)s?)\s+(?:was|were)\s+"
                     r"added$", phrase)
    if directive == "versionadded":
        question = f"{where} did {subject} gain {gained.group(1) if gained else phrase}?" if phrase else (
            f"{where} was {subject} added?")
    elif directive == "versionchanged":
        if param:
            question = f"{where} did {subject} gain the {param.group(1)} {param.group(2)}?"
        elif gained:
            question = f"{where} did {subject} gain {phrase if phrase.startswith('new') else gained.group(1)}?"
        elif phrase:
            question = f"Which version of {product} made this change to {subject}: {phrase}?"
        else:
            return
    elif directive == "versionremoved":
        question = f"{where} was {subject} removed?"
    else:
        question = f"Since which version of {product} is {subject} deprecated?"
        if second:
            made = draft(page, f"{where} is {subject} removed?", [second], unit, "version", "version")
            if made:
                yield made
    made = draft(page, question, [version], unit, "version", "version")
    if made:
        yield made


_ADDED_IN = re.compile(r"^(?:[\w ]{2,25}:\s+)?(?P<subj>[^,;:]{3,80}?)\s+(?:was|were)\s+(?:first\s+)?"
                       r"(?:added|introduced)(?:\s+to\s+\w+)?\s+(?:in|with)\s+(?:\w+\s+)?(?:version|release)\s+(?P<v>\d+\.\d+(?:\.\d+)*)")
_SUPPORTED_SINCE = re.compile(r"^(?:[\w ]{2,25}:\s+)?(?P<subj>[^,;:]{3,80}?)\s+(?:has|have)\s+been\s+(?:supported|"
                              r"available)(?:\s+(?:by|in)\s+\w+)?\s+since\s+(?:\w+\s+)?version\s+"
                              r"(?P<v>\d+\.\d+(?:\.\d+)*)")


def prose_version_questions(page: Page) -> Iterator[Draft]:
    """'The ability to index expressions was added to SQLite with version 3.9.0' -> 'In which version of SQLite
    was the ability to index expressions added?'"""
    if page.language != "en" or page.source.endswith((".rst", ".txt")) or not page.product:
        return
    for block in page.blocks:
        if block.kind not in ("prose", "list_item", "definition", "note"):
            continue
        for span in sentences(page.text, block.start, block.end):
            sentence = flat(page.text[span.start : span.end])
            added, since = _ADDED_IN.match(sentence), _SUPPORTED_SINCE.match(sentence)
            match = added or since
            if not match or match.group("subj").split()[0].lower() in _PRONOUNS:
                continue
            subject = lower_first(plain(match.group("subj")))
            question = (f"In which version of {page.product} was {subject} added?" if added else
                        f"Since which version of {page.product} has {subject} been supported?")
            made = draft(page, question, [match.group("v")], (span.start, sentence), "version", "version")
            if made:
                yield made
