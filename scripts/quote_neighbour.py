"""How often the answer's quote holds the facts when it takes in the sentence next to the best unit
(rag.answer.compose.with_neighbour), on every corpus's pools, each ordered as answering orders it by the learned
scorer (h) that left its corpus out (scripts/cross_encoder.py loco_orders: the half models in --work).

    PYTHONHASHSEED=0 .venv/bin/python scripts/quote_neighbour.py [--within 1 2 3 4] [--work DIR] [--corpus NAME]

Per set (the hand-written training questions of corpora the models did not see, tuning, held-out): questions, how
many quotes hold every fact, how many quotes are joined and their mean length in characters (as shown), for each
--within (1: never joined). About 3 minutes with the half models' scores cached.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cross_encoder import loco_orders
from pools import INDEX_ROOT, Pool, load_pools
from train_scorer import without

from rag.answer.compose import with_neighbour
from rag.config import offline_environment
from rag.evaluation import unit_holds

SETS = ("training", "tuning", "held-out")
FIRST = 16  # the candidates answering lets the learned scorer reorder
WORK = Path(".cache/work/scorer-make")


def quoted(pool: Pool, order: np.ndarray, within: int) -> tuple[bool, bool, int]:
    """Whether the quote (the best unit by ``order``, joined as answering joins it) holds every fact, whether it
    was joined, and its length as shown."""
    ranked = [pool.candidates[i] for i in np.argsort(-order, kind="stable")]
    unit = with_neighbour(ranked, pool.passages, within)
    return unit_holds(unit, list(pool.facts)), unit is not ranked[0], len(unit.shown)


def tally(orders: dict[str, list[tuple[Pool, np.ndarray]]], within: int) -> dict[str, Counter]:
    """Per set: questions, quotes holding the facts, quotes joined and their characters."""
    out: dict[str, Counter] = {s: Counter() for s in SETS}
    for pairs in orders.values():
        for pool, order in pairs:
            held, joined, chars = quoted(pool, order, within)
            out[pool.set].update({"questions": 1, "held": int(held), "joined": int(joined), "chars": chars})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--within", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--work", type=Path, default=WORK, help="the half models (scripts/cross_encoder.py)")
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--corpus", action="append", help="only these corpora (default: all)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    pools = without(load_pools(args.index_root, args.corpus), ["structure", "generated"])
    orders = loco_orders(pools, args.work, SETS, FIRST)
    if not orders:
        parser.error(f"no half models in {args.work} leave each corpus out: train them first (docs/quality.md)")
    print("| set | within | questions | quote holds the facts | quotes joined | mean quote (characters) |")
    print("|---|---|---|---|---|---|")
    for within in args.within:
        for label, c in tally(orders, within).items():
            if c["questions"]:
                print(f"| {label} | {within} | {c['questions']} | {c['held']} | {c['joined']} "
                      f"({c['joined'] / c['questions']:.0%}) | {c['chars'] / c['questions']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
