"""A document's structure: its blocks (headings, prose, list items, table rows, code, API entries, version notes),
each with its character offsets and heading path.

Markdown is parsed by markdown-it-py (its tokens give the source lines of every block). HTML and DOCX blocks come
from their extractors (rag.ingest.formats), which know the tags and styles. reStructuredText is scanned here,
line by line: docutils, the maintained parser, gives no character offsets (its nodes carry a line number at
best, and none for many inline-built nodes) and fails on Sphinx's own directives and roles unless each is
registered, while citations need exact offsets into the file. The scanner reads the block-level syntax only
(sections, directives and their indented bodies, literal blocks, lists, definition lists, tables, doctests);
inline markup is left to rag.answer.render. Plain text is paragraphs of prose.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.text import grid_cells, strip_markup
from rag.types import Block

log = logging.getLogger(__name__)

RST_SUFFIXES = frozenset({".rst"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})

# Sphinx object directives: an API entry whose name joins the heading path of its body.
_ENTRY = frozenset({
    "function", "class", "method", "classmethod", "staticmethod", "attribute", "data", "decorator",
    "decoratormethod", "exception", "property", "describe", "object", "option", "cmdoption", "envvar", "opcode",
    "type", "macro", "member", "var", "program", "confval", "coroutinefunction", "coroutinemethod",
    "abstractmethod", "awaitablefunction", "pdbcommand", "2to3fixer", "module",
})
_VERSION = frozenset({"versionadded", "versionchanged", "deprecated", "deprecated-removed", "versionremoved"})
_NOTE = frozenset({"note", "warning", "tip", "important", "hint", "caution", "attention", "danger", "error",
                   "seealso", "admonition", "impl-detail", "topic", "sidebar", "glossary"})
_CODE = frozenset({"code-block", "sourcecode", "code", "doctest", "testcode", "testoutput", "productionlist",
                   "literalinclude", "parsed-literal", "math"})
_META = frozenset({"toctree", "index", "currentmodule", "highlight", "sectionauthor", "moduleauthor",
                   "testsetup", "testcleanup", "include", "image", "figure", "only", "tabularcolumns", "raw",
                   "contents", "sectnum", "default-role", "role", "audit-event", "audit-event-table", "tab",
                   "availability", "rubric", "centered", "hlist", "literalinclude", "program-output"})
_TABLE = frozenset({"table", "csv-table", "list-table"})

_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(?:[\w-]+:)?([\w-]+)::(.*)$")
_COMMENT_OR_TARGET = re.compile(r"^\s*\.\.(\s|$)|^\s*__\s")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.<>_])\1{2,}\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#\.|\(?[a-zA-Z0-9]{1,3}\)|[ivxIVX]+\.)\s+\S")
_FIELD = re.compile(r"^\s*:[^:`]+:(\s|$)")
_GRID = re.compile(r"^\s*\+[-=+]+\+\s*$")
_SIMPLE_RULE = re.compile(r"^\s*=+(\s+=+)+\s*$")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_ENTRY_NAME = re.compile(r"\s*(?:async\s+|class\s+)?([\w.]+(?:\[\w+\])?)")


@dataclass(frozen=True)
class _Line:
    start: int  # offset of the line's first character
    end: int  # offset after its last character (newline excluded)
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        out.append(_Line(pos, pos + len(line), line))
        pos += len(raw)
    return out


def _groups(lines: list[_Line]) -> Iterator[list[_Line]]:
    """Runs of non-blank lines."""
    group: list[_Line] = []
    for line in lines:
        if line.blank:
            if group:
                yield group
            group = []
        else:
            group.append(line)
    if group:
        yield group


def _text_indent(group: list[_Line]) -> int:
    """Where a paragraph's text starts: its continuation lines' indent, or after a list item's bullet."""
    if len(group) > 1:
        return group[-1].indent
    match = re.match(r"\s*(?:[-*+•]|\d+[.)]|#\.)\s+", group[0].text)
    return match.end() - 1 if match else group[0].indent


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def entry_name(signature: str) -> str:
    """'lru_cache(maxsize=128, typed=False)' -> 'lru_cache'; 'Path.unlink(missing_ok=False)' -> 'Path.unlink'."""
    match = _ENTRY_NAME.match(signature)
    return match.group(1) if match else signature.strip()[:40]


