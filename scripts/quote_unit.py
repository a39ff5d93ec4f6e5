"""Which unit the answer quotes once the candidates are ordered: the top unit (today), or, as before this script's
commit, the best unit among the evidence that holds the kind of fact asked for (a typed unit below the first k
was moved into the evidence, and the first typed unit of the evidence was quoted).

    .venv/bin/python scripts/quote_unit.py [--index-root DIR] [--corpus NAME ...] [--set SET ...]
                                           [--scorer half|hand|DIR]

Every pool (scripts/pools.py) of the chosen sets is ordered as answering orders it, by the scorer named: "half"
(default) is, per corpus, the export of scripts/cross_encoder.py in .cache/work/scorer-make that left that corpus's
half out (`make halves`), so no pool is ordered by a model trained on its question; "hand" keeps the pools' hand
order (RAG_SCORER=none); a folder is that scorer for every corpus. Then, per corpus and set, for the answerable
questions the refusal rules let through (the pool's decision): how often the top unit holds every key fact, and how
often the quoted unit does by each rule (rag.answer.compose.builder_for, a who-question's named switch included).
Prints; changes nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from rag.answer.candidates import Candidate, _reordered
from rag.answer.compose import builder_for
from rag.answer.params import AnswerParams
from rag.answer.question import Question
from rag.answer.scorer import LearnedScorer
from rag.config import offline_environment
from rag.evaluation import unit_holds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pools import INDEX_ROOT, Pool, load_pools

log = logging.getLogger("quote_unit")
WORK = Path(".cache/work/scorer-make")
TYPED_LOOKAHEAD = 2  # the old rule looked for a typed unit among the best 2 * k


def half_scorer(name: str) -> Path:
    """The half export that left ``name`` out."""
    for folder in sorted(WORK.glob("export-*")):
        if name in folder.name.removeprefix("export-").split("+"):
            return folder
    raise SystemExit(f"no half export in {WORK} left {name} out: run `make halves`")


def ordered(p: Pool, scorer: LearnedScorer | None, params: AnswerParams) -> list[Candidate]:
    """The pool's candidates, best first, by ``scorer`` (None: the hand order they were decided in)."""
    table = list(p.candidates)
    if scorer is None or len(table) < 2:
        return table
    ranked = scorer.rank(p.question.query, table, params)
    return _reordered(table, ranked.order, ranked.learned)


def quoted(q: Question, table: list[Candidate], k: int, params: AnswerParams, typed_first: bool) -> Candidate:
    """The unit the answer quotes: today's rule, or with ``typed_first`` the old one."""
    evidence = table[:k]
    if typed_first:
        typed = next((c for c in table[: TYPED_LOOKAHEAD * k] if c.typed), None)
        if typed is not None and typed not in evidence:
            evidence = [typed] + evidence[: k - 1]
        first = next((i for i, e in enumerate(evidence) if e.typed), 0)
        evidence = [evidence[first]] + [e for i, e in enumerate(evidence) if i != first]
    return evidence[builder_for(q, evidence, params=params).quote]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--corpus", action="append", help="default: the five corpora of tests/data")
    parser.add_argument("--set", action="append", dest="sets", help="default: tuning and held-out")
    parser.add_argument("--scorer", default="half")
    parser.add_argument("--k", type=int, default=4, help="evidence units (the settings' evidence_k)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    names = args.corpus or ["seeds", "wiki", "pydocs", "handbook", "aptitude_ru"]
    sets = args.sets or ["tuning", "held-out"]
    params = AnswerParams()
    print("| corpus | set | questions | fact in top unit | in the quote, typed first (before) | in the quote, top "
          "first (today) | before right, today wrong | today right, before wrong |")
    print("|---|---|---|---|---|---|---|---|")
    total: Counter[str] = Counter()
    for name, pools in load_pools(args.index_root, names).items():
        scorer = (None if args.scorer == "hand" else
                  LearnedScorer.load(half_scorer(name) if args.scorer == "half" else Path(args.scorer)))
        for label in sets:
            c: Counter[str] = Counter()
            for p in pools:
                if p.set != label or not p.answerable or p.refusal is not None or not p.candidates:
                    continue
                table = ordered(p, scorer, params)
                facts = list(p.facts)
                before = unit_holds(quoted(p.question, table, args.k, params, True), facts)
                today = unit_holds(quoted(p.question, table, args.k, params, False), facts)
                c["questions"] += 1
                c["top"] += unit_holds(table[0], facts)
                c["before"] += before
                c["today"] += today
                c["before only"] += before and not today
                c["today only"] += today and not before
                if today != before:
                    log.warning("%s %s %s: before %s, today %s | %s", name, label, p.id, before, today, p.text)
            total.update(c)
            print(f"| {name} | {label} | {c['questions']} | {c['top']} | {c['before']} | {c['today']} | "
                  f"{c['before only']} | {c['today only']} |")
    print(f"| all | | {total['questions']} | {total['top']} | {total['before']} | {total['today']} | "
          f"{total['before only']} | {total['today only']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
