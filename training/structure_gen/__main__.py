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
text, every fact in the evidence, the first fact not in the question) and by this package's own rules (checks.py:
no markup, not a copy of the evidence); the caps keep one file, one evidence unit or one kind of structure from
dominating.

Caps (MAX_PER_UNIT, MAX_PER_FILE, MAX_PER_STRUCTURE in limits.py): questions per evidence unit, per file (a PDF:
per outline section) and per kind of structure in a corpus; over a cap the questions are taken in turn from every
structure (every file) in a pseudo-random order fixed by their text. Ids (<corpus>-s<number>, in document
order) are the same on every run over the same documents.

  .venv/bin/python -m training.structure_gen [--corpus NAME ...] [--out training/structure]
  .venv/bin/python training/structure_questions.py [--corpus NAME ...] [--out training/structure]  (the same)
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from .build import corpus_questions, write
from .corpora import CORPORA, ROOT, Corpus
from .limits import MAX_PER_FILE, MAX_PER_STRUCTURE, MAX_PER_UNIT


def main(argv: list[str] | None = None, *, corpora: Sequence[Corpus] | None = None, root: Path | None = None) -> int:
    """The command over ``corpora`` read from ``root`` (default CORPORA and ROOT; a test passes its own)."""
    corpora = CORPORA if corpora is None else corpora
    root = ROOT if root is None else root
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"caps: {MAX_PER_UNIT} per evidence unit, {MAX_PER_FILE} per file, {MAX_PER_STRUCTURE} per "
               "structure and corpus")
    names = [c.name for c in corpora]
    parser.add_argument("--corpus", action="append", choices=names, metavar="NAME",
                        help=f"a corpus to make questions for (repeatable; default all: {', '.join(names)})")
    parser.add_argument("--out", type=Path, default=root / "training" / "structure",
                        help="folder of the output files <corpus>.jsonl (rewritten; default training/structure)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every template's rejections")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    for corpus in corpora:
        if args.corpus and corpus.name not in args.corpus:
            continue
        records = corpus_questions(corpus, root)
        target = args.out / f"{corpus.name}.jsonl"
        if records:
            write(records, target)
        elif target.exists():
            target.unlink()  # a corpus that now gives nothing leaves no stale file
    return 0


if __name__ == "__main__":
    sys.exit(main())
