"""The learned answer scorer's time: ordering 40 candidate units of one question, warm, on this machine.

    .venv/bin/python scripts/scorebench.py [--docs DIR] [--scorer DIR] [--candidates 40] [--runs 30]

Indexes DIR (default: the shipped seeds) into a temporary folder, decides the question set's questions by the hand
order to get real candidate tables, and times ``LearnedScorer.order`` (embedding the question and every unit read
with its heading path, then the stacked ranker) on tables of --candidates units, made from the question's own
candidates topped up with other questions' when it has fewer. Prints the median and 95th percentile. The first
call (loading the ONNX model) is timed apart. A measurement, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rag.answer.scorer import LearnedScorer
from rag.app import ensure_index
from rag.config import HAND_ORDER, PROJECT_ROOT, load_settings, offline_environment
from rag.evaluation import load_questions

QUESTIONS = PROJECT_ROOT / "tests" / "data" / "questions.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, default=PROJECT_ROOT / "seeds")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="a question set (JSONL, 'question')")
    parser.add_argument("--scorer", type=Path, default=PROJECT_ROOT / "models" / "scorer")
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    questions = [q.question for q in load_questions(args.questions)][: args.runs]
    with tempfile.TemporaryDirectory() as tmp:
        settings = dataclasses.replace(load_settings(docs_dir=args.docs.resolve()), index_dir=Path(tmp) / "index",
                                       scorer=HAND_ORDER)
        app, _ = ensure_index(settings)
        tables = [(q, app.pipeline.decide(q).candidates) for q in questions]
    pool = [c for _, table in tables for c in table]
    scorer = LearnedScorer.load(args.scorer)
    started = time.perf_counter()
    scorer.order(tables[0][0], tables[0][1][:2] or pool[:2], settings.answer)
    first = time.perf_counter() - started
    times, sizes = [], []
    for question, table in tables:
        padded = (list(table) + [c for c in pool if c not in table])[: args.candidates]
        started = time.perf_counter()
        scorer.order(question, padded, settings.answer)
        times.append(time.perf_counter() - started)
        sizes.append(len(table))
    times.sort()
    print(f"{args.scorer}: first call (loads the model) {first * 1000:.0f} ms; ordering {args.candidates} candidates "
          f"(own tables {min(sizes)}-{max(sizes)} units): median {statistics.median(times) * 1000:.0f} ms, p95 "
          f"{times[int(0.95 * (len(times) - 1))] * 1000:.0f} ms over {len(times)} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
