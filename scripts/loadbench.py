"""Load benchmark for the web chat: N users hold conversations at the same time through gradio_client, as the
page does (the "/chat" endpoint, history carried by the client). Prints numbers; asserts nothing.

    python scripts/loadbench.py                          starts `rag serve` on a copy of seeds/ in a temp folder
    python scripts/loadbench.py --url http://127.0.0.1:7860/   targets a running app
    options: --users 1,2,4,8  --conversations 2 (per user)  --model NAME  --questions FILE.jsonl

Conversations come from the question set (tests/data/questions.jsonl): 2-3 questions each, follow-ups kept with
the question they follow, unanswerable questions included (refusals are part of real traffic).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import PROJECT_ROOT, offline_environment
from rag.serve.chat import message_text

QUESTIONS = PROJECT_ROOT / "tests" / "data" / "questions.jsonl"
START_TIMEOUT_S = 300


@dataclass
class LevelResult:
    users: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: int = 0
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, latency: float | None, error: str = "", refused: bool = False) -> None:
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                self.latencies.append(latency or 0.0)
                self.refused += refused

    def row(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) if lat else float("nan")
        p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))] if lat else float("nan")
        rate = len(lat) / self.wall if self.wall else 0.0
        return (f"{self.users:>5} {len(lat):>8} {self.refused:>7} {len(self.errors):>6} {p50:>8.2f} {p95:>8.2f} "
                f"{max(lat, default=float('nan')):>8.2f} {rate:>10.2f} {self.wall:>8.1f}")


HEADER = f"{'users':>5} {'answered':>8} {'refused':>7} {'errors':>6} {'p50 s':>8} {'p95 s':>8} {'max s':>8} " \
         f"{'answers/s':>10} {'wall s':>8}"


def conversations(path: Path) -> list[list[str]]:
    """The question set cut into conversations of 2-3 questions, each follow-up right after its question."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    follow_ups: dict[str, list[str]] = {}
    for r in rows:
        if r.get("follow_up_of"):
            follow_ups.setdefault(r["follow_up_of"], []).append(r["question"])
    chains = [[r["question"], *follow_ups.get(r["id"], [])] for r in rows if not r.get("follow_up_of")]
    out: list[list[str]] = []
    for chain in chains:
        if out and len(out[-1]) + len(chain) <= 3 and len(out[-1]) < 2:
            out[-1].extend(chain)
        else:
            out.append(list(chain))
    return out



def run_user(url: str, convs: list[list[str]], model: str | None, result: LevelResult) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    for questions in convs:
        history: list = []
        for q in questions:
            args = (q, history, 4, model) if model else (q, history, 4)
            started = time.perf_counter()
            try:
                history, _sources, _draft = client.submit(*args, api_name="/chat").result(timeout=600)
            except Exception as exc:  # noqa: BLE001 - a benchmark counts failures instead of stopping
                result.record(None, error=f"{q!r}: {exc}")
                continue
            answer = message_text(history[-1])
            if answer.startswith("⚠️"):
                result.record(None, error=f"{q!r}: {answer}")
            else:
                result.record(time.perf_counter() - started, refused="rag-refused" in answer)


def run_level(url: str, users: int, per_user: int, pool: list[list[str]], model: str | None) -> LevelResult:
    result = LevelResult(users)
    # A stride through the set (not its first rows) so every level mixes topics, follow-ups and refusals.
    stride = next(s for s in range(max(2, len(pool) // 3), 2 * len(pool) + 2) if math.gcd(s, len(pool)) == 1)
    plans = [[pool[(u * per_user + i) * stride % len(pool)] for i in range(per_user)] for u in range(users)]
    started = time.perf_counter()
    with ThreadPoolExecutor(users) as ex:
        for f in [ex.submit(run_user, url, plan, model, result) for plan in plans]:
            f.result()
    result.wall = time.perf_counter() - started
    return result


@contextmanager
def served(docs: Path) -> Iterator[str]:
    """`rag serve` on a copy of ``docs`` with a fresh index in a temp folder; stopped on exit."""
    from socket import socket

    with socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        shutil.copytree(docs, Path(tmp) / "docs")
        log_path = Path(tmp) / "serve.log"
        cmd = [sys.executable, "-m", "rag", "serve", "--docs", f"{tmp}/docs", "--index", f"{tmp}/index",
               "--port", str(port)]
        with log_path.open("w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait(url, proc, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait(url: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"rag serve exited:\n{log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "config", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"rag serve did not answer within {START_TIMEOUT_S}s")


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    p = argparse.ArgumentParser(prog="python scripts/loadbench.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="a running app (default: start one on a copy of --docs)")
    p.add_argument("--docs", type=Path, default=PROJECT_ROOT / "seeds", help="documents when starting the app")
    p.add_argument("--users", default="1,2,4,8", help="comma-separated numbers of concurrent users")
    p.add_argument("--conversations", type=int, default=2, help="conversations per user at each level")
    p.add_argument("--model", help="model for every question (default: the app's configured model)")
    p.add_argument("--questions", type=Path, default=QUESTIONS)
    args = p.parse_args(argv)
    pool = conversations(args.questions)
    levels = [int(n) for n in args.users.split(",")]

    def bench(url: str) -> None:
        run_level(url, 1, 1, pool, args.model)  # warm-up: model loaded and caches filled before timing
        print(f"{len(pool)} conversations of 2-3 questions from {args.questions.name}; "
              f"{args.conversations} per user; latency = question sent -> final answer received")
        print(HEADER)
        for users in levels:
            result = run_level(url, users, args.conversations, pool, args.model)
            print(result.row(), flush=True)
            for e in result.errors[:5]:
                print("  error:", e)

    if args.url:
        bench(args.url if args.url.endswith("/") else args.url + "/")
    else:
        with served(args.docs) as url:
            bench(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
