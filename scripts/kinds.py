"""The kind of fact a question asks for, as the question analysis reads it, against the kind the helpers who wrote
the training questions gave it, and the refusals of answerable questions those readings go with.

    .venv/bin/python scripts/kinds.py [--index-root DIR] [--first 16]

Read from the pools (scripts/pools.py: every question decided once, in the hand order), so nothing is decided
again; the held-out pools are never read. Prints: the analysis's kind (rag.answer.question: 'date', 'number',
'version', 'name' or none) against the helpers' label (training/questions/*.jsonl "kind": what, how, yesno, date,
...) over the training questions; the same for the questions that open with "When"; and the answerable training
and tuning questions each refusal rule refused, with how many of them held the fact in one of the hand order's
first --first candidates (a scorer could have answered them).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import TRAINING
from pools import INDEX_ROOT, Pool, load_pools

from rag.evaluation import unit_holds

NONE = "-"  # the analysis read no kind (a what/how/why/yes-no question)


def helper_kinds(files: Iterable[Path]) -> dict[tuple[str, str], str]:
    """(corpus, question id) -> the kind its writer gave it."""
    out = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[(row["corpus"], row["id"])] = row.get("kind") or NONE
    return out


@dataclass
class Tally:
    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)  # (analysis, helper) over training questions
    when: Counter[tuple[str, str]] = field(default_factory=Counter)  # the same, questions opening with "When"
    refused: Counter[str] = field(default_factory=Counter)  # answerable training/tuning questions, by rule
    refused_held: Counter[str] = field(default_factory=Counter)  # ... whose fact was among the first candidates
    when_refused: Counter[str] = field(default_factory=Counter)  # answerable "When" questions, by rule


def tally(pools: Mapping[str, list[Pool]], labels: Mapping[tuple[str, str], str], first: int) -> Tally:
    out = Tally()
    for corpus, items in pools.items():
        for p in items:
            if p.set not in ("training", "tuning"):
                continue
            when = p.text.strip().lower().startswith("when ")
            if p.set == "training" and (corpus, p.id) in labels:
                pair = (p.question.kind or NONE, labels[(corpus, p.id)])
                out.kinds[pair] += 1
                if when:
                    out.when[pair] += 1
            if p.answerable and p.refusal is not None:
                out.refused[p.refusal] += 1
                if any(unit_holds(c, list(p.facts)) for c in p.candidates[:first]):
                    out.refused_held[p.refusal] += 1
                if when:
                    out.when_refused[p.refusal] += 1
    return out


def _pairs_table(counts: Counter[tuple[str, str]]) -> list[str]:
    lines = ["| analysis reads | helper wrote | questions |", "|---|---|---|"]
    return lines + [f"| {a} | {h} | {n} |" for (a, h), n in counts.most_common()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="where scripts/pools.py wrote pools")
    parser.add_argument("--first", type=int, default=16, help="candidates a scorer reorders (the card's first)")
    args = parser.parse_args()
    pools = load_pools(args.index_root)
    if not pools:
        print(f"no pools in {args.index_root}: run scripts/pools.py first", file=sys.stderr)
        return 1
    t = tally(pools, helper_kinds(sorted((TRAINING / "questions").glob("*.jsonl"))), args.first)
    print(f"Training questions of {len(pools)} corpora: the kind read against the kind written\n")
    print("\n".join(_pairs_table(t.kinds)))
    print(f"\nThe {sum(t.when.values())} opening with 'When'\n")
    print("\n".join(_pairs_table(t.when)))
    print("\nAnswerable training and tuning questions refused\n")
    print(f"| rule | refused | fact among the first {args.first} | of them opening with 'When' |")
    print("|---|---|---|---|")
    for rule, n in t.refused.most_common():
        print(f"| {rule} | {n} | {t.refused_held[rule]} | {t.when_refused[rule]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
