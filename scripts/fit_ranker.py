"""Fact in the top evidence unit per corpus: the hand weights, and a ranker fitted on the tuning sets to compare.

    .venv/bin/python scripts/fit_ranker.py [--corpus NAME ...] [--index-root DIR] [--cached]

For every corpus, every answerable question of its tuning set gives one row per candidate unit (its features,
rag.answer.rank.FEATURES, from the candidate table) labelled by whether the unit holds every key fact. A logistic
regression is fitted on the tuning rows of all corpora; held-out sets are only scored, never fitted on. Printed per
corpus and set: fact in one candidate unit, fact in the top unit ordered by score (no ranker), by the ranker
fitted on all tuning sets (in-corpus), and by a ranker fitted on the other corpora's tuning sets only
(leave-one-corpus-out).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import pickle
import sys
from pathlib import Path

import numpy as np

from rag.answer.params import DEFAULTS
from rag.answer.rank import FEATURES, Ranker, order_of_rows
from rag.app import ensure_index
from rag.config import HAND_ORDER, load_settings, offline_environment
from rag.evaluation import answerable_decisions, load_questions, unit_holds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import CORPORA, WORK_ROOT

C = 1.0  # inverse regularisation strength (scikit-learn's default)


def collect(name: str, index_root: Path) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Per set ('tuning', 'held-out'): one (signals, labels) pair per answerable question."""
    docs, tuning, heldout = CORPORA[name]
    settings = dataclasses.replace(load_settings(docs_dir=docs), index_dir=index_root / name, scorer=HAND_ORDER)
    app, _ = ensure_index(settings)  # the hand order's signals, as the hand weights read them
    share = getattr(app.embedder, "vocabulary_share", None)
    if share is not None:  # how much of the questions the embedder reads (the dense weight in the fusion)
        shares = [share(q.question) for path in (tuning, heldout) for q in load_questions(path)]
        print(f"{name}: embedder vocabulary share of the questions, mean {sum(shares) / len(shares):.2f}")
    out: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for label, path in (("tuning", tuning), ("held-out", heldout)):
        rows = []
        for q, decision in answerable_decisions(app.pipeline, load_questions(path)):
            x = np.asarray([c.features for c in decision.candidates], dtype=np.float64).reshape(-1, len(FEATURES))
            y = np.asarray([unit_holds(c, q.facts) for c in decision.candidates], dtype=int)
            score = np.asarray([c.order for c in decision.candidates])
            rows.append((x, y, score))
        out[label] = rows
    return out


def fit(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Ranker:
    """Pairwise logistic regression: within each question, every unit holding the facts against every unit that
    does not (the difference of their standardised signals), so what is learnt is which of two candidates of
    the same question answers it, not how often a unit does."""
    from sklearn.linear_model import LogisticRegression

    x_all = np.vstack([g[0] for g in groups if len(g[0])])
    mean = x_all.mean(axis=0)
    scale = x_all.std(axis=0)
    scale[scale == 0] = 1.0
    diffs = []
    for x, y, _ in groups:
        pos, neg = (x[y == 1] - mean) / scale, (x[y == 0] - mean) / scale
        if not len(pos) or not len(neg):
            continue
        d = (pos[:, None, :] - neg[None, :, :]).reshape(-1, x.shape[1])
        # every question weighs the same, however many pairs it has
        take = np.random.default_rng(0).choice(len(d), size=min(len(d), 200), replace=False)
        diffs.append(d[take])
    d = np.vstack(diffs)
    model = LogisticRegression(C=C, fit_intercept=False, max_iter=5000).fit(
        np.vstack([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))]))
    return Ranker(mean, scale, model.coef_[0])


# The hand weights of the evidence order (rag.answer.rank.hand_order): how much the unit read with its heading path
# counts in the dense part (AnswerParams.read_weight), and the bonus for the value a number/date/version question
# needs (AnswerParams.strict_bonus). Chosen on the tuning sets; the grid below reproduces that choice per corpus
# from the other corpora (leave-one-corpus-out).
GRID = [(w, b) for w in (0.0, 0.5, 1.0) for b in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)]


def hand_top1(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]], w: float, b: float) -> int:
    params = dataclasses.replace(DEFAULTS, read_weight=w, strict_bonus=b)
    return sum(int(y[int(np.argmax(order_of_rows(x, params)))]) for x, y, _ in groups if len(x))


def choose_hand(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """The grid point with the most facts in the top unit (ties: the first, i.e. the simplest)."""
    return max(GRID, key=lambda wb: hand_top1(groups, *wb))


def top1(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]], ranker: Ranker | None) -> int:
    hits = 0
    for x, y, score in groups:
        if not len(x):
            continue
        order = score if ranker is None else ranker.score(x)
        hits += int(y[int(np.argmax(order))])
    return hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), help="default: all")
    parser.add_argument("--index-root", type=Path, default=WORK_ROOT / "fit-indexes",
                        help="one index per corpus, kept between runs (default .cache/work/fit-indexes)")
    parser.add_argument("--cached", action="store_true", help="reuse the signals of the last run (for fitting only)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    offline_environment()
    names = args.corpus or list(CORPORA)
    cache = args.index_root / "signals.pickle"
    if args.cached and cache.is_file():
        data = pickle.loads(cache.read_bytes())
    else:
        data = {name: collect(name, args.index_root) for name in names}
        cache.write_bytes(pickle.dumps(data))
    everything = fit([g for name in names for g in data[name]["tuning"]])
    all_tuning = [g for name in names for g in data[name]["tuning"]]
    print(f"hand weights chosen on every tuning set: read weight, strict bonus = {choose_hand(all_tuning)}")
    print("| corpus | set | answerable | fact in a candidate | top unit: hand weights | hand weights chosen on "
          "the other corpora | ranker (in-corpus) | ranker (leave-one-corpus-out) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        others = [g for other in names if other != name for g in data[other]["tuning"]]
        loco = fit(others) if others else None
        hand = choose_hand(others) if others else None
        for label in ("tuning", "held-out"):
            groups = data[name][label]
            cand = sum(int(y.any()) for _, y, _ in groups)
            loco_hand = f"{hand_top1(groups, *hand)} {hand}" if hand else "-"
            print(f"| {name} | {label} | {len(groups)} | {cand} | {top1(groups, None)} | {loco_hand} "
                  f"| {top1(groups, everything)} | {top1(groups, loco) if loco else '-'} |")
    print("\ncoefficients (standardised signals):")
    for n, c in sorted(zip(FEATURES, everything.coef, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {n:18} {c:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
