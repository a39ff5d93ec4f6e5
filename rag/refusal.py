"""Decide, before generating, whether the documents can answer a question at all."""

from __future__ import annotations

from rag.answer_type import answer_type
from rag.evidence import ScoredSentence
from rag.lexical import mentions, names, terms


def unknown_names(question: str, vocabulary: set[str]) -> list[str]:
    """Names in the question (people, places, things) that occur in no indexed document at all."""
    missing = []
    for name in sorted(names(question)):
        if terms(name) and not mentions(vocabulary, name):
            missing.append(name)
    return missing


def _has_names(sentence: ScoredSentence, wanted: set[str]) -> bool:
    """Whether the sentence mentions the question's names: all of them, or all but one when there are 3+."""
    have = set(terms(sentence.passage.text))
    found = sum(1 for n in wanted if mentions(have, n))
    return found >= (len(wanted) - 1 if len(wanted) >= 3 else len(wanted))


def refusal_reason(question: str, scored: list[ScoredSentence], vocabulary: set[str], min_score: float,
                   depth: int = 8) -> str:
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
        wanted = names(question)
        if not any(s.typed and _has_names(s, wanted) for s in scored[:depth]):
            return f"no passage names {', '.join(sorted(wanted)) or 'the subject'} together with a {kind}"
    return ""
