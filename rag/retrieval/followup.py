"""Follow-up questions: retrieve and read them with the conversation's context, by cheap rules instead of a model
call.

The context is the previous turn: its question, and what its answer named that the question did not. After
"Which country did Lavrov visit the day before Hanoi?" answered with Mongolia, "Who is its foreign minister?" is
read as "Who is Mongolia's foreign minister?": the referent of 'its' is only in the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import (
    CITATION_MARKER,
    MONTHS,
    SENTENCE_OPENERS,
    STOPWORDS,
    WEEKDAYS,
    fold,
    question_names,
    sentences,
    strip_markup,
    terms,
    word_matches,
    words,
)
from rag.types import Turn

# Words that point back to something said before ("its prime minister", "what about there"), English and Russian.
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|there|that|this|those|these|the country|the city|"
    r"the same|the other|then|он|она|оно|они|его|её|ее|него|неё|нее|ним|ней|нему|них|их|этот|эта|это|этого|этой|"
    r"эту|этом|этому|там|тогда)\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(r"^\s*(and|also|what about|how about|and what|and who|and when|and where|so|а|и)\b",
                           re.IGNORECASE)
# The pronoun a referent stands in for, and how: a possessive becomes "<referent>'s"; a demonstrative takes its
# noun with it ("that function" -> "expanduser"). 'there' and 'then' stay: they point at the previous question.
_POSSESSIVE_PRONOUN = re.compile(r"\b(?:its|his|their|hers)\b", re.IGNORECASE)
_PERSONAL = re.compile(r"\b(?:it|he|him|she|they|them|он|она|оно|они|его|её|ее|него|неё|нее|ним|ней|нему|них|их)\b",
                       re.IGNORECASE)
_HER = re.compile(r"\bher\b(?=\s+(\w+))?", re.IGNORECASE)
_DEMONSTRATIVE = re.compile(r"\b(?:that|this|этот|эта|это|этого|этой|эту|этом|этому)\s+(?!is\b|was\b|are\b|"
                            r"were\b|does\b|did\b|do\b|has\b|have\b|can\b|will\b)[^\W\d_][\w-]*", re.IGNORECASE)
_QUOTE_OPEN = re.compile(r"[\"“«]")
_CALENDAR = frozenset(MONTHS + WEEKDAYS)
_NEAR_WORDS = 2  # a name this many words from a word of the question stands by it
_SHORT_LEAD_WORDS = 3  # a lead (the short answer before the quote) this short is itself the referent


def as_turns(history: Sequence[Turn | str]) -> tuple[Turn, ...]:
    """Earlier turns, oldest first; a bare string is a question whose answer is not known."""
    return tuple(t if isinstance(t, Turn) else Turn(str(t)) for t in history)


def is_follow_up(question: str) -> bool:
    """Whether a question leans on an earlier one: it starts with 'and'/'what about', or it refers back
    with a pronoun and names nothing itself."""
    if _CONTINUATION.search(question):
        return True
    return bool(_ANAPHORA.search(question)) and not question_names(question) and len(terms(question)) <= 6


def _named(token: str, first: bool) -> bool:
    """A word that names something: capitalised (a sentence's opening word only when it is no common opener),
    written as code or a compound ('ssh-agent', 'os.path', 'Pause-After-Download'), or opening a sentence in lower
    case ('logrotate, the program responsible...')."""
    if any(ch in token for ch in "._-") and any(ch.isalpha() for ch in token):
        return True
    if first and token[:1].islower():  # prose opens with a capital: a sentence opening in lower case opens with code
        return fold(token) not in STOPWORDS
    return token[:1].isupper() and fold(token) not in (SENTENCE_OPENERS if first else STOPWORDS)


def _runs(sentence: str) -> list[tuple[int, str]]:
    """The named runs of a sentence: (index of the run's first word, the run), possessives dropped; a run does not
    cross punctuation ('Описание: Если' is two words, not one name)."""
    out: list[tuple[int, str]] = []
    run: list[str] = []
    first, end = 0, 0
    plain = strip_markup(sentence)
    for i, m in enumerate(word_matches(plain)):
        token = m.group()
        if run and (between := plain[end : m.start()].strip()) and between != ".":
            out.append((first, " ".join(run)))
            run = []
        end = m.end()
        if not _named(token, i == 0):
            if run:
                out.append((first, " ".join(run)))
                run = []
            continue
        if not run:
            first = i
        run.append(re.sub(r"['’]s$", "", token))
        if token.endswith(("'s", "’s")):  # a possessive ends a name: "Vietnam's capital Hanoi"
            out.append((first, " ".join(run)))
            run = []
    if run:
        out.append((first, " ".join(run)))
    return out


def referent(turn: Turn) -> str:
    """What the turn's answer named that its question did not: the short answer given before the quote (its
    names, or all of it when it is a few words), else the first name of the quote within reach of the question's
    words ('Mongolia' in 'He had visited Mongolia a day before arriving in Vietnam's capital Hanoi.'), else the
    nearest. '' when the answer names nothing new."""
    text = strip_markup(CITATION_MARKER.sub("", turn.answer)).strip()
    if not text:
        return ""
    asked = {re.sub(r"['’]s$", "", fold(w)) for w in words(turn.question)}
    own = set(terms(turn.question))

    def new(run: str) -> bool:
        """A run the question does not say, and no date or number ('April 8-9' is when, not who or what)."""
        if any(ch.isdigit() for ch in run) or any(fold(w) in _CALENDAR for w in run.split()):
            return False
        return any(fold(w) not in asked for w in run.split())

    opening = _QUOTE_OPEN.search(text)
    lead, quote = (text[: opening.start()], text[opening.start():]) if opening else (text, "")
    lead_runs = [run for sentence in sentences(lead) for _, run in _runs(lead[sentence.start : sentence.end])]
    if found := [r for r in lead_runs if new(r)]:
        return found[0]
    rest = [w for w in words(lead) if fold(w) not in asked and fold(w) not in STOPWORDS]
    if rest and len(words(lead)) <= _SHORT_LEAD_WORDS and new(" ".join(rest)):
        return " ".join(rest)
    found: list[tuple[int, int, str]] = []  # (distance to a word of the question, position, run)
    for span in sentences(quote):
        sentence = quote[span.start : span.end]
        tokens = words(strip_markup(sentence))
        hits = [i for i, t in enumerate(tokens) if set(terms(t)) & own]
        for start, run in _runs(sentence):
            if not new(run) or not hits or len(run) < 2:  # a lone letter ('the latest X archives') names nothing
                continue
            end = start + len(run.split()) - 1
            found.append((min(min(abs(h - start), abs(h - end)) for h in hits), len(found), run))
    # The first name right by the question's words ('Mongolia' before 'Vietnam' in 'visited Mongolia a day before
    # arriving in Vietnam's capital'), else the nearest.
    near = [f for f in found if f[0] <= _NEAR_WORDS]
    return min(near, key=lambda f: f[1])[2] if near else (min(found)[2] if found else "")


def resolve(question: str, ref: str) -> str:
    """The question with its first pronoun (or 'that <noun>') replaced by ``ref``: 'Who is its foreign
    minister?' -> "Who is Mongolia's foreign minister?"."""
    found = []
    if m := _POSSESSIVE_PRONOUN.search(question):
        found.append((m.start(), m.end(), f"{ref}'s"))
    if m := _HER.search(question):
        possessive = m.group(1) is not None and fold(m.group(1)) not in STOPWORDS
        found.append((m.start(), m.end(), f"{ref}'s" if possessive else ref))
    if m := _DEMONSTRATIVE.search(question):
        found.append((m.start(), m.end(), ref))
    if m := _PERSONAL.search(question):
        found.append((m.start(), m.end(), ref))
    if not found:
        return question
    start, end, text = min(found)  # 'her' ends before the word it looks ahead to
    return question[:start] + text + question[end:]


def understood(question: str, history: Sequence[Turn | str]) -> str:
    """The question as the conversation makes it: a follow-up's pronoun replaced by what the previous answer
    named ('Who is its foreign minister?' -> "Who is Mongolia's foreign minister?"); else the question."""
    turns = as_turns(history)
    if not turns or not is_follow_up(question):
        return question
    ref = referent(turns[-1])
    return resolve(question, ref) if ref else question


def contextual_query(question: str, history: Sequence[Turn | str], resolve: bool = True,
                     resolved: str | None = None) -> str:
    """The text to retrieve with: for a follow-up, the question as the last answer resolves it (``resolved``, or
    see ``understood``) when ``resolve`` and it does; else the question after the previous question. The resolved
    question alone retrieves better than after the previous question (15 follow-ups of 28 on the tuning sets
    against 13, docs/quality.md); the pipeline also decides the question as before and keeps the better reading."""
    turns = as_turns(history)
    if not turns or not is_follow_up(question):
        return question
    if resolve:
        resolved = understood(question, turns) if resolved is None else resolved
        if resolved != question:
            return resolved
    return f"{turns[-1].question} {question}"
