"""Fit the answer confidence (rag.answer.confidence) on the training questions, and report it per corpus.

    .venv/bin/python scripts/fit_confidence.py [--index-root DIR] [--cached] [--eval-dir DIR] [--write]

1. Every corpus with training questions (training/questions/*.jsonl, plus the tuning sets of tests/data; never a
   held-out set) is indexed into --index-root, and each question is decided (no model call) with the scorer
   RAG_SCORER names (default: the shipped models/scorer, which saw these corpora; `make scorer` decides each half
   with the scorer trained on the other half, which is how models/confidence.json was fitted). A decision the
   refusal rules let through gives one row: its confidence features, labelled 1 when the unit the answer would
   quote holds every fact of an answerable question, else 0 (an unanswerable question is never answered right).
   The rows are cached in --index-root/confidence-rows.json (--cached reuses them). Each row says whether the
   scorer that decided it was trained on its corpus ("seen"); a corpus is not added to a cache of rows decided by
   scorers that had left their corpora out with a scorer trained on it (the shipped one, when RAG_SCORER is unset).
2. A logistic regression is fitted on all corpora, and once per corpus on the others (leave-one-corpus-out).
   Printed per corpus: rows, share labelled right, Brier score of the left-out fit against the constant
   (base-rate) forecast, and a reliability table.
3. With --eval-dir (the JSON files of `scripts/evaltable.py --out DIR`, whose rows carry each question's
   confidence features and whether its shown answer held the facts), the held-out sets' risk-coverage table is
   printed with each corpus's confidence from the fit that left that corpus out, and the default operating point
   is the lowest that keeps wrong answers shown <= 5% of the answerable questions on the pooled held-out sets.
4. --write saves the fit on all corpora, with that point, to models/confidence.json.

With --drafts (the rows of scripts/drafts.py: the training questions answered by the real model) a second stage
is fitted on them: a logistic model over the confidence's log-odds (each corpus's from the fit that left it out)
and whether a sentence of the model's draft held up against the evidence (rag.answer.confidence.DraftStage).
Printed per corpus, left out: Brier score before and after the draft, and how often answers are right when the
draft held up and when it did not. The held-out risk table and the default point then use the confidence after the
draft, and --write saves both stages.

--compare-rows JSON (with --eval-dir) prints right answers shown at equal wrong answers shown on the tuning and
held-out sets by the fits on another row cache against this run's, each corpus left out: what more training
questions add (copy confidence-rows.json before adding them). With --compare-eval-dir the other fits score that
folder's answers: the hand order's answers and confidence against a scorer's (--rows, --eval-dir of a run with
RAG_SCORER set).

--drop NAME (repeatable) fits and reports without some features (their column set to 0 in every row, training
and held-out), to measure what a feature adds: the same command with and without it.

With --no-rules-run the rows come from runs with no refusal rule in force, which list every rule that would have
refused each question: the training rows of scripts/ablate_refusal.py (INDEX_ROOT/ablation-rows.json) and an
--eval-dir made by `evaltable.py --refusal-rules none`. A row counts as refused when a rule of the shipped set
(AnswerParams.refusal_rules) fired for it, so a change of that set is refitted without deciding anything again.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.answer.confidence import FEATURES, ConfidenceModel, DraftStage, logit
from rag.answer.params import DEFAULTS
from rag.answer.scorer import LearnedScorer, ScorerCard
from rag.app import ensure_index
from rag.config import HAND_ORDER, PROJECT_ROOT, load_settings, offline_environment
from rag.errors import ConfigError
from rag.evaluation import POINTS, answerable_decisions, load_questions, risk_coverage, rules_fired, unit_holds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import CORPORA, DOCS, TRAINING
from pools import INDEX_ROOT

log = logging.getLogger("fit_confidence")
C = 1.0  # inverse regularisation strength (scikit-learn's default)
MAX_WRONG_SHOWN = 0.05  # the default point keeps wrong answers shown at or below this share of answerable ones
MODEL = PROJECT_ROOT / "models" / "confidence.json"


def question_files(name: str) -> list[Path]:
    files = [TRAINING / "questions" / f"{name}.jsonl"]
    if name in CORPORA:
        files.append(CORPORA[name][1])  # the tuning set
    return [f for f in files if f.is_file()]


def saw(card: ScorerCard, corpus: str) -> bool:
    """Whether ``corpus`` is among those the card's models were trained on. Raises ConfigError for a card that
    does not list them (nothing would then tell its rows from rows no model saw)."""
    if not card.corpora:
        raise ConfigError(f"the scorer card does not list the corpora its models were trained on "
                          f"(training.trained_on; it says {card.trained_on!r}): export the scorer again")
    return corpus in card.corpora


def holds_left_out_rows(data: dict[str, list[dict]]) -> bool:
    """Whether a row cache holds rows decided by a scorer that had left their corpus out (rows cached before rows
    said which scorer saw them count as neither)."""
    return any(r.get("seen") is False for rows in data.values() for r in rows)


def collect(name: str, index_root: Path, rules: tuple[str, ...] | None = None, left_out: bool = False) -> list[dict]:
    """The rows of one corpus, each saying whether the scorer that decided it was trained on the corpus ("seen").
    With ``rules`` (refusal rule codes in force; () for none) each row also lists every rule that would refuse it
    ("fired"), for scripts/ablate_refusal.py. With ``left_out`` a scorer trained on the corpus is refused
    (ConfigError): its rows would sit among rows no model saw, and the fit would trust it more than answering can."""
    settings = dataclasses.replace(load_settings(docs_dir=DOCS[name]), index_dir=index_root / name)
    if rules is not None:
        settings = dataclasses.replace(settings, answer=dataclasses.replace(settings.answer, refusal_rules=rules))
    # the scorer's card alone (its models load on first use), before the corpus is indexed
    seen = settings.scorer != HAND_ORDER and saw(LearnedScorer.load(Path(settings.scorer)).card, name)
    if seen and left_out:
        raise ConfigError(f"the scorer {settings.scorer} was trained on {name}, and the rows cached so far were "
                         "decided by scorers that had left their corpus out: set RAG_SCORER to the folder that left "
                         f"{name} out, or give these rows another --rows file")
    app, _ = ensure_index(settings)
    pipeline = app.pipeline
    rows = []
    for path in question_files(name):
        questions = load_questions(path)
        answerable = {q.id: d for q, d in answerable_decisions(pipeline, questions)}
        for q in questions:
            d = answerable.get(q.id) or pipeline.decide(q.question)
            if d.refusal is not None:
                rows.append({"corpus": name, "id": q.id, "refused": True, "answerable": q.answerable, "seen": seen})
                continue
            quote = d.candidates[0] if d.candidates else None
            right = bool(q.answerable and quote is not None and unit_holds(quote, q.facts))
            rows.append({"corpus": name, "id": q.id, "refused": False, "answerable": q.answerable,
                         "x": list(d.confidence_features),
                         "y": int(right), "seen": seen})
            if rules is not None:
                rows[-1]["fired"] = list(rules_fired(pipeline, d))
        log.warning("%s: %s done (%d rows)", name, path.name, len(rows))
    return rows


def add_rows(cache: Path, data: dict[str, list[dict]], names: list[str], index_root: Path,
             rules: tuple[str, ...] | None = None) -> None:
    """Decide each of ``names`` missing from ``data`` (collect, guarded by holds_left_out_rows), writing ``cache``
    after each corpus so a stopped run resumes. Raises ConfigError for a scorer that saw a corpus of a cache of
    left-out rows."""
    for name in names:
        if name not in data:
            data[name] = collect(name, index_root, rules=rules, left_out=holds_left_out_rows(data))
            index_root.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(data))


def draft_rows(index_root: Path, names: list[str]) -> dict[str, list[dict]]:
    """scripts/drafts.py's rows of the named corpora (those not refused), per corpus."""
    out = {}
    for name in names:
        path = index_root / "drafts" / f"{name}.json"
        if path.is_file():
            out[name] = [r for r in json.loads(path.read_text(encoding="utf-8")) if not r["refused"]]
    return out


