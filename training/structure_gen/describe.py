"""Sentences that describe their subject ('The avg() function returns ...'), and the questions they answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import STOPWORDS

from .text import leading_words, lower_first, opens_clause, plain

_NOUNS = (r"function|command|option|method|pragma|field|keyword|operator|statement|setting|variable|builtin|"
          r"directive|file|module|class|clause|program|utility|tool|parameter|attribute|expression|object|type")
_VERB_AFTER = re.compile(rf"^(?:(?:\s+[\w-]+)?\s+(?:{_NOUNS})s?\b)?\s+(\w+)\b")
_QUOTES = r"[`*'\"‘’“”]*"
# Verbs a plural subject takes without an -s ('Aliases allow ...'), and -s words that are not verbs.
_BASE_VERBS = frozenset(
    "allow provide let make control specify define contain select display print show set cause describe represent "
    "determine change give generate create perform enable take produce hold store list add remove".split())
_NOT_VERBS = frozenset(
    "is was has its this thus as always perhaps sometimes plus less unless yes us bus class process access "
    "address alias status series versions options arguments values consists".split())


def subject_pattern(subject: str) -> str | None:
    """A regex for the subject as a sentence opens with it: an article and up to two words may come first
    ('The command set lmargin'), markup may wrap its words, a plural title may be singular in the sentence,
    a function may carry its arguments ('avg()' matches 'avg(X)')."""
    words = plain(subject).split()
    if words and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    if not words or len(words) > 8 or words[0].lower() in STOPWORDS:  # 'For global installation'
        return None
    parts = [re.escape(w) for w in words]
    function = re.fullmatch(r"([\w.]+)\(.*\)", words[-1])
    if function:
        parts[-1] = re.escape(function.group(1)) + r"\([^)]*\)"
    elif re.search(r"[a-z]s$", words[-1]) and not words[-1].endswith("ss"):
        parts[-1] = re.escape(words[-1][:-1])
    gap = _QUOTES + r"\s+" + _QUOTES
    return (r"^(?:(?:the|an?)\s+)?(?:[\w-]+\s+){0,2}?" + _QUOTES + r"(?::\w+:`)?" + gap.join(parts)
            + (r"(?:s|es)?" if not function else "") + _QUOTES)


@dataclass(frozen=True)
class Described:
    """A sentence that describes its subject: how it words the subject, the question's form ('is', 'return',
    'do', 'used', 'mean'), the fact (the first words after the verb, or from the verb for 'do'), and whether
    the verb is plural ('Aliases allow ...')."""

    said: str
    form: str
    fact: str
    plural: bool = False


def describe(subject: str, sentence: str) -> Described | None:
    """A Described when ``sentence`` opens with ``subject`` and a verb ('The avg() function returns ...')."""
    pattern = subject_pattern(subject)
    match = re.match(pattern, sentence, re.IGNORECASE) if pattern else None
    rest = _VERB_AFTER.match(sentence[match.end() :]) if match else None
    if not match or not rest:
        return None
    said = plain(sentence[: match.end() + rest.start(1)]).rstrip(" ,")
    verb = rest.group(1).lower()
    after = sentence[match.end() + rest.end(1) :].lstrip()
    plural = verb in ("are", "return", "mean", "refer") or verb in _BASE_VERBS
    if verb in ("is", "are"):
        if re.match(r"used\s+(?:to|for)\b", after):
            return Described(said, "used", leading_words(after[4:].lstrip()) or "", plural)
        if re.match(r"(?:not|also|only|now|always|never|usually|often|sometimes|still|then|thus|rather|either|"
                    r"both|the same|similar|equivalent|like|called|"
                    r"set|defined|ignored|true|false|deprecated|available|described|discussed|\w+ed|present|absent|"
                    r"optional|required|useful|valid|possible|chosen|given|shown|written|known|done|made|taken|seen|"
                    r"built|found|held|kept|read|run|put|sent|drawn|\w+ly)\b", after):
            return None
        return Described(said, "is", leading_words(after) or "", plural)
    if verb in ("returns", "return"):
        return Described(said, "return", leading_words(after) or "", plural)
    if verb in ("means", "mean") or (verb in ("refers", "refer") and after.startswith("to ")):
        return Described(said, "mean", leading_words(after[3:] if verb.startswith("refer") else after) or "", plural)
    third_person = re.fullmatch(r"[a-z]{3,}(?:s|es)", verb) and verb not in _NOT_VERBS and not verb.endswith("ss")
    if third_person or (said.lower().endswith("s") and verb in _BASE_VERBS):
        return Described(said, "do", leading_words(sentence[match.end() + rest.start(1) :]) or "", plural)
    return None


def described_question(described: Described, context: str = "") -> str:
    said, form = described.said, described.form
    words = said.split()
    sentence_case = len(words) > 1 and lower_first(words[0]) != words[0] and not any(w[:1].isupper() for w in words[1:])
    if words[0] in ("The", "A", "An") or sentence_case:  # 'Shell functions' -> 'shell functions'; not 'Release Manager'
        said = said[0].lower() + said[1:]
    be, do = ("are", "do") if described.plural else ("is", "does")
    named = context and re.search(rf"(?<!\w){re.escape(context)}(?!\w)", said, re.IGNORECASE)
    suffix = f" in {context}" if context and not named else ""
    return {"is": f"What {be} {said}{suffix}?", "return": f"What {do} {said} return{suffix}?",
            "do": f"What {do} {said} do{suffix}?", "used": f"What {be} {said} used for{suffix}?",
            "mean": f"What {do} {said} mean{suffix}?"}[form]


def description_fact(sentence: str, language: str) -> str | None:
    """The first words of a sentence that describes something without naming it first ('Transform an old-style
    comparison function ...', 'The location of npm's cache directory.'); None when it opens with a clause or
    with a subject of its own ('The mode query parameter determines ...')."""
    if (opens_clause(sentence, language) or re.match(r"(?:The|An?)\s+(?:\S+\s+){0,5}?(?<![\w'’])[a-z]{3,}s\s",
                                                      sentence)
            or re.match(r"(?:\S+\s+){1,4}(?:is|are|was|were|can|will|may|must|should)\s", sentence)):
        return None
    return leading_words(sentence)
