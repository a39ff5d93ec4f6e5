"""Where in a unit its answer stands: the span of a number, date, version or name, as a reader sees it.

The short answer of an answer is such a span ('$5.54 billion'), and the quote it rests on shows it highlighted.
Spans are read off the text with the same patterns that decide what kind of fact a unit holds
(rag.answer.facts), so a span is always something the unit says, character for character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.evidence import specifics
from rag.answer.facts import DATE_SPAN, VERSION, facts_of
from rag.answer.question import Question
from rag.text import fold

# An amount with what says what it counts: currency before, a scale or unit word after ('U.S. $5.54 billion',
# '14 percent', '3,097 chunks' keeps only '3,097'); a number inside a name is none ('COVID-19').
_AMOUNT = re.compile(r"(?:\bU\.S\.\s*)?[$€£¥₽]?\s?(?<![\w.-])\d+(?:[.,]\d+)*(?:\s?(?:%|percent\b|per cent\b|"
                     r"(?:thousand|million|billion|trillion)\b))?")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1] in " .,;:":
        end -= 1
    return Span(start, end, text[start:end])


def value_spans(question: Question, text: str) -> list[Span]:
    """The spans of ``text`` that give what the question asks for and does not already say, in order."""
    asked = question.asked_specifics
    out: list[Span] = []
    if question.kind == "number":
        in_text = facts_of(text).amounts
        for m in _AMOUNT.finditer(text):
            value = facts_of(m.group()).numbers
            if value and value & in_text and not value <= asked:
                out.append(_strip(text, m.start(), m.end()))
    elif question.kind == "date":
        for m in DATE_SPAN.finditer(text):
            if facts_of(m.group()).dates - asked:
                out.append(_strip(text, m.start(), m.end()))
    elif question.kind == "version":
        out = [Span(m.start(), m.end(), m.group()) for m in VERSION.finditer(text) if m.group() not in asked]
    return out


def name_spans(text: str, wanted: set[str]) -> list[Span]:
    """Runs of words of ``text`` that are names in ``wanted`` (folded, as rag.text.names gives them): 'Mélanie
    Joly' in 'Canada's Foreign Affairs Minister Mélanie Joly told...' for wanted {'melanie', 'joly'}."""
    found = facts_of(text).names & wanted
    out: list[Span] = []
    start = end = -1
    for m in re.finditer(r"[^\W_]+(?:['’][^\W_]+)?", text):
        word = re.sub(r"['’]s$", "", fold(m.group()))
        if word in found:
            if start < 0:
                start = m.start()
            end = m.end()
            continue
        if start >= 0:
            out.append(Span(start, end, text[start:end]))
            start = -1
    if start >= 0:
        out.append(Span(start, end, text[start:end]))
    return out


def answer_span(question: Question, claim: str, text: str) -> Span | None:
    """The span of ``text`` (a unit as shown) that ``claim`` answers with: the value of the kind asked for that
    shares most with the claim, else the names the claim gives that the question does not; None when the claim
    gives neither."""
    given = specifics(question, claim) | facts_of(claim).numbers
    shared = [(len((specifics(question, s.text) | facts_of(s.text).numbers) & given), s)
              for s in value_spans(question, text)]
    best = max((n for n, _ in shared), default=0)
    if best:  # the span sharing most with the claim ('April 8-9' over '2024-04-07' for 'On April 8-9, 2024')
        return next(s for n, s in shared if n == best)
    wanted = facts_of(claim).names - question.asked_specifics
    runs = name_spans(text, wanted) if wanted else []
    return max(runs, key=lambda s: s.end - s.start) if runs else None