def fit_draft(rows: list[dict], pre: Callable[[dict], float]) -> DraftStage:
    """The draft stage fitted on ``rows`` (scripts/drafts.py), ``pre`` giving each row's confidence before it."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([[logit(pre(r)), 0.0 if r["fallback"] else 1.0] for r in rows])
    y = np.asarray([int(r["answerable"] and r["facts_ok"]) for r in rows])
    model = LogisticRegression(C=C, max_iter=5000).fit(x, y)
    return DraftStage(float(model.coef_[0][0]), float(model.coef_[0][1]), float(model.intercept_[0]))


def report_drafts(drafts: dict[str, list[dict]], loco: dict[str, ConfidenceModel]) -> dict[str, ConfidenceModel]:
    """Leave-one-corpus-out draft stages and their figures; returns each corpus's left-out two-stage model."""
    def pre(r: dict) -> float:
        return loco[r["corpus"]].probability(r["confidence_features"])

    print("\n| corpus | drafts (not refused) | right | draft held up | right if held up / if not | "
          "Brier before draft | Brier after draft |")
    print("|---|---|---|---|---|---|---|")
    out = {}
    for name, mine in drafts.items():
        stage = fit_draft([r for other, rows in drafts.items() if other != name for r in rows], pre)
        out[name] = dataclasses.replace(loco[name], draft=stage)
        y = np.asarray([int(r["answerable"] and r["facts_ok"]) for r in mine])
        held = np.asarray([not r["fallback"] for r in mine])
        before = np.asarray([pre(r) for r in mine])
        after = np.asarray([stage.probability(b, h) for b, h in zip(before, held, strict=True)])
        rate = " / ".join(f"{y[m].mean():.0%}" if m.any() else "-" for m in (held, ~held))
        print(f"| {name} | {len(y)} | {y.mean():.1%} | {held.mean():.1%} | {rate} | {np.mean((before - y) ** 2):.3f} "
              f"| {np.mean((after - y) ** 2):.3f} |")
    return out


