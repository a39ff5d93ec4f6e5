"""The candidate table: one frozen Candidate per evidence unit of the retrieved passages, made once.

A candidate carries its unit (a passage of its file), what it is read with (heading path, entry signature, table
header, its passage), its text as shown, the analysed facts of its text and context, its similarities and
coverage, and its row of features (rag.answer.rank.FEATURES). Answering, refusal, `rag eval` and the scripts all
read these same numbers; the order is rag.answer.rank.hand_order over them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from rag.answer.corpus import CorpusStats
from rag.answer.evidence import has_answer_type, is_instruction
from rag.answer.facts import VERSION, TextFacts, facts_of
from rag.answer.params import DEFAULTS, AnswerParams
from rag.answer.question import STRICT_KINDS, Question
from rag.answer.rank import KINDS, Ranker, hand_order, hand_score, weighted_share
from rag.answer.render import shown_unit
from rag.answer.units import Unit, passage_units
from rag.index.embedding import Embedder
from rag.text import identifiers
from rag.types import Passage

if TYPE_CHECKING:
    from rag.answer.scorer import LearnedScorer


@dataclass(frozen=True)
class Candidate:
    """One candidate evidence unit, with everything later steps read of it."""

    passage: Passage  # the unit itself, as a passage of its file
    dense: float  # dense similarity of the unit alone to the question
    dense_read: float | None  # of the unit read with its heading path (None: no path)
    lexical: float  # IDF-weighted share of the question's terms it covers (names may come from its passage)
    typed: bool  # holds the kind of fact the question asks for (a number, a date, a name)
    strict: bool  # the question asks for a number, date or version: only a unit holding one answers
    kind: str  # the kind of block it comes from (rag.types.BLOCK_KINDS)
    context: str  # what it is read with: heading path, entry signature, table header, its passage
    rank: int  # rank of the retrieved passage it comes from
    label: str  # what it is shown with (rag.answer.units.Unit.label)
    heading: str  # the words it is read with as its own (rag.answer.units.Unit.heading)
    before: str  # the prose sentence just before it in its section (rag.answer.units.Unit.before)
    shown: str  # the unit as a reader sees it: rendered, a version note led by its entry, a row by its header
    facts: TextFacts  # of the unit's own text
    context_facts: TextFacts  # of what it is read with (its own text when it has no context)
    score: float  # rag.answer.rank.hand_score: what the refusal threshold is set on
    order: float  # rag.answer.rank.hand_order: what candidates are ranked by
    features: tuple[float, ...] = ()  # its row of rag.answer.rank.FEATURES
    learned: float | None = None  # the learned scorer's own score of it (None: no model scored it)
    hand: float | None = None  # its hand order once a ranker or scorer has reordered it (None: ``order`` is that)

    @property
    def by_hand(self) -> float:
        """Its hand order (rag.answer.rank.hand_order), whatever it is now ordered by."""
        return self.order if self.hand is None else self.hand

    @property
    def read(self) -> float:
        """Dense similarity of the unit, or of the unit read with its heading path when that is closer."""
        return self.dense if self.dense_read is None else max(self.dense, self.dense_read)


def candidate(passage: Passage, dense: float, lexical: float, *, typed: bool = True, strict: bool = False,
              kind: str = "prose", context: str = "", rank: int = 0, dense_read: float | None = None,
              label: str = "", heading: str = "", before: str = "",
              params: AnswerParams = DEFAULTS) -> Candidate:
    """A candidate with its shown text, facts, score and order worked out (its features come with the table)."""
    unscored = Candidate(
        passage=passage, dense=dense, dense_read=dense_read, lexical=lexical, typed=typed, strict=strict,
        kind=kind, context=context, rank=rank, label=label, heading=heading, before=before,
        shown=shown_unit(passage.source, passage.text, label),
        facts=facts_of(passage.text), context_facts=facts_of(context or passage.text), score=0.0, order=0.0)
    return with_lexical(unscored, lexical, params)


def with_lexical(c: Candidate, lexical: float, params: AnswerParams) -> Candidate:
    """The candidate with coverage ``lexical``, its score and order worked out (the one place they are)."""
    strict = 1.0 if c.strict and c.typed else 0.0
    return replace(c, lexical=lexical, score=hand_score(c.dense, c.read, lexical, c.typed, params),
                   order=hand_order(c.dense, c.read, lexical, c.typed, strict, params))


def split_passages(passages: list[Passage], heads: dict[str, str] | None = None,
                   ranks: list[int] | None = None, params: AnswerParams = DEFAULTS) -> list[Unit]:
    """Every evidence unit of the passages (rag.answer.units), once each, without orders addressed to a model.
    ``ranks`` gives each passage's retrieval rank (default: its position)."""
    heads = heads or {}
    out: list[Unit] = []
    seen: set[tuple[str, int, int]] = set()
    for rank, p in zip(ranks or range(len(passages)), passages, strict=True):
        head = heads.get(p.source, "")
        for unit in passage_units(p, rank, "" if head in p.text else head, is_instruction, params):
            key = (unit.passage.source, unit.passage.start, unit.passage.end)
            if key in seen:
                continue
            seen.add(key)
            out.append(unit)
    return out


