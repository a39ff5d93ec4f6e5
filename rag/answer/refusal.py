"""Decide, before generating, whether the documents can answer a question at all.

The signals hold in any corpus: exact values and names the question gives must exist in the index; the best
evidence must score above a threshold calibrated on the user's own documents (`rag calibrate`); a question
asking for a number, date or name needs a sentence that holds one, read together with the question's names;
a 'how many' question needs a sentence that gives a count of, or lists, what it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.answer.candidates import Candidate
from rag.answer.corpus import CorpusStats
from rag.answer.facts import facts_of
from rag.answer.params import DEFAULTS, AnswerParams
from rag.answer.question import STRICT_KINDS, Question
from rag.index.embedding import Embedder
from rag.text import fold, has_name_term, same_name_term, sentences, words


@dataclass(frozen=True)
class Refusal:
    """Why a question is refused: a stable code (``ask --json`` gives it, tests assert it) and a detail."""

    code: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Evidence:
    """What the refusal rules read: the question, its candidates best first, the index's statistics, the
    retrieved passages' texts, the refusal threshold in force, and the embedder for meanings."""

    question: Question
    candidates: list[Candidate]
    stats: CorpusStats
    passages: list[str]
    min_score: float
    embedder: Embedder | None = None
    params: AnswerParams = DEFAULTS


def unknown(question: Question, stats: CorpusStats, params: AnswerParams = DEFAULTS) -> list[str]:
    """Names, code names and exact values of the question that occur in no indexed document."""
    # The opening word is a name only by a guess ('List Abel's friends'): it is not asked to exist.
    missing = [n for n in sorted(question.names - {question.opening_name})
               if facts_of(n).terms and not stats.mentions(n, params.form_prefix)]
    missing += [i for i in sorted(question.identifiers)
                if facts_of(i).terms and not (stats.mentions(i, params.form_prefix) and stats.knows_code(i))
                and i not in missing]
    missing += [x for x in sorted(question.exact) if not stats.has(x)]
    return missing


def holds_name(c: Candidate, name: str) -> bool:
    """Whether the unit, read in its passage, has a term of the question's name ``name``."""
    return any(has_name_term(c.context_facts.term_set, t) for t in facts_of(name).terms)


def names_in_context(question: Question, c: Candidate, params: AnswerParams = DEFAULTS) -> bool:
    """Whether the unit, read in its passage, mentions the question's names: all of them, or all but one when
    there are many."""
    found = sum(1 for n in question.names if holds_name(c, n))
    wanted = len(question.names)
    return found >= (wanted - 1 if wanted >= params.many_names else wanted)


def _positions(seq: list[str], phrase: tuple[str, ...], loose: bool = False) -> list[int]:
    n = len(phrase)
    if not loose:
        return [i for i in range(len(seq) - n + 1) if tuple(seq[i : i + n]) == phrase]
    return [i for i in range(len(seq) - n + 1) if all(same_name_term(a, b) for a, b in zip(seq[i : i + n], phrase))]


def ties(question: Question, text: str, params: AnswerParams = DEFAULTS) -> bool | None:
    """Whether a sentence states a relation term of the question next to one of its names ('father' within two
    terms of 'rodney jack'): None when the sentence holds no name phrase or no relation term at all (nothing to
    judge), False when it holds both but apart ('The father of Abel Jack is Rodney Jack' for 'Who is Rodney
    Jack's father?'). Word order and proximity are what tell a relation from a co-occurrence."""
    seq = list(facts_of(text).terms)
    if len(seq) > params.tie_max_terms:
        return None
    spots = [(i, i + len(p) - 1) for p in question.name_phrases for i in _positions(seq, p)]
    rel = [i for i, t in enumerate(seq) if t in set(question.relation_terms)]
    if not spots or not rel:
        return None
    return any(min(abs(r - a), abs(r - b)) <= params.tie_window for a, b in spots for r in rel)


