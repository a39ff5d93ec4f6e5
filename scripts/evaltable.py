"""The README's answer-quality table: every corpus's tuning and held-out question sets, scored like `rag eval`.

    .venv/bin/python scripts/evaltable.py [--corpus seeds|wiki|pydocs ...] [--no-calibrate] [--out DIR]
                                          [--refusal-rules CODES]   (which refusal rules are in force: a comma
                                          list of rag.answer.refusal.CODES, or none; default: the shipped ones)
    .venv/bin/python scripts/evaltable.py --from DIR      (the tables again from an earlier --out, each question's
                                                          confidence computed by today's models/confidence.json)
    .venv/bin/python scripts/evaltable.py --from DIR --out NEW   (the same, and the rescored results written into
                                                          NEW, for --compare after the confidence is refitted)
    .venv/bin/python scripts/evaltable.py --compare BEFORE --from AFTER   (two --out folders, before -> after; and
                                                          per set how many answers' text changed, and their length)

Each corpus is indexed into a temporary folder, calibrated (`rag calibrate`, unless --no-calibrate), then both
of its question sets are asked. Every question the refusal rules let through is answered (whatever its
confidence), so the first table is the product without "not sure"; the second gives the same answers at the
confidence's operating point ("not sure" shows no answer), and the third each set's risk-coverage table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from rag.answer.calibration import calibrate, save
from rag.answer.confidence import ConfidenceModel
from rag.answer.refusal import CODES
from rag.app import ensure_index
from rag.config import load_settings, offline_environment
from rag.evaluation import STAGES, evaluate, load_questions, rescore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import CORPORA

METRICS = [("fact_accuracy", "facts", ">= 85%"), ("refusal_accuracy", "refusals", ">= 90%"),
           ("false_refusal_rate", "false refusals", "<= 5%"), ("wrong_answers_shown", "wrong answers shown", "<= 3%"),
           ("wrong_short_shown", "wrong short answers shown", ""),
           ("citation_precision", "citation precision", ">= 95%")]
RECALL = "recall@4"
AT_POINT = [("facts_at_point", "facts"), ("wrong_shown_at_point", "wrong answers shown"),
            ("wrong_short_at_point", "wrong short answers shown"),
            ("unanswerable_declined_at_point", "unanswerable refused or not sure"), ("not_sure_rate", "not sure"),
            ("not_sure_holds_facts", "facts in the \"not sure\" passages")]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def table(rows: list[tuple[str, str, dict]]) -> str:
    """The three tables and the misses, from each corpus's results."""
    lines = ["| corpus | set | questions | " + " | ".join(m[1] for m in METRICS) + " | recall@4 | "
             "fact in passages / candidates / top unit / answer |",
             "|---|---|---|" + "---|" * (len(METRICS) + 2)]
    for name, how, results in rows:
        for label, result in results.items():
            m = result["metrics"]
            st = " / ".join(str(result["stages"].get(s, "-")) for s in STAGES)
            lines.append(f"| {name} | {label} | {m['answerable']} + {m['unanswerable']} | "
                         + " | ".join(_pct(m.get(key)) for key, _, _ in METRICS) + f" | {_pct(m.get(RECALL))} | "
                         + f"{st} |")
    lines.append("| target | | | " + " | ".join(t for _, _, t in METRICS) + " | | |")
    lines.append("")
    lines.append("At the confidence's operating point (\"not sure\" shows no answer):")
    lines.append("")
    lines.append("| corpus | set | point | " + " | ".join(label for _, label in AT_POINT) + " |")
    lines.append("|---|---|---|" + "---|" * len(AT_POINT))
    for name, how, results in rows:
        for label, result in results.items():
            m, point = result["metrics"], result["settings"].get("min_confidence")
            if "facts_at_point" in m:
                lines.append(f"| {name} | {label} | {point:.2f} | "
                             + " | ".join(_pct(m.get(key)) for key, _ in AT_POINT) + " |")
    lines.append("")
    lines.append("Risk and coverage by confidence (share of answerable questions answered / right of those answered "
                 "/ wrong answers shown / unanswerable answered):")
    lines.append("")
    points = [r["point"] for r in next(iter(rows[0][2].values())).get("risk_coverage", [])] if rows else []
    lines.append("| corpus | set | " + " | ".join(f"{p:.1f}" for p in points) + " |")
    lines.append("|---|---|" + "---|" * len(points))
    for name, how, results in rows:
        for label, result in results.items():
            cells = [f"{r['answered']:.0%} / {r['right_of_answered']:.0%} / {r['wrong_shown']:.0%} / "
                     f"{r['unanswerable_answered']:.0%}" for r in result.get("risk_coverage", [])]
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for name, how, results in rows:
        lines.append(f"{name}: {how}")
        for label, result in results.items():
            qs = result["questions"]
            misses = [r["id"] for r in qs if r["answerable"] and not r["facts_ok"]]
            wrong = [r["id"] for r in qs if not r["answerable"] and not r["refused"]]
            lines.append(f"  {label}: facts missed {', '.join(misses) or '-'}; unanswerable answered "
                         f"{', '.join(wrong) or '-'}")
    return "\n".join(lines)


