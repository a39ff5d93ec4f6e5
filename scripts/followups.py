"""Follow-ups alone: every follow-up pair of every corpus's tuning and held-out sets, asked as a conversation
(the follow-up after the product's own answer to its first question), with the real model.

Prints, per corpus and set, how many first questions and how many follow-ups got their facts into the answer,
and writes each answer to --out (JSON) when given. Much faster than scripts/evaltable.py, which asks every
question; the same `evaluate` does the asking.

  PYTHONHASHSEED=0 .venv/bin/python scripts/followups.py [--corpus NAME ...] [--out FILE]
  .venv/bin/python scripts/followups.py --from DIR   # the same table from `scripts/evaltable.py --out DIR`
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import CORPORA
from pools import INDEX_ROOT

from rag.app import ensure_index
from rag.config import load_settings, offline_environment
from rag.evaluation import EvalQuestion, evaluate, load_questions


def pairs(questions: list[EvalQuestion]) -> list[EvalQuestion]:
    """The follow-ups of a set and the questions they follow, in the set's order."""
    firsts = {q.follow_up_of for q in questions if q.follow_up_of}
    return [q for q in questions if q.follow_up_of or q.id in firsts]


def line(name: str, label: str, asked: list[EvalQuestion], rows: list[dict]) -> str:
    """One row of the table: first questions and follow-ups whose facts are in the answer."""
    follows = {q.id for q in asked if q.follow_up_of}
    firsts = {q.follow_up_of for q in asked if q.follow_up_of}
    first = [r for r in rows if r["id"] in firsts]
    follow = [r for r in rows if r["id"] in follows]
    return (f"{name:12} {label:9} {sum(r['facts_ok'] for r in first):>10} / {len(first):<3} "
            f"{sum(r['facts_ok'] for r in follow):>5} / {len(follow):<3}")


HEADER = f"{'corpus':12} {'set':9} {'first questions':>16} {'follow-ups':>11}"


def from_reports(folder: Path, names: list[str]) -> str:
    lines = [HEADER]
    for name in names:
        _, tuning, heldout = CORPORA[name]
        for label, path in (("tuning", tuning), ("held-out", heldout)):
            report = folder / f"{name}-{path.stem}.json"
            if report.is_file():
                rows = json.loads(report.read_text(encoding="utf-8"))["questions"]
                lines.append(line(name, label, pairs(load_questions(path)), rows))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), help="only these (repeatable)")
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT,
                        help=f"where each corpus's index is kept between runs (default {INDEX_ROOT})")
    parser.add_argument("--out", type=Path, help="write every answer here as JSON")
    parser.add_argument("--from", dest="reports", type=Path, metavar="DIR",
                        help="read the answers of `scripts/evaltable.py --out DIR` instead of asking")
    args = parser.parse_args(argv)
    if args.reports:
        print(from_reports(args.reports, args.corpus or list(CORPORA)))
        return 0
    logging.basicConfig(level=logging.WARNING)
    offline_environment()
    out: dict[str, dict[str, list[dict]]] = {}
    lines = [HEADER]
    for name in args.corpus or list(CORPORA):
        docs, tuning, heldout = CORPORA[name]
        settings = dataclasses.replace(load_settings(docs_dir=docs), index_dir=args.index_root / name)
        app, _ = ensure_index(settings)
        for label, path in (("tuning", tuning), ("held-out", heldout)):
            asked = pairs(load_questions(path))
            rows = evaluate(app.pipeline, asked)["questions"]
            out.setdefault(name, {})[label] = rows
            lines.append(line(name, label, asked, rows))
            print(lines[-1], flush=True)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
