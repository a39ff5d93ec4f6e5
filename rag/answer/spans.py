"""Where in a unit its answer stands: the span of a number, date, version or name, as a reader sees it.

The short answer of an answer is such a span ('$5.54 billion'), and the quote it rests on shows it highlighted.
Spans are read off the text with the same patterns that decide what kind of fact a unit holds
(rag.answer.facts), so a span is always something the unit says, character for character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.evidence import specifics
from rag.answer.facts import DATE_SPAN, VERSION, facts_of
from rag.answer.question import Question
from rag.text import SENTENCE_OPENERS, STOPWORDS, fold, same_name_term, terms, word_matches

# An amount with what says what it counts: currency before, a scale or unit word after ('U.S. $5.54 billion',
# '14 percent'); a number inside a name is none ('COVID-19').
_AMOUNT = re.compile(r"(?:\bU\.S\.\s*)?[$€£¥₽]?\s?(?<![\w.-])\d+(?:[.,]\d+)*(?:\s?(?:%|percent\b|per cent\b|"
                     r"(?:thousand|million|billion|trillion)\b))?")
# The word a bare number counts, right after it: '1024 bytes', '24 hours', '64 KiB' (a short unit may be written in
# capitals); not a word of the sentence's grammar ('128 by default', '2 and 3').
_COUNTED = re.compile(r"[ \t]?(?:[a-z][a-z-]{0,15}|[A-Za-z]{1,3}[A-Z][a-z]?)\b")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1] in " .,;:":
        end -= 1
    return Span(start, end, text[start:end])


def value_spans(question: Question, text: str) -> list[Span]:
    """The spans of ``text`` that give what the question asks for and does not already say, in order."""
    asked = question.asked_specifics
    out: list[Span] = []
    if question.kind == "number":
        in_text = facts_of(text).amounts
        for m in _AMOUNT.finditer(text):
            value = facts_of(m.group()).numbers
            if value and value & in_text and not value <= asked:
                end = m.end()
                if m.group().strip()[-1].isdigit() and (unit := _COUNTED.match(text, end)) is not None \
                        and unit.group().strip().lower() not in STOPWORDS:
                    end = unit.end()  # a bare number with the word it counts
                out.append(_strip(text, m.start(), end))
    elif question.kind == "date":
        for m in DATE_SPAN.finditer(text):
            if facts_of(m.group()).dates - asked:
                out.append(_strip(text, m.start(), m.end()))
    elif question.kind == "version":
        out = [Span(m.start(), m.end(), m.group()) for m in VERSION.finditer(text) if m.group() not in asked]
    return out


def asked_span(question: Question, text: str, spans: list[Span], context_words: int) -> Span | None:
    """Of ``spans`` (value_spans of ``text``), the one with most of the question's terms within ``context_words``
    words either side ('until 2002' for "Until what year did Russia run a naval base?", not 'On June 25'); the
    first of equals; None when there is none."""
    if not spans:
        return None
    asked = set(question.terms)
    tokens = list(word_matches(text))

    def context(span: Span) -> int:
        before = [t.group() for t in tokens if t.end() <= span.start][-context_words:]
        after = [t.group() for t in tokens if t.start() >= span.end][:context_words]
        return len(asked.intersection(terms(" ".join(before + after))))

    scores = [context(span) for span in spans]
    return spans[scores.index(max(scores))]


def amount_part(text: str, span: Span) -> str:
    """A number span of ``text`` (value_spans) without the word it counts: '1024' of '1024 bytes'."""
    bare = _AMOUNT.match(text, span.start)
    return _strip(text, span.start, bare.end()).text if bare else span.text


def name_spans(text: str, wanted: set[str]) -> list[Span]:
    """Runs of words of ``text`` that are names in ``wanted`` (folded, as rag.text.names gives them): 'Mélanie
    Joly' in 'Canada's Foreign Affairs Minister Mélanie Joly told...' for wanted {'melanie', 'joly'}."""
    found = facts_of(text).names & wanted
    out: list[Span] = []
    start = end = -1
    for m in re.finditer(r"[^\W_]+(?:['’][^\W_]+)?", text):
        word = re.sub(r"['’]s$", "", fold(m.group()))
        if word in found:
            if start < 0:
                start = m.start()
            end = m.end()
            continue
        if start >= 0:
            out.append(Span(start, end, text[start:end]))
            start = -1
    if start >= 0:
        out.append(Span(start, end, text[start:end]))
    return out


def _given(question: Question, text: str) -> set[str]:
    """The values of the kind asked for a text gives, and its numbers: what a claim and a span are compared by."""
    return specifics(question, text) | facts_of(text).numbers


def stated_spans(question: Question, claim: str, spans: list[Span]) -> list[Span]:
    """The values among ``spans`` that ``claim`` states whole ('151 projects' and '$950 million' in a draft that
    restates the sentence): when it states several, the question's words beside each choose, as without a draft."""
    given = _given(question, claim)
    return [s for s in spans if (own := _given(question, s.text)) and own <= given]


