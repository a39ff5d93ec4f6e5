"""Markup rendered for reading: what a reader of the rendered page sees of a quoted piece of reST or Markdown.

Citations keep the file's characters (``quote == file[start:end]``); the shown text is this rendering of them:
':func:`md5`' -> 'md5()', '``None``' -> 'None', '.. versionadded:: 3.8' -> 'New in version 3.8.',
'.. method:: Path.unlink(missing_ok=False)' -> 'Path.unlink(missing_ok=False)', '**bold**' -> 'bold',
'[text](url)' -> 'text'. Plain prose comes back unchanged.
"""

from __future__ import annotations

import re
import textwrap

from rag.text import grid_cells

_CALLABLE_ROLES = frozenset({"func", "meth", "cfunc", "c:func"})
_ROLE = re.compile(r":(?P<role>[\w.+-]+(?::[\w.+-]+)?):`(?P<body>[^`]+)`")
_LINK_TARGET = re.compile(r"^(?P<text>.*?)\s*<[^<>]+>$", re.DOTALL)
_LITERAL = re.compile(r"``(?P<body>.+?)``", re.DOTALL)
_REST_LINK = re.compile(r"`(?P<body>[^`<]+?)(?:\s*<[^`>]+>)?`__?")
_INTERPRETED = re.compile(r"(?<![\w`])`(?P<body>[^`]+)`(?![\w`])")
_STRONG = re.compile(r"\*\*(?=\S)(?P<body>.+?)(?<=\S)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)(?P<body>[^*\n]+?)(?<=\S)\*(?![\w*])")
_MD_LINK = re.compile(r"!?\[(?P<body>[^\]]+)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\.\s+(?:[\w-]+:)?(?P<name>[\w-]+)::\s*(?P<arg>.*)$", re.MULTILINE)
_VERSION_TEXT = {
    "versionadded": "New in version {v}",
    "versionchanged": "Changed in version {v}",
    "deprecated": "Deprecated since version {v}",
    "deprecated-removed": "Deprecated since version {v}",
    "versionremoved": "Removed in version {v}",
}
_ADMONITION = {"note": "Note", "warning": "Warning", "tip": "Tip", "important": "Important", "hint": "Hint",
               "caution": "Caution", "attention": "Attention", "danger": "Danger", "seealso": "See also"}


def _role(match: re.Match[str]) -> str:
    role, body = match.group("role"), match.group("body")
    target = _LINK_TARGET.match(body)
    if target and target.group("text"):
        return target.group("text")
    body = body.lstrip("!")
    if body.startswith("~"):
        body = body[1:].rsplit(".", 1)[-1]
    if role in _CALLABLE_ROLES and not body.endswith(")"):
        body += "()"
    return body


def _directive(match: re.Match[str]) -> str:
    name, arg = match.group("name").lower(), match.group("arg").strip()
    indent = match.group("indent")
    if name in _VERSION_TEXT:
        version, _, rest = arg.partition(" ")
        head = _VERSION_TEXT[name].format(v=version)
        return f"{indent}{head}: {rest}" if rest else f"{indent}{head}."
    if name in _ADMONITION:
        return f"{indent}{_ADMONITION[name]}: {arg}".rstrip() if arg else f"{indent}{_ADMONITION[name]}:"
    return f"{indent}{arg}"


_MARKUP_SUFFIXES = (".rst", ".rst.txt", ".md", ".markdown")
_REST_SIGN = re.compile(r":[\w.+-]+:`|``\S|^\s*\.\.\s+[\w-]+::", re.MULTILINE)


def shown_unit(source: str, text: str, label: str = "") -> str:
    """How an evidence unit is shown: its rendering, led by what it is read with when it says little alone (a
    version note by its entry's name: 'cached_property: New in version 3.8.'; a table row by its header)."""
    body = render_quote(source, text)
    if not label:
        return body
    lead = render_quote(source, table_row(label))
    return f"{lead}: {body}"


def is_markup(source: str, text: str) -> bool:
    """Whether a quote from ``source`` is markup to render: a reST or Markdown file, or plain text that uses reST
    roles, literals or directives."""
    return source.lower().endswith(_MARKUP_SUFFIXES) or bool(_REST_SIGN.search(text))


def render_quote(source: str, text: str) -> str:
    """The rendering of a quote from ``source``: markup (is_markup) is rendered; any other text is shown as it is
    ('5*3*2' keeps its stars)."""
    return render(text) if is_markup(source, text) else text


