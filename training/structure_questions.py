"""Make training questions from the structure of the corpora's documents, with no model and no network.

Every document is read as the product reads it (rag.ingest: the text, and blocks with kinds and heading paths);
templates turn structure into questions whose answer stands in one evidence unit (a sentence, table row, list
item, version note or signature, cut as rag.answer.units cuts them):

  default     an API signature's default ('What is the default value of the typed parameter of
              functools.lru_cache()?'), npm's '* Default:' lines, a man page's 'The default is ...'
  return      an API entry whose body opens with 'Return ...' ('What does os.path.dirname() return?')
  version     version notes ('.. versionadded:: 3.9'), 'X was added in SQLite version 3.9.0'
  definition  definition lists and glossaries (term, then its description), an API entry's first sentence,
              man pages' NAME lines, the handbook's boxes ('VOCABULARY Cache' + 'A cache is ...')
  table       a table row read with its header: 'What is the <column> of <row key>?'
  faq         headings phrased as questions or 'How to ...', answered by the first sentence under them
  option      man page options, npm config options: 'What does the -a (--all) option of ls do?'
  outline     a heading (or a PDF outline entry) whose first sentence describes its subject

Each question is checked as training/check_questions.py checks it (evidence verbatim in the file's extracted
text, every fact in the evidence, the first fact not in the question) and by this file's own rules (no markup,
not a copy of the evidence); the caps keep one file, one evidence unit or one kind of structure from dominating.

Caps (MAX_PER_UNIT, MAX_PER_FILE, MAX_PER_STRUCTURE below): questions per evidence unit, per file (a PDF: per
outline section) and per kind of structure in a corpus; over a cap the questions are taken in turn from every
structure (every file) in a pseudo-random order fixed by their text. Ids (<corpus>-s<number>, in document
order) are the same on every run over the same documents.

  .venv/bin/python training/structure_questions.py [--corpus NAME ...] [--out training/structure]
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import logging
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

from rag.answer.units import WHOLE_KINDS
from rag.errors import DocumentUnreadable
from rag.ingest.documents import list_documents, read_document
from rag.ingest.structure import entry_name
from rag.text import STOPWORDS, Span, sentences
from rag.types import Block

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_questions import norm, problems  # the checker this output must pass, as it is

log = logging.getLogger("structure_questions")

ROOT = Path(__file__).resolve().parent.parent

# Caps: no more than this many questions from one evidence unit, one file (a PDF: one section of the outline's
# first two levels, a PDF manual being a book of chapters), and one kind of structure in one corpus.
MAX_PER_UNIT = 3
MAX_PER_FILE = 60
MAX_PER_STRUCTURE = 700
# A fact is the value, or the first FACT_WORDS words of a description (cut at a word boundary).
FACT_WORDS = (3, 8)
# A question is a copy of its evidence when this share of the evidence's words stands in it.
COPY_SHARE = 0.8
MAX_EVIDENCE_CHARS = 700
# A heading's subject is looked for in this many sentences at the start of its section.
OUTLINE_SENTENCES = 3


@dataclass(frozen=True)
class Corpus:
    """A corpus of training/README.md: its name, docs folder (relative to the project root), the product its
    questions name for context, and its language."""

    name: str
    docs: str
    product: str = ""
    language: str = "en"


CORPORA = (
    Corpus("seeds", "seeds"),  # plain-text news reports: no structure to read
    Corpus("wiki", "tests/data/wiki/docs"),  # plain-text biographies: no structure to read
    Corpus("pydocs", "tests/data/pydocs/docs", "Python"),
    Corpus("handbook", "tests/data/handbook/docs", "Debian"),
    Corpus("aptitude_ru", "tests/data/aptitude_ru/docs", "aptitude", "ru"),
    Corpus("debian_reference", "training/corpora/debian_reference/docs", "Debian"),
    Corpus("npm_docs", "training/corpora/npm_docs/docs", "npm"),
    Corpus("sqlite_doc", "training/corpora/sqlite_doc/docs", "SQLite"),
    Corpus("pdf_manuals", "training/corpora/pdf_manuals/docs"),
    Corpus("man_pages", "training/corpora/man_pages/docs"),
)
PDF_PRODUCTS = {"bashref.pdf": "Bash", "gnuplot.pdf": "gnuplot", "R-intro.pdf": "R"}


@dataclass(frozen=True)
class Page:
    """One file as the product extracts it, with what its questions name for context."""

    source: str  # relative to the docs folder
    text: str
    blocks: tuple[Block, ...]
    product: str = ""
    language: str = "en"
    marked: bool = True  # written in reST or Markdown: inline markup to read past
    pages: tuple[int, ...] = ()  # a PDF's page starts
    outline: tuple[tuple[int, tuple[str, ...]], ...] = ()  # a PDF's bookmarks: (page, heading path)


@dataclass(frozen=True)
class Draft:
    """A question made by a template, before it is checked and capped."""

    question: str
    facts: tuple[str, ...]
    evidence: str
    kind: str  # the checker's kinds: what/number/version/how/why/yesno...
    structure: str  # the template: default, version, table...
    source: str = ""
    start: int = 0  # offset of the evidence unit in the file: the order of the output
    group: str = ""  # what MAX_PER_FILE counts over: the file, or a PDF's chapter


# ------------------------------------------------------------------------------------------------- text helpers

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


def span_at(page: Page, block: Block, pos: int) -> tuple[int, int] | None:
    """The evidence unit holding offset ``pos`` as rag.answer.units cuts it: the whole block for a table row,
    version note, signature or term; else the sentence of the block."""
    if block.kind in WHOLE_KINDS or block.kind == "code":
        return block.start, block.end
    return next(((s.start, s.end) for s in sentences(page.text, block.start, block.end) if s.start <= pos < s.end),
                None)


def unit_at(page: Page, block: Block, pos: int) -> tuple[int, str] | None:
    span = span_at(page, block, pos)
    return (span[0], flat(page.text[span[0] : span[1]])) if span else None


def first_sentence(page: Page, block: Block) -> tuple[int, str] | None:
    spans = sentences(page.text, block.start, block.end)
    return (spans[0].start, flat(page.text[spans[0].start : spans[0].end])) if spans else None


def complete(unit: tuple[int, str] | None) -> bool:
    """A sentence that ends as a sentence does (a unit cut short by a line break or page break does not)."""
    return bool(unit) and bool(re.search(r"[.!?][\"'”’)]*$", unit[1]))


def draft(page: Page, question: str, facts: Iterable[str | None], unit: tuple[int, str] | None, kind: str,
          structure: str) -> Draft | None:
    """A Draft when every part is there (facts None or empty make none)."""
    given = list(facts)
    fact_list = tuple(f for f in given if f)
    if not unit or not fact_list or len(fact_list) != len(given):
        return None
    return Draft(flat(question), fact_list, unit[1], kind, structure, page.source, unit[0], page.source)


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


# ---------------------------------------------------------------------------------------------- description

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


def opens_clause(text: str, language: str) -> bool:
    """Whether a description opens with a subordinate clause or a pointer, not with what it describes."""
    first = plain(text).split(" ", 1)[0].lower().strip(",.:;()")
    return first in (_SUBORDINATE_RU if language == "ru" else _SUBORDINATE)


# ------------------------------------------------------------------------------------- API entries (reST)

_DIRECTIVE_HEAD = re.compile(r"^\.\.\s+(?:[\w-]+:)?([\w-]+)::\s*")
_CALLABLE = frozenset({"function", "method", "classmethod", "staticmethod", "decorator", "decoratormethod",
                       "coroutinefunction", "coroutinemethod", "abstractmethod", "awaitablefunction"})
_MODULE_LEVEL = _CALLABLE | {"class", "exception", "data"}
_PARAM = re.compile(r"^\*{0,2}(\w+)\s*(?::[^=]+)?=\s*(.+)$")
_SIGNATURE = re.compile(r"^([\w.]+)\s*\((.*)\)\s*(?:->.*)?$")
_VERSION_NOTE = re.compile(r"^\.\.\s+(versionadded|versionchanged|deprecated-removed|deprecated|versionremoved)::"
                           r"\s*(\d+(?:\.\d+)+)(?:\s+(\d+(?:\.\d+)+))?\s*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Entry:
    """An API entry of a reST page: what a question calls it, and its directive."""

    display: str  # 'functools.lru_cache()', 'the argparse.ArgumentParser class'
    name: str  # 'functools.lru_cache', 'argparse.ArgumentParser'
    directive: str
    signatures: tuple[str, ...]


def split_params(params: str) -> list[str]:
    """A parameter list split at its top-level commas (brackets and quotes respected)."""
    out, current, depth, quote = [], [], 0, ""
    for ch in params:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    out.append("".join(current).strip())
    return [p for p in out if p]


def signature_lines(block_text: str) -> tuple[str, list[str]]:
    """The directive name and the signatures of a '.. function::' block (continued lines joined)."""
    head = _DIRECTIVE_HEAD.match(block_text)
    if not head:
        return "", []
    joined = re.sub(r"\\\s*\n\s*", " ", block_text[head.end():])
    return head.group(1).lower(), [flat(line) for line in joined.split("\n") if line.strip()
                                   and not line.strip().startswith(":")]


def entry_names(name: str, directive: str, outer: Entry | None, module: str) -> tuple[str, str]:
    """What a question calls an entry ('functools.lru_cache()', 'the argparse.ArgumentParser class'), and its
    qualified name."""
    if "." not in name:
        if outer and outer.directive in ("class", "exception"):
            name = f"{entry_name(outer.signatures[0])}.{name}"
        elif module and directive in _MODULE_LEVEL:
            name = f"{module}.{name}"
    if directive in _CALLABLE:
        return f"{name}()", name
    return (f"the {name} class" if directive in ("class", "exception") else name), name


def api_questions(page: Page) -> Iterator[Draft]:
    """Defaults of signatures, the first sentence of an entry's body ('Return ...' or what it is), and version
    notes of a reST page's API entries."""
    entries: dict[tuple[str, ...], Entry] = {}
    module, module_path, previous = "", None, None
    returned: set[tuple[str, ...]] = set()
    opened: set[tuple[str, ...]] = set()
    for block in page.blocks:
        text = page.text[block.start : block.end]
        if block.kind in ("signature", "meta"):
            directive, sigs = signature_lines(text)
            if directive in ("module", "currentmodule") and sigs:
                module, module_path = sigs[0].split()[0], block.path if directive == "module" else None
            elif block.kind == "signature" and sigs and directive != "module":
                entry = Entry(*entry_names(entry_name(sigs[0]), directive, entries.get(block.path), module),
                              directive, tuple(sigs))
                entries[(*block.path, entry_name(sigs[0]))] = entry
                yield from default_questions(page, block, entry)
        elif block.kind == "directive":
            entry = entries.get(block.path)
            subject = entry.display if entry else ""
            if not entry and module_path == block.path and previous is not None and previous.kind == "signature":
                subject = f"the {module} module"
            if subject:
                yield from version_questions(page, block, entry.name if entry and entry.directive == "class" else
                                             subject)
        elif block.kind == "prose" and block.path in entries:
            made = return_question(page, block, entries[block.path]) if block.path not in returned else None
            if made:
                returned.add(block.path)
            elif block.path not in opened:
                made = entry_question(page, block, entries[block.path])
            opened.add(block.path)
            if made:
                yield made
        if block.kind != "meta":
            previous = block