LIMITS = (0.03, 0.05, 0.08, 0.10)  # wrong answers shown, as a share of answerable questions, compared at


def best_at(rows: dict[str, list[dict]], models: dict[str, ConfidenceModel], limit: float) -> tuple[int, int, int]:
    """The most right answers shown at any operating point (steps of 0.01) that keeps the pooled wrong answers
    shown within ``limit`` of the answerable questions, each corpus scored by its model: (right, wrong,
    unanswerable answered) at that point. Both models get the point best for them, so two confidences are
    compared by their whole risk-coverage curves, not at one point."""
    answerable = sum(r["answerable"] for rs in rows.values() for r in rs)
    scored = [(models[name].of_row(r), r) for name, rs in rows.items() for r in rs if not r["refused"]]
    best = (0, 0, 0)
    for point in np.round(np.arange(0.0, 1.0, 0.01), 2):
        shown = [r for p, r in scored if p >= point]
        right = sum(1 for r in shown if r["answerable"] and r["facts_ok"])
        wrong = sum(1 for r in shown if r["answerable"] and not r["facts_ok"])
        if wrong <= limit * answerable and right > best[0]:
            best = (right, wrong, sum(1 for r in shown if not r["answerable"]))
    return best


def compare_stages(sets: dict[str, dict[str, list[dict]]], one: dict[str, ConfidenceModel],
                   two: dict[str, ConfidenceModel]) -> None:
    """Right answers shown at equal wrong answers shown, the confidence before the draft against after it, both
    left out per corpus, on each set of rows pooled over its corpora."""
    print("\n| questions (pooled, each corpus left out) | wrong shown at most | before the draft: right / wrong / "
          "unanswerable answered | after the draft |")
    print("|---|---|---|---|")
    for label, rows in sets.items():
        for limit in LIMITS:
            a, b = best_at(rows, one, limit), best_at(rows, two, limit)
            print(f"| {label} | {limit:.0%} | {a[0]} / {a[1]} / {a[2]} | {b[0]} / {b[1]} / {b[2]} |")


