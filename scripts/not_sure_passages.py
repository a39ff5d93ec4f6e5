"""What a "not sure" answer shows, measured on the pools: the two best units alone (before this script's commit),
or the passages holding the top unit and the best unit of another passage (rag.answer.unsure, today).

    .venv/bin/python scripts/not_sure_passages.py [--index-root DIR] [--corpus NAME ...] [--set SET ...]
                                                  [--scorer half|hand|DIR]

Every pool (scripts/pools.py) of the chosen sets (default: the training questions of every corpus) is ordered as
answering orders it, by the scorer named: "half" (default) is, per corpus, the export in .cache/work/scorer-make
that left that corpus's half out (`make halves`); "hand" keeps the pools' hand order; a folder is that scorer for
every corpus. For the answerable questions the refusal rules let through, per corpus and set: how many there are,
how many of them the top unit lacks a key fact of (the answers a "not sure" is for), and of those, how many show
every key fact in the "not sure" text, before and today; then the same for the questions below the shipped
confidence's operating point (what "not sure" is shown for). With --refused, the answerable questions a refusal
rule refused instead: how many show every key fact in what the refusal lists, the nearest units (before) or their
passages (today; rag.answer.unsure.nearest_builder). Prints; changes nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.answer.candidates import Candidate
from rag.answer.confidence import ConfidenceModel, features
from rag.answer.params import AnswerParams
from rag.answer.scorer import LearnedScorer
from rag.answer.unsure import nearest_builder, not_sure_builder
from rag.config import PROJECT_ROOT, load_settings, offline_environment
from rag.evaluation import has_facts, unit_holds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DOCS
from pools import INDEX_ROOT, Pool, load_pools
from quote_unit import half_scorer, ordered

log = logging.getLogger("not_sure_passages")
BEFORE_UNITS = 2  # the units a "not sure" answer quoted before: the top one and the next


def before_text(table: list[Candidate]) -> str:
    """What "not sure" showed before: the two best units, as shown."""
    return " ".join(c.shown for c in table[:BEFORE_UNITS])


def measure(p: Pool, table: list[Candidate], params: AnswerParams) -> dict[str, bool]:
    """For one pool ordered as answering orders it: whether the top unit holds the facts, and whether each "not
    sure" text does."""
    facts = list(p.facts)
    return {"top": unit_holds(table[0], facts),
            "before": has_facts(before_text(table), facts),
            "today": has_facts(not_sure_builder(p.question, table, list(p.passages), params).text, facts)}


def listed_facts(p: Pool, table: list[Candidate], params: AnswerParams, evidence_k: int) -> dict[str, bool]:
    """For one refused pool: whether what a refusal listed before (the nearest units of the first evidence_k) and
    what it lists today (their passages) hold the facts."""
    facts = list(p.facts)
    units = table[: min(params.nearest_shown, evidence_k)]
    listed = nearest_builder(table, list(p.passages), params).citations()
    return {"before": has_facts(" ".join(c.shown for c in units), facts),
            "today": has_facts(" ".join(c.shown for c in listed), facts)}


def groups(pools: dict[str, list[Pool]], sets: list[str], scorer_for: Callable[[str], LearnedScorer | None],
           params: AnswerParams, refused: bool) -> Iterator[tuple[str, str, list[tuple[Pool, list[Candidate]]]]]:
    """Per corpus and set, its answerable pools a rule refused (``refused``) or let through, each with its
    candidates ordered as answering orders them."""
    for name, corpus_pools in pools.items():
        scorer = scorer_for(name)
        for label in sets:
            chosen = [(p, ordered(p, scorer, params)) for p in corpus_pools
                      if p.set == label and p.answerable and (p.refusal is not None) == refused and p.candidates]
            if chosen:
                yield name, label, chosen


def refused_table(pools: dict[str, list[Pool]], sets: list[str], scorer_for: Callable[[str], LearnedScorer | None],
                  params: AnswerParams, evidence_k: int) -> None:
    print("| corpus | set | answerable, refused | facts in what the refusal lists: the nearest units (before) / "
          "their passages (today) |")
    print("|---|---|---|---|")
    total: Counter[str] = Counter()
    for name, label, chosen in groups(pools, sets, scorer_for, params, refused=True):
        c: Counter[str] = Counter()
        for p, table in chosen:
            m = listed_facts(p, table, params, evidence_k)
            c.update({"questions": 1, "before": int(m["before"]), "today": int(m["today"])})
        total.update(c)
        print(f"| {name} | {label} | {c['questions']} | {c['before']} / {c['today']} |")
    print(f"| all | | {total['questions']} | {total['before']} / {total['today']} |")


def not_sure_table(pools: dict[str, list[Pool]], sets: list[str], scorer_for: Callable[[str], LearnedScorer | None],
                   params: AnswerParams, evidence_k: int) -> None:
    model = ConfidenceModel.load(PROJECT_ROOT / "models" / "confidence.json")
    print(f"| corpus | set | answerable, not refused | top unit lacks a fact | of those, facts in the \"not sure\" "
          f"text: two units (before) / two passages (today) | below the point {model.point:.2f} | of those, top unit "
          f"lacks a fact | of those, before / today |")
    print("|---|---|---|---|---|---|---|---|")
    total: Counter[str] = Counter()
    for name, label, chosen in groups(pools, sets, scorer_for, params, refused=False):
        c: Counter[str] = Counter()
        for p, table in chosen:
            m = measure(p, table, params)
            below = model.probability(features(p.question, table, list(p.passages), evidence_k, params)) < model.point
            missed = not m["top"]
            for prefix in ("", "low ") if below else ("",):
                c.update({prefix + "questions": 1, prefix + "missed": int(missed),
                          prefix + "before": int(missed and m["before"]), prefix + "today": int(missed and m["today"])})
        total.update(c)
        print(f"| {name} | {label} | {c['questions']} | {c['missed']} | {c['before']} / {c['today']} | "
              f"{c['low questions']} | {c['low missed']} | {c['low before']} / {c['low today']} |")
    print(f"| all | | {total['questions']} | {total['missed']} | {total['before']} / {total['today']} | "
          f"{total['low questions']} | {total['low missed']} | {total['low before']} / {total['low today']} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--corpus", action="append", choices=sorted(DOCS), help="default: all")
    parser.add_argument("--set", action="append", dest="sets", help="default: training")
    parser.add_argument("--scorer", default="half")
    parser.add_argument("--refused", action="store_true", help="what refusals of answerable questions list")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()

    def scorer_for(name: str) -> LearnedScorer | None:
        return (None if args.scorer == "hand" else
                LearnedScorer.load(half_scorer(name) if args.scorer == "half" else Path(args.scorer)))

    pools = load_pools(args.index_root, args.corpus or list(DOCS))
    table = refused_table if args.refused else not_sure_table
    table(pools, args.sets or ["training"], scorer_for, AnswerParams(), load_settings().evidence_k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
