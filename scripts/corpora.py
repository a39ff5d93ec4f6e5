"""The evaluation corpora: documents folder, tuning set and held-out set of each (shared by the scripts)."""

from __future__ import annotations

from rag.config import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
CORPORA = {
    "seeds": (PROJECT_ROOT / "seeds", DATA / "questions.jsonl", DATA / "heldout.jsonl"),
    "wiki": (DATA / "wiki" / "docs", DATA / "wiki" / "tuning.jsonl", DATA / "wiki" / "heldout.jsonl"),
    "pydocs": (DATA / "pydocs" / "docs", DATA / "pydocs" / "tuning.jsonl", DATA / "pydocs" / "heldout.jsonl"),
    "handbook": (DATA / "handbook" / "docs", DATA / "handbook" / "tuning.jsonl", DATA / "handbook" / "heldout.jsonl"),
    "aptitude_ru": (DATA / "aptitude_ru" / "docs", DATA / "aptitude_ru" / "tuning.jsonl",
                    DATA / "aptitude_ru" / "heldout.jsonl"),
}
