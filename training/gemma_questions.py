"""Training questions written by the packaged Gemma for evidence units, kept only when they pass a round trip.

    PYTHONHASHSEED=0 .venv/bin/python training/gemma_questions.py [--corpus NAME ...] [--per-corpus N]
                                                                [--minutes M] [--out training/generated]

Source units are the candidate units of the pools (scripts/pools.py: every hand-written training and tuning
question of a corpus decided once; never a held-out pool), each read as shown: prose, list items and table rows of
MIN_WORDS..MAX_WORDS words, no code. For each, the packaged Gemma-3-270M (base, no chat template) completes a
few-shot prompt ("Passage: ... / Question: ...", three examples written here) at temperature 0. A question is kept
when:

- it reads as a question (ends with '?', QUESTION_WORDS words) and is not a template that fits any passage
  (GENERIC: 'the passage', 'this text', 'what is the difference between' ...);
- it does not copy its unit: no run of COPY_RUN words of the unit stands in it;
- the round trip holds: the pipeline decides it (hand order, no model) and a unit holding the source unit's text
  is among the best ROUND_TRIP_TOP candidates *and* is the candidate of highest dense or highest lexical score
  (the packaged model or the term match finds it on its own).

A kept question's ``facts`` is the source unit's shown text: the pools label a candidate right when it shows that
unit (rag.evaluation.unit_holds). Every unit tried is logged in OUT/NAME.tried (kept or not), so a run stopped
anywhere goes on where it stopped; questions are appended to OUT/NAME.jsonl as they are kept. Held-out sets are
never read.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from pools import INDEX_ROOT, Pool, load_pools

from rag.app import ensure_index
from rag.config import HAND_ORDER, load_settings, offline_environment
from rag.evaluation import unit_holds
from rag.llm.llama import LlamaCppGenerator
from rag.llm.prompting import Prompt

log = logging.getLogger("gemma_questions")
OUT = ROOT / "training" / "generated"
MIN_WORDS, MAX_WORDS = 8, 60  # a source unit's words: shorter says too little, longer asks for several questions
QUESTION_WORDS = (4, 25)
COPY_RUN = 6  # words of the unit in a row that make a question a copy of it
ROUND_TRIP_TOP = 3
MAX_TOKENS = 40
SEED = 0
BATCH = 25  # kept questions per corpus before the next corpus's turn
SOURCE_SETS = ("training", "tuning")  # whose candidate units are the sources (never "held-out")
GENERIC = re.compile(r"\b(the|this) (passage|text|document|article|section|paragraph)\b|difference between|"
                     r"^what is (it|this|that)\b|\bmentioned (above|here)\b", re.IGNORECASE)
SHOTS = (  # written for this script, on none of the corpora's documents
    ("The lighthouse on Karsk Point was automated in 1968, and its last keeper, Ole Brandt, moved to the village.",
     "When was the lighthouse on Karsk Point automated?"),
    ("By default the backup tool keeps seven daily archives; the --keep option sets another number.",
     "How many daily archives does the backup tool keep by default?"),
    ("The compile step fails with error E42 when the include path names a folder that does not exist.",
     "What causes error E42 during the compile step?"),
)


def prompt(unit: str) -> Prompt:
    shots = "".join(f"Passage: {p}\nQuestion: {q}\n\n" for p, q in SHOTS)
    text = f"{shots}Passage: {' '.join(unit.split())}\nQuestion:"
    return Prompt(messages=[{"role": "user", "content": text}], completion=text, stops=["\n", "Passage:"])


def source_units(pools: list[Pool]) -> list[str]:
    """The distinct shown texts of the candidate units of the training and tuning pools, in a seeded order."""
    seen: dict[str, None] = {}
    for p in pools:
        if p.set not in SOURCE_SETS:
            continue
        for c in p.candidates:
            words = c.shown.split()
            if c.kind not in ("code", "signature", "heading") and MIN_WORDS <= len(words) <= MAX_WORDS:
                seen.setdefault(" ".join(words), None)
    units = sorted(seen)
    random.Random(SEED).shuffle(units)
    return units


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def rejected(question: str, unit: str) -> str | None:
    """Why a generated question is not kept before the round trip, or None."""
    words = _words(question)
    if not question.endswith("?") or not QUESTION_WORDS[0] <= len(words) <= QUESTION_WORDS[1]:
        return "not a question"
    if GENERIC.search(question):
        return "generic"
    unit_words = _words(unit)
    runs = {tuple(unit_words[i : i + COPY_RUN]) for i in range(len(unit_words) - COPY_RUN + 1)}
    if any(tuple(words[i : i + COPY_RUN]) in runs for i in range(len(words) - COPY_RUN + 1)):
        return "copies the unit"
    return None


def round_trip(pipeline: object, question: str, unit: str) -> str | None:
    """Why the question does not find its unit, or None when it does (rank and a signal of its own)."""
    d = pipeline.decide(question)  # type: ignore[attr-defined]
    holds = [unit_holds(c, [unit]) for c in d.candidates]
    if not any(holds[:ROUND_TRIP_TOP]):
        return "unit not among the best candidates"
    best_dense = max(range(len(d.candidates)), key=lambda i: d.candidates[i].read)
    best_lexical = max(range(len(d.candidates)), key=lambda i: d.candidates[i].lexical)
    if not (holds[best_dense] or holds[best_lexical]):
        return "neither the dense nor the lexical score puts the unit first"
    return None


@dataclasses.dataclass
class Corpus:
    """One corpus's index (for the round trip) and its output files."""

    name: str
    pipeline: object
    units: list[str]
    kept_file: Path
    tried_file: Path
    tried: set[str]
    kept: int


