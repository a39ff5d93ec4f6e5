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
from rag.answer.scorer import LearnedScorer, unread_order
from rag.config import PROJECT_ROOT, load_settings
from rag.evaluation import risk_coverage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_confidence import MODEL, fit
from pools import INDEX_ROOT, Pool, load_pools
from russian_order import RUSSIAN, fitted
from train_scorer import labels

FIT_SETS = ("training", "tuning")


def pool_rows(pools: dict[str, list[Pool]], evidence_k: int, first: int | None) -> dict[str, list[dict]]:
    """Per corpus, one row per training and tuning pool the refusal rules let through, its candidates ordered as
    answering orders them (rag.answer.scorer.unread_order, the card's ``first``) by the ranker that left the corpus
    out; in the fields of `rag eval`'s rows that risk_coverage reads."""
    out: dict[str, list[dict]] = {}
    for name, ps in pools.items():
        ranker = fitted(pools, set(pools) - {name})
        out[name] = []
        for p in ps:
            if p.set not in FIT_SETS or p.refusal is not None or not p.candidates:
                continue
            table = _reordered(list(p.candidates), unread_order(ranker, p.candidates, first))
            right = p.answerable and bool(labels(dataclasses.replace(p, candidates=tuple(table[:1]))).all())
            out[name].append({"confidence_features": features(p.question, table, list(p.passages), evidence_k,
                                                              DEFAULTS),
                              "facts_ok": right, "answerable": p.answerable, "refused": False})
    return out


def xy(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray([r["confidence_features"] for r in rows], dtype=np.float64).reshape(-1, len(FEATURES)),
            np.asarray([int(r["facts_ok"]) for r in rows], dtype=int))


def at(rows: list[dict], point: float, confidence) -> str:
    """risk_coverage at the point: answerable answered / right of those / wrong shown / unanswerable answered."""
    t = risk_coverage(rows, point, confidence)
    return " / ".join(f"{t[k]:.0%}" for k in ("answered", "right_of_answered", "wrong_shown", "unanswerable_answered"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="where scripts/pools.py wrote pools")
    parser.add_argument("--eval-dir", type=Path, help="scripts/evaltable.py --out DIR with the aptitude_ru sets")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    shipped = ConfidenceModel.load(MODEL)
    point = shipped.point
    first = LearnedScorer.load(PROJECT_ROOT / "models" / "scorer").card.first
    pools = {n: ps for n, ps in load_pools(args.index_root).items() if n in RUSSIAN}
    data = pool_rows(pools, load_settings(env={}).evidence_k, first)
    columns = "answerable answered / right of those / wrong shown / unanswerable answered"
    print(f"operating point {point}\n")
    print(f"| corpus left out | rows | right | Brier (base rate) | Brier (fit) | fit: {columns} | shipped: {columns} |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in data.items():
        x_train, y_train = xy([r for n, rr in data.items() if n != name for r in rr])
        model = fit(x_train, y_train, point)
        x, y = xy(rows)
        p = np.asarray([model.probability(list(row)) for row in x])
        base = float(y_train.mean())
        print(f"| {name} | {len(rows)} | {int(y.sum())} | {np.mean((base - y) ** 2):.3f} | {np.mean((p - y) ** 2):.3f} "
              f"| {at(rows, point, lambda r, m=model: m.probability(r['confidence_features']))} "
              f"| {at(rows, point, lambda r: shipped.probability(r['confidence_features']))} |")
    if args.eval_dir:
        # after the model's draft as the shipped confidence has it (ConfidenceModel.of_row)
        left_out = dataclasses.replace(fit(*xy([r for n, rr in data.items() if n != "aptitude_ru" for r in rr]),
                                           point), draft=shipped.draft)
        print(f"\n| aptitude_ru set | answerable | shipped: {columns} | fit left out: {columns} |")
        print("|---|---|---|---|")
        for label in ("tuning", "heldout"):
            rows = json.loads((args.eval_dir / f"aptitude_ru-{label}.json").read_text(encoding="utf-8"))["questions"]
            print(f"| {label} | {sum(r['answerable'] for r in rows)} | {at(rows, point, shipped.of_row)} "
                  f"| {at(rows, point, left_out.of_row)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
