"""The corpora questions are made for (training/README.md) and the products their questions name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


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
