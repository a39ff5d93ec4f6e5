"""What each refusal rule adds once the confidence decides "not sure" (issue "Say 'not sure'", item 4).

    PYTHONHASHSEED=0 .venv/bin/python scripts/evaltable.py --no-calibrate --refusal-rules none --out DIR
    .venv/bin/python scripts/ablate_refusal.py --eval-dir DIR [--index-root .cache/work/confidence-indexes] [--cached]
                                               [--without CODE,CODE ...]
    RAG_SCORER=HALF_FOLDER .venv/bin/python scripts/ablate_refusal.py --cached --corpus NAME ... --eval-dir DIR
                                               (decide these corpora's rows only, and stop: each half of the
                                               corpora by the scorer folder that left it out, in turn)

The evaltable run answers every question with no refusal rule in force and lists, per question, every rule that
would have refused it (``rules_fired``). This script decides every training question the same way (no rule in
force, no model call; fit_confidence.collect, cached in INDEX_ROOT/ablation-rows.json), then, for each variant
of the rule set (the shipped rules; the shipped rules but one, for each; no rule at all):

- a question is refused when a rule of the variant fired for it;
- the confidence is fitted leave-one-corpus-out on the training rows the variant lets through;
- each corpus's held-out set is scored by the fit that left that corpus out, and the variant's operating point
  is the lowest at which the pooled held-out wrong answers shown are at or below 5% (as fit_confidence.py does).

Printed per variant, pooled over the held-out sets at its point and at the shipped point: right answers shown,
wrong answers shown (share of answerable questions), unanswerable questions refused or "not sure"; then the
same per corpus at the variant's point. A rule earns its place when removing it raises the wrong answers shown
or the unanswerable answered at equal risk, or costs right answers.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from rag.answer.params import DEFAULTS
from rag.config import offline_environment
from rag.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DOCS
from fit_confidence import _xy, add_rows, fit, heldout_rows, lowest_point, refused_by
from pools import INDEX_ROOT

log = logging.getLogger("ablate_refusal")
SHIPPED = DEFAULTS.refusal_rules


def variants(without: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The shipped rules; each of them left out; no rule; and each ``without`` (comma lists of codes) left out."""
    out = [("shipped rules", SHIPPED)]
    out += [(f"without {code}", tuple(c for c in SHIPPED if c != code)) for code in SHIPPED]
    out.append(("no rule", ()))
    for codes in without:
        left = [c.strip() for c in codes.split(",")]
        out.append((f"without {' + '.join(left)}", tuple(c for c in SHIPPED if c not in left)))
    return out


def fits(training: dict[str, list[dict]], rules: tuple[str, ...]) -> dict[str, Callable[[list[float]], float]]:
    """Per corpus, the confidence fitted on the other corpora's training rows that ``rules`` lets through."""
    kept = {n: [r for r in rows if not refused_by(rules, r["fired"])] for n, rows in training.items()}
    out = {}
    for name in training:
        out[name] = fit(*_xy([r for other, rows in kept.items() if other != name for r in rows])).probability
    return out


def row_scorer(scorers: dict[str, Callable[[list[float]], float]]) -> Callable[[str], Callable[[dict], float]]:
    """What fit_confidence.lowest_point reads: per corpus, a row's confidence by that corpus's fit."""
    return lambda name: lambda row: scorers[name](row["confidence_features"])


def pooled(held: dict[str, list[dict]], scorers: dict[str, Callable[[list[float]], float]], point: float
           ) -> dict[str, dict[str, int]]:
    """Per corpus, counts: answerable, right and wrong answers shown, unanswerable, unanswerable answered (a
    question is answered when no rule refused it and its confidence is at or above ``point``)."""
    out = {}
    for name, rows in held.items():
        shown = [r for r in rows if not r["refused"] and scorers[name](r["confidence_features"]) >= point]
        right = sum(1 for r in shown if r["answerable"] and r["facts_ok"])
        answered = sum(1 for r in shown if r["answerable"])
        out[name] = {"answerable": sum(1 for r in rows if r["answerable"]), "right": right, "wrong": answered - right,
                     "unanswerable": sum(1 for r in rows if not r["answerable"]),
                     "unanswerable_answered": len(shown) - answered}
    return out


