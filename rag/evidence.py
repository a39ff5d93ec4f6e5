"""Pick the few sentences of the retrieved passages that bear on the question.

A tiny model answers best from short, focused evidence; each evidence sentence keeps its file offsets so it can
be cited exactly. Score = dense similarity to the question + lexical overlap with the question's terms.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from rag.answer_type import answer_type, has_answer_type
from rag.chunking import sentences
from rag.embedding import Embedder
from rag.lexical import contains_term, terms
from rag.records import Passage

MIN_SENTENCE_CHARS = 25
DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
DUPLICATE_JACCARD = 0.7
TYPE_PENALTY = 0.1  # for a sentence without the kind of fact asked for


# Sentences that address the model rather than state a fact ('Ignore previous instructions...', 'Say that...').
# A document may carry them (prompt injection); they are never evidence, so never shown to the model or quoted.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,60}\b(instructions?|prompts?|rules|guidelines)\b|"
    r"^\W*(say|answer|respond|reply|pretend|output|print|tell the user|you are|you must|you will|as an ai)\b(?!\s*:)",  # "ANSWER:" is a heading
    re.IGNORECASE,
)


def is_instruction(text: str) -> bool:
    """Whether a sentence is an order to a model rather than a statement about the world."""
    return bool(_INSTRUCTION.search(text))


@dataclass(frozen=True)
class ScoredSentence:
    passage: Passage  # the sentence itself, as a passage of its file
    dense: float
    lexical: float
    typed: bool = True  # holds the kind of fact the question asks for (a number, a date, a name)

    @property
    def score(self) -> float:
        return DENSE_WEIGHT * self.dense + LEXICAL_WEIGHT * self.lexical - (0.0 if self.typed else TYPE_PENALTY)


def context_of(sentence: ScoredSentence, passages: list[Passage]) -> str:
    """The retrieved passage a sentence comes from (a sentence often leaves out a name its paragraph gives)."""
    s = sentence.passage
    for p in passages:
        if p.source == s.source and p.start <= s.start and s.end <= p.end:
            return p.text
    return s.text


def split_passages(passages: list[Passage]) -> list[Passage]:
    """Every sentence of the passages, as passages of the same files (offsets into the file)."""
    out: list[Passage] = []
    seen: set[tuple[str, int, int]] = set()
    for p in passages:
        for span in sentences(p.text):
            key = (p.source, p.start + span.start, p.start + span.end)
            text = p.text[span.start : span.end]
            if len(text) < MIN_SENTENCE_CHARS or key in seen or is_instruction(text):
                continue
            seen.add(key)
            out.append(Passage(source=p.source, start=key[1], end=key[2], text=text, score=p.score, page=p.page))
    return out


def lexical_overlap(question_terms: list[str], text: str, weights: dict[str, float] | None = None) -> float:
    """Weighted share of the question's distinct terms that occur in ``text`` (weights default to 1)."""
    wanted = set(question_terms)
    if not wanted:
        return 0.0
    have = set(terms(text))
    weight = (lambda t: weights.get(t, 1.0)) if weights else (lambda t: 1.0)
    total = sum(weight(t) for t in wanted)
    return sum(weight(t) for t in wanted if contains_term(have, t)) / total if total else 0.0


def term_weights(question_terms: list[str], candidates: list[Passage]) -> dict[str, float]:
    """Inverse document frequency of each question term among the candidates: a term every candidate has
    ('Lavrov') tells less than one only a few have ('Mongolia')."""
    candidate_terms = [set(terms(c.text)) for c in candidates]
    n = len(candidate_terms)
    weights = {}
    for t in set(question_terms):
        df = sum(1 for have in candidate_terms if contains_term(have, t))
        weights[t] = math.log((n + 1) / (df + 0.5))
    return weights


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def drop_near_duplicates(ranked: list[ScoredSentence]) -> list[ScoredSentence]:
    """Keep the best-scored of sentences that repeat each other (wire copy quoted by two reports)."""
    kept: list[ScoredSentence] = []
    kept_terms: list[set[str]] = []
    for item in ranked:
        t = set(terms(item.passage.text))
        if any(_jaccard(t, other) >= DUPLICATE_JACCARD for other in kept_terms):
            continue
        kept.append(item)
        kept_terms.append(t)
    return kept


def score_sentences(query: str, candidates: list[Passage], embedder: Embedder,
                    question: str | None = None) -> list[ScoredSentence]:
    """Score candidate sentences against the query, best first, near-duplicates removed.

    ``question`` (default: the query) decides the kind of fact wanted; for a follow-up the query also holds
    the previous question, whose kind does not count.
    """
    question = question or query
    kind = answer_type(question)
    if not candidates:
        return []
    vectors = embedder.embed([query] + [c.text for c in candidates])
    dense = vectors[1:] @ vectors[0]
    q_terms = terms(query)
    weights = term_weights(q_terms, candidates)
    scored = [
        ScoredSentence(passage=c, dense=float(d), lexical=lexical_overlap(q_terms, c.text, weights),
                       typed=has_answer_type(kind, c.text, question))
        for c, d in zip(candidates, np.atleast_1d(dense), strict=True)
    ]
    scored.sort(key=lambda s: s.score, reverse=True)
    return drop_near_duplicates(scored)