def default_questions(page: Page, block: Block, entry: Entry) -> Iterator[Draft]:
    unit = (block.start, flat(page.text[block.start : block.end]))
    found = []
    for sig in entry.signatures:
        match = _SIGNATURE.match(sig)
        for param in split_params(match.group(2)) if match else []:
            param = re.sub(r"^\[|\]$", "", param.strip()) if param.count("[") != param.count("]") else param
            m = _PARAM.match(param.strip())
            if m and len(m.group(2)) <= 40 and m.group(2).count("(") == m.group(2).count(")"):
                found.append((m.group(1), m.group(2).strip()))
    found.sort(key=lambda p: p[1] == "None")  # the informative defaults first
    for name, value in found:
        question = f"What is the default value of the {name} parameter of {entry.display}?"
        made = draft(page, question, [value], unit, number_kind(value), "default")
        if made:
            yield made


def return_question(page: Page, block: Block, entry: Entry) -> Draft | None:
    if entry.directive not in _CALLABLE | {"class"}:
        return None
    unit = first_sentence(page, block)
    if not unit or not re.match(r"Returns?\s", unit[1]):
        return None
    fact = leading_words(unit[1].split(" ", 1)[1])
    return draft(page, f"What does {entry.name}() return?", [fact], unit, "what", "return")