def read_text(unit: Passage, params: AnswerParams = DEFAULTS) -> str:
    """A unit read with the last parts of its heading path ('json > Repeated Names: By default, ...'); the unit
    alone when it has no path."""
    if not unit.path:
        return unit.text
    return f"{' > '.join(unit.path[-params.path_parts:])}: {unit.text}"


# What a learned model reads of a candidate (a scorer card's "reads"): the unit with its heading path, or that and
# then the prose sentence before it in its section (Candidate.before), after MiniLM's separator token.
READS = ("unit", "unit+before")


def model_text(c: Candidate, reads: str = "unit", params: AnswerParams = DEFAULTS) -> str:
    """A candidate as a learned model reads it (``reads``, one of READS): 'json > Repeated Names: By default, ...'
    or, with the sentence before it, '... [SEP] The sentence before.' (the unit first, so a cut at the model's
    token limit takes the sentence before, not the unit)."""
    text = read_text(c.passage, params)
    return f"{text} [SEP] {c.before}" if reads == "unit+before" and c.before else text


def term_weights(question: Question, stats: CorpusStats, params: AnswerParams) -> dict[str, float]:
    """Each question term's weight in coverage: its IDF (floored), less for a term only a previous question
    gives (a follow-up's own words say what it asks; the previous question's only say what it is about). A
    term no document holds has no weight here: it weighs as an average term (see :func:`coverage`)."""
    wanted = list(question.terms) + sorted(question.exact)
    own = question.own_terms | question.exact
    return {t: max(stats.idf(t), params.idf_floor) * (1.0 if t in own else params.history_weight)
            for t in wanted if stats.has(t)}


def coverage(question: Question, sentence: str, context: str, stats: CorpusStats, heading: str = "",
             params: AnswerParams = DEFAULTS, weights: dict[str, float] | None = None) -> float:
    """IDF-weighted share of the question's terms in the sentence; a name's terms may stand anywhere in its
    passage ('He said...' after a paragraph naming him), the other terms must stand in the sentence or in
    ``heading``, what the unit is read with as its own words (a version note's entry, a table row's header)."""
    wanted = list(question.terms) + sorted(question.exact)
    if not wanted:
        return 0.0
    weights = term_weights(question, stats, params) if weights is None else weights
    own_facts, near_facts = facts_of(sentence), facts_of(context)
    own = own_facts.term_set | own_facts.numbers | facts_of(heading).term_set
    name_terms = question.name_terms | question.exact
    have = own | (name_terms & (near_facts.term_set | near_facts.numbers))
    # A term no document holds cannot tell sentences apart; it weighs as an average term, not as the rarest.
    absent = sum(weights.values()) / len(weights) if weights else 1.0
    return weighted_share(wanted, have, weights, absent)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def drop_near_duplicates(ranked: list[Candidate], params: AnswerParams = DEFAULTS) -> list[Candidate]:
    """Keep the best-scored of units that repeat each other (wire copy quoted by two reports)."""
    kept: list[Candidate] = []
    for item in ranked:
        if any(_jaccard(item.facts.term_set, other.facts.term_set) >= params.duplicate_jaccard for other in kept):
            continue
        kept.append(item)
    return kept