def from_folder(folder: Path, corpora: list[str], out: Path | None = None) -> str:
    """The tables of an earlier --out folder, each question's confidence computed again by the model the settings
    name (models/confidence.json) at its own point: the answers do not depend on the confidence. With ``out`` the
    rescored results are written there, named as --out names them (the source folder is never written)."""
    if out is not None and out.resolve() == folder.resolve():
        raise ValueError(f"--out {out} is the --from folder: give the rescored results a folder of their own")
    model = ConfidenceModel.load(load_settings().confidence_model)
    rows = []
    for name in corpora:
        results = {label: rescore(result, model.of_row, model.point, "the model's default point")
                   for label, result in stored(folder, name).items()}
        if results:
            rows.append((name, "from " + str(folder), results))
        if out is not None and results:
            out.mkdir(parents=True, exist_ok=True)
            _, tuning, heldout = CORPORA[name]
            for label, path in (("tuning", tuning), ("held-out", heldout)):
                if label in results:
                    result_file(out, name, path).write_text(json.dumps(results[label], indent=2, ensure_ascii=False))
    return table(rows)


def result_file(folder: Path, name: str, questions: Path) -> Path:
    """Where --out keeps one question set's results."""
    return folder / f"{name}-{questions.stem}.json"


def stored(folder: Path, name: str) -> dict[str, dict]:
    """The results an --out folder holds for a corpus, by set ("tuning", "held-out"), those it has."""
    _, tuning, heldout = CORPORA[name]
    files = {label: result_file(folder, name, path) for label, path in (("tuning", tuning), ("held-out", heldout))}
    return {label: json.loads(f.read_text(encoding="utf-8")) for label, f in files.items() if f.is_file()}


def compare(before: Path, after: Path, corpora: list[str]) -> str:
    """Two earlier --out folders side by side, "before -> after" per corpus and set: the metrics of the first table,
    the fact in the top unit (stage table), and the product at each run's own confidence point, as each run stored
    them (not computed again: the two runs may use different confidence models)."""
    names = [*METRICS, ("facts_at_point", "facts at the point", ""),
             ("wrong_shown_at_point", "wrong shown at the point", ""),
             ("wrong_short_at_point", "wrong short answers at the point", "")]
    lines = ["| corpus | set | " + " | ".join(label for _, label, _ in names) + " | top unit |",
             "|---|---|" + "---|" * (len(names) + 1)]
    for name in corpora:
        earlier, later = stored(before, name), stored(after, name)
        for label in [label for label in earlier if label in later]:
            old, new = earlier[label], later[label]
            cells = [f"{_pct(old['metrics'].get(key))} -> {_pct(new['metrics'].get(key))}" for key, _, _ in names]
            top = f"{old['stages'].get('in_top_unit', '-')} -> {new['stages'].get('in_top_unit', '-')}"
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + f" | {top} |")
    return "\n".join(lines)


