"""The README's answer-quality table: every corpus's tuning and held-out question sets, scored like `rag eval`.

    .venv/bin/python scripts/evaltable.py [--corpus seeds|wiki|pydocs ...] [--no-calibrate] [--out DIR]

Each corpus is indexed into a temporary folder, calibrated (`rag calibrate`, unless --no-calibrate), then both
of its question sets are asked. Prints one markdown table (corpus x metric, tuning and held-out) and the misses.
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
from rag.app import ensure_index
from rag.config import load_settings, offline_environment
from rag.evaluation import STAGES, evaluate, load_questions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import CORPORA

METRICS = [("fact_accuracy", "facts", ">= 85%"), ("refusal_accuracy", "refusals", ">= 90%"),
           ("false_refusal_rate", "false refusals", "<= 5%"), ("wrong_answers_shown", "wrong answers shown", "<= 3%"),
           ("citation_precision", "citation precision", ">= 95%")]
RECALL = "recall@4"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def run(corpora: list[str], calibrated: bool, out: Path | None) -> str:
    offline_environment()
    rows = []
    for name in corpora:
        docs, tuning, heldout = CORPORA[name]
        with tempfile.TemporaryDirectory(prefix=f"rag-table-{name}-") as tmp:
            settings = dataclasses.replace(load_settings(docs_dir=docs), index_dir=Path(tmp))
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
                    (out / f"{name}-{path.stem}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
            rows.append((name, how, results))
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
    for name, how, results in rows:
        lines.append(f"{name}: {how}")
        for label, result in results.items():
            qs = result["questions"]
            misses = [r["id"] for r in qs if r["answerable"] and not r["facts_ok"]]
            wrong = [r["id"] for r in qs if not r["answerable"] and not r["refused"]]
            lines.append(f"  {label}: facts missed {', '.join(misses) or '-'}; unanswerable answered "
                         f"{', '.join(wrong) or '-'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), help="corpus to run (default: all)")
    parser.add_argument("--no-calibrate", action="store_true", help="use the default refusal threshold")
    parser.add_argument("--out", type=Path, help="write each set's full results as JSON into this folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(run(args.corpus or list(CORPORA), not args.no_calibrate, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
