"""The signal table: one row per candidate evidence unit, for measuring what tells an answer from its neighbours
(scripts/fit_ranker.py fits a ranker on it and compares it with the hand weights; answering does not read it).

Besides dense similarity and index-wide IDF coverage (rag.answer.evidence), the signals that tell an answer
from its neighbours: how rare each question term is *among the candidates* (a word every file uses can still be
the one that tells two sentences apart), whether the question's terms and code names stand in the unit's heading
path, the kind of block it is, the coverage of its neighbours, the rank of its passage.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from rag.answer.corpus import CorpusStats
from rag.answer.question import STRICT_KINDS, Question
from rag.text import identifiers, terms

if TYPE_CHECKING:
    from rag.answer.evidence import ScoredSentence

KINDS = ("list_item", "table_row", "directive", "signature", "code", "note", "definition")  # 'prose' is the base
NAMES = ("dense", "lexical", "local", "path", "typed", "rank", "retrieval", "length", "neighbour", "question_form",
         "read_with_path", "local_with_path", "typed_strict", "new_code", "dense_read", *(f"kind_{k}" for k in KINDS))
_PASCAL = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b")


def local_coverage(wanted: list[str], unit_terms: list[set[str]]) -> list[float]:
    """Per unit, the share of the question's terms it holds, each weighted by how rare the term is among the
    candidate units (log(1 + N / df)); a term no candidate holds cannot tell them apart and weighs nothing."""
    n = len(unit_terms)
    df = Counter(t for ts in unit_terms for t in set(wanted) & ts)
    weights = {t: math.log(1 + n / df[t]) for t in set(wanted) if df[t]}
    total = sum(weights.values())
    if not total:
        return [0.0] * n
    return [sum(w for t, w in weights.items() if t in ts) / total for ts in unit_terms]


def coverage_of(question: Question, have: set[str], stats: CorpusStats) -> float:
    """IDF-weighted share of the question's terms in ``have``."""
    wanted = set(question.terms)
    if not wanted:
        return 0.0
    weights = {t: max(stats.idf(t), 0.05) for t in wanted}
    return sum(w for t, w in weights.items() if t in have) / sum(weights.values())


def new_code(question: Question, text: str) -> float:
    """Whether the unit names code the question does not (a function, a CamelCase class or exception)."""
    asked = {i.lower() for i in question.identifiers} | set(question.terms)
    found = {i.lower() for i in identifiers(text)} | {m.group().lower() for m in _PASCAL.finditer(text)}
    return 1.0 if any(f not in asked and not set(terms(f)) <= asked for f in found) else 0.0


def path_match(question: Question, path_terms: set[str], stats: CorpusStats) -> float:
    """IDF-weighted share of the question's terms (code names included) that stand in the unit's heading path."""
    wanted = set(question.terms) | {t for i in question.identifiers for t in terms(i)}
    if not wanted or not path_terms:
        return 0.0
    weights = {t: max(stats.idf(t), 0.05) for t in wanted}
    return sum(w for t, w in weights.items() if t in path_terms) / sum(weights.values())


def _signature_terms(s: ScoredSentence) -> set[str]:
    """Terms of the API signature the unit's context carries (its entry), if any."""
    for line in s.context.split("\n")[:3]:
        if line.lstrip().startswith(".. ") and "::" in line:
            return set(terms(line.split("::", 1)[1]))
    return set()


def signal_table(question: Question, scored: list[ScoredSentence], stats: CorpusStats) -> np.ndarray:
    """The signals of every candidate, in the order given (rows) and of NAMES (columns)."""
    if not scored:
        return np.zeros((0, len(NAMES)), dtype=np.float32)
    unit_terms = [set(terms(s.passage.text)) for s in scored]
    local = local_coverage(list(question.terms), unit_terms)
    # Read with its heading path and its entry's signature: a version note under 'str.removeprefix'.
    read_terms = [ts | set(terms(" ".join(s.passage.path))) | _signature_terms(s) for ts, s in
                  zip(unit_terms, scored, strict=True)]
    local_read = local_coverage(list(question.terms), read_terms)
    strict = question.kind in STRICT_KINDS
    rows = []
    for i, s in enumerate(scored):
        neighbours = [scored[j].lexical for j in (i - 1, i + 1)
                      if 0 <= j < len(scored) and scored[j].rank == s.rank
                      and scored[j].passage.source == s.passage.source]
        path_terms = set(terms(" ".join(s.passage.path)))
        text = s.passage.text
        rows.append([
            s.dense,
            s.lexical,
            local[i],
            path_match(question, path_terms, stats),
            1.0 if s.typed else 0.0,
            1.0 / (1 + s.rank),
            s.passage.score,
            math.log(max(len(text), 1)) / 6.0,
            max(neighbours, default=0.0),
            1.0 if text.rstrip().endswith("?") else 0.0,
            coverage_of(question, read_terms[i], stats),
            local_read[i],
            1.0 if strict and s.typed else 0.0,
            new_code(question, text),
            s.read,
            *(1.0 if s.kind == k or (k == "definition" and s.kind == "term") else 0.0 for k in KINDS),
        ])
    return np.asarray(rows, dtype=np.float32)
