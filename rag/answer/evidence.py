"""Pick the few sentences of the retrieved passages that bear on the question.

A tiny model answers best from short, focused evidence; each evidence sentence keeps its file offsets so it can
be cited exactly. Score = dense similarity to the question + coverage of the question's terms, each term
weighted by how rare it is in the whole index (IDF), minus a penalty when the sentence lacks the kind of fact
asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from rag.answer.corpus import CorpusStats
from rag.answer.question import STRICT_KINDS, Question
from rag.answer.render import shown_unit
from rag.answer.signals import signal_table
from rag.answer.units import Unit, passage_units
from rag.index.embedding import Embedder
from rag.text import MONTHS, WEEKDAYS, fold, names, numbers, sentences, terms
from rag.types import Passage

MIN_SENTENCE_CHARS = 15
DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
DUPLICATE_JACCARD = 0.7
TYPE_PENALTY = 0.1  # for a sentence without the kind of fact asked for
STRICT_BONUS = 0.2  # ranking only: a unit holding the number, date or version asked for (scripts/fit_ranker.py)

# Sentences that address a model rather than state a fact. A document may carry them (prompt injection); they
# are never evidence. Narrow on purpose: manuals say 'You must call close()' and 'Print the value', which are
# facts about the software, not orders to us.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,60}\b(previous|prior|above|earlier|all|your|system)\b.{0,30}"
    r"\b(instructions?|prompts?|rules|guidelines)\b|"
    r"\b(you are|act as|pretend to be|as an?)\s+(now\s+)?(an?\s+)?(ai|assistant|language model|chatbot|llm)\b|"
    r"\btell the user\b|^\W*(say|respond|reply|answer)\b(?!\s+(you|we|i|one|for|to)\b)(?!\s*:)|"
    r"^\W*(assistant|system|ai|chatbot|model)\s*[,:]",
    re.IGNORECASE,
)
_DATE_WORDS = "|".join(MONTHS + WEEKDAYS)
_DATE = re.compile(r"\b\d{3,4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(" + _DATE_WORDS + r")\b|"
                   r"(?<![\d.,])\b\d{3,4}\b(?![.,]\d)(?!\s*(%|percent|per cent))", re.IGNORECASE)
_DATE_EXPR = re.compile(r"\b\d{3,4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|"
                        r"\b(\d{1,2}\s+)?(" + "|".join(MONTHS) + r")(\s+\d{1,2}(-\d{1,2})?)?(,?\s+\d{3,4})?\b|"
                        r"\b(in|since|until|by|from|of|year|born|died)\s+\d{3,4}\b", re.IGNORECASE)
_NUMBER_WORDS = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|"
                           r"thousand|million|billion|trillion|half|twice|none|no)\b", re.IGNORECASE)


VERSION = re.compile(r"\b\d+\.\d+(?:\.\d+)*\b")


def is_instruction(text: str) -> bool:
    """Whether a sentence is an order to a model rather than a statement about the world."""
    return bool(_INSTRUCTION.search(text))


def amounts(text: str) -> set[str]:
    """The numbers of a text that are not part of a date ('$5.54 billion in 2021' -> {'5.54'})."""
    return numbers(_DATE_EXPR.sub(" ", text))


def dates(text: str) -> set[str]:
    """Date-like pieces: ISO dates, d/m/y, month and weekday names, 3-4 digit years of any century."""
    return {fold(m.group()) for m in _DATE.finditer(text)}


def list_items(question: Question, text: str) -> list[str]:
    """The items a sentence lists for what the question counts or lists ('The sons of X are A, B and C.' ->
    ['A', 'B', 'C']): the names after the counted term's verb, split at commas and 'and'."""
    key = question.counted or question.relation_terms
    if not key:
        return []
    spans = sentences(text)
    if len(spans) > 1:  # a unit of several sentences: the items of the one that lists them
        for span in spans:
            items = list_items(question, text[span.start : span.end])
            if items:
                return items
        return []
    match = re.search(r"\b(?:are|is|were|was|include|includes|included|:)\s+(.+?)[.;]?\s*$", text)
    if not match or not any(t in set(terms(text[: match.start()])) for t in key):
        return []
    items = [i.strip(" .;\"'") for i in re.split(r",\s*(?:and\s+)?|\s+and\s+", match.group(1))]
    items = [i for i in items if i]
    return items if items and all(len(i.split()) <= 6 for i in items) else []