def evidence_sentences(scored: list[Candidate], depth: int) -> list[str]:
    """The sentences the best ``depth`` units start with, in order: a prose unit is a sentence with the next one
    of its block, and word positions and word meanings are judged sentence by sentence."""
    out: list[str] = []
    for s in scored:
        spans = sentences(s.passage.text)
        text = s.passage.text[spans[0].start : spans[0].end] if spans else s.passage.text
        if text not in out:
            out.append(text)
        if len(out) >= depth:
            break
    return out


def untied(question: Question, scored: list[Candidate], params: AnswerParams = DEFAULTS) -> bool:
    """True when the evidence names the question's subject and states its relation, but never one of the other:
    'Who is the mother of Abel Peele?' over sentences on Abel Peele and on other people's mothers.

    A sentence stating the relation of no one it names ('He met his counterpart') may be about the subject
    its passage names; then nothing is concluded."""
    named = related = False
    for text in evidence_sentences(scored, params.refusal_depth):
        facts = facts_of(text)
        if len(facts.terms) > params.tie_max_terms:
            continue  # a long sentence says too much to judge one relation by word positions
        if ties(question, text, params):
            return False
        seq = facts.term_set
        has_relation = any(t in seq for t in question.relation_terms)
        has_name = any(set(p) <= seq for p in question.name_phrases)
        named |= has_name
        related |= has_relation
        if has_relation and not has_name and not facts.names:
            return False  # an unnamed subject ('He ...'): cannot tell
    return named and related


def best_score(question: Question, scored: list[Candidate], params: AnswerParams = DEFAULTS) -> float:
    """The score of the best sentence that could answer: typed, with the question's names in its passage."""
    fit = [s.score for s in scored[: params.refusal_depth] if s.typed and names_in_context(question, s, params)]
    return max(fit) if fit else (scored[0].score if scored and question.kind is None else 0.0)


def unmatched_names(question: Question, passages: list[str], stats: CorpusStats) -> list[str]:
    """Names of several words whose last two words stand together in none of the retrieved passages: 'Abel
    Holtz' when the documents know an Abel Peele and a Zachariah Holtz but no Abel Holtz."""
    seqs = [list(facts_of(p).terms) for p in passages]
    out = []
    for phrase in question.name_phrases:
        if len(phrase) >= 2 and not stats.has(" ".join(phrase[-2:])) and not any(
                _positions(seq, phrase[-2:], loose=True) for seq in seqs):
            out.append(" ".join(phrase))
    return out


FRAMING = frozenset({"name", "named", "list", "called"})  # words that frame a question, not its content


def unmatched_words(question: Question, scored: list[Candidate], stats: CorpusStats,
                    embedder: Embedder | None, params: AnswerParams = DEFAULTS) -> list[str]:
    """Words of the question (not names) that no document holds and that nothing in the evidence means:
    'nationality' over sentences that give a gender, 'firefighter' over sentences that give occupations. A
    paraphrase passes ('children' ~ 'daughters', 'job' ~ 'occupation'): the embedder judges the meaning."""
    # Only a lookup of one or two relation terms hinges on each of them; in a longer question an unknown word
    # ('push', 'became') is one of many, and coverage weighs it.
    # A number, date or version question already needs a sentence giving one next to its names.
    if (embedder is None or len(question.relation_terms) > params.max_lookup_relations
            or question.kind in STRICT_KINDS):
        return []
    absent = sorted({w for t, w in question.surface if t not in question.name_terms and not stats.has(t)
                     and len(w) >= params.min_word_chars and w not in FRAMING})
    if not absent:
        return []
    evidence = sorted({w for text in evidence_sentences(scored, params.refusal_depth) for w in words(fold(text))
                       if facts_of(w).terms and not w.isdigit()})
    if not evidence:
        return absent
    vectors = embedder.embed(absent + evidence)
    sims = vectors[: len(absent)] @ vectors[len(absent) :].T
    return [w for w, row in zip(absent, sims, strict=True) if float(row.max()) < params.min_word_similarity]


