"""Cold start: wall time of `rag ask` run as a new process per question (as scripts call it), on an index.

    .venv/bin/python scripts/coldstart.py --docs DIR [--index DIR] [--runs 5] [--limit-mb MB] [--set RAG_X=V]
                                          [QUESTION ...]

Indexes DIR first if needed (not timed), then runs `rag ask` once per question per run and prints each wall
time, the median, and the chunk count. With --limit-mb, a copy of DIR's first files (by path, whole files, at
most MB megabytes) is indexed instead: the README's 10k-chunk figure is `--docs
/usr/share/doc/python3/html/_sources --limit-mb 5.6` (Debian's python3-doc, which `make bench` installs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = ["What is the default maxsize of functools.lru_cache?",
             "Which exception does subprocess.run raise if the command fails and check is true?",
             "In which Python version was math.dist added?"]


def _rag(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, env=env,
                          check=False, timeout=900)
    return time.perf_counter() - started, done


def first_files(src: Path, dest: Path, limit_bytes: int) -> int:
    """Copy ``src``'s files in path order into ``dest``, each whole, skipping any that would pass the limit."""
    total = 0
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        size = path.stat().st_size
        if total + size > limit_bytes:
            continue
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        total += size
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True, help="documents folder")
    parser.add_argument("--index", type=Path, help="index folder (default: a temporary one)")
    parser.add_argument("--runs", type=int, default=3, help="times each question is asked")
    parser.add_argument("--limit-mb", type=float, help="index a copy of the first files of --docs, this many MB")
    parser.add_argument("--set", action="append", default=[], metavar="RAG_NAME=VALUE",
                        help="a setting for every run, e.g. RAG_SCORER=none (the hand order)")
    parser.add_argument("questions", nargs="*", help=f"questions (default: {len(QUESTIONS)} Python-docs ones)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rag-cold-") as tmp:
        index = args.index or Path(tmp) / "index"
        docs = args.docs.resolve()
        if args.limit_mb:
            docs = Path(tmp) / "docs"
            copied = first_files(args.docs.resolve(), docs, int(args.limit_mb * 1_000_000))
            print(f"indexing {copied / 1e6:.1f} MB of {args.docs}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env.update(dict(item.split("=", 1) for item in args.set))
        env.update(RAG_DOCS_DIR=str(docs), RAG_INDEX_DIR=str(index.resolve()))
        seconds, done = _rag(["index"], env)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        print(f"index ready in {seconds:.1f} s: {done.stdout.strip().splitlines()[-1]}")
        _rag(["ask", "warm the page cache"], env)  # the first run after indexing also writes the BM25 cache
        times = []
        for _ in range(args.runs):
            for q in args.questions or QUESTIONS:
                seconds, done = _rag(["ask", q], env)
                if done.returncode:
                    print(done.stderr, file=sys.stderr)
                    return done.returncode
                times.append(seconds)
                print(f"  {seconds:5.2f} s  {q}")
        print(f"rag ask, new process per question: median {statistics.median(times):.2f} s, "
              f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs")
        # Where the time goes: `ask --json` reports its own timings, counted from the start of deciding.
        walls, phases = [], {"retrieve": [], "first_token": [], "total": []}
        for q in args.questions or QUESTIONS:
            seconds, done = _rag(["ask", "--json", q], env)
            if done.returncode:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            walls.append(seconds)
            for name, ms in json.loads(done.stdout)["timings_ms"].items():
                phases[name].append(ms / 1000)
        med = {name: statistics.median(values) for name, values in phases.items()}
        print(f"inside one process (ask --json, median of {len(walls)}): deciding {med['retrieve']:.2f} s, first "
              f"token at {med['first_token']:.2f} s, answer done at {med['total']:.2f} s; before deciding "
              f"(start-up, imports, opening the index) {statistics.median(walls) - med['total']:.2f} s of "
              f"{statistics.median(walls):.2f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
