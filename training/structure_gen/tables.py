"""Table rows read with their header: 'What is the <column> of <row key>?'."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from rag.text import STOPWORDS
from rag.types import Block

from .drafts import Draft, Page, draft
from .limits import FACT_WORDS
from .text import flat, leading_words, lower_words, number_kind, opens_clause, plain, unnumbered, value_fact

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
