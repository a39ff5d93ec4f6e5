"""Decide, before generating, whether the documents can answer a question at all."""

from __future__ import annotations

from rag.evidence import ScoredSentence
from rag.lexical import contains_term, names, terms
from rag.records import Passage


def missing_names(query: str, passages: list[Passage]) -> list[str]:
    """Names in the question (people, places, things) that occur in none of the retrieved passages."""
    have = set()
    for p in passages:
        have.update(terms(p.text))
    missing = []
    for name in sorted(names(query)):
        name_terms = terms(name)
        if name_terms and not any(contains_term(have, t) for t in name_terms):
            missing.append(name)
    return missing


def refusal_reason(query: str, passages: list[Passage], evidence: list[ScoredSentence], min_score: float) -> str:
    """Why the question should be refused; empty when the evidence is good enough to answer."""
    if not evidence:
        return "no passage was retrieved"
    absent = missing_names(query, passages)
    if absent:
        return f"{', '.join(absent)} occur(s) in no retrieved passage"
    best = evidence[0].score
    if best < min_score:
        return f"best evidence score {best:.2f} is below {min_score:.2f}"
    return ""