def specifics(question: Question, text: str) -> set[str]:
    """What a text gives of the kind asked for: amounts, dates, versions; names for who- and open questions."""
    if question.kind == "number":
        found = amounts(text) | {fold(m.group()) for m in _NUMBER_WORDS.finditer(text)}
        items = list_items(question, text) if question.counted else []
        return found | ({str(len(items))} if items else set())
    if question.kind == "date":
        return dates(text)
    if question.kind == "name":
        return names(text)
    if question.kind == "version":
        return set(VERSION.findall(text))
    # An open question ('Which US official...?', 'What does X do?'): the names a text gives.
    return names(text)


def has_answer_type(question: Question, text: str) -> bool:
    """Whether ``text`` holds something of the kind asked for that the question does not already say."""
    if question.kind is None:
        return True
    return bool(specifics(question, text) - question.asked_specifics)


@dataclass(frozen=True)
class ScoredSentence:
    """One candidate evidence unit and its signals (rag.answer.signals computes the table they come from)."""

    passage: Passage  # the unit itself, as a passage of its file
    dense: float
    lexical: float  # IDF-weighted share of the question's terms it covers (names may come from its passage)
    typed: bool = True  # holds the kind of fact the question asks for (a number, a date, a name)
    context: str = ""  # what it is read with: heading path, entry signature, table header, its passage
    kind: str = "prose"  # the kind of block it comes from (rag.types.BLOCK_KINDS)
    rank: int = 0  # rank of the retrieved passage it comes from
    signals: tuple[float, ...] = ()  # its row of the signal table (rag.answer.signals.NAMES), when asked for
    dense_read: float | None = None  # dense similarity of the unit read with its heading path (None: no path)
    strict: bool = False  # the question asks for a number, date or version: only a unit holding one answers
    label: str = ""  # what it is shown with (rag.answer.units.Unit.label)
    before: str = ""  # the prose sentence just before it in its section (rag.answer.units.Unit.before)

    @property
    def shown(self) -> str:
        """The unit as a reader sees it: rendered, a version note led by its entry, a table row by its header."""
        return shown_unit(self.passage.source, self.passage.text, self.label)

    @property
    def read(self) -> float:
        """Dense similarity of the unit, or of the unit read with its heading path when that is closer."""
        return self.dense if self.dense_read is None else max(self.dense, self.dense_read)

    @property
    def score(self) -> float:
        """Dense similarity (the unit alone or read with its heading path) plus coverage, less the type penalty:
        what the refusal threshold is set on."""
        return DENSE_WEIGHT * self.read + LEXICAL_WEIGHT * self.lexical - (0.0 if self.typed else TYPE_PENALTY)

    @property
    def order(self) -> float:
        """What candidates are ranked by: ``score`` plus a bonus for holding the value a number, date or version
        question needs (chosen on the tuning sets: scripts/fit_ranker.py, README)."""
        return (DENSE_WEIGHT * self.read + LEXICAL_WEIGHT * self.lexical
                - (0.0 if self.typed else TYPE_PENALTY) + (STRICT_BONUS if self.strict and self.typed else 0.0))


def split_passages(passages: list[Passage], heads: dict[str, str] | None = None,
                   ranks: list[int] | None = None) -> list[Unit]:
    """Every evidence unit of the passages (rag.answer.units), once each, without orders addressed to a model.
    ``ranks`` gives each passage's retrieval rank (default: its position)."""
    heads = heads or {}
    out: list[Unit] = []
    seen: set[tuple[str, int, int]] = set()
    for rank, p in zip(ranks or range(len(passages)), passages, strict=True):
        head = heads.get(p.source, "")
        for unit in passage_units(p, rank, "" if head in p.text else head, is_instruction):
            key = (unit.passage.source, unit.passage.start, unit.passage.end)
            if key in seen:
                continue
            seen.add(key)
            out.append(unit)
    return out


