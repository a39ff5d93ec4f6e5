"""What a question asks, worked out once: its kind, key terms, names, exact values, counted thing, follow-up.

Every later step (evidence, refusal, checking, composing, conflicts) reads this one ``Question`` instead of
parsing the text again. The rules are about English question words (who/when/how many), not about the words
of any one corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.retrieval.followup import contextual_query, is_follow_up, understood
from rag.text import fold, identifiers, numbers, question_names, strip_markup, terms, words
from rag.types import Turn

_NUMBER_Q = re.compile(r"\b(?:how (?:much|many|old|long|far|big|large|often|tall|high)|by how much|"
                       r"(?:what|which) (?:share|percentage|proportion|amount|number|fraction|size|value|length)\b)",
                       re.IGNORECASE)
# "When" asks for a date in the past or future tense ('When did Lavrov arrive?', 'When will Lavrov visit China?');
# otherwise, in manuals, it mostly asks for a condition ('When does a SetEnvIf regex have to be wrapped in quotes?').
# Of the 347 training questions opening with "When", their writers called 28 a date, 23 of them "When was/did/were
# ..."; read as a date, a strict kind, 166 of the 349 answerable ones were refused (scripts/kinds.py, docs/quality.md).
_DATE_Q = re.compile(r"^\s*(?:and\s+)?(?:when\s+(?:was|were|did|had|will)\b|(?:in |on |until |since |by )?"
                     r"(?:what|which) (?:year|date|day|month|time)\b)"
                     r"|\b(?:what|which) (?:year|date|day of the week|month)\b", re.IGNORECASE)
_VERSION_Q = re.compile(r"\b(?:which|what) (?:\w+ )?(?:version|release)\b|\bsince when\b", re.IGNORECASE)
_NAME_Q = re.compile(r"^\s*(?:and\s+)?(?:who|whom|whose)\b|\b(?:who|whom) (?:is|was|are|were|did|does)\b",
                     re.IGNORECASE)
# 'Which Canadian minister said...?': a which-question asks for something by a noun, often a person by their title.
_WHICH_Q = re.compile(r"^\s*(?:and\s+)?(?:which|какой|какая|какое|кто)\b", re.IGNORECASE)
STRICT_KINDS = frozenset({"number", "date", "version"})  # questions only a sentence holding such a value answers
_COUNTED = re.compile(r"\bhow many ((?:[\w'-]+\s+){0,3}?[\w'-]+?)(?=\s+(?:are|were|is|was|do|does|did|have|has|had|"
                      r"will|would|can|could|in|on|at|of|for|to|from|with|during|by)\b|\s*\?|$)", re.IGNORECASE)
_LIST_Q = re.compile(r"^\s*(?:and\s+)?(?:who|what|which) (?:are|were)\b|\b(?:list|name) (?:all|the|every)\b",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """A question, analysed."""

    text: str  # what is analysed and put to the model: as asked, a follow-up's pronoun resolved by the last answer
    query: str  # what retrieval searches for: the text, after the previous question for a follow-up
    follow_up: bool
    kind: str | None  # 'number', 'date', 'name', 'version' or None (what/which/why/how questions)
    terms: tuple[str, ...]  # stemmed content terms of the query, in order, distinct
    names: frozenset[str]  # folded names the question gives ('lavrov', 'hanoi')
    exact: frozenset[str]  # numbers, ISO dates and versions the question gives: matched exactly, never fuzzily
    identifiers: frozenset[str]  # code names the question gives ('functools.lru_cache')
    counted: tuple[str, ...]  # what a 'how many' question counts ('son')
    wants_list: bool  # 'Who are the friends of X?': every item, not one
    name_phrases: tuple[tuple[str, ...], ...] = ()  # names as runs of terms ('abel peele' -> ('abel', 'peel'))
    opening_name: str = ""  # a name taken from the question's first word ('List' in 'List Abel's friends')
    surface: tuple[tuple[str, str], ...] = ()  # (term, the word it was stemmed from): 'children' for 'children'
    own_terms: frozenset[str] = frozenset()  # terms of the question's own text (not of a previous question)
    name_terms: frozenset[str] = frozenset()  # terms of its names
    # The terms that say what is asked about the names ('mother', 'occupation', 'default', 'maxsize'); a
    # follow-up asks its own relation, not the previous question's.
    relation_terms: tuple[str, ...] = ()
    asked_specifics: frozenset[str] = frozenset()  # what it says, folded: an answer repeating it gives nothing new
    asked: str = ""  # as the user asked it (whitespace collapsed): what an answer is shown under
    asks_name: bool = False  # a who- or which-question: answered by a name the question lacks, next to its words
    head: str = ""  # a which-question's noun, stemmed ('minist' in 'Which Canadian minister said ...?')


def _name_phrases(text: str) -> tuple[tuple[str, ...], ...]:
    """Runs of capitalised words (after the first word) as runs of terms: 'Who is Abel Peele's mother?' ->
    (('abel', 'peel'),)."""
    runs: list[list[str]] = []
    previous_capitalised = False
    for i, token in enumerate(words(strip_markup(text))):
        capitalised = token[:1].isupper() and bool(terms(token))
        if capitalised and i > 0:
            if previous_capitalised and runs:
                runs[-1].extend(terms(token))
            else:
                runs.append(list(terms(token)))
        # A possessive ends a name: "Lavrov's July trip" names Lavrov, not 'Lavrov July'.
        previous_capitalised = capitalised and i > 0 and not token.endswith(("'s", "’s"))
    return tuple(tuple(r) for r in runs if r)


def analyse(asked: str, history: Sequence[Turn | str] = (), resolve: bool = True) -> Question:
    """Analyse ``asked``; ``history`` holds the conversation's earlier turns, oldest first (a bare string is a
    question whose answer is not known). A follow-up is analysed as the last answer makes it ('Who is its foreign
    minister?' after 'Mongolia' as "Who is Mongolia's foreign minister?"), unless ``resolve`` is False: then as
    it was asked, retrieved after the previous question."""
    text = understood(asked, history) if resolve else asked
    query = contextual_query(asked, history, resolve, resolved=text)
    kind = None
    if _VERSION_Q.search(text):
        kind = "version"
    elif _NUMBER_Q.search(text):
        kind = "number"
    elif _DATE_Q.search(text):
        kind = "date"
    elif _NAME_Q.search(text):
        kind = "name"
    counted = _COUNTED.search(text)
    names = frozenset(question_names(text))
    query_terms = tuple(dict.fromkeys(terms(query)))
    own = frozenset(terms(text))
    name_terms = frozenset(t for n in names for t in terms(n))
    exact = frozenset(numbers(text))
    return Question(
        text=text,
        query=query,
        follow_up=bool(history) and is_follow_up(asked),
        kind=kind,
        terms=query_terms,
        names=names,
        exact=exact,
        identifiers=frozenset(identifiers(text)),
        counted=tuple(terms(counted.group(1))) if counted else (),
        wants_list=bool(_LIST_Q.search(text)) or bool(counted),
        name_phrases=_name_phrases(text),
        surface=tuple((t, w) for w in dict.fromkeys(words(fold(query))) for t in terms(w)),
        opening_name=next((fold(w) for w in words(text)[:1] if fold(w) in names), ""),
        own_terms=own,
        name_terms=name_terms,
        relation_terms=tuple(t for t in query_terms if t not in name_terms and t in own),
        asked_specifics=names | {fold(w) for w in text.split()} | exact,
        asked=asked,
        asks_name=kind == "name" or (kind is None and bool(_WHICH_Q.search(text))),
        head=_head(text) if kind is None else "",
    )


def _head(text: str) -> str:
    """A which-question's noun: its first word in lower case after 'which' that is no stopword, stemmed."""
    match = _WHICH_Q.search(text)
    if not match:
        return ""
    for word in words(text[match.end() :]):
        if not word[:1].isupper() and (found := terms(word)):
            return found[0]
    return ""
