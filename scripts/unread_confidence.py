"""A confidence for the questions the learned models cannot read (Russian), fitted on the Russian corpora.

    .venv/bin/python scripts/unread_confidence.py [--eval-dir DIR]

The shipped confidence (models/confidence.json) was fitted on rows of 24 corpora, a few hundred of them Russian and
decided in the hand order; at its operating point it shows no Russian answer (docs/quality.md). Here each Russian
pool (scripts/pools.py; the Russian corpora of scripts/russian_order.py) is ordered as answering orders it, by the
ranker for questions the models cannot read fitted without its corpus, and gives one row as scripts/fit_confidence.py
makes them: the confidence features (rag.answer.confidence.features) of a question the refusal rules let through,
labelled 1 when the top unit holds every fact of an answerable question. A logistic regression (the same fit as
fit_confidence.py) is fitted on the other corpora's rows and scored on each corpus's (leave-one-corpus-out): Brier
score against the base rate, and how many answers are shown right and wrong at the shipped operating point.

With --eval-dir (a folder of scripts/evaltable.py, whose aptitude_ru rows carry each answer's confidence features,
the shipped confidence before and after the model's draft, and whether the answer held the facts), the aptitude_ru
sets are scored too, by the fit that left aptitude_ru out, after the shipped draft stage: right and wrong answers
shown at the point, against the shipped confidence's.

Measured, not shipped (docs/quality.md): nothing here writes, and answering has no second confidence.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

import numpy as np

from rag.answer.candidates import _reordered
from rag.answer.confidence import FEATURES, ConfidenceModel, features
from rag.answer.params import DEFAULTS
from rag.config import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_confidence import MODEL, fit
from pools import INDEX_ROOT, Pool, load_pools
from russian_order import RUSSIAN, fitted, rows
from train_scorer import labels

FIRST = 16  # the candidates a scorer's ranker reorders (the shipped card's "first")
FIT_SETS = ("training", "tuning")


def ordered(pool: Pool, ranker) -> list:
    """The pool's candidates as answering orders a question its models cannot read: the first FIRST by the
    ranker, the rest below them in the hand order."""
    table = list(pool.candidates)
    head = ranker.score(rows(dataclasses.replace(pool, candidates=tuple(table[:FIRST]))))
    rest = np.arange(len(table) - len(head), dtype=np.float64)
    return _reordered(table, np.concatenate([head, float(head.min()) - 1.0 - rest]))


def pool_rows(pools: dict[str, list[Pool]], evidence_k: int) -> dict[str, list[dict]]:
    """Per corpus, one row per training and tuning pool the refusal rules let through, ordered by the ranker that
    left the corpus out."""
    out: dict[str, list[dict]] = {}
    for name, ps in pools.items():
        ranker = fitted(pools, set(pools) - {name})
        out[name] = []
        for p in ps:
            if p.set not in FIT_SETS or p.refusal is not None or not p.candidates:
                continue
            table = ordered(p, ranker)
            y = int(p.answerable and bool(labels(dataclasses.replace(p, candidates=tuple(table[:1]))).all()))
            out[name].append({"x": features(p.question, table, list(p.passages), evidence_k, DEFAULTS), "y": y,
                              "answerable": p.answerable})
    return out


def xy(rows_: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray([r["x"] for r in rows_], dtype=np.float64).reshape(-1, len(FEATURES)),
            np.asarray([r["y"] for r in rows_], dtype=int))


def shown(p: np.ndarray, y: np.ndarray, answerable: np.ndarray, point: float) -> tuple[int, int, int]:
    """At the point: answers shown right, answerable ones shown wrong, unanswerable ones shown."""
    on = p >= point
    return int((on & (y == 1)).sum()), int((on & (y == 0) & answerable).sum()), int((on & ~answerable).sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="where scripts/pools.py wrote pools")
    parser.add_argument("--eval-dir", type=Path, help="scripts/evaltable.py --out DIR with the aptitude_ru sets")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    shipped = ConfidenceModel.load(MODEL)
    point = shipped.point
    pools = {n: ps for n, ps in load_pools(args.index_root).items() if n in RUSSIAN}
    data = pool_rows(pools, load_settings(env={}).evidence_k)
    print(f"operating point {point}\n")
    print("| corpus left out | rows | right | Brier (base rate) | Brier (fit) | shown right / wrong / unanswerable "
          "| shipped confidence: shown right / wrong / unanswerable |")
    print("|---|---|---|---|---|---|---|")
    for name, rs in data.items():
        x_train, y_train = xy([r for n, rr in data.items() if n != name for r in rr])
        model = fit(x_train, y_train, point)
        x, y = xy(rs)
        answerable = np.asarray([r["answerable"] for r in rs], dtype=bool)
        p = np.asarray([model.probability(list(row)) for row in x])
        base = float(y_train.mean())
        old = np.asarray([shipped.probability(list(row)) for row in x])
        print(f"| {name} | {len(rs)} | {int(y.sum())} | {np.mean((base - y) ** 2):.3f} | {np.mean((p - y) ** 2):.3f} "
              f"| {' / '.join(map(str, shown(p, y, answerable, point)))} "
              f"| {' / '.join(map(str, shown(old, y, answerable, point)))} |")
    if args.eval_dir:
        left_out = fit(*xy([r for n, rr in data.items() if n != "aptitude_ru" for r in rr]), point)
        print("\n| aptitude_ru set | answerable | shipped: right / wrong shown / unanswerable shown | fit left out: "
              "right / wrong shown / unanswerable shown |")
        print("|---|---|---|---|")
        for label in ("tuning", "heldout"):
            qs = json.loads((args.eval_dir / f"aptitude_ru-{label}.json").read_text(encoding="utf-8"))["questions"]
            qs = [q for q in qs if not q["refused"] and q["confidence_features"]]
            cells = []
            for model in (shipped, left_out):
                right = wrong = unanswerable = 0
                for q in qs:
                    # the draft stage as the answer had it: whichever of held up / not gives the shipped figure
                    held = shipped.draft is not None and abs(
                        shipped.after_draft(q["confidence_before_draft"], True) - q["confidence"]) < 1e-3
                    c = shipped.after_draft(model.probability(q["confidence_features"]), held)
                    if c < point:
                        continue
                    if not q["answerable"]:
                        unanswerable += 1
                    elif q["facts_ok"]:
                        right += 1
                    else:
                        wrong += 1
                cells.append(f"{right} / {wrong} / {unanswerable}")
            answerable = sum(1 for q in json.loads((args.eval_dir / f"aptitude_ru-{label}.json").read_text(
                encoding="utf-8"))["questions"] if q["answerable"])
            print(f"| {label} | {answerable} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