def answer_span(question: Question, claim: str, text: str) -> Span | None:
    """The span of ``text`` (a unit as shown) that ``claim`` answers with: the value of the kind asked for that
    shares most with the claim, else the names the claim gives that the question does not; None when the claim
    gives neither."""
    given = _given(question, claim)
    shared = [(len(_given(question, s.text) & given), s) for s in value_spans(question, text)]
    best = max((n for n, _ in shared), default=0)
    if best:  # the span sharing most with the claim ('April 8-9' over '2024-04-07' for 'On April 8-9, 2024')
        return next(s for n, s in shared if n == best)
    wanted = facts_of(claim).names - question.asked_specifics
    runs = name_spans(text, wanted) if wanted else []
    return max(runs, key=lambda s: s.end - s.start) if runs else None


_TOKEN = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")
_CLAUSE_END = re.compile(r"[.;:!?()\[\]\"“”«»]")  # what a title phrase does not run across ('(TDI): The ...')
_JOINS = re.compile(r"\.?\s+")  # words of one name: 'Sergey Lavrov', 'L. Oyun-Erdene' (an initial keeps its dot)
# Words after which a name is the object of a preposition ('Minister of Russia', 'in Bali'), English and Russian.
_OBJECT_OF = re.compile(r"(?i)(?:of|in|on|at|to|from|into|for|with|by|about|над|под|в|во|на|из|от|до|для|с|со|у|о|об|"
                        r"по|при|к)$")
_COPULA = re.compile(r"(?i)is|was|are|were|—|это")
_PLURAL_COPULA = re.compile(r"(?i)are|were")  # 'The daughters of X are A, B': the names after it are a list
TITLE_WORDS = 6  # how far before (or after a comma) a name its title phrase is looked for


@dataclass(frozen=True)
class NamedAnswer:
    """A name a unit gives next to the question's words: 'Battsetseg Batmunkh' in '... the Foreign Minister of
    Mongolia, Battsetseg Batmunkh, ...' for "Who is Mongolia's foreign minister?"."""

    span: Span
    covered: frozenset[str]  # the question's terms in its title phrase ('foreign', 'minist', 'mongolia')