# A line of one punctuation mark repeated: a reST title's under- or overline, a Markdown rule or setext underline.
_ADORNMENT = re.compile(r"^[ \t]*([=\-~^\"'`#*+_:.])\1{2,}[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)")
_CODE_DIRECTIVE = re.compile(r"^\s*\.\.\s+(?:code-block|code|sourcecode|highlight)::", re.MULTILINE)


def _indent(lines: list[str]) -> int:
    return min(len(line) - len(line.lstrip()) for line in lines if line.strip())


def render_passage(source: str, text: str) -> str:
    """A whole passage as a reader of the page sees it, its blocks kept apart: each paragraph or heading on one line
    (wrapped lines joined, markup rendered as render_quote renders it), a blank line between blocks, title
    underlines gone, and code (a literal block opened by '::' or a code directive, a '>>>' session, a Markdown
    fence) kept line by line, dedented."""
    markup = is_markup(source, text)
    blocks: list[str] = []
    code_indent: int | None = None  # inside a literal block: the indent its lines keep
    opener: int | None = None  # the indent of the paragraph that opened a literal block just before
    fenced = False
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line for line in block.split("\n") if _FENCE.match(line) or not _ADORNMENT.match(line)]
        if not any(line.strip() for line in lines):
            continue
        indent = _indent(lines)
        fences = sum(1 for line in lines if _FENCE.match(line))
        if markup and (fenced or fences or lines[0].lstrip().startswith(">>>")
                       or (opener is not None and indent > opener)
                       or (code_indent is not None and indent >= code_indent)):
            if code_indent is None and not fenced and not fences and opener is not None:
                code_indent = indent
            fenced = fenced != (fences % 2 == 1)  # an odd number of fences opens or closes one
            code = [line for line in lines if not _FENCE.match(line)]
            if any(line.strip() for line in code):
                blocks.append(textwrap.dedent("\n".join(code)).strip("\n"))
            opener = None
            continue
        code_indent = None
        body = "\n".join(lines)
        last = lines[-1].rstrip()  # '...as follows::' opens a literal block; '.. note::' opens a directive's body
        literal = last.endswith("::") and not _DIRECTIVE.match(last)
        opener = indent if markup and (literal or _CODE_DIRECTIVE.search(body)) else None
        shown = " ".join((render(body) if markup else body).split())
        if shown:
            blocks.append(shown)
    return "\n\n".join(blocks)


_GRID_ROW = re.compile(r"^\s*\|.*\|\s*$")


def table_row(text: str) -> str:
    """A reST/Markdown table row as its cells: '| ``ERROR`` | 40 |' -> '``ERROR`` | 40'; a grid row written on
    several lines gives each cell its lines joined."""
    lines = text.split("\n")
    return " | ".join(grid_cells(lines)) if all(_GRID_ROW.match(line) for line in lines) else text


_LITERAL_OPENER = re.compile(r"(?:(?<=\S)|(?P<space>[ \t]+))::[ \t]*$", re.MULTILINE)


def render(text: str) -> str:
    """``text`` as a reader of the rendered page sees it (inline markup resolved, directive prefixes gone)."""
    if not any(ch in text for ch in "`*[#:|"):
        return text
    out = _DIRECTIVE.sub(_directive, table_row(text))
    out = re.sub(r"(version [\w.]+)\.\n[ \t]+(?=\S)", r"\1: ", out)  # the note's text on its indented lines
    out = _ROLE.sub(_role, out)
    out = _LITERAL.sub(lambda m: m.group("body"), out)
    out = _REST_LINK.sub(lambda m: m.group("body"), out)
    out = _INTERPRETED.sub(lambda m: m.group("body"), out)
    out = _STRONG.sub(lambda m: m.group("body"), out)
    out = _EMPHASIS.sub(lambda m: m.group("body"), out)
    out = _MD_LINK.sub(lambda m: m.group("body"), out)
    out = _MD_HEADING.sub("", out)
    # reST's '::' that opens a literal block: 'as follows::' shows 'as follows:', 'as follows: ::' shows 'as follows:'
    out = _LITERAL_OPENER.sub(lambda m: "" if m.group("space") else ":", out)
    # A version note's text continues on indented lines: one paragraph as the page shows it.
    return re.sub(r"[ \t]*\n[ \t]+", " ", out).strip() if "\n" in out else out.strip()