def signature_name(signature: str) -> str:
    """The name of the entry a signature block opens ('.. class:: DictReader(f, ...)' -> 'DictReader'): the last
    part of the heading path its content stands under; '' for a block that is no directive."""
    match = _DIRECTIVE.match(signature.split("\n", 1)[0])
    return entry_name(match.group(3)) if match and match.group(3).strip() else ""


def title_text(title: str) -> str:
    """A heading as a reader sees it: ':mod:`functools` --- Higher-order functions' -> 'functools — Higher-order
    functions'."""
    return " ".join(strip_markup(title).replace(" --- ", " — ").split())


@dataclass
class _Scope:
    indent: int  # lines indented more than this belong to the scope
    kind: str  # the kind its body's blocks get ('code', 'note', 'directive', 'meta', 'table_row') or '' (as read)
    name: str = ""  # an API entry's name, for the heading path


class _RstScanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.blocks: list[Block] = []
        self.sections: list[tuple[tuple[str, bool], str]] = []  # (underline style, title) of open sections
        self.styles: list[tuple[str, bool]] = []  # heading styles in order of first use: their level
        self.scopes: list[_Scope] = []

    def path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.sections) + tuple(s.name for s in self.scopes if s.name)

    def add(self, start: int, end: int, kind: str, header: str = "") -> None:
        start, end = _trim(self.text, start, end)
        if end > start:
            self.blocks.append(Block(start, end, kind, self.path(), header))

    def heading(self, title: str, style: tuple[str, bool]) -> None:
        if style not in self.styles:
            self.styles.append(style)
        level = self.styles.index(style)
        self.sections = [s for s in self.sections if self.styles.index(s[0]) < level] + [(style, title_text(title))]
        self.scopes.clear()

    def scan(self) -> list[Block]:
        for group in _groups(_lines(self.text)):
            self.group(group)
        return self.blocks

    def group(self, group: list[_Line]) -> None:
        indent = group[0].indent
        while self.scopes and indent <= self.scopes[-1].indent:
            self.scopes.pop()
        inherited = self.scopes[-1].kind if self.scopes else ""
        if inherited in ("code", "meta"):
            self.add(group[0].start, group[-1].end, inherited)
            return
        first = group[0].text
        # Headings: 'Title' + '=====', or overline + title + underline.
        if len(group) >= 2 and indent == 0 and _UNDERLINE.match(group[1].text) and not _UNDERLINE.match(first):
            self.heading(first, (group[1].text.strip()[0], False))
            self.add(group[0].start, group[1].end, "heading")
            if len(group) > 2:
                self.group(group[2:])
            return
        if (len(group) >= 3 and indent == 0 and _UNDERLINE.match(first) and _UNDERLINE.match(group[2].text)
                and first.strip()[0] == group[2].text.strip()[0]):
            self.heading(group[1].text.strip(), (first.strip()[0], True))
            self.add(group[0].start, group[2].end, "heading")
            if len(group) > 3:
                self.group(group[3:])
            return
        match = _DIRECTIVE.match(first)
        if match:
            self.directive(group, match.group(2).lower(), match.group(3))
            return
        if len(group) == 1 and _UNDERLINE.match(first):
            self.add(group[0].start, group[0].end, "meta")  # a transition line
            return
        if _COMMENT_OR_TARGET.match(first):
            self.scopes.append(_Scope(indent, "meta"))
            self.add(group[0].start, group[-1].end, "meta")
            return
        if first.lstrip().startswith(">>>"):
            self.add(group[0].start, group[-1].end, "code")
            return
        if _GRID.match(first) or _SIMPLE_RULE.match(first):
            self.table(group)
            return
        if inherited == "table_row":
            self.items(group, "table_row")
            return
        if _BULLET.match(first) or _FIELD.match(first):
            self.items(group, "list_item")
        elif len(group) >= 2 and group[1].indent > indent and not first.rstrip().endswith("::"):
            # A definition list: a term line, its definition indented under it.
            self.add(group[0].start, group[0].end, "term")
            self.add(group[1].start, group[-1].end, "definition")
        else:
            self.add(group[0].start, group[-1].end, inherited if inherited in ("note", "directive") else "prose")
        if group[-1].text.rstrip().endswith("::"):
            # '... as follows::' opens a literal block: what is indented more than the paragraph's text (a list
            # item's text stands after its bullet) is code.
            self.scopes.append(_Scope(_text_indent(group), "code"))

    def items(self, group: list[_Line], kind: str) -> None:
        """List items (or list-table rows): a new item at each bullet at the group's indent."""
        indent = group[0].indent
        start = group[0].start
        end = group[0].end
        for line in group[1:]:
            if line.indent == indent and (_BULLET.match(line.text) or _FIELD.match(line.text)):
                self.add(start, end, kind)
                start = line.start
            end = line.end
        self.add(start, end, kind)

    def table(self, group: list[_Line]) -> None:
        """A grid or simple table: one block per row (a grid row's lines between its rules, a simple row's line
        and the lines that continue it), each with the header row's text."""
        grid = bool(_GRID.match(group[0].text))
        rule = _GRID if grid else _SIMPLE_RULE
        header_rule = re.compile(r"^\s*\+=[=+]*\+\s*$") if grid else _SIMPLE_RULE
        rows: list[list[_Line]] = []
        header_rows: list[list[_Line]] = []
        current: list[_Line] = []
        rules_seen = 0
        for line in group:
            if rule.match(line.text) or header_rule.match(line.text):
                if current:
                    rows.append(current)
                current = []
                rules_seen += 1
                if header_rule.match(line.text) and (grid or rules_seen == 2) and rows and not header_rows:
                    header_rows = rows
                    rows = []
                continue
            if not grid and current and not line.text[: max(1, group[0].indent + 1)].strip():
                current.append(line)  # a simple table's row continued (its first column blank)
                continue
            if not grid and current:
                rows.append(current)
                current = []
            current.append(line)
        if current:
            rows.append(current)
        header = " | ".join(" ".join(cell.split()) for cell in _cells(header_rows, grid))
        for row in rows:
            self.add(row[0].start, row[-1].end, "table_row", header)

    def directive(self, group: list[_Line], name: str, argument: str) -> None:
        indent = group[0].indent
        # The directive's own lines: the first, continued signatures and :option: lines; then its content.
        head_end = 1
        while head_end < len(group) and group[head_end].indent > indent and (
                _OPTION.match(group[head_end].text) or (name in _ENTRY and group[head_end].indent >= len(first_arg(
                    group[0].text)))):
            head_end += 1
        if name in _ENTRY:
            self.add(group[0].start, group[head_end - 1].end, "signature")
            self.scopes.append(_Scope(indent, "", entry_name(argument)))
            kind = ""
        elif name in _VERSION:
            self.add(group[0].start, group[-1].end, "directive")
            self.scopes.append(_Scope(indent, "directive"))
            return
        elif name in _NOTE:
            kind = "note"
            self.scopes.append(_Scope(indent, "note"))
            if argument.strip():
                self.add(group[0].start, group[0].end, "note")
        elif name in _CODE:
            self.scopes.append(_Scope(indent, "code"))
            kind = "code"
        elif name in _TABLE:
            self.scopes.append(_Scope(indent, "table_row"))
            kind = "table_row"
        elif name in _META:
            self.scopes.append(_Scope(indent, "meta"))
            self.add(group[0].start, group[-1].end, "meta")
            return
        else:
            self.scopes.append(_Scope(indent, ""))
            kind = "prose"
        rest = [line for line in group[head_end:] if not _OPTION.match(line.text)]
        if rest:
            self.add(rest[0].start, rest[-1].end, kind or "prose")


