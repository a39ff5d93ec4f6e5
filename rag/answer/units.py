"""Evidence units: the pieces of the retrieved passages that can answer, cut along the documents' structure.

A unit is a sentence of prose (a paragraph, list item, definition or note), a table row (read with its header
row), a version note ('.. versionadded:: 3.8') or an API signature read with its entry's name, or a code block.
Headings are not units: they are the heading path every unit of their section is read with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.answer.params import DEFAULTS, AnswerParams
from rag.ingest.structure import plain_blocks, signature_name
from rag.text import sentences
from rag.types import Block, Passage

WHOLE_KINDS = frozenset({"table_row", "directive", "signature", "term"})  # one unit per block
SENTENCE_KINDS = frozenset({"prose", "note", "definition", "list_item"})  # one unit per sentence
SKIPPED_KINDS = frozenset({"heading", "meta"})


@dataclass(frozen=True)
class Unit:
    """One candidate piece of evidence."""

    passage: Passage  # the unit as a passage of its file (``text`` is exactly the file's characters)
    kind: str  # the kind of block it comes from
    context: str  # what it is read with: its heading path, its entry's signature or table header, its passage
    rank: int  # rank of the retrieved passage it comes from (0 = the best); a sibling takes its hit's rank
    heading: str = ""  # for a unit that says little alone (a version note, a table row, a signature): the words
    # it is read with as its own, its heading path's last part and its table's header
    label: str = ""  # what it is shown with: a version note's entry name, a table row's header, the name of the
    # API entry a sentence describes, a definition's term
    before: str = ""  # the sentence just before it in its section, when it is prose ('... she would not shake his
    # hand.' before 'Canada's Foreign Affairs Minister Mélanie Joly told Canadian media ...')


def passage_blocks(p: Passage) -> tuple[Block, ...]:
    """The passage's blocks, offsets in the file; a passage stored without structure is paragraphs of prose."""
    if p.blocks:
        return tuple(b for b in p.blocks if p.start <= b.start and b.end <= p.end)
    return tuple(b.shifted(p.start) for b in plain_blocks(p.text))


def _spans(block: Block, text: str, refuse: Callable[[str], bool], params: AnswerParams) -> list[tuple[int, int]]:
    """Offsets (relative to the block) of the units a block gives; a window never takes in a sentence
    ``refuse`` rejects (an order addressed to a model)."""
    if block.kind in WHOLE_KINDS:
        return [(0, len(text))]
    if block.kind == "code":
        if len(text) <= params.max_code_chars:
            return [(0, len(text))]
        out, pos = [], 0
        for line in text.split("\n"):
            if line.strip():
                out.append((pos, pos + len(line)))
            pos += len(line) + 1
        return out
    spans = [(s.start, s.end) for s in sentences(text)]
    if params.sentence_window < 2:
        return spans
    # A sentence with the next one of its block, while short enough to quote: the answer is often the sentence
    # after the one that names the topic ('If parents is true, ... If parents is false, ... raises ...').
    out = []
    for i, (a, b) in enumerate(spans):
        last = min(i + params.sentence_window - 1, len(spans) - 1)
        while last > i and (spans[last][1] - a > params.max_window_chars or any(
                refuse(text[x:y]) for x, y in spans[i + 1 : last + 1])):
            last -= 1
        out.append((a, spans[last][1]))
    return out


def passage_units(p: Passage, rank: int, head: str = "",
                  refuse: Callable[[str], bool] = lambda _: False, params: AnswerParams = DEFAULTS) -> list[Unit]:
    """The units of one passage, in order, without those ``refuse`` rejects (orders addressed to a model); a prose
    window never takes in such a sentence either."""
    out: list[Unit] = []
    signature = ""
    previous: tuple[tuple[str, ...], str] | None = None  # (path, last sentence) of the prose just before
    entries: set[tuple[str, ...]] = set()  # the paths the API entries opened in this passage hold their text under
    term: tuple[tuple[str, ...], str] | None = None  # (path, text) of a definition list's term just before
    for block in passage_blocks(p):
        if block.kind in SKIPPED_KINDS:
            previous = term = None
            continue
        text = p.text[block.start - p.start : block.end - p.start]
        if block.kind == "signature":
            signature = text
            if name := signature_name(text):
                entries.add((*block.path, name))
        context_parts = [" > ".join(block.path), block.header, signature if block.kind != "signature" else "",
                         head, p.text]
        context = "\n".join(part for part in context_parts if part)
        heading = " ".join([*block.path[-1:], block.header]) if block.kind in WHOLE_KINDS else ""
        label = _label(block, entries, term, params)
        prose = block.kind in SENTENCE_KINDS
        if block.kind != "definition":  # a definition's paragraphs all stand under its term
            term = (block.path, _term_text(text)) if block.kind == "term" else None
        before = previous[1] if prose and previous and previous[0] == block.path else ""
        for a, b in _spans(block, text, refuse, params):
            piece = text[a:b]
            # trim surrounding whitespace, keeping offsets exact
            lead = len(piece) - len(piece.lstrip())
            piece = piece.strip()
            if len(piece) < params.min_unit_chars or refuse(piece):
                continue
            start = block.start + a + lead
            unit = Passage(source=p.source, start=start, end=start + len(piece), text=piece, score=p.score,
                           page=p.page, path=block.path)
            out.append(Unit(unit, block.kind, context, rank, heading, label, before if prose else ""))
            if prose:
                first = sentences(piece)
                before = piece[first[0].start : first[0].end] if first else piece
        previous = (block.path, _last_sentence(text)) if prose else None
    return out


def _label(block: Block, entries: set[tuple[str, ...]], term: tuple[tuple[str, ...], str] | None,
           params: AnswerParams) -> str:
    """What a unit of ``block`` is shown with, when it says little alone: a version note its entry's name, a table
    row its header, a definition the term just before it (when short enough to lead it), and a sentence its API
    entry's name ('JSONDecodeError' for 'Subclass of ValueError ...'): what it says only by standing under it."""
    if block.kind == "directive":
        return block.path[-1] if block.path else ""
    if block.kind == "table_row":
        return block.header
    if block.kind == "definition" and term is not None and term[0] == block.path:
        return term[1] if len(term[1]) <= params.max_label_chars else ""
    return block.path[-1] if block.kind in SENTENCE_KINDS and block.path in entries else ""


# What a documentation page may still add to an entry's term: a link to its source and the anchor sign ('class
# DecimalField(...) [source]¶'). rag.ingest.formats drops those it knows by their class (Sphinx's, MkDocs'); a term
# leading a definition goes without any left.
_TERM_LINKS = re.compile(r"\s*(?:\[source\])?\s*¶?\s*$")


def _term_text(text: str) -> str:
    return _TERM_LINKS.sub("", " ".join(text.split()))


def _last_sentence(text: str) -> str:
    spans = sentences(text)
    return text[spans[-1].start : spans[-1].end].strip() if spans else text.strip()
