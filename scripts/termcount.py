"""How often the text primitive ``rag.text.terms`` runs per question: in deciding, and in the whole answer.

    .venv/bin/python scripts/termcount.py [--docs seeds] [QUESTION ...]

Each module's imported ``terms`` is wrapped with a counter; prints calls and distinct strings per question.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path

import rag.text
from rag.app import ensure_index
from rag.config import PROJECT_ROOT, load_settings, offline_environment

WARM_UP = "What did the G-20 meeting decide?"
QUESTIONS = ["How much was bilateral trade between Vietnam and Russia in 2021?", "Who did Lavrov meet in Hanoi?"]


def install_counter() -> Counter[str]:
    counts: Counter[str] = Counter()
    original = rag.text.terms

    def counted(text: str) -> list[str]:
        counts[text] += 1
        return original(text)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("rag") and getattr(module, "terms", None) is original:
            module.terms = counted
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", nargs="*", default=QUESTIONS)
    parser.add_argument("--docs", type=Path, default=PROJECT_ROOT / "seeds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    offline_environment()
    with tempfile.TemporaryDirectory(prefix="rag-termcount-") as tmp:
        settings = dataclasses.replace(load_settings(docs_dir=args.docs), index_dir=Path(tmp))
        app, _ = ensure_index(settings)
        pipeline = app.pipeline
        # Warm up on another question (models loaded, statistics counted) so that no text of the counted
        # questions is analysed before counting.
        pipeline.ask(WARM_UP)
        import rag.pipeline  # noqa: F401  (every answering module is loaded before counting)

        counts = install_counter()
        print("| question | terms() calls in decide | distinct strings | calls in the whole answer | distinct |")
        print("|---|---|---|---|---|")
        for question in args.questions:
            counts.clear()
            decision = pipeline.decide(question)
            decided, seen = sum(counts.values()), set(counts)
            counts.clear()
            pipeline.ask(question, decision=decision)
            total = decided + sum(counts.values())
            print(f"| {question} | {decided} | {len(seen)} | {total} | {len(seen | set(counts))} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