def left_out_fits(data: dict[str, list[dict]]) -> dict[str, ConfidenceModel]:
    """Per corpus, the fit on every other corpus's rows."""
    return {name: fit(*_xy([r for other, rows in data.items() if other != name for r in rows]),
                      fitted_on=f"all but {name}") for name in data}


def without(row: dict, key: str, dropped: list[str]) -> dict:
    """``row`` with the features named in ``dropped`` zeroed in its feature list ``row[key]`` (if it has one)."""
    if not dropped or key not in row:
        return row
    return {**row, key: [0.0 if name in dropped else x for name, x in zip(FEATURES, row[key], strict=True)]}


def refused_by(rules: tuple[str, ...], fired: list[str]) -> bool:
    """Whether one of ``rules`` is among those that fired for a question."""
    return any(code in rules for code in fired)


def shipped_refuses(fired: list[str]) -> bool:
    return refused_by(DEFAULTS.refusal_rules, fired)


def fit(x: np.ndarray, y: np.ndarray, point: float = 0.5, fitted_on: str = "") -> ConfidenceModel:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000).fit((x - mean) / scale, y)
    return ConfidenceModel(FEATURES, tuple(mean.tolist()), tuple(scale.tolist()), tuple(model.coef_[0].tolist()),
                           float(model.intercept_[0]), point, fitted_on)


def _xy(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    fitted = [r for r in rows if not r["refused"]]
    return (np.asarray([r["x"] for r in fitted], dtype=np.float64).reshape(-1, len(FEATURES)),
            np.asarray([r["y"] for r in fitted], dtype=int))


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 5) -> str:
    cells = []
    for lo in np.linspace(0, 1, bins, endpoint=False):
        hi = lo + 1 / bins
        inside = (p >= lo) & ((p < hi) | (hi >= 1))
        if inside.any():
            cells.append(f"{lo:.1f}-{hi:.1f}: {y[inside].mean():.2f} of {int(inside.sum())}")
    return "; ".join(cells)


def report_training(data: dict[str, list[dict]]) -> dict[str, ConfidenceModel]:
    """Leave-one-corpus-out fits, their per-corpus figures; returns each corpus's left-out model."""
    print("| corpus | rows (not refused) | right | Brier, left out | Brier, base rate | reliability (left out) |")
    print("|---|---|---|---|---|---|")
    loco = left_out_fits(data)
    for name, mine in data.items():
        others = [r for other, rows in data.items() if other != name for r in rows]
        x, y = _xy(mine)
        if not len(y):
            continue
        p = np.asarray([loco[name].probability(list(row)) for row in x])
        base = np.full_like(p, _xy(others)[1].mean())
        print(f"| {name} | {len(y)} | {y.mean():.1%} | {np.mean((p - y) ** 2):.3f} | {np.mean((base - y) ** 2):.3f} "
              f"| {reliability(p, y)} |")
    return loco


def heldout_rows(eval_dir: Path, which: int = 2) -> dict[str, list[dict]]:
    """Per corpus, the held-out rows (``which`` 1: the tuning rows) of evaltable's output: answerable, refused,
    right, confidence features, whether the draft held up."""
    out: dict[str, list[dict]] = {}
    for name, files in CORPORA.items():
        path = eval_dir / f"{name}-{files[which].stem}.json"
        if path.is_file():
            out[name] = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return out


