"""Text primitives shared by chunking, lexical retrieval and answering: sentences, words, terms, names, numbers.

One home for each: the sentence splitter that chunking, evidence and answer checking all use, and the folding,
stemming and markup stripping that make 'Mélanie' match 'melanie', 'visited' match 'visits' and
``:func:`os.path.join``` match 'os.path.join'. Nothing here knows a genre: rules are about scripts, punctuation
and layout (hard-wrapped lines, reST/Markdown markup), never about the words of one corpus.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import snowballstemmer

# A word: letters/digits of any script, joined by - ' ’ or . ('G-20', "Xi's", 'os.path.join', '3.11').
_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ISO_DATE = re.compile(r"\b\d{3,4}-\d{2}-\d{2}\b")
_POSSESSIVE = re.compile(r"['’]s$")
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
# Citation markers of our own answers ('[1]', '[2, 3]'): never facts.
CITATION_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# reST roles (':func:`x`', ':meth:`!y`') and inline markup (``code``, *emphasis*, **strong**, `link`_).
_ROLE = re.compile(r":[\w.+-]+(?::[\w.+-]+)?:(?=`)")
_MARKUP = re.compile(r"``|`_{0,2}|\*{1,2}(?=\S)|(?<=\S)\*{1,2}|(?<![\w~])[~!](?=[\w.])")

STOPWORDS = frozenset(
    "a an the and or but if then than so of to in on at by for with from into onto about as is are was were be "
    "been being am do does did done have has had having it its it's this that these those there here their they "
    "them he him his she her hers we us our you your i me my mine what which who whom whose when where why how "
    "whether not no nor can could would should will shall may might must also just only very more most much many "
    "some any all each every both either neither one ones other another such same own again further once up down "
    "out over under between through during before after above below off too s t don tell please know want like "
    "get got let yes ok okay according".split()
)
# Words that open sentences without being names ('However, ...'); general English, not one corpus's words.
SENTENCE_OPENERS = STOPWORDS | frozenset(
    "however yesterday today tomorrow meanwhile moreover furthermore although though while since despite "
    "currently finally first second third instead still yet thus therefore later earlier next last according "
    "because unless until upon among without".split()
)
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# ---------------------------------------------------------------------------------------------------- words


def strip_markup(text: str) -> str:
    """Text without reST roles and inline markup: ':func:`os.path.join`' -> 'os.path.join'."""
    return _MARKUP.sub("", _ROLE.sub("", text))


def fold(text: str) -> str:
    """Lower case, accents and markup removed, so 'Mélanie' matches 'melanie' and ``None`` matches None."""
    text = strip_markup(text).lower()
    if not text.isascii():
        text = _strip_accents(text)
    return text.replace("’", "'")


def _strip_accents(text: str) -> str:
    """Latin accents go ('é' -> 'e', Vietnamese tones too); Cyrillic letters stay whole ('й' is not 'и'), so
    the Russian stemmer sees real words."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and not (out and "\u0400" <= out[-1] <= "\u04ff"):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("ё", "е")