def coverage(question: Question, sentence: str, context: str, stats: CorpusStats, heading: str = "") -> float:
    """IDF-weighted share of the question's terms in the sentence; a name's terms may stand anywhere in its
    passage ('He said...' after a paragraph naming him), the other terms must stand in the sentence or in
    ``heading``, what the unit is read with as its own words (a version note's entry, a table row's header)."""
    wanted = list(question.terms) + sorted(question.exact)
    if not wanted:
        return 0.0
    # Names and exact values (a year, a version) may stand anywhere in the sentence's passage.
    name_terms = {t for n in question.names for t in terms(n)} | set(question.exact)
    own = set(terms(sentence)) | numbers(sentence) | set(terms(heading))
    near = set(terms(context)) | numbers(context)
    own_terms = set(terms(question.text)) | set(question.exact)
    # A follow-up's own words say what it asks; the previous question's only say what it is about.
    weights = {t: max(stats.idf(t), 0.05) * (1.0 if t in own_terms else HISTORY_WEIGHT) for t in wanted if stats.has(t)}
    # A term no document holds cannot tell sentences apart; it weighs as an average term, not as the rarest.
    absent = sum(weights.values()) / len(weights) if weights else 1.0
    total = got = 0.0
    for t in wanted:
        w = weights.get(t, absent)
        total += w
        if t in own or (t in name_terms and t in near):
            got += w
    return got / total if total else 0.0


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


HISTORY_WEIGHT = 0.5  # of a term that only the previous question of a follow-up gives
NEIGHBOUR_WINDOW = 3  # sentences either side within one passage
NEIGHBOUR_SHARE = 0.8  # of the neighbour's coverage a typed sentence may take


def _near_the_topic(question: Question, scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """A figure, date or version often stands a few sentences after the one that names the topic ('.. method::
    str.removeprefix' ... '.. versionadded:: 3.9'; a quote attributed in the next sentence). A sentence that
    holds the kind of fact asked for takes a share of the best coverage of its neighbours in the same passage."""
    if question.kind not in STRICT_KINDS:
        return scored
    out = list(scored)
    for i, s in enumerate(scored):
        if not s.typed:
            continue
        near = [o.lexical for j, o in enumerate(scored) if j != i and abs(j - i) <= NEIGHBOUR_WINDOW
                and o.rank == s.rank and o.passage.source == s.passage.source]
        if near and NEIGHBOUR_SHARE * max(near) > s.lexical:
            out[i] = replace(s, lexical=NEIGHBOUR_SHARE * max(near))
    return out


def _version_note_answers(question: Question, unit: Unit) -> bool:
    """A version note ('New in version 3.11') answers 'when' in a manual: software dates itself by release."""
    return question.kind == "date" and unit.kind == "directive" and bool(VERSION.search(unit.passage.text))


def score_sentences(question: Question, passages: list[Passage], embedder: Embedder,
                    stats: CorpusStats, heads: dict[str, str] | None = None,
                    ranks: list[int] | None = None, signals: bool = False) -> list[ScoredSentence]:
    """Score the passages' evidence units against the question, best first, near-duplicates removed. ``heads``
    (the first chunk of each file: its title and byline) joins each unit's context, so 'According to the AP
    report...' finds the report whose byline says AP. With ``signals`` each unit carries its row of the signal
    table (for measuring; answering does not read it)."""
    units = split_passages(passages, heads, ranks)
    if not units:
        return []
    # Each unit is embedded alone and read with its heading path ('Repeated Names Within an Object: By default,
    # this module ... ignores all but the last name-value pair').
    with_path = [i for i, u in enumerate(units) if u.passage.path]
    read = [f"{' > '.join(units[i].passage.path[-2:])}: {units[i].passage.text}" for i in with_path]
    vectors = embedder.embed([question.query] + [u.passage.text for u in units] + read)
    sims = np.atleast_1d(vectors[1:] @ vectors[0])
    dense = sims[: len(units)]
    dense_read: list[float | None] = [None] * len(units)
    for i, sim in zip(with_path, sims[len(units) :], strict=True):
        dense_read[i] = float(sim)
    scored = [
        ScoredSentence(passage=u.passage, dense=float(d),
                       lexical=coverage(question, u.passage.text, u.context, stats, u.heading),
                       typed=has_answer_type(question, u.passage.text) or _version_note_answers(question, u),
                       context=u.context, kind=u.kind, rank=u.rank, dense_read=r,
                       strict=question.kind in STRICT_KINDS, label=u.label, before=u.before)
        for u, d, r in zip(units, dense, dense_read, strict=True)
    ]
    scored = _near_the_topic(question, scored)
    if signals:  # in unit order: a unit's neighbours are the units beside it
        table = signal_table(question, scored, stats)
        scored = [replace(s, signals=tuple(row)) for s, row in zip(scored, table.tolist(), strict=True)]
    scored.sort(key=lambda s: s.order, reverse=True)
    return drop_near_duplicates(scored)
