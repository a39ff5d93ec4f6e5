"""Two decisions of the same questions compared: the pools of two index roots (scripts/pools.py), before and after a
change to how candidates are made, in the hand order they were decided in.

    .venv/bin/python scripts/compare_pools.py BEFORE_ROOT AFTER_ROOT [--corpus NAME ...] [--set SET ...]
                                              [--scorer half]

To decide the questions again without indexing again, make AFTER_ROOT a folder of links to BEFORE_ROOT's corpus
indexes and run `PYTHONHASHSEED=0 .venv/bin/python scripts/pools.py --index-root AFTER_ROOT --corpus NAME --skip
structure --skip generated` with the changed code. Per corpus and set, over the answerable questions both decisions
let through: how many have every key fact in one candidate unit and in the top unit, before -> after, and the
questions whose top unit changed between holding the facts and not. With --scorer half, both pools are first
ordered as answering orders them, each corpus by the half export that left it out (scripts/quote_unit.py).
Prints; changes nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from rag.answer.params import AnswerParams
from rag.answer.scorer import LearnedScorer
from rag.config import offline_environment
from rag.evaluation import unit_holds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pools import load_pools
from quote_unit import half_scorer, ordered

log = logging.getLogger("compare_pools")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--corpus", action="append", help="default: every corpus with pools in both roots")
    parser.add_argument("--set", action="append", dest="sets", help="default: training and tuning")
    parser.add_argument("--scorer", choices=("hand", "half"), default="hand")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    params = AnswerParams()
    before, after = load_pools(args.before, args.corpus), load_pools(args.after, args.corpus)
    sets = args.sets or ["training", "tuning"]
    print("| corpus | set | questions | fact in a candidate | fact in the top unit | top unit gained / lost |")
    print("|---|---|---|---|---|---|")
    total: Counter[str] = Counter()
    for name in sorted(set(before) & set(after)):
        scorer = LearnedScorer.load(half_scorer(name)) if args.scorer == "half" else None
        for label in sets:
            old = {p.id: p for p in before[name] if p.set == label}
            c: Counter[str] = Counter()
            for p in after[name]:
                q = old.get(p.id)
                if p.set != label or q is None or not p.answerable or p.refusal or q.refusal:
                    continue
                facts = list(p.facts)
                tops = [ordered(x, scorer, params)[:1] for x in (q, p)]
                was, now = (bool(top) and unit_holds(top[0], facts) for top in tops)
                c["questions"] += 1
                c["candidates before"] += any(unit_holds(u, facts) for u in q.candidates)
                c["candidates after"] += any(unit_holds(u, facts) for u in p.candidates)
                c["top before"] += was
                c["top after"] += now
                c["gained"] += now and not was
                c["lost"] += was and not now
                if was != now:
                    log.warning("%s %s %s: top unit %s -> %s | %s", name, label, p.id, was, now, p.text)
            if c["questions"]:
                total.update(c)
                print(f"| {name} | {label} | {c['questions']} | {c['candidates before']} -> {c['candidates after']} | "
                      f"{c['top before']} -> {c['top after']} | {c['gained']} / {c['lost']} |")
    print(f"| all | | {total['questions']} | {total['candidates before']} -> {total['candidates after']} | "
          f"{total['top before']} -> {total['top after']} | {total['gained']} / {total['lost']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
