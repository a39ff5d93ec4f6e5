"""Which value of a unit makes the short answer, measured on the pools of the training and tuning questions
(scripts/pools.py; held-out pools are not read).

    .venv/bin/python scripts/span_units.py [--index-root DIR] [--context N ...]

1. What the word a number counts adds (rag.answer.spans.value_spans: '1024 bytes', not '1024'): for every
   answerable English question asking for a number whose best typed unit among the first four gives a value span,
   how often the first span, with and without the counted word, holds every key fact of the question.
2. Which of several values to show (rag.answer.spans.asked_span): for every answerable English number, date or
   version question whose such unit holds the facts, how often the first value holds them, and how often the one
   with most question terms within N words either side does, for each N of --context.
Prints; changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rag.answer.params import AnswerParams
from rag.answer.question import STRICT_KINDS
from rag.answer.spans import amount_part, asked_span, named_answer, value_spans
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


def choice(pools: list[Pool], context: list[int]) -> Counter[str]:
    c: Counter[str] = Counter()
    for p in pools:
        if p.set not in ("training", "tuning") or not p.answerable or p.question.kind not in STRICT_KINDS:
            continue
        unit = next((x for x in p.candidates[:4] if x.typed), None)
        spans = value_spans(p.question, unit.shown) if unit is not None else []
        if not spans or not unit_holds(unit, list(p.facts)):
            continue
        ok = [has_facts(s.text, list(p.facts)) for s in spans]
        c["units holding the facts"] += 1
        c["some value holds them"] += any(ok)
        c["the first value"] += ok[0]
        for n in context:
            picked = asked_span(p.question, unit.shown, spans, n)
            right = ok[spans.index(picked)]
            c[f"by question terms, {n} words"] += right
            c[f"{n} words: right where the first was wrong"] += right and not ok[0]
            c[f"{n} words: wrong where the first was right"] += ok[0] and not right
    return c


def names(pools: list[Pool]) -> Counter[str]:
    """Who- and which-questions: how often the name read off the first of the top four units that names one holds
    every key fact, read as one name and read with the names listed after it."""
    c: Counter[str] = Counter()
    for p in pools:
        if p.set not in ("training", "tuning") or not p.answerable or not p.question.asks_name:
            continue
        for unit in p.candidates[:4]:
            listed = named_answer(p.question, unit.shown)
            if listed is None:
                continue
            one = named_answer(p.question, unit.shown, lists=False)
            c["units naming one"] += 1
            c["one name holds the facts"] += one is not None and has_facts(one.span.text, list(p.facts))
            c["with the names listed after it"] += has_facts(listed.span.text, list(p.facts))
            c["names listed"] += one is None or one.span != listed.span
            break
    return c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--context", type=int, nargs="+", default=[AnswerParams().span_context_words])
    args = parser.parse_args(argv)
    total: Counter[str] = Counter()
    chosen: Counter[str] = Counter()
    named: Counter[str] = Counter()
    for name in sorted(set(DOCS) - ENGLISH_ONLY):
        pools = load_pools(args.index_root, [name]).get(name, [])
        total += count(pools)
        chosen += choice(pools, args.context)
        named += names(pools)
    for key in ("questions", "unit holds the facts", "number alone holds them", "with the counted word",
                "span changed"):
        print(f"{key}: {total[key]}")
    print("\nnumber, date and version questions:")
    for key, value in chosen.items():
        print(f"{key}: {value}")
    print("\nwho- and which-questions:")
    for key, value in named.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
