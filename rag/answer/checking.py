"""Check each sentence of a model's answer against the evidence it cites.

A sentence is supported by a passage when every number and every name in it occurs in the passage and enough
of its content words do. Unsupported sentences are re-cited to a passage that supports them, or removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from rag.answer.facts import facts_of
from rag.answer.params import DEFAULTS, AnswerParams
from rag.answer.rank import weighted_share
from rag.text import CITATION_MARKER as _MARKER
from rag.text import fold, mentions, sentences, words
from rag.types import Passage


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # without citation markers
    cited: list[int]  # 1-based evidence numbers the model gave
    support: int | None  # the evidence number that supports it, None when nothing does
    reason: str = ""


def parse_citations(text: str) -> tuple[str, list[int]]:
    """Split '... [1] [2, 3].' into ('....', [1, 2, 3])."""
    cited: list[int] = []
    for match in _MARKER.finditer(text):
        cited.extend(int(n) for n in re.split(r"\s*,\s*", match.group(1)))
    clean = _MARKER.sub("", text).strip()
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    return clean, cited


@dataclass(frozen=True)
class Checks:
    """What the checker holds each model sentence to, besides its cited passage: the question's relation terms
    the evidence uses (``relation``) with their IDF ``weights`` and side-by-side ``pairs``, the question's terms
    and values (``asked``: a sentence saying only these says nothing), and per evidence unit the prose sentence
    just before it (``before``)."""

    relation: tuple[str, ...] = ()
    asked: frozenset[str] = frozenset()
    weights: Mapping[str, float] = field(default_factory=dict)
    pairs: tuple[tuple[str, str], ...] = ()
    before: tuple[str, ...] = ()
    params: AnswerParams = DEFAULTS


def unsupported_reason(sentence: str, passage: str, params: AnswerParams = DEFAULTS) -> str:
    """Why ``passage`` does not support ``sentence``; empty when it does."""
    sentence_facts, passage_facts = facts_of(sentence), facts_of(passage)
    passage_numbers = passage_facts.numbers
    missing_numbers = sorted(n for n in sentence_facts.numbers if n not in passage_numbers)
    if missing_numbers:
        return f"number(s) {', '.join(missing_numbers)} not in the cited passage"
    passage_words = {fold(w) for w in words(fold(passage))}
    passage_terms = set(passage_facts.term_set)
    missing_names = sorted(
        n for n in sentence_facts.names
        if n not in passage_words and not mentions(passage_terms, n)
    )
    if missing_names:
        return f"name(s) {', '.join(missing_names)} not in the cited passage"
    sent_terms = sentence_facts.term_set
    if not sent_terms:
        return "no content"
    covered = sum(1 for t in sent_terms if t in passage_terms) / len(sent_terms)
    if covered < params.min_term_overlap:
        return f"only {covered:.0%} of its words are in the cited passage"
    return ""


def check_sentence(raw: str, evidence: list[Passage], checks: Checks = Checks()) -> CheckedSentence:
    """Check one answer sentence; prefer the passage it cites, else any passage that supports it. With relation
    terms (``checks.relation``) the supporting passage must also tie the sentence to them
    (:func:`relation_reason`), read after ``checks.before[n - 1]``, the sentence just before evidence n in its
    document ('... has warned she would not shake his hand.' ties 'Canada's Foreign Affairs Minister Mélanie
    Joly told ...' to the handshake); the numbers, names and words must stand in the evidence itself. A sentence
    whose terms and numbers are all in ``checks.asked`` (the question's) says nothing and is removed."""
    text, cited = parse_citations(raw)
    asked, before = checks.asked, checks.before
    if asked and facts_of(text).said <= asked:
        return CheckedSentence(text=text, cited=cited, support=None, reason="says nothing the question does not")
    valid = [n for n in cited if 1 <= n <= len(evidence)]
    reason = "cites no source" if not cited else ("cites a source that does not exist" if not valid else "")

    def why(n: int) -> str:
        passage = evidence[n - 1].text
        read = f"{before[n - 1]} {passage}" if n <= len(before) and before[n - 1] else passage
        return (unsupported_reason(text, passage, checks.params)
                or relation_reason(checks.relation, read, checks.weights, checks.pairs, checks.params)
                or borrowed_reason(text, n, evidence, asked))

    for n in valid:
        reason = why(n)
        if not reason:
            return CheckedSentence(text=text, cited=cited, support=n)
    for n in range(1, len(evidence) + 1):
        if n not in valid and not why(n):
            return CheckedSentence(text=text, cited=cited, support=n, reason="re-cited")
    return CheckedSentence(text=text, cited=cited, support=None, reason=reason)


def _pairs(text: str) -> set[tuple[str, str]]:
    return set(pairwise(facts_of(text).terms))


def borrowed_reason(sentence: str, n: int, evidence: list[Passage], asked: frozenset[str] = frozenset()) -> str:
    """Why evidence ``n`` cannot carry ``sentence`` because part of it comes from another unit; empty when none does.

    A model merges units: '$5.54 billion, or around one percent of Vietnam's total trade [1]' takes its figure
    from [1] and 'around one percent of Vietnam's total trade' from [2]. The words the sentence has beyond its
    unit may be the model's paraphrase, but a phrase of them (two content words side by side, one of them absent
    from the cited unit) that stands word for word in another unit is that unit's fact, said under the wrong
    citation. A word the question gives (``asked``) is the model echoing the question, not borrowing. Language-
    neutral: it reads only which unit holds which words."""
    own = evidence[n - 1].text
    have = facts_of(own).term_set | asked
    phrases = {p for p in _pairs(sentence) - _pairs(own) if not (p[0] in have and p[1] in have)}
    if not phrases:
        return ""
    for m, other in enumerate(evidence, start=1):
        if m != n:
            taken = sorted(phrases & _pairs(other.text))
            if taken:
                return f"'{' '.join(taken[0])}' is from passage [{m}], not the cited one"
    return ""


_MARKERS_AFTER_END = re.compile(r"([.!?][\"”’']*)((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")


def split_answer(text: str) -> list[str]:
    """Sentences of a model's answer, each keeping the citation markers that follow it."""
    # 'Sentence. [2] Next.' -> 'Sentence [2]. Next.': a marker after the full stop belongs to its sentence.
    text = _MARKERS_AFTER_END.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    pieces = [text[s.start : s.end] for s in sentences(text)]
    # A marker sentence-split from its sentence ('... 1932. [1]') belongs to the sentence before.
    merged: list[str] = []
    for piece in pieces:
        if merged and _MARKER.fullmatch(" " + piece.strip().rstrip(".")):
            merged[-1] = f"{merged[-1]} {piece.strip()}"
        else:
            merged.append(piece)
    return merged


def relation_terms_used(relation_terms: tuple[str, ...], evidence: list[str]) -> tuple[str, ...]:
    """The relation terms the evidence itself uses: a passage saying 'met' cannot be asked to say 'meet' (stems
    do not join irregular forms), so such a term is not required."""
    used = {t for text in evidence for t in facts_of(text).terms}
    return tuple(t for t in relation_terms if t in used)


def relation_reason(relation_terms: tuple[str, ...], passage: str,
                    weights: Mapping[str, float] | None = None,
                    pairs: tuple[tuple[str, str], ...] = (), params: AnswerParams = DEFAULTS) -> str:
    """Why ``passage`` does not tie an answer to what the question asks about; empty when it does.

    A name from a sentence about another fact is a wrong answer with a right-looking citation: 'Who is the
    lobbyist?' answered with a name the cited sentence gives as someone's friend. The supporting sentence must
    itself hold at least half of the question's relation terms ('lobbyist', 'mother', 'default'), each weighted
    by ``weights`` (IDF: 'farm' of 'occupation is farm manager' weighs more than 'occupation'); and when the
    question puts relation terms side by side (``pairs``: 'farm manager'), one such pair must stand side by side
    in the passage too when both its words are there ('ant farming' is not 'farm manager')."""
    if not relation_terms:
        return ""
    facts = facts_of(passage)
    have = facts.term_set
    floored = {t: max(weights.get(t, 0.0), params.idf_floor) for t in relation_terms} if weights else {}
    if weighted_share(relation_terms, have, floored) < params.min_relation_share:
        return f"its passage does not say {' '.join(t for t in relation_terms if t not in have)}"
    # A pair is split only when both its words stand in the passage apart; a pair missing a word is weighed by
    # the share above ('minister said' asks nothing of a passage saying 'Minister Mélanie Joly told').
    split = [p for p in pairs if p[0] in have and p[1] in have]
    if split and not any(p in set(pairwise(facts.terms)) for p in split):
        return f"its passage does not say {' or '.join(' '.join(p) for p in split)}"
    return ""