def _cells(rows: list[list[_Line]], grid: bool) -> list[str]:
    """The text of a header's cells (a grid's columns joined across its lines)."""
    lines = [line.text for row in rows for line in row]
    if not lines:
        return []
    return grid_cells(lines) if grid else [" ".join(lines)]


def first_arg(line: str) -> str:
    """The directive line up to its argument: continued signatures line up under the argument."""
    match = _DIRECTIVE.match(line)
    return line[: len(line) - len(match.group(3).lstrip())] if match else line


def rst_blocks(text: str) -> list[Block]:
    """The blocks of a reStructuredText (Sphinx) document."""
    return _RstScanner(text).scan()


def markdown_blocks(text: str) -> list[Block]:
    """The blocks of a Markdown document, from markdown-it-py's token stream (CommonMark plus tables)."""
    from markdown_it import MarkdownIt  # deferred: only needed for Markdown files

    lines = _lines(text)
    if not lines:
        return []
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    sections: list[tuple[int, str]] = []
    blocks: list[Block] = []
    open_kinds: list[str] = []
    header = ""

    def span(token_map: list[int]) -> tuple[int, int]:
        first, last = token_map[0], min(token_map[1], len(lines)) - 1
        return _trim(text, lines[first].start, lines[max(first, last)].end)

    def add(token_map: list[int] | None, kind: str, hdr: str = "") -> None:
        if not token_map:
            return
        start, end = span(token_map)
        if end > start:
            blocks.append(Block(start, end, kind, tuple(t for _, t in sections), hdr))

    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            level = int(tok.tag[1:])
            title = tokens[i + 1].content if i + 1 < len(tokens) else ""
            sections = [s for s in sections if s[0] < level] + [(level, title_text(title))]
            add(tok.map, "heading")
        elif tok.type in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
            open_kinds.append("list_item" if "list" in tok.type else "prose")
        elif tok.type in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            open_kinds.pop()
        elif tok.type == "list_item_open":
            open_kinds.append("item")
        elif tok.type == "list_item_close":
            open_kinds.pop()
        elif tok.type == "paragraph_open":
            add(tok.map, "list_item" if "item" in open_kinds else "prose")
        elif tok.type in ("fence", "code_block", "html_block"):
            add(tok.map, "code" if tok.type != "html_block" else "meta")
        elif tok.type == "thead_open":
            header = ""
        elif tok.type == "tr_open":
            row_cells = []
            j = i + 1
            while j < len(tokens) and tokens[j].type != "tr_close":
                if tokens[j].type == "inline":
                    row_cells.append(tokens[j].content.strip())
                j += 1
            row = " | ".join(row_cells)
            in_head = any(t.type == "thead_open" for t in tokens[max(0, i - 2) : i])
            if in_head:
                header = row
            add(tok.map, "table_row", "" if in_head else header)
        elif tok.type == "hr":
            continue
    return sorted(blocks, key=lambda b: b.start)