def named_answer(question: Question, text: str, lists: bool = True) -> NamedAnswer | None:
    """The name a who- or which-question asks for in ``text``: a run of capitalised words the question does not
    say (its own names may end it: 'Trina Glasgow' for 'Who is Hanh Glasgow's sister?'), standing right after a
    phrase of the question's words ('Foreign Minister of Mongolia, Battsetseg Batmunkh', 'The mother of Babette
    Sides is Shawnta Archuleta', 'Minister Mélanie Joly') or right before one after a comma or 'is' ('Enedina Jack
    is airsoft'). The phrase must hold a word of what is asked (not only the question's names and dates), and for
    a which-question its noun ('minister' in 'Which Canadian minister...'); a who-question's name has two words or
    more. Of several, the one whose phrase holds most of the question's terms. With ``lists``, the names listed
    after it too when the phrase ends in 'are'/'were' or the question asks for a list ('Kate Gruber, Mallie
    Tinney'). None when no name stands so."""
    own = set(terms(question.text))
    relation = set(question.relation_terms)
    tokens = list(_TOKEN.finditer(text))

    def gap(a: int, b: int) -> str:
        return text[tokens[a].end() : tokens[b].start()]

    # Each word read once: the question's terms it says, and whether it looks like (part of) a name.
    said = [m.group() for m in tokens]
    asked = [{t for t in terms(w) if t in own or any(same_name_term(t, o) for o in question.name_terms)}
             for w in said]
    name_like = [w[:1].isupper() and fold(w) not in (
        SENTENCE_OPENERS if i == 0 or _CLAUSE_END.search(gap(i - 1, i)) else STOPWORDS) for i, w in enumerate(said)]

    def phrase(i: int, step: int) -> set[str]:
        """The question's terms in the phrase from token ``i`` on, walking by ``step``."""
        found: set[str] = set()
        for _ in range(TITLE_WORDS):
            j = i + step
            if not 0 <= j < len(tokens) or _CLAUSE_END.search(gap(min(i, j), max(i, j))):
                break
            if asked[j]:
                found |= asked[j]
            elif fold(said[j]) not in STOPWORDS and not said[j][:1].isupper():
                break
            i = j
        return found

    def joins(j: int) -> bool:
        """Whether token j + 1 continues the name ending at token j: a capitalised word the question does not ask
        about (or one of its names), after a space (or an initial's dot)."""
        if j + 1 >= len(tokens) or re.search(r"['’]s$", said[j]) or not name_like[j + 1]:
            return False
        between = gap(j, j + 1)
        if not _JOINS.fullmatch(between) or (between.strip() and len(said[j]) > 1):
            return False
        return not asked[j + 1] - set(question.name_terms)

    def listed_until(j: int) -> int:
        """The last token of the names listed after the one ending at token j ('are Kate Gruber, Mallie Tinney',
        'A and B', 'A, B, and C')."""
        while j + 1 < len(tokens):
            k = j + 1
            between = gap(j, k).strip()
            if between not in ("", ","):
                break
            if k + 1 < len(tokens) and fold(said[k]) == "and" and not gap(k, k + 1).strip():
                k += 1  # 'and' (after a comma or not)
            elif not between:
                break
            if not name_like[k] or asked[k] - set(question.name_terms) or _CLAUSE_END.search(gap(k - 1, k)):
                break
            first = k
            while joins(k):
                k += 1
            if k == first:  # one word is no name of a person
                break
            j = k
        return j

    best: NamedAnswer | None = None
    i = 0
    while i < len(tokens):
        if not name_like[i] or asked[i]:
            i += 1
            continue
        j = i
        while joins(j):
            j += 1
        start, after = i, j + 1
        i = after
        if j == start and (len(said[j]) == 1 or question.kind == "name"):
            continue  # a lone letter names nothing; a person is named by two words ('Vietnamese counterpart' is none)
        if j > start and tuple(terms(said[j])) in question.name_phrases:
            continue  # 'Sergey Lavrov' is the Lavrov the question names, not someone it asks for
        if after < len(tokens) and name_like[after] and not gap(j, after).strip():
            continue  # 'Foreign Affairs' in 'Foreign Affairs Minister Mélanie Joly': part of a title
        object_of = start > 0 and not gap(start - 1, start).strip() and _OBJECT_OF.match(said[start - 1])
        # 'the Minister of Russia': a name after a preposition is what a title is of, not who holds it.
        covered = set() if object_of else phrase(start, -1)
        if after < len(tokens) and ((gap(j, after).strip() == "," and not object_of)
                                    or _COPULA.fullmatch(said[after])):
            covered |= phrase(j, 1)
        if not covered & relation or (question.head and question.head not in covered):
            continue
        if best is None or len(covered) > len(best.covered):
            if lists and (start > 0 and _PLURAL_COPULA.fullmatch(said[start - 1]) or question.wants_list):
                j = listed_until(j)
            end = tokens[j].end() - (2 if re.search(r"['’]s$", said[j]) else 0)
            best = NamedAnswer(Span(tokens[start].start(), end, text[tokens[start].start() : end]), frozenset(covered))
    return best