def _near_the_topic(question: Question, table: list[Candidate], params: AnswerParams) -> list[Candidate]:
    """A figure, date or version often stands a few sentences after the one that names the topic ('.. method::
    str.removeprefix' ... '.. versionadded:: 3.9'; a quote attributed in the next sentence). A unit that holds
    the kind of fact asked for takes a share of the best coverage of its neighbours in the same passage."""
    if question.kind not in STRICT_KINDS:
        return table
    out = list(table)
    for i, s in enumerate(table):
        if not s.typed:
            continue
        near = [o.lexical for j, o in enumerate(table) if j != i and abs(j - i) <= params.neighbour_window
                and o.rank == s.rank and o.passage.source == s.passage.source]
        if near and params.neighbour_share * max(near) > s.lexical:
            out[i] = with_lexical(s, params.neighbour_share * max(near), params)
    return out


def _version_note_answers(question: Question, unit: Unit) -> bool:
    """A version note ('New in version 3.11') answers 'when' in a manual: software dates itself by release."""
    return question.kind == "date" and unit.kind == "directive" and bool(VERSION.search(unit.passage.text))


def build_candidates(question: Question, passages: list[Passage], embedder: Embedder, stats: CorpusStats,
                     heads: dict[str, str] | None = None, ranks: list[int] | None = None,
                     params: AnswerParams = DEFAULTS, question_vector: np.ndarray | None = None,
                     ranker: Ranker | None = None, scorer: LearnedScorer | None = None) -> list[Candidate]:
    """The candidate table of the passages' evidence units, best first, near-duplicates removed. ``heads`` (the
    first chunk of each file: its title and byline) joins each unit's context, so 'According to the AP
    report...' finds the report whose byline says AP. ``question_vector`` is the question's embedding when
    retrieval already made it. ``ranker`` (the fitted ranker, models/ranker.json) orders the candidates by their
    features; ``scorer`` (a learned scorer's folder, RAG_SCORER) then orders them by that order fused with its
    similarity; without either they keep the hand order."""
    units = split_passages(passages, heads, ranks, params)
    if not units:
        return []
    # Each unit is embedded alone and read with its heading path ('Repeated Names Within an Object: By default,
    # this module ... ignores all but the last name-value pair').
    with_path = [i for i, u in enumerate(units) if u.passage.path]
    read = [read_text(units[i].passage, params) for i in with_path]
    texts = [u.passage.text for u in units] + read
    if question_vector is None:
        vectors = embedder.embed([question.query] + texts)
        question_vector, vectors = vectors[0], vectors[1:]
    else:
        vectors = embedder.embed(texts)
    sims = np.atleast_1d(vectors @ question_vector)
    dense_read: list[float | None] = [None] * len(units)
    for i, sim in zip(with_path, sims[len(units):], strict=True):
        dense_read[i] = float(sim)
    weights = term_weights(question, stats, params)
    strict = question.kind in STRICT_KINDS
    table = [
        candidate(u.passage, float(d),
                  coverage(question, u.passage.text, u.context, stats, u.heading, params, weights),
                  typed=has_answer_type(question, u.passage.text) or _version_note_answers(question, u),
                  strict=strict, kind=u.kind, context=u.context, rank=u.rank, dense_read=r, label=u.label,
                  heading=u.heading, before=u.before, params=params)
        for u, d, r in zip(units, sims[: len(units)], dense_read, strict=True)
    ]
    table = _near_the_topic(question, table, params)
    # Features in unit order: a unit's neighbours are the units beside it.
    rows = feature_rows(question, table, stats, params)
    table = [replace(c, features=row) for c, row in zip(table, rows, strict=True)]
    # Which of two near-duplicates survives is the hand order's choice, with a ranker too: the ranker was fitted
    # on tables the hand order deduplicated (scripts/pools.py), and letting it choose the survivor dropped the
    # right unit ('The mother of Jack Karr is Kimiko Karr' kept over 'The mother of Kimiko Karr is ...').
    table.sort(key=lambda c: c.order, reverse=True)
    table = drop_near_duplicates(table, params)
    if ranker is not None and table:
        table = _reordered(table, ranker.score(np.asarray([c.features for c in table], dtype=np.float64)))
    if scorer is not None and len(table) > 1:
        ranked = scorer.rank(question.query, table, params)
        table = _reordered(table, ranked.order, ranked.learned)
    return table