@functools.cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of a folded word, English or Russian by script ('visits', 'visited' -> 'visit')."""
    if word.isascii():
        return _stemmer("english").stemWord(word) if word.isalpha() else word
    if any("\u0400" <= ch <= "\u04ff" for ch in word):
        return _stemmer("russian").stemWord(word)
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_matches(text: str) -> Iterator[re.Match[str]]:
    """The words of ``text`` with their offsets."""
    return _WORD.finditer(text)


def _parts(word: str) -> list[str]:
    """'os.path.join' -> ['os', 'path', 'join']; "Lavrov's" -> ['lavrov']; 'G-20' stays whole."""
    word = _POSSESSIVE.sub("", word).strip(".'")
    return [p for p in word.split(".") if p] if "." in word and not _NUMBER.fullmatch(word) else [word]


def terms(text: str) -> list[str]:
    """Stemmed, folded content words (stopwords, one-letter words and numbers dropped), in order. Dotted
    identifiers give their parts, so 'os.path.join' matches a page about os.path that defines join()."""
    out = []
    for w in words(fold(text)):
        for part in _parts(w):
            if len(part) > 1 and part not in STOPWORDS and not _NUMBER.fullmatch(part.replace("-", "")):
                out.append(stem(part))
    return out


def numbers(text: str) -> set[str]:
    """Numbers as written, thousands separators dropped ('12,000' -> '12000'; '5.54', '3.11' stay). Citation
    markers ('[1]') are not numbers; an ISO date gives the whole date and its parts."""
    text = CITATION_MARKER.sub(" ", text)
    found = {m.group() for m in _ISO_DATE.finditer(text)}
    for m in _NUMBER.finditer(text):
        value = m.group()
        if _THOUSANDS.fullmatch(value):
            value = value.replace(",", "")
        found.add(value.rstrip(".,"))
    return found


def find_spaced(text: str, phrase: str, start: int = 0) -> tuple[int, int] | None:
    """Where ``phrase`` is in ``text`` (from ``start`` on) with any run of whitespace between its words (a line
    break of a passage where the phrase has a space), as (start, end); None when it is not, or is empty."""
    found = re.compile(r"\s+".join(map(re.escape, phrase.split()))).search(text, start) if phrase.split() else None
    return found.span() if found else None


def trimmed_lines(text: str) -> str:
    """``text`` with its line breaks kept, each line's trailing spaces and the whole's outer blank lines gone."""
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def grid_cells(lines: list[str]) -> list[str]:
    """The cells of a table row written between '|' bars, each column's lines joined ('| args | You shouldn't |' +
    '|      | format it.   |' -> ['args', "You shouldn't format it."]); a column empty on every line is left out."""
    columns: list[list[str]] = []
    for line in lines:
        for i, cell in enumerate(line.strip().strip("|").split("|")):
            while len(columns) <= i:
                columns.append([])
            if cell.strip():
                columns[i].append(cell.strip())
    return [" ".join(c) for c in columns if c]


def index_tokens(text: str) -> set[str]:
    """What a document offers for exact lookup: its terms and its numbers (the corpus vocabulary)."""
    return set(terms(text)) | numbers(text)


def _is_name_token(token: str) -> bool:
    return token[:1].isupper() and fold(token) not in STOPWORDS


def names(text: str) -> set[str]:
    """Folded capitalised words (any script) that are not a sentence's opening word: names of people, places,
    things, and CamelCase identifiers ('ValueError')."""
    found = set()
    for span in sentences(text):
        tokens = words(strip_markup(text[span.start : span.end]))
        for i, token in enumerate(tokens):
            # A sentence's first word is capitalised whatever it is; common openers are not names.
            if i == 0 and fold(token) in SENTENCE_OPENERS:
                continue
            if _is_name_token(token):
                found.add(_POSSESSIVE.sub("", fold(token)))
    return found


def question_names(question: str) -> set[str]:
    """Names in a question. Its first word counts only when the next is capitalised too ('Apart from...' is
    not a name, 'Sergey Lavrov' is); a hyphenated word keeps only its capitalised parts ('US-led' -> 'US')."""
    found = set()
    for span in sentences(question):
        tokens = words(strip_markup(question[span.start : span.end]))
        for i, token in enumerate(tokens):
            if i == 0 and not (len(tokens) > 1 and tokens[1][:1].isupper()):
                continue
            parts = token.split("-")
            if any(ch.isdigit() for ch in token) or all(part[:1].isupper() for part in parts):
                parts = [token]  # 'G-20', 'Vietnam-Russia' are names as a whole
            for part in parts:
                if _is_name_token(part):
                    found.add(_POSSESSIVE.sub("", fold(part)))
    return found


_CODE = re.compile(r"\b(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?|[A-Za-z]\w*_\w+|\w+\(\)|[a-z]+[A-Z]\w*)")


def identifiers(text: str) -> set[str]:
    """Code names written as code: dotted, snake_case, called or camelCase ('os.path.join', 'lru_cache', 'zip()')."""
    return {m.group().removesuffix("()") for m in _CODE.finditer(strip_markup(text)) if not m.group().isupper()}


def contains_term(haystack_terms: set[str], term: str) -> bool:
    """Whether a (stemmed) term occurs among ``haystack_terms``."""
    return term in haystack_terms


def same_name_term(a: str, b: str) -> bool:
    """Name terms that are forms of one name: equal, or one extends the other by a suffix ('mongolia' ~
    'mongolian', 'asia' ~ 'asian'). For names only: for other words a shared prefix means little."""
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def has_name_term(haystack_terms: set[str], term: str) -> bool:
    return term in haystack_terms or any(same_name_term(term, t) for t in haystack_terms)


def mentions(haystack_terms: set[str], name: str) -> bool:
    """Whether any term of ``name`` occurs among ``haystack_terms`` (False for a name with no terms)."""
    return any(t in haystack_terms for t in terms(name))


# ------------------------------------------------------------------------------------------------ sentences


@dataclass(frozen=True)
class Span:
    """A piece of a text by offsets; ``text[start:end]`` is the piece."""

    start: int
    end: int


def trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


# Candidate boundaries: end punctuation (plus closing quotes/brackets) before whitespace, or a line break.
_BOUNDARY = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*(?=\s|$)|\n")
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Lt|No|vs|etc|approx|cf|e\.g|i\.e|U\.S|U\.N|Inc|Ltd|"
                           r"Co|Fig|Vol|Mt)|\b[A-Z]|\b[А-ЯЁ])\.$")
_OPENS_SENTENCE = "\"'“‘«([*`:"
# A line that starts a block of its own: a list item, a directive or comment, a heading, a prompt, a table row.
_BLOCK_START = re.compile(r"\s*(?:[-*+•]\s|\d+[.)]\s|#|\.\.\s|>>>|\||=+\s*$|-+\s*$|~+\s*$|\^+\s*$)")
_UNDERLINE = re.compile(r"\s*([=\-~^*#`'\"])\1{2,}\s*$")
_SOFT_END = re.compile(r"[.!?:;…。]['\"”’)\]]*$")


def _next_char(text: str, pos: int, end: int) -> str:
    while pos < end and text[pos].isspace():
        pos += 1
    return text[pos] if pos < end else ""


def _line_at(text: str, pos: int, end: int) -> str:
    stop = text.find("\n", pos, end)
    return text[pos : end if stop < 0 else stop]


def _line_before(text: str, pos: int, start: int) -> str:
    return text[text.rfind("\n", start, pos) + 1 : pos]


def _is_soft_newline(text: str, pos: int, start: int, end: int) -> bool:
    """Whether the single line break at ``pos`` wraps a sentence (hard-wrapped prose) rather than ending one.

    It wraps when the line before does not end a sentence or a heading, and the next line continues it: it
    starts with a lower-case letter, a digit or inline markup, and is not a list item, directive or underline.
    """
    before = _line_before(text, pos, start).rstrip()
    after = _line_at(text, pos + 1, end)
    if not before.strip() or not after.strip() or _SOFT_END.search(before) or _UNDERLINE.match(before):
        return False
    if _BLOCK_START.match(after) or _UNDERLINE.match(after):
        return False
    nxt = after.lstrip()[:1]
    return nxt.islower() or nxt.isdigit() or nxt in "`*(\"'“‘«:"


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]`` as spans of ``text``, in any script.

    A sentence ends at . ! ? (and closing quotes) before a capital letter of any script, a digit or an opening
    quote; at a blank line; and at a single line break unless the line is hard-wrapped prose continuing on the
    next line. Abbreviations ('Mr.', 'e.g.', initials) do not end one.
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    pos = start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end()
        if match.group() == "\n":
            blank = text[cut:end].lstrip(" \t\r")[:1] in ("\n", "")
            if not blank and _is_soft_newline(text, match.start(), start, end):
                continue
            cut = match.start()
        else:
            nxt = _next_char(text, cut, end)
            if nxt and not (nxt.isupper() or nxt.isdigit() or nxt in _OPENS_SENTENCE):
                continue
            if _ABBREVIATION.search(text[max(pos, match.start() - 12) : match.start() + 1]):
                continue
        span = trimmed(text, pos, cut)
        if span:
            spans.append(span)
        pos = cut
    last = trimmed(text, pos, end)
    if last:
        spans.append(last)
    return spans