def entry_question(page: Page, block: Block, entry: Entry) -> Draft | None:
    """What an entry is or does, from the first sentence of its body ('Transform an old-style comparison
    function to a key function.' -> 'What does functools.cmp_to_key() do?')."""
    unit = first_sentence(page, block)
    if not complete(unit):
        return None
    raised = re.match(r"Raised\s+(.+)", unit[1]) if entry.directive == "exception" else None
    if raised:
        return draft(page, f"When is {entry.name} raised?", [leading_words(raised.group(1))], unit, "what",
                     "definition")
    question = f"What does {entry.display} do?" if entry.directive in _CALLABLE else f"What is {entry.display}?"
    return draft(page, question, [description_fact(unit[1], page.language)], unit, "what", "definition")


def change_phrase(note: str) -> str:
    """The first sentence of a version note as words of a question: no markup, lower-case start, no full stop;
    empty when too long to quote."""
    text = plain(note)
    text = re.split(r"(?<=[.;])\s+(?=[A-Z])", text)[0].rstrip(" .;:")
    return lower_first(text) if 0 < len(text.split()) <= 14 else ""


def version_questions(page: Page, block: Block, subject: str, product: str = "Python") -> Iterator[Draft]:
    unit = (block.start, flat(page.text[block.start : block.end]))
    match = _VERSION_NOTE.match(unit[1])
    if not match:
        return
    directive, version, second, note = match.groups()
    where = f"In which version of {product}"
    phrase = change_phrase(note)
    gained = re.match(r"(?:added|add|new)\s+(.+)", phrase)
    param = re.match(r"(?:the\s+)?(\w+)\s+((?:keyword(?:-only)?\s+)?(?:parameter|argument|option)s?)\s+(?:was|were)\s+"
                     r"added$", phrase)
    if directive == "versionadded":
        question = f"{where} did {subject} gain {gained.group(1) if gained else phrase}?" if phrase else (
            f"{where} was {subject} added?")
    elif directive == "versionchanged":
        if param:
            question = f"{where} did {subject} gain the {param.group(1)} {param.group(2)}?"
        elif gained:
            question = f"{where} did {subject} gain {phrase if phrase.startswith('new') else gained.group(1)}?"
        elif phrase:
            question = f"Which version of {product} made this change to {subject}: {phrase}?"
        else:
            return
    elif directive == "versionremoved":
        question = f"{where} was {subject} removed?"
    else:
        question = f"Since which version of {product} is {subject} deprecated?"
        if second:
            made = draft(page, f"{where} is {subject} removed?", [second], unit, "version", "version")
            if made:
                yield made
    made = draft(page, question, [version], unit, "version", "version")
    if made:
        yield made


# ------------------------------------------------------------------------------------ version notes in prose

_ADDED_IN = re.compile(r"^(?:[\w ]{2,25}:\s+)?(?P<subj>[^,;:]{3,80}?)\s+(?:was|were)\s+(?:first\s+)?"
                       r"(?:added|introduced)(?:\s+to\s+\w+)?\s+(?:in|with)\s+(?:\w+\s+)?(?:version|release)\s+(?P<v>\d+\.\d+(?:\.\d+)*)")
_SUPPORTED_SINCE = re.compile(r"^(?:[\w ]{2,25}:\s+)?(?P<subj>[^,;:]{3,80}?)\s+(?:has|have)\s+been\s+(?:supported|"
                              r"available)(?:\s+(?:by|in)\s+\w+)?\s+since\s+(?:\w+\s+)?version\s+"
                              r"(?P<v>\d+\.\d+(?:\.\d+)*)")
_PRONOUNS = frozenset("this that these those it they which such there".split())


def prose_version_questions(page: Page) -> Iterator[Draft]:
    """'The ability to index expressions was added to SQLite with version 3.9.0' -> 'In which version of SQLite
    was the ability to index expressions added?'"""
    if page.language != "en" or page.source.endswith((".rst", ".txt")) or not page.product:
        return
    for block in page.blocks:
        if block.kind not in ("prose", "list_item", "definition", "note"):
            continue
        for span in sentences(page.text, block.start, block.end):
            sentence = flat(page.text[span.start : span.end])
            added, since = _ADDED_IN.match(sentence), _SUPPORTED_SINCE.match(sentence)
            match = added or since
            if not match or match.group("subj").split()[0].lower() in _PRONOUNS:
                continue
            subject = lower_first(plain(match.group("subj")))
            question = (f"In which version of {page.product} was {subject} added?" if added else
                        f"Since which version of {page.product} has {subject} been supported?")
            made = draft(page, question, [match.group("v")], (span.start, sentence), "version", "version")
            if made:
                yield made


# ------------------------------------------------------------------------------------------------ definitions

_TOC_TERM = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s|(?:Chapter|Appendix|Глава|Приложение)\b)|https?://")
_SEE_ALSO_TERM = re.compile(r"^(?:\(\d+\)|Module\b|Package\b|:pep:|PEP\b|:ref:|:mod:)")
# The handbook's boxes: a label in capitals, then what the box is about ('VOCABULARY Cache').
_BOX = re.compile(r"^[A-Z]{3,}(?:\s+[A-Z]{2,}){0,3}\s+((?=\S*[a-z])\S.{0,60})$")


def definition_questions(page: Page) -> Iterator[Draft]:
    """Definition lists and glossaries (a term, then its description), and the handbook's vocabulary boxes."""
    blocks = page.blocks
    for block, following in pairwise(blocks):
        text = page.text[block.start : block.end]
        if block.kind == "term" and following.kind == "definition":
            made = define(page, text, following)
        elif block.kind == "prose" and _BOX.match(flat(text)) and following.kind == "prose":
            made = boxed_definition(page, _BOX.match(flat(text)).group(1), following)
        else:
            continue
        if made:
            yield made