def report_heldout(held: dict[str, list[dict]], loco: dict[str, ConfidenceModel]) -> float:
    """The held-out risk-coverage table (each corpus scored by the fit that left it out, after the draft when it
    has a draft stage); the default point."""
    def scorer(name: str):
        return loco[name].of_row

    print("\n| corpus (held-out) | point | answerable answered | right of answered | wrong shown | "
          "unanswerable answered |")
    print("|---|---|---|---|---|---|")
    for name, rows in held.items():
        for point in POINTS:
            t = risk_coverage(rows, point, scorer(name))
            print(f"| {name} | {point:.1f} | {t['answered']:.1%} | {t['right_of_answered']:.1%} | "
                  f"{t['wrong_shown']:.1%} | {t['unanswerable_answered']:.1%} |")
    point, wrong = lowest_point(held, scorer)
    print(f"\ndefault point {point:.2f}: pooled held-out wrong answers shown {wrong:.1%}")
    print("\n| held-out set | right answers shown (of right with no confidence) | wrong answers shown | "
          "unanswerable answered | the draft decides (of not refused) |")
    print("|---|---|---|---|---|")
    for name, rows in held.items():
        at = risk_coverage(rows, point, scorer(name))
        answerable = sum(r["answerable"] for r in rows)
        right = round(at["answered"] * at["right_of_answered"] * answerable)
        every = sum(1 for r in rows if r["answerable"] and not r["refused"] and r["facts_ok"])
        model = loco[name]
        before = [model.probability(r["confidence_features"]) for r in rows if not r["refused"]]
        decides = sum(1 for b in before if model.after_draft(b, False) < point <= model.after_draft(b, True))
        print(f"| {name} | {right} of {every} | {at['wrong_shown']:.1%} | {at['unanswerable_answered']:.1%} | "
              f"{decides} of {len(before)} |")
    return point