def _reordered(table: list[Candidate], orders: np.ndarray, learned: np.ndarray | None = None) -> list[Candidate]:
    """The candidates with these orders (and the learned model's scores, NaN where it scored none), best first."""
    scores = [None] * len(table) if learned is None else [None if math.isnan(v) else float(v) for v in learned]
    return sorted((replace(c, order=float(o), learned=v, hand=c.by_hand)
                   for c, o, v in zip(table, orders, scores, strict=True)),
                  key=lambda c: c.order, reverse=True)


# ------------------------------------------------------------------------------------------------- features

_PASCAL = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b")


def local_coverage(wanted: list[str], unit_terms: list[frozenset[str]]) -> list[float]:
    """Per unit, the share of the question's terms it holds, each weighted by how rare the term is among the
    candidate units (log(1 + N / df)); a term no candidate holds cannot tell them apart and weighs nothing."""
    n = len(unit_terms)
    df = Counter(t for ts in unit_terms for t in set(wanted) & ts)
    weights = {t: math.log(1 + n / df[t]) for t in set(wanted) if df[t]}
    if not weights:
        return [0.0] * n
    return [weighted_share(weights, ts, weights) for ts in unit_terms]


def new_code(question: Question, text: str) -> float:
    """Whether the unit names code the question does not (a function, a CamelCase class or exception)."""
    asked = {i.lower() for i in question.identifiers} | set(question.terms)
    found = {i.lower() for i in identifiers(text)} | {m.group().lower() for m in _PASCAL.finditer(text)}
    return 1.0 if any(f not in asked and not facts_of(f).term_set <= asked for f in found) else 0.0


def _signature_terms(c: Candidate, params: AnswerParams) -> frozenset[str]:
    """Terms of the API signature the unit's context carries (its entry), if any."""
    for line in c.context.split("\n")[: params.signature_lines]:
        if line.lstrip().startswith(".. ") and "::" in line:
            return facts_of(line.split("::", 1)[1]).term_set
    return frozenset()


def feature_rows(question: Question, table: list[Candidate], stats: CorpusStats,
                 params: AnswerParams = DEFAULTS) -> list[tuple[float, ...]]:
    """The features of every candidate (rag.answer.rank.FEATURES), in the order given."""
    wanted = list(question.terms)
    unit_terms = [c.facts.term_set for c in table]
    local = local_coverage(wanted, unit_terms)
    # Read with its heading path and its entry's signature: a version note under 'str.removeprefix'.
    path_terms = [facts_of(" ".join(c.passage.path)).term_set for c in table]
    read_terms = [ts | pt | _signature_terms(c, params)
                  for ts, pt, c in zip(unit_terms, path_terms, table, strict=True)]
    local_read = local_coverage(wanted, read_terms)
    idf = {t: max(stats.idf(t), params.idf_floor) for t in set(question.terms)}
    code_terms = set(question.terms) | {t for i in question.identifiers for t in facts_of(i).terms}
    code_idf = {t: max(stats.idf(t), params.idf_floor) for t in code_terms}
    rows = []
    for i, c in enumerate(table):
        neighbours = [table[j].lexical for j in (i - 1, i + 1)
                      if 0 <= j < len(table) and table[j].rank == c.rank
                      and table[j].passage.source == c.passage.source]
        text = c.passage.text
        rows.append((
            c.dense,
            c.lexical,
            local[i],
            weighted_share(code_idf, path_terms[i], code_idf) if path_terms[i] else 0.0,
            1.0 if c.typed else 0.0,
            1.0 / (1 + c.rank),
            c.passage.score,
            math.log(max(len(text), 1)) / params.length_scale,
            max(neighbours, default=0.0),
            1.0 if text.rstrip().endswith("?") else 0.0,
            weighted_share(idf, read_terms[i], idf),
            local_read[i],
            1.0 if c.strict and c.typed else 0.0,
            new_code(question, text),
            c.read,
            *(1.0 if c.kind == k or (k == "definition" and c.kind == "term") else 0.0 for k in KINDS),
        ))
    return rows