def term_subject(raw: str, marked: bool = True) -> str:
    """The first of a term's alternatives, as a reader sees it: '?not(шаблон), !шаблон' -> '?not(шаблон)'."""
    first = plain(re.split(r"\n|,\s+(?=[^)]*(?:\(|$))", raw.strip())[0], marked).rstrip(";")
    if first.startswith("-") or re.match(r"[A-Z][a-z]+[A-Z]\w*\s|[A-Za-z][\w-]*\s+[а-яё]", first):
        # an option or a setting without its argument: '--show-package-names когда', 'Height высота'
        first = re.sub(r"\[?=.*$", "", first.split()[0])
    return first


def define(page: Page, raw_term: str, definition: Block) -> Draft | None:
    term = term_subject(raw_term, page.marked)
    if (not term or len(term.split()) > 6 or _TOC_TERM.search(term) or _SEE_ALSO_TERM.match(raw_term.strip())
            or (not re.search(r"[^\W\d_]", term) and page.product != "Python")):
        return None
    unit = first_sentence(page, definition)
    if not unit or opens_clause(unit[1], page.language):
        return None
    if page.language == "ru":
        return define_ru(page, term, unit)
    context = module_context(definition) if page.product == "Python" else page.product
    function = re.fullmatch(r"([\w.]+)\((.*)\)", term)
    described = describe(term, unit[1])
    if described and described.fact:
        return draft(page, described_question(described, context), [described.fact], unit, "what", "definition")
    if function and re.match(r"Returns?\s", unit[1]):
        question = f"What does the {function.group(1)}() function return in {context}?"
        return draft(page, question, [leading_words(unit[1].split(" ", 1)[1])], unit, "what", "definition")
    if term.startswith("-"):
        question = f"What does the {term} option do in {context}?"
    elif function:
        question = f"What does the {function.group(1)}() function do in {context}?"
    else:
        question = f"What does {term} mean in {context}?"
    return draft(page, question, [description_fact(unit[1], page.language)], unit, "what", "definition")


def define_ru(page: Page, term: str, unit: tuple[int, str]) -> Draft | None:
    sentence = unit[1]
    if term.startswith(("?", "~")):
        selects = re.match(r"Выбирает\s+(.+)", sentence)
        question = f"Что {'выбирает' if selects else 'означает'} поисковый термин {term} в aptitude?"
        fact = leading_words(selects.group(1) if selects else sentence)
    elif term.startswith("-"):
        question, fact = f"Что делает параметр {term} в aptitude?", leading_words(sentence)
    else:
        question, fact = f"Что означает «{term}» в aptitude?", leading_words(sentence)
    return draft(page, question, [fact], unit, "what", "definition")


def boxed_definition(page: Page, title: str, body: Block) -> Draft | None:
    unit = first_sentence(page, body)
    described = describe(title, unit[1]) if unit and complete(unit) else None
    if not described or not described.fact or described.form == "return":
        return None
    return draft(page, described_question(described), [described.fact], unit, "what", "definition")


def module_context(block: Block) -> str:
    """'re — Regular expression operations' -> 'the re module'; a page that is not a module's: its title."""
    title = block.path[0] if block.path else ""
    name = title.split(" — ")[0].strip()
    return f"the {name} module" if " — " in title and re.fullmatch(r"[\w.]+", name) else "Python"


# ----------------------------------------------------------------------------------------------------- tables

_CELL_SPLIT = re.compile(r"(?<!\S)\|(?!\S)")
_RST_RULE = re.compile(r"^\s*=+(?:\s+=+)+\s*$")
_DESCRIPTION_COLUMNS = re.compile(r"^(?:description|purpose|meaning|function|action|effect|explanation|comment|"
                                  r"result|contents|typical usage|описание)\b", re.IGNORECASE)
_ACTION_KEYS = re.compile(r"^(?:command|command idiom|git command|git command line|key|key binding|keys|option|"
                          r"script snippet|operation|mode)\b", re.IGNORECASE)
_SKIPPED_COLUMNS = frozenset({"popcon", "notes", "note", "example", "examples", "see also", "pep/issue"})
_EMPTY_CELLS = frozenset({"", "n/a", "na", "none.", "…", "..."})  # and any cell of punctuation only
_YES_NO = frozenset({"yes", "no", "да", "нет", "y", "n", "true", "false", "supported", "not supported"})


def cells_of(text: str) -> list[str]:
    cells = [c.strip() for c in _CELL_SPLIT.split(flat(text))]
    if text.strip().startswith("|") and cells and not cells[0]:
        cells = cells[1:]
    if text.strip().endswith("|") and cells and not cells[-1]:
        cells = cells[:-1]
    return cells


def rst_simple_cells(page: Page, block: Block) -> tuple[list[str], list[str]] | None:
    """Header and row cells of a one-line row of a reST simple table, cut at the columns of its rules."""
    before = page.text[: block.start].rstrip("\n").split("\n")
    rule_at = next((i for i in range(len(before) - 1, max(-1, len(before) - 200), -1)
                    if _RST_RULE.match(before[i])), None)
    row = page.text[block.start : block.end]
    if rule_at is None or rule_at == 0 or "\n" in row:
        return None
    rule = before[rule_at]
    spans = [m.span() for m in re.finditer(r"=+", rule)]
    line_start = page.text.rfind("\n", 0, block.start) + 1

    def cut(line: str) -> list[str]:
        out = [line[a : (spans[i + 1][0] if i + 1 < len(spans) else len(line))].strip()
               for i, (a, _) in enumerate(spans)]
        return out

    header_line = before[rule_at - 1]
    return cut(header_line), cut(page.text[line_start : block.end])


def table_questions(page: Page) -> Iterator[Draft]:
    """'What is the <column> of <row key>?' for the rows of tables with a real header row."""
    rows: list[tuple[Block, list[str], list[str]]] = []
    for block in page.blocks:
        if block.kind != "table_row" or not block.header:
            continue
        text = page.text[block.start : block.end]
        if page.source.endswith((".rst", ".txt")) and "|" not in text:
            parsed = rst_simple_cells(page, block)
            if not parsed:
                continue
            header, row = parsed
        elif "\n" in text.strip() and text.lstrip().startswith("|") and not page.source.endswith(".md"):
            continue  # a grid row over several lines: its cells are not contiguous text
        else:
            header, row = cells_of(block.header), cells_of(text)
        if real_header(header, page.marked) and len(row) == len(header):
            rows.append((block, header, row))
    keys = Counter((tuple(h), plain(r[0], page.marked).lower()) for _, h, r in rows)
    for block, header, row in rows:
        if keys[(tuple(header), plain(row[0], page.marked).lower())] == 1:
            yield from row_questions(page, block, header, row)


