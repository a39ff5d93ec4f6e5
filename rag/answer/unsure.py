"""What a "not sure" answer shows: the passages most likely to hold the answer, not only their best sentences.

Below the confidence's operating point no short answer is given. What is shown instead is where to read: the
retrieved passage holding the top unit, then the passage holding the best unit of another passage, each cited and
with that unit highlighted. On the training questions of unseen corpora, when the top unit lacks the fact the
passage around it or the next passage holds it about twice as often as the next unit alone does
(scripts/not_sure_passages.py, docs/quality.md). A refusal lists the nearest passages the same way.
"""

from __future__ import annotations

from dataclasses import replace

from rag.answer.candidates import Candidate
from rag.answer.compose import AnswerBuilder
from rag.answer.params import AnswerParams
from rag.answer.question import Question
from rag.answer.render import render_passage, render_quote
from rag.answer.spans import Span, asked_span, value_spans
from rag.text import find_spaced
from rag.types import Passage

NOT_SURE_TEXT = "Not sure — the documents may answer this in:"
NOT_SURE_PASSAGES = 2  # the passages a "not sure" answer shows


def holding_passage(unit: Candidate, passages: list[Passage]) -> Passage | None:
    """The retrieved passage a unit was cut from (the first holding its characters), None when none does."""
    return next((p for p in passages if p.holds(unit.passage)), None)


def not_sure_units(candidates: list[Candidate], passages: list[Passage],
                   n: int = NOT_SURE_PASSAGES) -> list[tuple[Candidate, Passage | None]]:
    """The units whose passages a "not sure" answer shows, with those passages: the top unit, then the best unit of
    each passage not yet shown, up to ``n``. A unit no passage holds stands for itself (passage None)."""
    out: list[tuple[Candidate, Passage | None]] = []
    seen: set[tuple[str, int]] = set()
    for c in candidates:
        p = holding_passage(c, passages)
        key = (p.source, p.start) if p is not None else (c.passage.source, c.passage.start)
        if key in seen:
            continue
        seen.add(key)
        out.append((c, p))
        if len(out) == n:
            break
    return out


def shown_in_passage(c: Candidate, p: Passage | None) -> Candidate:
    """The unit as its passage: cited with the passage's characters and shown as its rendering, its blocks kept
    apart (the unit's own score kept); the unit itself when no passage holds it."""
    if p is None:
        return c
    return replace(c, passage=replace(p, score=c.passage.score), shown=render_passage(p.source, p.text), label="")


def not_sure_builder(q: Question, candidates: list[Candidate], passages: list[Passage],
                     params: AnswerParams) -> AnswerBuilder:
    """The whole "not sure" answer: the notice, then each passage with its unit highlighted (or, when the unit's
    rendering is not found in its passage's, the value asked for, as a quote of the unit alone shows it)."""
    chosen = not_sure_units(candidates, passages)
    builder = AnswerBuilder([shown_in_passage(c, p) for c, p in chosen], quote=0, params=params)
    builder.add_notice(NOT_SURE_TEXT, "not_sure")
    for i, (c, p) in enumerate(chosen):
        unit = render_quote(c.passage.source, c.passage.text)
        mark: Span | None = Span(0, len(unit), unit)
        if p is None or find_spaced(builder.evidence[i].shown, unit) is None:
            mark = asked_span(q, c.shown, value_spans(q, c.shown), params.span_context_words)
        builder.add_quote(i, mark, lines=p is not None)
    return builder


def nearest_builder(candidates: list[Candidate], passages: list[Passage], params: AnswerParams) -> AnswerBuilder:
    """What a refusal lists so the reader can check it: the passages of the nearest units, chosen as "not sure"
    chooses them (``params.nearest_shown`` of them), cited and not quoted."""
    chosen = not_sure_units(candidates, passages, params.nearest_shown)
    builder = AnswerBuilder([shown_in_passage(c, p) for c, p in chosen], params=params)
    for i in range(len(chosen)):
        builder.number(i)
    return builder
