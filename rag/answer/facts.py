"""What any text states, analysed once: its terms, numbers, amounts, dates, versions and names.

A candidate unit, its context, the question and the model's sentences are all read through :func:`facts_of`, so
every later step compares sets instead of tokenising the same text again.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rag.text import MONTHS, WEEKDAYS, fold, names, numbers, terms

VERSION = re.compile(r"\b\d+\.\d+(?:\.\d+)*\b")
_MONTH = "|".join(MONTHS)
# A date as written, in one pattern of parts. What a text says of dates (``dates``) reads single words too (a
# weekday, a month, a year); what is taken out before counting amounts is a whole date expression (a year only
# after a word that makes it one: 'in 2021', not '2021 chunks'; and of four digits: 'in 151 projects' is a count,
# which made 3 more of 402 training and tuning number questions' first value right, scripts/span_units.py).
_ISO = r"\b\d{3,4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
# Month names that are also everyday words: written in lower case and not followed by a day or a year, they are
# the words ('Loop statements may have an else clause'), not the months.
_NOT_A_MONTH = r"(?!(?-i:may|march|august)\b(?!\s+\d))"
_DATE = re.compile(_ISO + r"|\b" + _NOT_A_MONTH + r"(" + "|".join(MONTHS + WEEKDAYS) + r")\b|"
                   r"(?<![\d.,])\b\d{3,4}\b(?![.,]\d)(?!\s*(%|percent|per cent))", re.IGNORECASE)
_DATE_EXPR = re.compile(_ISO + r"|\b(\d{1,2}\s+)?" + _NOT_A_MONTH + r"(" + _MONTH + r")"
                        r"(\s+\d{1,2}(-\d{1,2})?)?(,?\s+\d{3,4})?\b|"
                        r"\b(in|since|until|by|from|of|year|born|died)\s+\d{4}\b", re.IGNORECASE)
# The span a date answer shows: a day range before a month is one date ('8-9 April 2024').
DATE_SPAN = re.compile(_ISO + r"|\b(?:\d{1,2}(?:[-–]\d{1,2})?\s+)?" + _NOT_A_MONTH + r"(?:" + _MONTH + r")"
                       r"(?:\s+\d{1,2}(?:-\d{1,2})?)?(?:,?\s+\d{3,4})?\b|"
                       r"(?<![\d.,])\b\d{4}\b(?![.,]\d)", re.IGNORECASE)
_NUMBER_WORDS = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|"
                           r"thousand|million|billion|trillion|half|twice|none|no)\b", re.IGNORECASE)


def amounts(text: str) -> set[str]:
    """The numbers of a text that are not part of a date ('$5.54 billion in 2021' -> {'5.54'})."""
    return numbers(_DATE_EXPR.sub(" ", text))


def dates(text: str) -> set[str]:
    """Date-like pieces: ISO dates, d/m/y, month and weekday names, 3-4 digit years of any century."""
    return {fold(m.group()) for m in _DATE.finditer(text)}


@dataclass(frozen=True)
class TextFacts:
    """What one text states. ``terms`` keeps their order (word positions matter to relations)."""

    terms: tuple[str, ...]
    term_set: frozenset[str]
    numbers: frozenset[str]
    amounts: frozenset[str]
    dates: frozenset[str]
    versions: frozenset[str]
    names: frozenset[str]
    number_words: frozenset[str]

    @property
    def said(self) -> frozenset[str]:
        """What a sentence states, for comparing sentences: its content terms and its numbers."""
        return self.term_set | self.numbers


@functools.lru_cache(maxsize=8192)
def facts_of(text: str) -> TextFacts:
    """The facts of ``text``, computed once per distinct text (answering reads the same units many times)."""
    seq = tuple(terms(text))
    return TextFacts(
        terms=seq,
        term_set=frozenset(seq),
        numbers=frozenset(numbers(text)),
        amounts=frozenset(amounts(text)),
        dates=frozenset(dates(text)),
        versions=frozenset(VERSION.findall(text)),
        names=frozenset(names(text)),
        number_words=frozenset(fold(m.group()) for m in _NUMBER_WORDS.finditer(text)),
    )
