"""How long the search for chunks no search reaches takes (what the first sync after an interrupted run does,
rag.index.store.ChromaStore.unreachable), and how many it finds. Prints; asserts nothing. Reads a copy, so the
index is not touched.

    .venv/bin/python scripts/reachbench.py --index DIR [--index DIR ...]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path

from rag.config import load_settings
from rag.index.store import ChromaStore

log = logging.getLogger("reachbench")


def measure(index_dir: Path) -> tuple[int, int, float]:
    """(chunks, chunks their own vector's search misses, seconds) for a copy of ``index_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(index_dir, copy)
        store = ChromaStore.existing(copy, load_settings(index_dir=copy).collection)
        started = time.perf_counter()
        missed = store.unreachable()
        return store.count(), len(missed), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, action="append", required=True, help="an index folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for index_dir in args.index:
        chunks, missed, seconds = measure(index_dir)
        log.info("%s: %d chunks, %d missed by their own vector's search, %.1f s", index_dir, chunks, missed, seconds)


if __name__ == "__main__":
    main()