def real_header(cells: list[str], marked: bool) -> bool:
    words = [plain(c, marked) for c in cells]
    return len(words) >= 2 and all(w and len(w.split()) <= 6 and not w.endswith((".", ":")) for w in words) and not any(
        re.fullmatch(r"[\d.,%\s-]+", w) for w in words)


def row_questions(page: Page, block: Block, header: list[str], row: list[str]) -> Iterator[Draft]:
    key = plain(row[0], page.marked)
    key_header = re.sub(r"^(package|command|file|option|key|function|program)s$", r"\1",
                        lower_words(plain(header[0], page.marked)))
    if not key or len(key.split()) > 8 or key.lower() in _EMPTY_CELLS or not re.search(r"\w", key) or (
            "?" in key_header):
        return
    where = ""
    if len(key) <= 2 or not re.search(r"[^\W\d_]{2}", key) or key_header == "name":  # 'n', '%d': in their section
        where = unnumbered(block.path[-1], page.marked) if block.path and page.language == "en" else ""
        where = "the" + where[3:] if where.startswith("The ") else where
        if not where:
            return
    unit = (block.start, flat(page.text[block.start : block.end]))
    for column, cell in zip(header[1:], row[1:], strict=True):
        col = re.sub(r"\(s\)", "", plain(column, page.marked)).strip()
        value = plain(cell, page.marked).lower()
        if (col.lower() in _SKIPPED_COLUMNS or col.endswith("?") or value in _EMPTY_CELLS | _YES_NO
                or not col or col.split()[0].lower() in STOPWORDS  # ' of subnets': its '#' lost in extraction
                or not re.search(r"\w", value)
                or value == key.lower() or (col.lower() == "size" and key_header in ("package", "packages"))):
            continue
        descriptive = bool(_DESCRIPTION_COLUMNS.match(col))
        if (descriptive and opens_clause(cell, page.language)) or (
                not descriptive and (len(col.split()) > 3 or "=" in col)):  # 'suite = testing': reads badly
            continue
        long_cell = len(flat(cell).split()) > FACT_WORDS[1]
        fact = leading_words(flat(cell)) if descriptive or long_cell else value_fact(cell)
        if page.language == "ru":
            question = table_question_ru(key, key_header, col, descriptive, page.product)
        else:
            question = table_question(key, key_header, col, descriptive, column)
            question = question[:-1] + f" in {where}?" if where else question
        made = draft(page, question, [fact], unit, number_kind(fact or ""), "table")
        if made:
            yield made


def table_question_ru(key: str, key_header: str, col: str, descriptive: bool, product: str) -> str:
    if descriptive:
        return (f"Что делает команда «{key}» в {product}?" if key_header.lower() == "команда" else
                f"Что означает «{key}» в {product}?")
    if col.lower() == "по-умолчанию":
        return f"Каково значение по умолчанию для «{key}» в {product}?"
    if col.lower().endswith("форма"):
        return f"Какова {col.lower()} для «{key}» в {product}?"
    return f"Каково значение столбца «{col}» для «{key}» в {product}?"


_HEADER_WORDS = frozenset(
    "value values result meaning description type name default size version level operation option character "
    "command purpose explanation notes example examples function method attribute format contents effect "
    "argument arguments returns key column field action syntax usage comment number code flag mode".split())


def table_question(key: str, key_header: str, col: str, descriptive: bool, raw_column: str) -> str:
    """'What is the <column> of the <key column> <key>?', or the forms a description or a second name reads
    better in ('What is the apt package used for?', 'What is the Python equivalent of JSON object?')."""
    if descriptive and key_header in ("package", "packages"):
        return f"What is the {key} package used for?"
    if descriptive and _ACTION_KEYS.match(key_header):
        return f"What does the {key_header} {key} do?"
    single = len(col.split()) == 1 and len(key_header.split()) == 1
    if ":mod:" in raw_column or (single and col[:1].isupper() and col.lower().rstrip("s") not in _HEADER_WORDS
                                 and key_header.lower() not in _HEADER_WORDS):
        named = f"{key_header} {key}" if single else key
        return f"What is the {col} equivalent of {named}?"  # 'JSON | Python', 'os | pathlib': one name for another
    col_words = lower_words(col)
    be = "are" if re.search(r"[a-z][^s]s$", col_words.split(" of ")[0]) else "is"
    if 0 < len(key_header.split()) <= 2 and key_header.lower() not in key.lower() and not descriptive:
        return f"What {be} the {col_words} of the {key_header} {key}?"
    return f"What {be} the {col_words} of {key}?"


# --------------------------------------------------------------------------------------- headings: faq, outline

_CONTENT_KINDS = frozenset({"prose", "list_item", "definition", "note"})
_ANSWER_LABEL = re.compile(r"^(?:Short answer|Answer|Yes|No)\s*[:,.]\s*", re.IGNORECASE)
_QUESTION_WORD = re.compile(r"^(how|why|what|when|where|which|who|can|is|are|do|does|should|will|was)\b",
                            re.IGNORECASE)


def section_content(page: Page, index: int, limit: int = 2) -> Iterator[Block]:
    """The first content blocks under the heading at ``index`` (its own section only, before any subsection)."""
    heading = page.blocks[index]
    seen = 0
    for block in page.blocks[index + 1 :]:
        if block.kind == "heading" or block.path != heading.path or seen >= limit:
            return
        if block.kind in _CONTENT_KINDS:
            seen += 1
            yield block


def heading_title(page: Page, block: Block) -> str:
    return unnumbered(block.path[-1] if block.path else page.text[block.start : block.end], page.marked)


