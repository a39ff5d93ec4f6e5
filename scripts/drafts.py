"""The model's drafts for the training questions: each answered by the real model, answers forced, as `rag eval`
does, for fitting what the draft adds to the confidence (scripts/fit_confidence.py --drafts).

    PYTHONHASHSEED=0 .venv/bin/python scripts/drafts.py [--corpus NAME ...] [--index-root DIR]

Every question of training/questions/NAME.jsonl (written by hand; never a held-out set) is decided and answered
with the packaged model. One file per corpus, --index-root/drafts/NAME.json, holds evaluate's rows (the decision's
confidence features, whether a model sentence held up, whether the answer holds the facts). A corpus whose file
exists is skipped, so a stopped run goes on where it stopped. About 2 s a question on one core.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from rag.app import ensure_index
from rag.config import load_settings, offline_environment
from rag.evaluation import evaluate, load_questions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DOCS, TRAINING
from pools import INDEX_ROOT

log = logging.getLogger("drafts")
KEPT = ("id", "answerable", "refused", "status", "confidence", "confidence_features", "fallback", "facts_ok")


def draft_rows(name: str, index_root: Path) -> list[dict]:
    """The kept fields of evaluate's rows for one corpus's training questions."""
    settings = dataclasses.replace(load_settings(docs_dir=DOCS[name]), index_dir=index_root / name)
    app, _ = ensure_index(settings)
    report = evaluate(app.pipeline, load_questions(TRAINING / "questions" / f"{name}.jsonl"))
    return [{"corpus": name, **{k: r[k] for k in KEPT}} for r in report["questions"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", choices=sorted(DOCS), help="default: every corpus")
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    out = args.index_root / "drafts"
    out.mkdir(parents=True, exist_ok=True)
    for name in args.corpus or list(DOCS):
        target = out / f"{name}.json"
        if target.is_file() or not (TRAINING / "questions" / f"{name}.jsonl").is_file():
            continue
        rows = draft_rows(name, args.index_root)
        target.write_text(json.dumps(rows), encoding="utf-8")
        log.warning("%s: %d drafts (%d with a model sentence that held up)", name, len(rows),
                    sum(1 for r in rows if not r["refused"] and not r["fallback"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
