"""The evaluation corpora: documents folder, tuning set and held-out set of each; the documents folder of every
corpus with training questions (DOCS: those and the training corpora of training/corpora). Shared by the scripts."""

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
TRAINING = PROJECT_ROOT / "training"
DOCS = {name: docs for name, (docs, _, _) in CORPORA.items()}
DOCS.update({p.name: p / "docs" for p in sorted((TRAINING / "corpora").iterdir()) if (p / "docs").is_dir()})
# Indexes, pools, trained models and score caches: hours of work, kept in the project's ignored .cache/ rather than
# /tmp (machines here empty /tmp between sessions, and a later session resumes from these folders).
WORK_ROOT = PROJECT_ROOT / ".cache" / "work"