def open_corpus(name: str, pools: list[Pool], index_root: Path, out: Path) -> Corpus:
    from corpora import DOCS

    settings = dataclasses.replace(load_settings(docs_dir=DOCS[name]), index_dir=index_root / name,
                                   ranker=HAND_ORDER, scorer=HAND_ORDER)
    app, _ = ensure_index(settings)
    kept_file, tried_file = out / f"{name}.jsonl", out / f"{name}.tried"
    tried = set(tried_file.read_text(encoding="utf-8").split()) if tried_file.is_file() else set()
    return Corpus(name, app.pipeline, source_units(pools), kept_file, tried_file, tried, _count(kept_file))


def unit_key(unit: str) -> str:
    return hashlib.sha1(unit.encode("utf-8")).hexdigest()[:12]


def generate(corpus: Corpus, model: LlamaCppGenerator, stop_at: int, deadline: float) -> dict[str, int]:
    """Try the corpus's next untried units until ``stop_at`` questions are kept or the deadline passes."""
    reasons: dict[str, int] = {}
    for unit in corpus.units:
        if corpus.kept >= stop_at or time.monotonic() > deadline:
            break
        key = unit_key(unit)
        if key in corpus.tried:
            continue
        question = " ".join("".join(model.stream(prompt(unit), MAX_TOKENS)).split())
        why = rejected(question, unit) or round_trip(corpus.pipeline, question, unit)
        if why is None:
            corpus.kept += 1
            row = {"id": f"{corpus.name}-g{key}", "corpus": corpus.name, "question": question, "answerable": True,
                   "sources": [], "facts": [unit], "evidence": unit, "kind": "other", "note": "gemma"}
            with corpus.kept_file.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        reasons[why or "kept"] = reasons.get(why or "kept", 0) + 1
        corpus.tried.add(key)
        with corpus.tried_file.open("a", encoding="utf-8") as f:
            f.write(key + "\n")
    return reasons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", help="corpora to generate for (default: every pooled one)")
    parser.add_argument("--per-corpus", type=int, default=1000, help="stop a corpus at this many kept questions")
    parser.add_argument("--minutes", type=float, default=60.0, help="stop after this long (resume later)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--index-root", type=Path, default=Path("/tmp/rag-gemma-indexes"),
                        help="where each corpus is indexed for the round trip (built on first use)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    pools = load_pools(INDEX_ROOT)
    if not pools:
        parser.error(f"no pools in {INDEX_ROOT}/pools: run PYTHONHASHSEED=0 .venv/bin/python scripts/pools.py first")
    args.out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.minutes * 60
    model = LlamaCppGenerator(load_settings())
    corpora = [open_corpus(n, pools[n], args.index_root, args.out) for n in (args.corpus or list(pools))]
    # Round robin, BATCH kept questions per corpus at a time, so a run stopped anywhere leaves every corpus some.
    while time.monotonic() < deadline:
        progress = False
        for corpus in corpora:
            if corpus.kept < args.per_corpus and len(corpus.tried) < len(corpus.units):
                before = corpus.kept
                reasons = generate(corpus, model, min(args.per_corpus, corpus.kept + BATCH), deadline)
                log.warning("%s: %d kept in all; this batch: %s", corpus.name, corpus.kept, reasons)
                progress |= corpus.kept > before or bool(reasons)
        if not progress:
            break
    return 0


def _count(path: Path) -> int:
    return sum(1 for _ in path.open(encoding="utf-8")) if path.is_file() else 0


if __name__ == "__main__":
    sys.exit(main())