def changed_answers(before: Path, after: Path, corpora: list[str]) -> str:
    """Per corpus and set, of the answerable questions answered (not refused) in both runs: how many show another
    answer text after, and those answers' mean length in characters before -> after."""
    lines = ["| corpus | set | answered in both | answer changed | its characters, before -> after |",
             "|---|---|---|---|---|"]
    for name in corpora:
        earlier, later = stored(before, name), stored(after, name)
        for label in [label for label in earlier if label in later]:
            old = {q["id"]: q for q in earlier[label].get("questions", [])}
            pairs = [(old[q["id"]]["answer"], q["answer"]) for q in later[label].get("questions", [])
                     if q["answerable"] and not q["refused"] and q["id"] in old and not old[q["id"]]["refused"]]
            changed = [(a, b) for a, b in pairs if a != b]
            size = (f"{sum(len(a) for a, _ in changed) / len(changed):.0f} -> "
                    f"{sum(len(b) for _, b in changed) / len(changed):.0f}") if changed else "-"
            lines.append(f"| {name} | {label} | {len(pairs)} | {len(changed)} | {size} |")
    return "\n".join(lines)


def rule_codes(text: str) -> tuple[str, ...]:
    """A comma list of refusal rule codes ('none' for no rule), checked against rag.answer.refusal.CODES."""
    codes = tuple(c.strip() for c in text.split(",") if c.strip() and c.strip() != "none")
    unknown = [c for c in codes if c not in CODES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(CODES)}")
    return codes


def run(corpora: list[str], calibrated: bool, out: Path | None, rules: tuple[str, ...] | None = None) -> str:
    offline_environment()
    rows = []
    for name in corpora:
        docs, tuning, heldout = CORPORA[name]
        with tempfile.TemporaryDirectory(prefix=f"rag-table-{name}-") as tmp:
            settings = dataclasses.replace(load_settings(docs_dir=docs), index_dir=Path(tmp))
            if rules is not None:
                settings = dataclasses.replace(settings, answer=dataclasses.replace(settings.answer,
                                                                                    refusal_rules=rules))
            app, _ = ensure_index(settings)
            how = "default threshold"
            if calibrated:
                started = time.perf_counter()
                cal, _ = calibrate(app.pipeline)
                save(app.store.index_dir, cal)
                how = f"threshold {cal.min_score:.3f} ({time.perf_counter() - started:.0f} s)"
            results = {}
            for label, path in (("tuning", tuning), ("held-out", heldout)):
                result = evaluate(app.pipeline, load_questions(path))
                results[label] = result
                if out:
                    out.mkdir(parents=True, exist_ok=True)
                    result_file(out, name, path).write_text(json.dumps(result, indent=2, ensure_ascii=False))
            rows.append((name, how, results))
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), help="corpus to run (default: all)")
    parser.add_argument("--no-calibrate", action="store_true", help="use the default refusal threshold")
    parser.add_argument("--out", type=Path, help="write each set's full results as JSON into this folder (with "
                        "--from: the results rescored by today's confidence model)")
    parser.add_argument("--from", dest="source", type=Path, help="print the tables from an earlier --out folder")
    parser.add_argument("--compare", type=Path, metavar="BEFORE",
                        help="with --from AFTER: an earlier --out folder, printed before -> after")
    parser.add_argument("--refusal-rules", type=rule_codes, metavar="CODES",
                        help="refusal rules in force, comma-separated, or 'none' (default: the shipped ones)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.compare and not args.source:
        parser.error("--compare BEFORE needs --from AFTER")
    if args.compare:
        corpora = args.corpus or list(CORPORA)
        print(compare(args.compare, args.source, corpora))
        print("\nAnswers whose text changed:\n")
        print(changed_answers(args.compare, args.source, corpora))
        return 0
    if args.source:
        try:
            print(from_folder(args.source, args.corpus or list(CORPORA), args.out))
        except ValueError as err:
            parser.error(str(err))
        return 0
    print(run(args.corpus or list(CORPORA), not args.no_calibrate, args.out, args.refusal_rules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
