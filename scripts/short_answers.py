"""Where the short answers of an evaltable run come from, and how often each kind holds the asked facts.

    .venv/bin/python scripts/short_answers.py DIR [DIR ...]     (folders of `scripts/evaltable.py --out`)

The short answer is the line before the quote (rag.types.Answer.short, the `short` of each row). It is read here as
the model's sentence when it has more than three words and stands in the model's own reply (`raw_answer`), else
as a value or name read off the evidence (or a short model phrase). For every answerable question answered, per
question set: no short answer; the model's sentence, holding every key fact or not (and of those that do not, how
many stand above a quote that does); a value or name, the same. Prints; changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rag.evaluation import _norm, has_facts, load_questions
from rag.text import CITATION_MARKER

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import CORPORA
from evaltable import stored


def origin(row: dict) -> str | None:
    """'model', 'value' or None (no short answer) for one answered row: as `rag eval` recorded it (a checked
    model sentence or phrase is 'model'), or for runs from before it did, a sentence of over three words that
    the raw reply says."""
    lead = CITATION_MARKER.sub("", row.get("short") or "").strip()
    if not lead:
        return None
    if "short_origin" in row:
        return "model" if "model" in (row["short_origin"] or "") else "value"
    said = _norm(lead.rstrip(". "))
    return "model" if len(lead.split()) > 3 and said in _norm(row["raw_answer"]) else "value"


def counts(rows: list[dict], facts: dict[str, list[str]]) -> Counter[str]:
    c: Counter[str] = Counter()
    for r in rows:
        if not r["answerable"] or r["refused"]:
            continue
        kind = origin(r)
        if kind is None:
            c["none"] += 1
            continue
        ok = has_facts(r["short"], facts[r["id"]])
        c[f"{kind} right" if ok else f"{kind} wrong"] += 1
        c[f"{kind} wrong, quote right"] += not ok and r["facts_ok"]
    return c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args(argv)
    columns = ["none", "model right", "model wrong", "model wrong, quote right", "value right", "value wrong",
               "value wrong, quote right"]
    print("| run | corpus | set | " + " | ".join(columns) + " |")
    print("|---|---|---|" + "---|" * len(columns))
    for folder in args.folders:
        for name, (_, tuning, heldout) in CORPORA.items():
            questions = {"tuning": tuning, "held-out": heldout}
            for label, result in stored(folder, name).items():  # the sets the folder holds, as evaltable names them
                facts = {q.id: q.facts for q in load_questions(questions[label])}
                c = counts(result["questions"], facts)
                print(f"| {folder.name} | {name} | {label} | " + " | ".join(str(c[k]) for k in columns) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
