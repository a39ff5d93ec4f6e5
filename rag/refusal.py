"""Decide, before generating, whether the documents can answer a question at all."""

from __future__ import annotations

import re

from rag.answer_type import answer_type
from rag.evidence import ScoredSentence, context_of
from rag.lexical import contains_term, mentions, question_names, terms
from rag.records import Passage


def unknown_names(question: str, vocabulary: set[str]) -> list[str]:
    """Names in the question (people, places, things) that occur in no indexed document at all."""
    missing = []
    for name in sorted(question_names(question)):
        if terms(name) and not mentions(vocabulary, name):
            missing.append(name)
    return missing


def _has_names(sentence: ScoredSentence, wanted: set[str], passages: list[Passage]) -> bool:
    """Whether the sentence, read in its passage, mentions the question's names: all of them, or all but one
    when there are 3+."""
    have = set(terms(context_of(sentence, passages)))
    found = sum(1 for n in wanted if mentions(have, n))
    return found >= (len(wanted) - 1 if len(wanted) >= 3 else len(wanted))


_COUNTED = re.compile(r"\bhow many ((?:\w[\w'-]*\s+){0,3}?\w[\w'-]*?)(?=\s+(?:are|were|is|was|do|does|did|have|has|had|"
                      r"will|would|can|could|in|on|at|of|for|to|from|with|during|by)\b|\s*\?|$)", re.IGNORECASE)


def counted_terms(question: str) -> list[str]:
    """What a 'how many' question counts ('How many Vietnamese students are...' -> vietnamese, student)."""
    match = _COUNTED.search(question)
    return terms(match.group(1)) if match else []


_ROLE = re.compile(r"^\s*(?:and\s+)?who (?:is|was|are|were) (?:the|a|an) ((?:[\w'-]+\s+){0,3}?[\w'-]+?)"
                   r"(?=\s+(?:of|to|in|at|for|from|who|that|which|during|on)\b|\s*\?|$)", re.IGNORECASE)


def role_terms(question: str) -> list[str]:
    """The role a 'who is the ...' question asks about ('Who is the Russian ambassador to Vietnam?' ->
    russian, ambassador)."""
    match = _ROLE.search(question)
    return terms(match.group(1)) if match else []


def refusal_reason(question: str, scored: list[ScoredSentence], vocabulary: set[str], min_score: float,
                   passages: list[Passage] = (), depth: int = 8) -> str:
    """Why the question should be refused; empty when the evidence is good enough to answer.

    ``scored`` are the candidate evidence sentences, best first; ``vocabulary`` the terms of every indexed chunk.
    """
    if not scored:
        return "no passage was retrieved"
    absent = unknown_names(question, vocabulary)
    if absent:
        return f"{', '.join(absent)} occur(s) in no document"
    best = scored[0].score
    if best < min_score:
        return f"best evidence score {best:.2f} is below {min_score:.2f}"
    kind = answer_type(question)
    if kind is not None:
        wanted = question_names(question)
        if not any(s.typed and _has_names(s, wanted, list(passages)) for s in scored[:depth]):
            return f"no passage names {', '.join(sorted(wanted)) or 'the subject'} together with a {kind}"
        counted = counted_terms(question)
        if counted and not any(s.typed and all(contains_term(set(terms(s.passage.text)), t) for t in counted)
                               for s in scored[:depth]):
            return f"no passage gives a number of {' '.join(counted)}"
        role = role_terms(question)
        if role and not any(s.typed and all(contains_term(set(terms(context_of(s, list(passages)))), t) for t in role)
                            for s in scored[:depth]):
            return f"no passage names a {' '.join(role)}"
    return ""
