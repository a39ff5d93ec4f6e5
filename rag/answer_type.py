"""What kind of answer a question asks for (a number, a date, a name), and whether a text has one.

Cheap and rule-based: it steers evidence selection, lets a refusal happen when no passage holds the kind of
fact asked for, and rejects model sentences that are supported but do not answer.
"""

from __future__ import annotations

import re

from rag.lexical import fold, names, numbers

_NUMBER_Q = re.compile(r"^\s*(and\s+)?(how (much|many|old|long|far|big|large)|by how much|what (share|percentage|"
                       r"proportion|amount|number))\b", re.IGNORECASE)
_DATE_Q = re.compile(r"^\s*(and\s+)?(when|(in |on |until |since )?(what|which) (year|date|day|month|time))\b|"
                     r"\b(what|which) (year|date|day of the week|month)\b", re.IGNORECASE)
_NUMBER_WORDS_Q = re.compile(r"\b(population|exchange rate|worth|cost|price|capital|percent|share of)\b", re.IGNORECASE)
_NAME_Q = re.compile(r"^\s*(and\s+)?(who|whom|whose|which|where|(in|at|near|from|to) which|what is the name)\b|"
                     r"\bname of\b", re.IGNORECASE)

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DATE = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b(" + "|".join(_MONTHS) + r")\b", re.IGNORECASE)
_DATE_EXPR = re.compile(r"\b(\d{1,2}\s+)?(" + "|".join(_MONTHS[:12]) + r")(\s+\d{1,2}(-\d{1,2})?)?(,?\s+\d{4})?\b|"
                        r"\b(1[89]\d\d|20\d\d)\b", re.IGNORECASE)
_NUMBERISH = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|"
                        r"billion|percent|half|twice)\b", re.IGNORECASE)


def amounts(text: str) -> set[str]:
    """The numbers of a text that are not part of a date ('$5.54 billion in 2021' -> {'5.54'})."""
    return numbers(_DATE_EXPR.sub(" ", text))


def specifics(kind: str | None, text: str) -> set[str]:
    """What a text gives for a number, date or name question: amounts; years, months and weekdays; names."""
    if kind == "number":
        return amounts(text)
    if kind == "date":
        return {fold(m.group()) for m in _DATE.finditer(text)}
    if kind == "name":
        return names(text)
    return set()


def less_specific(kind: str | None, answer: str, evidence: str, question: str) -> bool:
    """Whether ``answer`` drops part of what its evidence gives: 'in 2022' for 'in February 2022', or 'the State
    Department' from a sentence that also names Antony Blinken."""
    asked = specifics(kind, question) | ({fold(w) for w in question.split()} if kind == "name" else set())
    wanted = specifics(kind, evidence) - asked
    return bool(wanted - specifics(kind, answer))


def answer_type(question: str) -> str | None:
    """'number', 'date', 'name' or None (anything else: how/why questions, yes/no)."""
    if _NUMBER_Q.search(question) or _NUMBER_WORDS_Q.search(question):
        return "number"
    if _DATE_Q.search(question):
        return "date"
    if _NAME_Q.search(question):
        return "name"
    return None


def has_answer_type(kind: str | None, text: str, question: str) -> bool:
    """Whether ``text`` holds something of the kind asked for that the question does not already say."""
    if kind is None:
        return True
    if kind == "number":
        # Dates are not amounts: '5 July 2022' does not answer 'how much'.
        return bool(_NUMBERISH.search(_DATE_EXPR.sub(" ", text)))
    if kind == "date":
        return bool(_DATE.search(text))
    asked = names(question) | {fold(w) for w in question.split()}
    return bool(names(text) - asked)
