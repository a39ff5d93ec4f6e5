"""Candidate pools: every question of every corpus decided once (no model call), kept for fitting and measuring.

    .venv/bin/python scripts/pools.py [--corpus NAME ...] [--index-root DIR] [--skip structure --skip generated]

For each corpus (the five of tests/data and the training corpora of training/corpora), each question of its
training file (training/questions/NAME.jsonl), its tuning set and its held-out set is decided by the pipeline
ordering candidates by the hand order (RAG_RANKER=none, RAG_SCORER=none). One pool per question is pickled to
--index-root/pools/NAME.pickle: the question's set, id, facts, the decision's analysed question, passages,
candidate table and refusal code. Held-out pools are only ever scored (scripts/train_scorer.py never trains on
them). A corpus whose pickle holds every set is skipped; a set added since (the structure questions of
training/structure/NAME.jsonl, the Gemma questions of training/generated/NAME.jsonl) is decided and appended
(resumable); --redo SET decides a set again (the Gemma questions grow between runs).

Set PYTHONHASHSEED=0: retrieval's tie order otherwise varies between processes (docs/quality.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from rag.answer.candidates import Candidate
from rag.answer.question import Question
from rag.app import ensure_index
from rag.config import HAND_ORDER, load_settings, offline_environment
from rag.evaluation import load_questions
from rag.types import Passage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import CORPORA, DOCS, TRAINING, WORK_ROOT

log = logging.getLogger("pools")
INDEX_ROOT = WORK_ROOT / "confidence-indexes"  # shared with scripts/fit_confidence.py


@dataclass(frozen=True)
class Pool:
    """One decided question: what a scorer ranks and what it is measured against."""

    corpus: str
    set: str  # 'training', 'tuning' or 'held-out'
    id: str
    text: str
    answerable: bool
    facts: tuple[str, ...]
    question: Question
    passages: tuple[Passage, ...]
    candidates: tuple[Candidate, ...]  # the candidate table in today's hand order
    refusal: str | None  # the refusal rule's code, None when answered


def question_sets(name: str) -> list[tuple[str, Path]]:
    sets = [("training", TRAINING / "questions" / f"{name}.jsonl"),
            ("structure", TRAINING / "structure" / f"{name}.jsonl"),  # training/structure_questions.py
            ("generated", TRAINING / "generated" / f"{name}.jsonl")]  # training/gemma_questions.py (grows)
    if name in CORPORA:
        sets += [("tuning", CORPORA[name][1]), ("held-out", CORPORA[name][2])]
    return [(label, path) for label, path in sets if path.is_file()]


def collect(name: str, index_root: Path, skip: frozenset[str] = frozenset()) -> list[Pool]:
    """The pools of every question set of ``name`` but those in ``skip`` (sets already collected)."""
    # Candidates in the hand order: what the ranker is fitted against, and column (a) of the report.
    settings = dataclasses.replace(load_settings(docs_dir=DOCS[name]), index_dir=index_root / name, ranker=HAND_ORDER,
                                   scorer=HAND_ORDER)
    app, _ = ensure_index(settings)
    pools = []
    for label, path in question_sets(name):
        if label in skip:
            continue
        questions = load_questions(path)
        by_id = {q.id: q for q in questions}
        for q in questions:
            history = [by_id[q.follow_up_of].question] if q.follow_up_of in by_id else []
            d = app.pipeline.decide(q.question, history)
            pools.append(Pool(name, label, q.id, q.question, q.answerable, tuple(q.facts), d.question,
                              tuple(d.passages), tuple(d.candidates), d.refusal.code if d.refusal else None))
        log.warning("%s: %s %s done (%d pools)", name, label, path.name, len(pools))
    return pools


def pool_file(index_root: Path, name: str) -> Path:
    return index_root / "pools" / f"{name}.pickle"


def load_pools(index_root: Path = INDEX_ROOT, names: list[str] | None = None) -> dict[str, list[Pool]]:
    out = {}
    for name in names or list(DOCS):
        path = pool_file(index_root, name)
        if path.is_file():
            out[name] = pickle.loads(path.read_bytes())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--corpus", action="append", choices=sorted(DOCS), help="default: all")
    parser.add_argument("--redo", action="append", default=[], choices=("training", "structure", "generated"),
                        help="decide this set again (e.g. 'generated' after training/gemma_questions.py added more)")
    parser.add_argument("--skip", action="append", default=[], choices=("structure", "generated"),
                        help="do not decide this set now (the hand-written sets alone are a third of the time); "
                             "a later run without --skip appends it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    import pools  # pickle the records as pools.Pool, not __main__.Pool, so other scripts can read them

    for name in args.corpus or list(DOCS):
        path = pool_file(args.index_root, name)
        done: list[Pool] = pickle.loads(path.read_bytes()) if path.is_file() else []
        done = [p for p in done if p.set not in args.redo]
        have = frozenset(p.set for p in done)
        if all(label in have or label in args.skip for label, _ in question_sets(name)):
            continue
        decided = done + pools.collect(name, args.index_root, skip=have | frozenset(args.skip))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(decided))
        tmp.replace(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
