"""Word-level helpers shared by evidence selection, answer checking and refusal: terms, numbers, names."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")

STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "then", "than", "so", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "about", "as", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "have", "has", "had", "having", "it", "its", "it's", "this", "that", "these", "those", "there", "here", "their", "they", "them", "he", "him", "his", "she", "her", "hers", "we", "us", "our", "you", "your", "i", "me", "my", "mine", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "whether", "not", "no", "nor", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "also", "just", "only", "very", "more", "most", "much", "many", "some", "any", "all", "each", "every", "both", "either", "neither", "one", "ones", "other", "another", "such", "same", "own", "again", "further", "once", "up", "down", "out", "over", "under", "between", "through", "during", "before", "after", "above", "below", "off", "too", "s", "t", "don", "tell", "say", "said", "says", "according", "please", "did", "does", "know", "want", "like", "get", "got", "make", "made", "let", "yes", "ok", "okay"]
)

SENTENCE_OPENERS = STOPWORDS | frozenset(
    ["however", "yesterday", "today", "tomorrow", "meanwhile", "moreover", "furthermore", "although", "though", "while", "since", "despite", "currently", "finally", "first", "second", "third", "instead", "still", "yet", "thus", "therefore", "later", "earlier", "next", "last", "according", "in", "on", "at", "after", "before", "during", "for", "with", "without", "as", "because", "unless", "until", "upon", "among", "between"]
)
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "s")


def fold(text: str) -> str:
    """Lower case with accents removed, so 'Mélanie' matches 'melanie'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def stem(word: str) -> str:
    """A crude suffix stripper; enough to match 'visits', 'visited' and 'visiting'."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    return [m.group() for m in _WORD.finditer(text)]


def terms(text: str) -> list[str]:
    """Stemmed, folded content words (stopwords and one-letter words dropped), in order."""
    out = []
    for w in words(fold(text)):
        w = _POSSESSIVE.sub("", w).strip(".'")
        if len(w) > 1 and w not in STOPWORDS and not w.isdigit():
            out.append(stem(w))
    return out


def numbers(text: str) -> set[str]:
    """Numbers as written, with thousands separators dropped: '12,000' -> '12000', '5.54' stays."""
    found = set()
    for m in _NUMBER.finditer(text):
        value = m.group()
        if _THOUSANDS.fullmatch(value):
            value = value.replace(",", "")
        found.add(value.rstrip(".,"))
    return found


def names(text: str) -> set[str]:
    """Folded capitalised words that are not the first word of a sentence: names of people, places, things."""
    found = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        tokens = words(sentence)
        for i, token in enumerate(tokens):
            # A sentence's first word is capitalised whatever it is; common openers are not names.
            if i == 0 and fold(token) in SENTENCE_OPENERS:
                continue
            if token[:1].isupper() and fold(token) not in STOPWORDS:
                found.add(_POSSESSIVE.sub("", fold(token)))
    return found


def question_names(question: str) -> set[str]:
    """Names in a question. Stricter than :func:`names`: a question's first word is capitalised whatever it is
    ('Apart from...', 'Roughly what...'), so it counts only when the next word is capitalised too (a name of
    several words); a hyphenated word with a lower-case part keeps only its capitalised parts ('US-led' -> 'US')."""
    found = set()
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", question):
        tokens = words(sentence)
        for i, token in enumerate(tokens):
            if i == 0 and not (len(tokens) > 1 and tokens[1][:1].isupper()):
                continue
            parts = token.split("-")
            if any(ch.isdigit() for ch in token) or all(part[:1].isupper() for part in parts):
                parts = [token]  # 'G-20', 'Vietnam-Russia', 'Inter-Governmental' are names as a whole
            for part in parts:
                if part[:1].isupper() and fold(part) not in STOPWORDS:
                    found.add(_POSSESSIVE.sub("", fold(part)))
    return found


def contains_term(haystack_terms: set[str], term: str) -> bool:
    """Whether a term occurs among ``haystack_terms``, allowing a shared 5-letter stem ('Vietnamese'~'Vietnam')."""
    if term in haystack_terms:
        return True
    if len(term) >= 5:
        return any(len(t) >= 5 and (t.startswith(term) or term.startswith(t)) for t in haystack_terms)
    return False


def mentions(haystack_terms: set[str], name: str) -> bool:
    """Whether any term of ``name`` occurs among ``haystack_terms`` (False for a name with no terms)."""
    return any(contains_term(haystack_terms, t) for t in terms(name))
