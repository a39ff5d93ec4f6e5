"""Options: npm's config options, and man pages' NAME lines, options, keywords and their defaults."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.text import STOPWORDS, sentences
from rag.types import Block

from .drafts import Draft, Page, draft, first_sentence, span_at, unit_at
from .faq import section_content
from .limits import FACT_WORDS
from .text import clean_word, flat, leading_words, number_kind, opens_clause, short_answer, value_fact

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