def lowest_point(held: dict[str, list[dict]], scorer: Callable[[str], Callable[[dict], float]]
                 ) -> tuple[float, float]:
    """The lowest operating point (steps of 0.01) at which the held-out sets pooled show wrong answers to at most
    MAX_WRONG_SHOWN of their answerable questions, each set scored by ``scorer(corpus)``; and that share."""
    total = sum(sum(r["answerable"] for r in rows) for rows in held.values())
    wrong = 0.0
    for point in np.round(np.arange(0.0, 1.0, 0.01), 2):
        wrong = sum(risk_coverage(rows, float(point), scorer(n))["wrong_shown"] * sum(r["answerable"] for r in rows)
                    for n, rows in held.items()) / total
        if wrong <= MAX_WRONG_SHOWN:
            return float(point), wrong
    return 1.0, wrong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--cached", action="store_true", help="reuse the rows of the last run")
    parser.add_argument("--rows", default="confidence-rows.json",
                        help="the row cache's file name in --index-root (another for rows decided with RAG_SCORER "
                             "set, e.g. each half's scorer in turn with --corpus and --cached)")
    parser.add_argument("--corpus", action="append", choices=sorted(DOCS), help="default: all")
    parser.add_argument("--eval-dir", type=Path, help="evaltable --out folder: print the held-out risk table")
    parser.add_argument("--write", action="store_true", help=f"write the fit on all corpora to {MODEL}")
    parser.add_argument("--no-rules-run", action="store_true",
                        help="read the rows of runs with no rule in force (ablation-rows.json; --eval-dir made with "
                             "--refusal-rules none) and refuse what the shipped rules would")
    parser.add_argument("--drafts", action="store_true",
                        help="fit the draft stage on the rows of scripts/drafts.py (INDEX_ROOT/drafts)")
    parser.add_argument("--compare-rows", type=Path, metavar="JSON",
                        help="another row cache (e.g. a copy of confidence-rows.json before questions were added): "
                             "with --eval-dir, right answers shown at equal wrong answers shown by its fits against "
                             "this run's, each corpus left out")
    parser.add_argument("--compare-eval-dir", type=Path, metavar="DIR",
                        help="with --compare-rows: score the other rows' fits on this evaltable folder's answers "
                             "(e.g. the hand order's, when this run's rows and --eval-dir were decided with a scorer)")
    parser.add_argument("--drop", action="append", default=[], choices=FEATURES, metavar="FEATURE",
                        help="leave a feature out (its column zeroed) to measure what it adds; not with --write")
    args = parser.parse_args()
    if args.drop and args.write:
        parser.error("--drop measures; the shipped model uses every feature (leave out --write)")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    cache = args.index_root / ("ablation-rows.json" if args.no_rules_run else args.rows)
    names = args.corpus or list(DOCS)
    data: dict[str, list[dict]] = json.loads(cache.read_text()) if args.cached and cache.is_file() else {}
    if args.no_rules_run:
        if set(names) - set(data):
            parser.error(f"{cache} lacks some corpora: run scripts/ablate_refusal.py first")
        data = {n: [{**r, "refused": shipped_refuses(r["fired"])} for r in data[n]] for n in names}
    try:
        add_rows(cache, data, names, args.index_root)
    except ConfigError as exc:
        parser.error(f"{cache}: {exc}")
    data = {n: [without(r, "x", args.drop) for r in data[n]] for n in names}
    loco = left_out = report_training(data)
    drafts = draft_rows(args.index_root, names) if args.drafts else {}
    if drafts:
        drafts = {n: [without(r, "confidence_features", args.drop) for r in rows] for n, rows in drafts.items()}
        before = loco
        loco = {**loco, **report_drafts(drafts, loco)}
        sets = {f"training drafts, {sum(map(len, drafts.values()))}": drafts}
        if args.eval_dir:
            for label, which in (("tuning", 1), ("held-out", 2)):
                rows = {n: rs for n, rs in heldout_rows(args.eval_dir, which).items() if n in drafts}
                sets[f"{label}, {sum(map(len, rows.values()))}"] = rows
        compare_stages(sets, before, loco)
    if args.compare_rows and args.eval_dir:
        other = json.loads(args.compare_rows.read_text(encoding="utf-8"))
        other = {n: [without(r, "x", args.drop) for r in rows] for n, rows in other.items()}
        mine, theirs = left_out_fits(other), left_out
        for label, which in (("tuning", 1), ("held-out", 2)):
            rows = heldout_rows(args.eval_dir, which)
            print(f"\n{label}: right / wrong / unanswerable answered at the best point within each limit")
            if args.compare_eval_dir:  # the other rows' answers, e.g. decided by hand, against this run's
                before = heldout_rows(args.compare_eval_dir, which)
                print(f"  ({args.compare_rows.name} on {args.compare_eval_dir}; this run's rows on {args.eval_dir})")
            else:
                before = rows
            for limit in LIMITS:
                print(f"  at {limit:.0%}: {best_at(before, mine, limit)} -> {best_at(rows, theirs, limit)}")
    point = 0.5
    if args.eval_dir:
        held = heldout_rows(args.eval_dir)
        if args.no_rules_run:
            held = {n: [{**r, "refused": shipped_refuses(r["rules_fired"])} for r in rows] for n, rows in held.items()}
        held = {n: [without(r, "confidence_features", args.drop) for r in rows] for n, rows in held.items()}
        point = report_heldout(held, loco)
    model = fit(*_xy([r for rows in data.values() for r in rows]), point, f"training questions of {', '.join(names)}")
    if drafts:  # each draft's confidence before it from the fit that left its corpus out, as stacking wants
        stage = fit_draft([r for rows in drafts.values() for r in rows],
                          lambda r: loco[r["corpus"]].probability(r["confidence_features"]))
        model = dataclasses.replace(model, draft=stage)
        print(f"\ndraft stage: {stage}")
    print("\ncoefficients (standardised features):")
    for n, c in sorted(zip(FEATURES, model.coef, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {n:16} {c:+.3f}")
    if args.write:
        MODEL.parent.mkdir(parents=True, exist_ok=True)
        MODEL.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