# ------------------------------------------------------------------------------------------------- the rules
# Each rule returns a Refusal, or None when it finds nothing wrong; they run in order and the first refusal wins.


def no_passage(e: Evidence) -> Refusal | None:
    return None if e.candidates else Refusal("no_passage", "no passage was retrieved")


def unknown_terms(e: Evidence) -> Refusal | None:
    absent = unknown(e.question, e.stats, e.params)
    return Refusal("unknown_terms", f"{', '.join(absent)} occur(s) in no document") if absent else None


def unmeant_words(e: Evidence) -> Refusal | None:
    unmeant = unmatched_words(e.question, e.candidates, e.stats, e.embedder, e.params)
    return (Refusal("unmeant_words", f"no document says {', '.join(unmeant)} or anything close to it")
            if unmeant else None)


def names_apart(e: Evidence) -> Refusal | None:
    apart = unmatched_names(e.question, e.passages, e.stats)
    return Refusal("names_apart", f"no passage names {', '.join(apart)}") if apart else None


def no_typed_unit(e: Evidence) -> Refusal | None:
    q = e.question
    if q.kind is None or any(s.typed and names_in_context(q, s, e.params)
                             for s in e.candidates[: e.params.refusal_depth]):
        return None
    return Refusal("no_typed_unit",
                   f"no passage names {', '.join(sorted(q.names)) or 'the subject'} together with a {q.kind}")


def no_count(e: Evidence) -> Refusal | None:
    q = e.question
    if not q.counted or any(s.typed and all(t in s.facts.term_set for t in q.counted)
                            for s in e.candidates[: e.params.refusal_depth]):
        return None
    return Refusal("no_count", f"no passage gives a number of {' '.join(q.counted)}")


def relation_untied(e: Evidence) -> Refusal | None:
    """A lookup of one relation of a named subject ('Who is the mother of Abel Peele?'); a question of many
    terms is matched by coverage and score instead."""
    q = e.question
    if not (q.name_phrases and len(q.relation_terms) == 1 and untied(q, e.candidates, e.params)):
        return None
    return Refusal("relation_untied", f"no passage says {' '.join(q.relation_terms)} of "
                                      f"{', '.join(' '.join(p) for p in q.name_phrases)}")


def low_score(e: Evidence) -> Refusal | None:
    best = best_score(e.question, e.candidates, e.params)
    if best >= e.min_score:
        return None
    return Refusal("low_score", f"best evidence score {best:.2f} is below {e.min_score:.2f}")


RULES: tuple[Callable[[Evidence], Refusal | None], ...] = (
    no_passage, unknown_terms, unmeant_words, names_apart, no_typed_unit, no_count, relation_untied, low_score)
CODES = tuple(rule.__name__ for rule in RULES)
BY_CODE = dict(zip(CODES, RULES, strict=True))


def rules_in_force(params: AnswerParams) -> tuple[Callable[[Evidence], Refusal | None], ...]:
    """The rules ``params.refusal_rules`` names, in the order they run. Raises ValueError on an unknown code."""
    unknown_codes = [c for c in params.refusal_rules if c not in BY_CODE]
    if unknown_codes:
        raise ValueError(f"unknown refusal rule(s) {', '.join(unknown_codes)}; known: {', '.join(CODES)}")
    return tuple(rule for rule in RULES if rule.__name__ in params.refusal_rules)


def refusal(evidence: Evidence) -> Refusal | None:
    """The first rule in force that refuses the question, or None when the evidence is good enough to answer."""
    for rule in rules_in_force(evidence.params):
        found = rule(evidence)
        if found is not None:
            return found
    return None


def fired(evidence: Evidence) -> tuple[str, ...]:
    """The code of every rule, in force or not, that would refuse the question: what measuring a rule's worth
    (scripts/ablate_refusal.py) reads, since the first refusal hides the rest."""
    return tuple(rule.__name__ for rule in RULES if rule(evidence) is not None)
