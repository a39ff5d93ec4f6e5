"""Check hand-written training questions against their documents, as the product reads them.

Each line of a question file is a JSON object:
  {"id": "...", "corpus": "<name>", "question": "...", "answerable": true,
   "sources": ["path relative to the corpus's docs folder"], "facts": ["short answer string"],
   "evidence": "the sentence (or table row, list item, version note) that answers, copied from the document",
   "kind": "what|who|number|date|version|how|why|yesno|other", "note": "optional"}

An unanswerable question ("answerable": false) has "facts": [], "evidence": "" and "sources": [].
An answerable question passes when its source exists and reads, its evidence stands in the source's text as the product
extracts it (HTML/PDF text, whitespace and case ignored), and every fact stands in its evidence.

  .venv/bin/python training/check_questions.py training/questions/<corpus>.jsonl --docs <docs folder>
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

from rag.errors import DocumentUnreadable
from rag.ingest.documents import read_document

KINDS = {"what", "who", "number", "date", "version", "how", "why", "yesno", "other"}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\u2018\u2019\u201c\u201d\u00ab\u00bb`\"']", "'", text)
    text = re.sub(r"[\u2010-\u2015]", "-", text)
    return " ".join(text.split())


@lru_cache(maxsize=256)
def document_text(path: Path) -> str:
    return norm(read_document(path, path.name).text)


def problems(item: dict, docs: Path) -> list[str]:
    out = []
    if item.get("answerable") is False:
        # Unanswerable: on the corpus's topic, answered nowhere in it; nothing to check against a file.
        return [f"unanswerable question has {key}" for key in ("facts", "evidence") if item.get(key)] + (
            [] if item.get("question") else ["missing question"])
    for key in ("id", "question", "sources", "facts", "evidence"):
        if not item.get(key):
            out.append(f"missing {key}")
    if out:
        return out
    if item.get("kind") and item["kind"] not in KINDS:
        out.append(f"kind {item['kind']!r} not one of {sorted(KINDS)}")
    evidence = norm(item["evidence"])
    found = False
    for source in item["sources"]:
        path = docs / source
        if not path.is_file():
            out.append(f"source {source} not found under {docs}")
            continue
        try:
            if evidence in document_text(path):
                found = True
        except DocumentUnreadable as exc:
            out.append(f"source {source} unreadable: {exc}")
    if not found:
        out.append("evidence not found verbatim in any source (as the product extracts it)")
    for fact in item["facts"]:
        if norm(fact) not in evidence:
            out.append(f"fact {fact!r} not in the evidence")
    if norm(item["facts"][0]) in norm(item["question"]):
        out.append("the question already contains its answer")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--docs", type=Path, required=True, help="the corpus's documents folder")
    args = parser.parse_args()
    bad = total = 0
    ids: set[str] = set()
    questions: set[str] = set()
    for n, line in enumerate(args.file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        total += 1
        try:
            item = json.loads(line)
        except ValueError as exc:
            print(f"line {n}: not JSON ({exc})")
            bad += 1
            continue
        found = problems(item, args.docs)
        if item.get("id") in ids:
            found.append("duplicate id")
        if norm(item.get("question", "")) in questions:
            found.append("duplicate question")
        ids.add(item.get("id"))
        questions.add(norm(item.get("question", "")))
        if found:
            bad += 1
            print(f"line {n} ({item.get('id')}): " + "; ".join(found))
    print(f"{total - bad} of {total} questions pass")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
