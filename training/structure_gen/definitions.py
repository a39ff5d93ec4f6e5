"""Definition lists and glossaries (a term, then its description), and the handbook's vocabulary boxes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from rag.types import Block

from .describe import describe, described_question, description_fact
from .drafts import Draft, Page, complete, draft, first_sentence
from .text import flat, leading_words, opens_clause, plain

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
