"""API entries of reST pages: signatures' defaults, what an entry returns, is or does, and its version notes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.ingest.structure import entry_name
from rag.types import Block

from .describe import description_fact
from .drafts import Draft, Page, complete, draft, first_sentence
from .text import flat, leading_words, number_kind
from .versions import version_questions

_DIRECTIVE_HEAD = re.compile(r"^\.\.\s+(?:[\w-]+:)?([\w-]+)::\s*")
_CALLABLE = frozenset({"function", "method", "classmethod", "staticmethod", "decorator", "decoratormethod",
                       "coroutinefunction", "coroutinemethod", "abstractmethod", "awaitablefunction"})
_MODULE_LEVEL = _CALLABLE | {"class", "exception", "data"}
_PARAM = re.compile(r"^\*{0,2}(\w+)\s*(?::[^=]+)?=\s*(.+)$")
_SIGNATURE = re.compile(r"^([\w.]+)\s*\((.*)\)\s*(?:->.*)?$")


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
