"""Decide, before generating, whether the documents can answer a question at all.

The signals hold in any corpus: exact values and names the question gives must exist in the index; the best
evidence must score above a threshold calibrated on the user's own documents (`rag calibrate`); a question
asking for a number, date or name needs a sentence that holds one, read together with the question's names;
a 'how many' question needs a sentence that gives a count of, or lists, what it counts.
"""

from __future__ import annotations

from rag.answer.corpus import CorpusStats
from rag.answer.evidence import ScoredSentence
from rag.answer.question import STRICT_KINDS, Question
from rag.index.embedding import Embedder
from rag.text import fold, has_name_term, names, same_name_term, sentences, terms, words

DEPTH = 8  # evidence sentences looked at for a typed answer


def unknown(question: Question, stats: CorpusStats) -> list[str]:
    """Names, code names and exact values of the question that occur in no indexed document."""
    # The opening word is a name only by a guess ('List Abel's friends'): it is not asked to exist.
    missing = [n for n in sorted(question.names - {question.opening_name}) if terms(n) and not stats.mentions(n)]
    missing += [i for i in sorted(question.identifiers)
                if terms(i) and not (stats.mentions(i) and stats.knows_code(i)) and i not in missing]
    missing += [x for x in sorted(question.exact) if not stats.has(x)]
    return missing


def names_in_context(question: Question, sentence: ScoredSentence) -> bool:
    """Whether the sentence, read in its passage, mentions the question's names: all of them, or all but one
    when there are 3+."""
    have = set(terms(sentence.context or sentence.passage.text))
    found = sum(1 for n in question.names if any(has_name_term(have, t) for t in terms(n)))
    wanted = len(question.names)
    return found >= (wanted - 1 if wanted >= 3 else wanted)


TIE_WINDOW = 2  # content terms between a relation term and the name it is said of
TIE_MAX_TERMS = 12  # only a short sentence states one relation; a long one mentions many things at a distance


def _positions(seq: list[str], phrase: tuple[str, ...], loose: bool = False) -> list[int]:
    n = len(phrase)
    if not loose:
        return [i for i in range(len(seq) - n + 1) if tuple(seq[i : i + n]) == phrase]
    return [i for i in range(len(seq) - n + 1) if all(same_name_term(a, b) for a, b in zip(seq[i : i + n], phrase))]


def ties(question: Question, text: str) -> bool | None:
    """Whether a sentence states a relation term of the question next to one of its names ('father' within two
    terms of 'rodney jack'): None when the sentence holds no name phrase or no relation term at all (nothing to
    judge), False when it holds both but apart ('The father of Abel Jack is Rodney Jack' for 'Who is Rodney
    Jack's father?'). Word order and proximity are what tell a relation from a co-occurrence."""
    seq = terms(text)
    if len(seq) > TIE_MAX_TERMS:
        return None
    spots = [(i, i + len(p) - 1) for p in question.name_phrases for i in _positions(seq, p)]
    rel = [i for i, t in enumerate(seq) if t in set(question.relation_terms)]
    if not spots or not rel:
        return None
    return any(min(abs(r - a), abs(r - b)) <= TIE_WINDOW for a, b in spots for r in rel)


def evidence_sentences(scored: list[ScoredSentence], depth: int = DEPTH) -> list[str]:
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


def untied(question: Question, scored: list[ScoredSentence]) -> bool:
    """True when the evidence names the question's subject and states its relation, but never one of the other:
    'Who is the mother of Abel Peele?' over sentences on Abel Peele and on other people's mothers.

    A sentence stating the relation of no one it names ('He met his counterpart') may be about the subject
    its passage names; then nothing is concluded."""
    named = related = False
    for text in evidence_sentences(scored):
        if len(terms(text)) > TIE_MAX_TERMS:
            continue  # a long sentence says too much to judge one relation by word positions
        if ties(question, text):
            return False
        seq = set(terms(text))
        has_relation = any(t in seq for t in question.relation_terms)
        has_name = any(set(p) <= seq for p in question.name_phrases)
        named |= has_name
        related |= has_relation
        if has_relation and not has_name and not names(text):
            return False  # an unnamed subject ('He ...'): cannot tell
    return named and related