def faq_question_text(title: str, product: str) -> str:
    """A heading phrased as a question, as a user asks it: 'How to pick Debian packages' -> 'How do I pick Debian
    packages?'; '' when the heading is not one."""
    how_to = re.match(r"how\s+to\s+(.+)", title, re.IGNORECASE)
    if how_to and len(how_to.group(1).split()) >= 2:
        rest = untitled(how_to.group(1).rstrip("?"))
        suffix = f" in {product}" if product and product.lower() not in rest.lower() else ""
        return f"How do I {rest}{suffix}?"
    if title.endswith("?") and len(title.split()) >= 3 and _QUESTION_WORD.match(title):
        return title
    return ""


def faq_questions(page: Page) -> Iterator[Draft]:
    """Headings phrased as questions (or 'How to ...'), answered by the first sentence under them."""
    for index, block in enumerate(page.blocks):
        if block.kind != "heading":
            continue
        question = faq_question_text(heading_title(page, block), page.product)
        if not question:
            continue
        for content in section_content(page, index):
            unit = first_sentence(page, content)
            if not complete(unit) or len(unit[1].split()) < 5 or opens_clause(unit[1], page.language):
                continue
            label = _ANSWER_LABEL.match(unit[1])
            fact = short_answer(unit[1][label.end() if label else 0 :])
            word = question.split()[0].lower()
            kind = word if word in ("how", "why", "what", "who", "when") else "yesno"
            made = draft(page, question, [fact], unit, "date" if kind == "when" else kind, "faq")
            if made:
                yield made
                break


def outline_questions(page: Page) -> Iterator[Draft]:
    """A heading whose section opens by describing its subject: '6.3.1. The apt-cache policy Command' + 'The
    apt-cache policy command displays the pinning priorities ...' -> 'What does the apt-cache policy command do?'"""
    if page.source.endswith(".pdf"):
        return
    for index, block in enumerate(page.blocks):
        title = heading_title(page, block) if block.kind == "heading" else ""
        if not title or faq_question_text(title, page.product):
            continue
        spans = [s for content in section_content(page, index) for s in sentences(page.text, content.start,
                                                                                   content.end)]
        made = outlined(page, title, spans[:OUTLINE_SENTENCES])
        if made:
            yield made


def outlined(page: Page, title: str, spans: list[Span]) -> Draft | None:
    """The question of the first of ``spans`` that describes ``title``, if one does."""
    for span in spans:
        unit = (span.start, flat(page.text[span.start : span.end]))
        described = describe(title, unit[1]) if complete(unit) else None
        if described and described.fact and described.fact.split()[0].lower() not in _PRONOUNS | {"what", "how"}:
            context = page.product if re.search(r"[-_()./]|^[a-z]+$", described.said.split()[-1]) or (
                described.form != "is") else ""
            return draft(page, described_question(described, context), [described.fact], unit, "what", "outline")
    return None


def pdf_outline_questions(page: Page) -> Iterator[Draft]:
    """An outline entry (bookmark) of a PDF, found as a line of its page, and the sentences after it."""
    starts = page.pages
    ends = [*starts[1:], len(page.text)]
    for number, path in page.outline:
        if number >= len(starts):
            continue
        title = flat(path[-1])
        line = re.compile(r"^(?:(?:[A-Z]|\d+)(?:\.\d+)*\.?\s+|Appendix [A-Z]\s+)?" + re.escape(title) + r"\s*$",
                          re.MULTILINE)
        found = line.search(page.text, starts[number], ends[number])
        spans = [s for s in sentences(page.text, found.end(), ends[number]) if s.start >= found.end()] if found else []
        made = outlined(page, title, spans[:OUTLINE_SENTENCES])
        if made:
            yield replace(made, group=f"{page.source}#{' > '.join(path[:2])}")


# ------------------------------------------------------------------------------------------- options (npm, man)

_NPM_CONFIG = re.compile(r"^#+\s*`([\w.:@/-]+)`\s*$")


def npm_option_questions(page: Page) -> Iterator[Draft]:
    """npm's config options: a '#### `name`' heading, '* Default:' and '* Type:' items, then its description."""
    for index, block in enumerate(page.blocks):
        match = _NPM_CONFIG.match(page.text[block.start : block.end]) if block.kind == "heading" else None
        content = list(section_content(page, index, 4)) if match else []
        units = [first_sentence(page, c) for c in content]
        fields = {m.group(1): (m.group(2), u) for u in units if u and (m := re.match(r"^\*\s+(Default|Type):\s+(.+)$",
                                                                                   u[1]))}
        if "Default" not in fields:
            continue  # a heading named like a config option, but not one (a package.json field)
        name = match.group(1)
        value, unit = fields["Default"]
        question = f"What is the default value of the {name} config option in npm?"
        yield from filter(None, [draft(page, question, [first_value(value)], unit, "what", "default")])
        if "Type" in fields:
            value, unit = fields["Type"]
            question = f"What type of value does the npm config option {name} take?"
            kinds = value.split(" (")[0].rstrip(" .")
            fact = kinds if len(kinds.split()) <= FACT_WORDS[1] and all(map(clean_word, kinds.split())) else None
            yield from filter(None, [draft(page, question, [fact or first_value(value)], unit, "what", "option")])
        prose = next((u for c, u in zip(content, units, strict=True) if c.kind == "prose" and u), None)
        if prose and not opens_clause(prose[1], "en"):
            question = f"What does the {name} config option do in npm?"
            yield from filter(None, [draft(page, question, [leading_words(prose[1])], prose, "what", "option")])


def first_value(text: str) -> str | None:
    """'`true` unless when using `npm update` ...' -> 'true'; 'Boolean' -> 'Boolean'; None for a value that
    depends ('macOS: ..., Windows: ...')."""
    first = text.split(" ", 1)[0]
    code = re.fullmatch(r"`([^`]+)`[,.;]?", first)
    if code:
        return code.group(1)
    if first.endswith(":"):
        return None
    return value_fact(text) if len(text.split()) <= 3 else leading_words(text, 1)