def plain_blocks(text: str) -> list[Block]:
    """Blank-line separated paragraphs, all prose."""
    blocks = []
    for group in _groups(_lines(text)):
        start, end = _trim(text, group[0].start, group[-1].end)
        if end > start:
            blocks.append(Block(start, end, "prose"))
    return blocks


_RST_SIGN = re.compile(r"^\.\.\s+[\w:-]+::|^([=\-~^\"'`#*+])\1{3,}\s*$", re.MULTILINE)


_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)


def structure_suffix(name: str, text: str) -> str:
    """The syntax a plain-text file is written in, as a suffix: '.rst' for '*.rst' and for a '.txt' that uses
    reST's directives or section underlines (Sphinx ships its sources as '*.rst.txt'), '.md' for a '.txt' with
    Markdown headings ('## Family'); else its own suffix."""
    lower = name.lower()
    suffix = lower[lower.rfind("."):] if "." in lower else ""
    if suffix not in (".txt", ".text"):
        return suffix
    head = text[:200_000]
    if lower.endswith(".rst.txt") or len(_RST_SIGN.findall(head)) >= 3:
        return ".rst"
    if len(_MD_HEADING.findall(head)) >= 2:
        return ".md"  # notes written in Markdown and saved as .txt
    return suffix


def document_blocks(text: str, suffix: str) -> list[Block]:
    """The blocks of a plain-text file by its suffix (.rst, .rst.txt as Sphinx ships them, .md; else prose)."""
    suffix = suffix.lower()
    try:
        if suffix in MARKDOWN_SUFFIXES:
            return markdown_blocks(text)
        if suffix in RST_SUFFIXES:
            return rst_blocks(text)
    except (ValueError, IndexError, RecursionError) as exc:  # the text is still indexed, as paragraphs
        log.warning("structure of a %s file not read (%s); indexed as paragraphs", suffix, exc)
    return plain_blocks(text)
