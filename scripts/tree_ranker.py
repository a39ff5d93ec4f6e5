"""Measured, not shipped: a tree ranker over the stacked ranker's rows, against the stacked (linear) ranker (f).

    PYTHONHASHSEED=0 .venv/bin/python scripts/tree_ranker.py --work DIR [--half A+B+...] [--seed N] [--lightgbm]

Leave-half-out, like `scripts/train_scorer.py report`: the corpora are split in two halves (--half names the
first; the second is every other corpus with pools), each pool's similarity is by the bi-encoder in --work that
left its corpus out, and each half is scored by rankers fitted on the other half's hand-written training and
tuning pools. Printed per corpus and set, then summed: questions with the facts in some candidate, and the facts
in the top unit by (a) the hand order, (f) the stacked pairwise logistic ranker, (t) a gradient-boosted tree
classifier (scikit-learn's HistGradientBoostingClassifier, each question weighing the same) over the same rows
and each column's distance to the question's best, and (f+t) the z-scores of both added. With --lightgbm, (t) is a
LambdaMART ranker instead (LightGBM, not a project dependency: `pip install --target DIR lightgbm==4.7.0` and run
with PYTHONPATH=DIR). docs/quality.md has what it printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_scorer as ts
from pools import load_pools

from rag.answer.rank import zscores
from rag.config import offline_environment

log = logging.getLogger("tree_ranker")
HALF = "pydocs+wiki+aptitude_ru+man_pages+pdf_manuals+valgrind+rust_book+git_doc+apache_httpd+django_doc"
SETS = ("training", "tuning", "held-out", f"structure{ts.UNSEEN}")


def tree_rows(pool: ts.Pool, sims: np.ndarray) -> np.ndarray:
    """The stacked rows, and each column less the question's best (a tree cannot subtract columns)."""
    x = ts.stacked(pool, sims)
    return np.hstack([x, x - x.max(axis=0, keepdims=True)])


def training_rows(counted: dict[str, list[ts.Pool]], sims: dict[str, list[np.ndarray]], names: list[str]
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, labels) of each hand-written training and tuning pool of ``names`` that has a right and a wrong unit."""
    out = []
    for name in sorted(names):
        for p, s in zip(counted[name], sims[name], strict=True):
            label = ts.labels(p)
            if p.set in ts.WEIGHT_SETS and label.any() and not label.all():
                out.append((tree_rows(p, s), label.astype(int)))
    return out


def fit_tree(groups: list[tuple[np.ndarray, np.ndarray]], seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    classifier = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=15,
                                                min_samples_leaf=40, l2_regularization=1.0, random_state=seed).fit(
        np.vstack([x for x, _ in groups]), np.concatenate([y for _, y in groups]),
        sample_weight=np.concatenate([np.full(len(y), 1.0 / len(y)) for _, y in groups]))
    return lambda rows: classifier.predict_proba(rows)[:, 1]


def fit_lambdamart(groups: list[tuple[np.ndarray, np.ndarray]], seed: int):
    import lightgbm

    model = lightgbm.LGBMRanker(objective="lambdarank", n_estimators=300, learning_rate=0.05, num_leaves=15,
                                min_child_samples=40, reg_lambda=1.0, subsample=0.8, subsample_freq=1,
                                colsample_bytree=0.8, lambdarank_truncation_level=10, random_state=seed, n_jobs=1,
                                verbose=-1).fit(np.vstack([x for x, _ in groups]),
                                                np.concatenate([y for _, y in groups]),
                                                group=[len(y) for _, y in groups])
    return lambda rows: model.predict(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ts.WORK, help="the half models and their cached similarities")
    parser.add_argument("--half", default=HALF, help="the first half's corpora, joined by '+'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lightgbm", action="store_true", help="(t) is a LightGBM LambdaMART ranker")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    pools = {name: [dataclasses.replace(p, set=f"{p.set}{ts.UNSEEN}") if p.set in ("structure", "generated") else p
                    for p in ps] for name, ps in load_pools().items()}
    counted, sims = {}, {}
    for name, ps in pools.items():
        loco = ts.model_leaving_out(args.work, name)
        if loco is None:
            log.warning("%s: no model in %s left it out: skipped", name, args.work)
            continue
        counted[name] = ts.scored(ps)
        sims[name] = ts.similarities(loco, counted[name], loco / f"sims-{name}.pickle")
    first = set(ts.left_out_of(args.half)) & set(counted)
    halves = (sorted(first), sorted(set(counted) - first))
    totals: dict[str, np.ndarray] = {}
    print("| corpus | set | questions | fact in a candidate | (a) hand | (f) stacked | (t) tree | (f+t) |")
    print("|---|---|---|---|---|---|---|---|")
    for test, train in (halves, halves[::-1]):
        linear = ts.fit_stack(counted, sims, set(test))
        tree = (fit_lambdamart if args.lightgbm else fit_tree)(training_rows(counted, sims, train), args.seed)
        for name in test:
            for label in SETS:
                idx = [i for i, p in enumerate(counted[name]) if p.set == label]
                if not idx:
                    continue
                ps, ss = [counted[name][i] for i in idx], [sims[name][i] for i in idx]
                f = [linear.score(ts.stacked(p, s)) for p, s in zip(ps, ss, strict=True)]
                t = [tree(tree_rows(p, s)) for p, s in zip(ps, ss, strict=True)]
                row = np.asarray([len(ps), sum(int(ts.labels(p).any()) for p in ps),
                                  ts.top1(ps, [ts.hand(p) for p in ps]), ts.top1(ps, f), ts.top1(ps, t),
                                  ts.top1(ps, [zscores(a) + zscores(b) for a, b in zip(f, t, strict=True)])])
                totals[label] = totals.get(label, 0) + row
                print(f"| {name} | {label} | " + " | ".join(str(v) for v in row) + " |", flush=True)
    for label, row in totals.items():
        print(f"| **all** | {label} | " + " | ".join(str(v) for v in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