_MAN_NAME = re.compile(r"^NAME\s+([\w.-]+(?:,\s*[\w.-]+)*)\s+(?:-|‐|—|\\-)\s+(.+)$", re.DOTALL)
_MAN_LABEL = re.compile(r"^[A-Z][A-Z ]{2,}\n")
_OPTION_NAME = re.compile(r"[-+]{1,2}[\w?#@][\w-]*")
# 'The default is INFO.', 'The default, yes, will ...' (at a sentence's or clause's start, not 'This is the default').
_MAN_DEFAULT = re.compile(r"(?:^|[;(]\s*)[Tt]he default(?: value)?(?: is\s+(?:to\s+)?[“\"‘']?([\w./:%+-]+?)[”\"’']?"
                          r"(?=[.,;)]|\s|$)|,\s+[“\"‘']?([\w./:%+-]+?)[”\"’']?,)")
# An option line: alternatives ('-a, --all'), each with at most one argument ('-n NUM', '--lines=[-]NUM').
_OPTION_HEAD = re.compile(r"^[-+][^\s,]*(?:\s\S+)?(?:,\s*[-+][^\s,]*(?:\s\S+)?)*$")
_KEYWORD_HEAD = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+$")  # ssh_config's 'AddKeysToAgent'


@dataclass(frozen=True)
class ManOption:
    """The option whose description is being read, and the indent of its line (its paragraphs are deeper)."""

    display: str  # '-a (--all)', 'AddKeysToAgent'
    indent: int


def man_command(source: str) -> tuple[str, str] | None:
    match = re.match(r"^(.+?)\.(\d)\w*\.txt$", Path(source).name)
    if not match:
        return None
    name = match.group(1)
    return (name.replace("-", " ", 1) if name.startswith("git-") else name), match.group(2)


def man_questions(page: Page) -> Iterator[Draft]:
    """A man page's NAME line, its options (and keywords of a section-5 file) and their 'The default is ...'."""
    command = man_command(page.source)
    if not command:
        return
    cmd, section = command
    option: ManOption | None = None
    defaulted: set[str] = set()
    for block in page.blocks:
        text = page.text[block.start : block.end]
        indent = indent_of(page, block.start)
        name = _MAN_NAME.match(text)
        if name:
            question = f"What does the {cmd} command do?" if section != "5" else f"What is {cmd}?"
            unit = unit_at(page, block, block.start + name.start(2))
            yield from filter(None, [draft(page, question, [short_answer(flat(name.group(2)))], unit, "what",
                                           "definition")])
            continue
        label = _MAN_LABEL.match(text)
        offset = label.end() if label else 0
        parsed = man_option(text[offset:], section)
        if parsed:
            display, desc_at = parsed
            option = ManOption(display, indent_of(page, block.start + offset))
            made = option_draft(page, block, block.start + offset + desc_at, cmd, display)
            if made:
                yield made
        elif option and indent <= option.indent:
            option = None
        if option and option.display not in defaulted:
            made = default_draft(page, block, cmd, option.display)
            if made:
                defaulted.add(option.display)
                yield made


def indent_of(page: Page, pos: int) -> int:
    """The indent of the line at ``pos`` (a block's first line is trimmed: its indent stands before it)."""
    line_start = page.text.rfind("\n", 0, pos) + 1
    line = page.text[line_start:pos]
    return len(line) - len(line.lstrip())


def man_option(text: str, section: str) -> tuple[str, int] | None:
    """The option (display) a block opens with, and where its description starts (offset in ``text``)."""
    first, _, rest = text.partition("\n")
    first = first.rstrip()
    parts = re.split(r"(\s{2,})", first, maxsplit=1)
    head, gap, desc = (parts[0], parts[1], parts[2]) if len(parts) > 1 else (parts[0], "", "")
    worded = re.match(r"([-+][^\s,]+)\s+(?=[A-Z][a-z]+\s)", first)
    if worded:  # '-depth Process each directory's contents ...': a capitalised word opens the description
        head, gap, desc = worded.group(1), " ", first[worded.end() :]
    if _OPTION_HEAD.match(head) and len(head) < 60:
        names = [m.group() for m in (_OPTION_NAME.match(alt.strip()) for alt in re.split(r",\s*|\s+or\s+", head))
                 if m]
        if not names:
            return None
        display = f"{names[0]} ({names[1]})" if len(names) > 1 else names[0]
    elif section == "5" and (_KEYWORD_HEAD.match(head) or (re.fullmatch(r"[A-Z][a-z]+", head) and len(gap) >= 3)):
        display = head
    else:
        return None
    if desc:
        return display, text.index(desc, len(head))
    if not rest.strip():
        return None
    return display, len(first) + 1 + (len(rest) - len(rest.lstrip()))


def option_draft(page: Page, block: Block, desc_at: int, cmd: str, display: str) -> Draft | None:
    span = span_at(page, block, desc_at)
    if not span:
        return None
    description = re.sub(r"^\([^)]*\)\s+", "", flat(page.text[desc_at : span[1]]))  # '(TFTP) Tells curl ...'
    if opens_clause(description, "en"):
        return None
    what = "keyword" if not display.startswith(("-", "+")) else "option"
    question = f"What does the {display} {what} of {cmd} do?"
    unit = (span[0], flat(page.text[span[0] : span[1]]))
    return draft(page, question, [leading_words(description)], unit, "what", "option")


def default_draft(page: Page, block: Block, cmd: str, display: str) -> Draft | None:
    for span in sentences(page.text, block.start, block.end):
        sentence = flat(page.text[span.start : span.end])
        match = _MAN_DEFAULT.search(sentence)
        value = (match.group(1) or match.group(2)) if match else ""
        if value and value.lower() not in STOPWORDS:
            what = "keyword" if not display.startswith(("-", "+")) else "option"
            question = f"What is the default value of the {display} {what} of {cmd}?"
            return draft(page, question, [value], (span.start, sentence), number_kind(value), "default")
    return None


# ------------------------------------------------------------------------------------- checks, caps, output

_MARKUP_IN_QUESTION = re.compile(r"[`*|]|:\w+:|&#?\w+;|\]\(|<[/a-zA-Z]|\\(?![A-Za-z])|\s{2,}|\.\.\s|https?://")