def best_score(question: Question, scored: list[ScoredSentence]) -> float:
    """The score of the best sentence that could answer: typed, with the question's names in its passage."""
    fit = [s.score for s in scored[:DEPTH] if s.typed and names_in_context(question, s)]
    return max(fit) if fit else (scored[0].score if scored and question.kind is None else 0.0)


def unmatched_names(question: Question, passages: list[str], stats: CorpusStats) -> list[str]:
    """Names of several words whose last two words stand together in none of the retrieved passages: 'Abel
    Holtz' when the documents know an Abel Peele and a Zachariah Holtz but no Abel Holtz."""
    seqs = [terms(p) for p in passages]
    out = []
    for phrase in question.name_phrases:
        if len(phrase) >= 2 and not stats.has(" ".join(phrase[-2:])) and not any(
                _positions(seq, phrase[-2:], loose=True) for seq in seqs):
            out.append(" ".join(phrase))
    return out


MIN_WORD_SIMILARITY = 0.45  # a word no document holds must be this close to a word of the evidence
FRAMING = frozenset({"name", "named", "list", "called"})  # words that frame a question, not its content


def unmatched_words(question: Question, scored: list[ScoredSentence], stats: CorpusStats,
                    embedder: Embedder | None) -> list[str]:
    """Words of the question (not names) that no document holds and that nothing in the evidence means:
    'nationality' over sentences that give a gender, 'firefighter' over sentences that give occupations. A
    paraphrase passes ('children' ~ 'daughters', 'job' ~ 'occupation'): the embedder judges the meaning."""
    # Only a lookup of one or two relation terms hinges on each of them; in a longer question an unknown word
    # ('push', 'became') is one of many, and coverage weighs it.
    # A number, date or version question already needs a sentence giving one next to its names.
    if embedder is None or len(question.relation_terms) > 2 or question.kind in STRICT_KINDS:
        return []
    name_terms = {t for n in question.names for t in terms(n)}
    absent = sorted({w for t, w in question.surface if t not in name_terms and not stats.has(t) and len(w) > 2
                     and w not in FRAMING})
    if not absent:
        return []
    evidence = sorted({w for text in evidence_sentences(scored) for w in words(fold(text))
                       if terms(w) and not w.isdigit()})
    if not evidence:
        return absent
    vectors = embedder.embed(absent + evidence)
    sims = vectors[: len(absent)] @ vectors[len(absent) :].T
    return [w for w, row in zip(absent, sims, strict=True) if float(row.max()) < MIN_WORD_SIMILARITY]


def refusal_reason(question: Question, scored: list[ScoredSentence], stats: CorpusStats, min_score: float,
                   passages: list[str] = (), embedder: Embedder | None = None) -> str:
    """Why the question should be refused; empty when the evidence is good enough to answer.

    ``scored`` are the candidate evidence sentences, best first.
    """
    if not scored:
        return "no passage was retrieved"
    absent = unknown(question, stats)
    if absent:
        return f"{', '.join(absent)} occur(s) in no document"
    unmeant = unmatched_words(question, scored, stats, embedder)
    if unmeant:
        return f"no document says {', '.join(unmeant)} or anything close to it"
    apart = unmatched_names(question, list(passages), stats)
    if apart:
        return f"no passage names {', '.join(apart)}"
    if question.kind is not None and not any(s.typed and names_in_context(question, s) for s in scored[:DEPTH]):
        return f"no passage names {', '.join(sorted(question.names)) or 'the subject'} together with a {question.kind}"
    if question.counted and not any(s.typed and all(t in set(terms(s.passage.text)) for t in question.counted)
                                    for s in scored[:DEPTH]):
        return f"no passage gives a number of {' '.join(question.counted)}"
    # A lookup of one relation of a named subject ('Who is the mother of Abel Peele?'); a question of many
    # terms is matched by coverage and score instead.
    if question.name_phrases and len(question.relation_terms) == 1 and untied(question, scored):
        return (f"no passage says {' '.join(question.relation_terms)} of "
                f"{', '.join(' '.join(p) for p in question.name_phrases)}")
    best = best_score(question, scored)
    if best < min_score:
        return f"best evidence score {best:.2f} is below {min_score:.2f}"
    return ""
