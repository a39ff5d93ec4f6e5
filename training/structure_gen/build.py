"""One corpus's questions: every file read as the product reads it, every template run, each draft checked,
the caps applied; and the writing of the JSONL file."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from check_questions import problems  # the checker this output must pass, as it is (see __init__.py)

from rag.errors import DocumentUnreadable
from rag.ingest.documents import list_documents, read_document

from .api import api_questions
from .checks import choose, record, rejection
from .corpora import PDF_PRODUCTS, Corpus
from .definitions import definition_questions
from .drafts import Draft, Page
from .faq import faq_questions, outline_questions, pdf_outline_questions
from .options import man_questions, npm_option_questions
from .tables import table_questions
from .versions import prose_version_questions

log = logging.getLogger("structure_questions")


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