def rejection(item: Draft) -> str:
    """Why a draft is not a good question ('' when it is), by this file's rules; the checker's come after."""
    question, evidence = item.question, norm(item.evidence)
    if not question.endswith("?") or not 12 <= len(question) <= 220:
        return "shape"
    if _MARKUP_IN_QUESTION.search(question):
        return "markup in the question"
    if len(item.evidence) > MAX_EVIDENCE_CHARS:
        return "evidence too long"
    if any(not fact or len(fact) > 80 or norm(fact) not in evidence for fact in item.facts):
        return "fact not in the evidence"
    if norm(item.facts[0]) in norm(question):
        return "answer in the question"
    words = re.findall(r"\w+", evidence)
    asked = set(re.findall(r"\w+", norm(question)))
    if words and sum(w in asked for w in words) / len(words) >= COPY_SHARE:
        return "a copy of the evidence"
    return ""


def shuffled(item: Draft) -> str:
    """A stable pseudo-random order (the same every run), so a cap takes items from all over a file."""
    return hashlib.sha1(f"{item.source}\n{item.question}".encode()).hexdigest()


def capped(items: list[Draft], group: Callable[[Draft], str], lane: Callable[[Draft], str], cap: int) -> list[Draft]:
    """At most ``cap`` items per group, taken in turn from its lanes (structures of a file, files of a
    structure) so that one lane does not fill the group."""
    groups: dict[str, list[Draft]] = defaultdict(list)
    for item in items:
        groups[group(item)].append(item)
    out: list[Draft] = []
    for members in groups.values():
        if len(members) <= cap:
            out.extend(members)
            continue
        lanes: dict[str, list[Draft]] = defaultdict(list)
        for item in sorted(members, key=shuffled):
            lanes[lane(item)].append(item)
        queues = [lanes[name] for name in sorted(lanes)]
        picked: list[Draft] = []
        for turn in range(max(len(q) for q in queues)):
            picked.extend(q[turn] for q in queues if turn < len(q))
        out.extend(picked[:cap])
    return out


def order(item: Draft) -> tuple[str, int, str, str]:
    return item.source, item.start, item.structure, item.question


def choose(drafts: Iterable[Draft]) -> list[Draft]:
    """One question per question text, then the caps per evidence unit, per file and per structure."""
    unique: dict[str, Draft] = {}
    for item in sorted(drafts, key=order):
        unique.setdefault(norm(item.question), item)
    per_unit: Counter[tuple[str, int]] = Counter()
    kept = []
    for item in unique.values():
        per_unit[(item.source, item.start)] += 1
        if per_unit[(item.source, item.start)] <= MAX_PER_UNIT:
            kept.append(item)
    kept = capped(kept, lambda d: d.group, lambda d: d.structure, MAX_PER_FILE)
    kept = capped(kept, lambda d: d.structure, lambda d: d.group, MAX_PER_STRUCTURE)
    return sorted(kept, key=order)


def record(corpus: str, number: int, item: Draft) -> dict:
    return {"id": f"{corpus}-s{number:04d}", "corpus": corpus, "question": item.question, "answerable": True,
            "sources": [item.source], "facts": list(item.facts), "evidence": item.evidence, "kind": item.kind,
            "note": f"structure:{item.structure}"}


TEMPLATES: tuple[Callable[[Page], Iterable[Draft]], ...] = (
    lambda page: api_questions(page) if page.source.endswith((".rst", ".rst.txt")) else (),
    prose_version_questions, definition_questions, table_questions, faq_questions, outline_questions,
    pdf_outline_questions,
    lambda page: npm_option_questions(page) if page.source.endswith(".md") else (),
    man_questions,
)


def load_page(path: Path, docs: Path, corpus: Corpus) -> Page:
    source = path.relative_to(docs).as_posix()
    document = read_document(path, source)
    outline: tuple[tuple[int, tuple[str, ...]], ...] = ()
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader  # deferred: only the PDF corpus needs it

        from rag.ingest.formats import pdf_outline

        outline = tuple(pdf_outline(PdfReader(path)))
    product = PDF_PRODUCTS.get(path.name, corpus.product)
    marked = path.suffix.lower() in (".md", ".markdown", ".rst") or path.name.lower().endswith(".rst.txt")
    return Page(source, document.text, document.blocks, product, corpus.language, marked, document.pages, outline)


def corpus_questions(corpus: Corpus, root: Path) -> list[dict]:
    """The checked, capped questions of one corpus, as JSONL records."""
    docs = root / corpus.docs
    drafts: list[Draft] = []
    rejected: Counter[str] = Counter()
    for path in list_documents(docs):
        try:
            page = load_page(path, docs, corpus)
        except DocumentUnreadable as exc:
            log.warning("%s: skipped (%s)", path, exc)
            continue
        for template in TEMPLATES:
            for item in template(page):
                reason = rejection(item) or "; ".join(problems(record(corpus.name, 0, item), docs))
                if reason:
                    log.debug("rejected (%s): %s %s | %s", reason, item.question, list(item.facts), item.evidence)
                    rejected[reason.split(" '")[0]] += 1
                else:
                    drafts.append(item)
    chosen = choose(drafts)
    by_structure = Counter(d.structure for d in chosen)
    log.info("%s: %d questions from %d drafts (%s); rejected: %s", corpus.name, len(chosen), len(drafts),
             ", ".join(f"{k} {v}" for k, v in sorted(by_structure.items())) or "no structure",
             dict(rejected.most_common()) or "none")
    return [record(corpus.name, n, d) for n, d in enumerate(chosen, 1)]


def write(records: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"caps: {MAX_PER_UNIT} per evidence unit, {MAX_PER_FILE} per file, {MAX_PER_STRUCTURE} per "
               "structure and corpus")
    names = [c.name for c in CORPORA]
    parser.add_argument("--corpus", action="append", choices=names, metavar="NAME",
                        help=f"a corpus to make questions for (repeatable; default all: {', '.join(names)})")
    parser.add_argument("--out", type=Path, default=ROOT / "training" / "structure",
                        help="folder of the output files <corpus>.jsonl (rewritten; default training/structure)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every template's rejections")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    for corpus in CORPORA:
        if args.corpus and corpus.name not in args.corpus:
            continue
        records = corpus_questions(corpus, ROOT)
        target = args.out / f"{corpus.name}.jsonl"
        if records:
            write(records, target)
        elif target.exists():
            target.unlink()  # a corpus that now gives nothing leaves no stale file
    return 0


if __name__ == "__main__":
    sys.exit(main())
