"""What the word a number counts adds to number short answers (rag.answer.spans.value_spans: '1024 bytes', not
'1024'), measured on the pools of the training and tuning questions (scripts/pools.py; held-out pools are not read).

    .venv/bin/python scripts/span_units.py [--index-root DIR]

For every answerable English question asking for a number whose best typed unit among the first four gives a
value span: how often the first span, with and without the counted word, holds every key fact of the question.
Prints; changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rag.answer.spans import amount_part, value_spans
from rag.evaluation import has_facts, unit_holds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DOCS
from pools import INDEX_ROOT, Pool, load_pools

ENGLISH_ONLY = {"aptitude_ru"}


def count(pools: list[Pool]) -> Counter[str]:
    c: Counter[str] = Counter()
    for p in pools:
        if p.set not in ("training", "tuning") or not p.answerable or p.question.kind != "number":
            continue
        unit = next((x for x in p.candidates[:4] if x.typed), None)
        spans = value_spans(p.question, unit.shown) if unit is not None else []
        if not spans:
            continue
        first = spans[0]
        number = amount_part(unit.shown, first)
        c["questions"] += 1
        c["unit holds the facts"] += unit_holds(unit, list(p.facts))
        c["number alone holds them"] += has_facts(number, list(p.facts))
        c["with the counted word"] += has_facts(first.text, list(p.facts))
        c["span changed"] += number != first.text
    return c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    args = parser.parse_args(argv)
    total: Counter[str] = Counter()
    for name in sorted(set(DOCS) - ENGLISH_ONLY):
        total += count(load_pools(args.index_root, [name]).get(name, []))
    for key in ("questions", "unit holds the facts", "number alone holds them", "with the counted word",
                "span changed"):
        print(f"{key}: {total[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
