"""Text helpers: markup read past, words cut at a boundary, short answers, case, and word lists."""

from __future__ import annotations

import html
import re

from rag.text import STOPWORDS

from .limits import FACT_WORDS

_MARKUP_CHARS = frozenset("`*[]<>|{}\\")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Inline markup: ``literal``, :role:`target`, `link <url>`_ / `code`, *emphasis*, **strong**.
_INLINE = re.compile(r"``(?P<literal>.+?)``|:[\w.+-]+(?::[\w.+-]+)?:`(?P<role>[^`]+)`|`(?P<link>[^`]+)`_{0,2}"
                     r"|(?<![\w*])\*{1,2}(?P<em>[^*\s](?:[^*]*[^*\s])?)\*{1,2}(?![\w*])")
_NUMBERING = re.compile(r"^(?:\(?\d+[.)]|\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*\.?)\s+")
_SUBORDINATE = frozenset(
    "when if in for unless although though while as since see note this these those it its they such there "
    "here also however because after before once otherwise with without by e.g. i.e. example most many some "
    "usually normally typically sometimes often given even instead".split())
_SUBORDINATE_RU = frozenset("если когда например этот эта это эти см также как при в для".split())
_TRAILING = STOPWORDS - {"no", "not", "all", "none", "one", "other", "up", "down", "out", "off", "yes", "same"}
_PRONOUNS = frozenset("this that these those it they which such there".split())


def flat(text: str) -> str:
    return " ".join(text.split())


def _inline(match: re.Match[str]) -> str:
    if match.group("literal"):
        return match.group("literal")
    target = match.group("role") or match.group("link") or match.group("em")
    return re.sub(r"\s*<[^>]*>$", "", target).lstrip("!~") if not match.group("em") else target


def plain(text: str, marked: bool = True) -> str:
    """Text as a reader sees it: no HTML entities, non-breaking hyphens as hyphens, and for a ``marked`` source
    (reST, Markdown) no roles or inline markup (a literal kept as it is: ``\\A``) and no links."""
    text = html.unescape(text)
    if marked:
        text = _INLINE.sub(_inline, _MD_LINK.sub(r"\1", text))
        text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
        text = re.sub(r"(?<=[A-Za-z0-9])_(?![\w])", "", text)  # a reST reference: 'metavar_'
    return flat(re.sub("[\u2010\u2011]", "-", text))


def unnumbered(title: str, marked: bool = True) -> str:
    """A heading without its section number: '6.3.1. The apt-cache policy Command' -> 'The apt-cache ...'."""
    return _NUMBERING.sub("", plain(title, marked)).strip()


def clean_word(word: str) -> bool:
    return not (set(word) & _MARKUP_CHARS or "\u2010" in word or re.search(r"&#?\w+;", word)
                or (len(word) > 1 and word.endswith("-") and word[-2].isalpha()))


def leading_words(text: str, lo: int = FACT_WORDS[0], hi: int = FACT_WORDS[1]) -> str | None:
    """The first ``lo``..``hi`` words of ``text`` verbatim, cut at a word boundary (at a comma once ``lo`` words
    are in, at the sentence's end), without trailing punctuation or function words; None when fewer clean words
    (no markup, no line-end hyphen) lead it. A description of only two words is taken whole."""
    end, whole, marked = 0, False, False
    for count, match in enumerate(re.finditer(r"\S+", text), 1):
        word = match.group()
        if not clean_word(word):
            marked = count > 1  # cut short by markup: what it was about to say is missing
            break
        end = match.end()
        if word[-1] in ".!?;:" or (count >= lo and word[-1] == ","):
            whole = word[-1] in ".!?;:"
            break
        if count >= hi:
            break
    else:
        whole = True
    fact = re.sub(r"(?:\s+[-–—]+)+$", "", text[:end].rstrip(" ,;:.!?"))  # '... server -'
    if fact.count("(") > fact.count(")"):
        fact, whole = fact[: fact.rfind("(")].rstrip(" ,;:"), False
    words = fact.split()
    while words and words[-1].lower() in _TRAILING:
        words.pop()
        whole = False
    fact = fact[: len(" ".join(words))] if words else ""
    if len(words) < (lo + 2 if marked else lo) and not (whole and len(words) >= 2):
        return None
    return fact or None


def short_answer(sentence: str) -> str | None:
    """A sentence of up to ten clean words whole (without its full stop), else its first words."""
    words = sentence.rstrip(" .!?").split()
    if 3 <= len(words) <= 10 and all(clean_word(w) for w in words):
        return sentence.rstrip(" .!?")
    return leading_words(sentence)


def value_fact(cell: str) -> str | None:
    """A value as a short answer: the cell itself when short and clean; a single code word loses its markup
    ('``None``' -> 'None'); None for a long cell (a description's first words come from leading_words)."""
    cell = flat(cell).strip(" .;,")
    inner = re.fullmatch(r"(?::\w+:)?`{1,2}([^`]+?)`{1,2}_?|\*{1,2}([^*]+?)\*{1,2}", cell)
    if inner:
        cell = (inner.group(1) or inner.group(2)).strip().lstrip("~!")
        return cell if cell and not set(cell) & {"`", "*"} else None
    if not cell or len(cell.split()) > FACT_WORDS[1] or not all(clean_word(w) for w in cell.split()):
        return None
    return cell


def lower_first(text: str) -> str:
    """'Added the typed option' -> 'added the typed option'; a name ('Path', 'NULL', 'SQLite') keeps its case."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and (first[1:].islower() or len(first) == 1) and first.isalpha():
        return text[:1].lower() + text[1:]
    return text


def lower_words(text: str) -> str:
    """'Long Option' -> 'long option'; 'ERE', 'NULL' and 'CamelCase' keep their case."""
    return " ".join(lower_first(w) for w in text.split())


def untitled(text: str) -> str:
    """A Title Case heading in sentence case ('Use Indexes On Expressions' -> 'use indexes on expressions');
    a heading in sentence case keeps its names ('pick Debian packages')."""
    long_words = [w for w in text.split() if len(w) > 3 and w.isalpha()]
    if long_words and sum(w[0].isupper() for w in long_words) >= 0.67 * len(long_words) + 0.01 and len(long_words) > 1:
        return lower_words(text)
    return text


def number_kind(fact: str) -> str:
    return "number" if re.fullmatch(r"[-+]?\d[\d.,]*\s*\w{0,3}", fact) else "what"


def opens_clause(text: str, language: str) -> bool:
    """Whether a description opens with a subordinate clause or a pointer, not with what it describes."""
    first = plain(text).split(" ", 1)[0].lower().strip(",.:;()")
    return first in (_SUBORDINATE_RU if language == "ru" else _SUBORDINATE)