def total(cells: dict[str, dict[str, int]], key: str) -> int:
    return int(sum(c[key] for c in cells.values()))


def summary(cells: dict[str, dict[str, int]]) -> str:
    answerable, unanswerable = total(cells, "answerable"), total(cells, "unanswerable")
    declined = unanswerable - total(cells, "unanswerable_answered")
    return (f"{total(cells, 'right')} | {total(cells, 'wrong') / answerable:.1%} | "
            f"{declined / unanswerable:.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-dir", type=Path, required=True,
                        help="evaltable --refusal-rules none --out folder (its held-out files are read)")
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--cached", action="store_true", help="reuse the training rows of the last run")
    parser.add_argument("--point", type=float, default=0.68, help="the shipped operating point, for comparison")
    parser.add_argument("--without", action="append", default=[], metavar="CODES",
                        help="also measure the shipped rules without these (comma-separated; repeatable)")
    parser.add_argument("--corpus", action="append", choices=sorted(DOCS),
                        help="decide only these corpora's training rows (added to the cache), then stop: run each "
                        "half of the corpora with RAG_SCORER set to the folder that left it out, then without "
                        "--corpus for the tables")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    cache = args.index_root / "ablation-rows.json"
    training: dict[str, list[dict]] = json.loads(cache.read_text()) if args.cached and cache.is_file() else {}
    try:  # rows of a scorer trained on their corpus do not go among rows no model saw (fit_confidence.add_rows)
        add_rows(cache, training, args.corpus or list(DOCS), args.index_root, rules=())
    except ConfigError as exc:
        parser.error(f"{cache}: {exc}")
    if args.corpus:
        log.warning("%s holds the rows of %d corpora; still to decide: %s", cache, len(training),
                    ", ".join(n for n in DOCS if n not in training) or "none")
        return 0
    held = heldout_rows(args.eval_dir)
    missing = [n for rows in held.values() for n in [r["id"] for r in rows if "rules_fired" not in r]]
    if missing:
        parser.error(f"{args.eval_dir} was not made with --refusal-rules none (no rules_fired in {missing[0]})")
    print("| rules | point | right shown | wrong shown | unanswerable refused or not sure | at point "
          f"{args.point}: right | wrong | unanswerable declined |")
    print("|---|---|---|---|---|---|---|---|")
    per_corpus = []
    for label, rules in variants(args.without):
        scorers = fits(training, rules)
        rows = {n: [{**r, "refused": refused_by(rules, r["rules_fired"])} for r in rs] for n, rs in held.items()}
        if rules == SHIPPED:  # the same answers with no confidence: every answer the rules let through is shown
            per_corpus.append((f"{label}, every answer shown", 0.0, pooled(rows, scorers, 0.0)))
        point, _ = lowest_point(rows, row_scorer(scorers))
        at_point = pooled(rows, scorers, point)
        print(f"| {label} | {point:.2f} | {summary(at_point)} | {summary(pooled(rows, scorers, args.point))} |")
        per_corpus.append((label, point, at_point))
    names = list(held)
    print("\nPer corpus at each variant's point (right shown / wrong shown / unanswerable answered; answerable and "
          "unanswerable questions: " + ", ".join(f"{n} {c['answerable']} + {c['unanswerable']}"
                                                 for n, c in per_corpus[0][2].items()) + "):\n")
    print("| rules | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, _, cells in per_corpus:
        print(f"| {label} | " + " | ".join(f"{c['right']} / {c['wrong']} / {c['unanswerable_answered']}"
                                           for c in (cells[n] for n in names)) + " |")
    fired_counts = {code: sum(1 for rows in held.values() for r in rows if code in r["rules_fired"])
                    for code in SHIPPED}
    print("\nHeld-out questions each rule fires on (answerable + unanswerable): "
          + ", ".join(f"{c} {n}" for c, n in fired_counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
