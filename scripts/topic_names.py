"""Names a corpus is about ('Python' in the Python docs, 'Debian' in the Debian reference), and the refusals they
cause: a unit must be read in a passage that names every name of the question (rag.answer.refusal
names_in_context), and a version note ('New in version 3.8.') never says 'Python'.

    .venv/bin/python scripts/topic_names.py [--index-root DIR] [--first 16]

Read from the pools (scripts/pools.py: every question decided once, in the hand order) of the training and tuning
sets; the held-out pools are never read. Prints (1) the names that kept every typed unit of an answerable question
from counting (no_typed_unit, low_score), with the share of the corpus's chunks that hold every term of the name;
(2) for each share S, the questions decided again with names held by at least S of the chunks not asked for:
answerable ones refused and answered (with the fact among the first --first candidates), and unanswerable ones
answered. Each corpus's own rows beside the others, so a share is chosen leave-one-corpus-out.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DOCS
from pools import INDEX_ROOT, Pool, load_pools

from rag.answer.corpus import CorpusStats
from rag.answer.refusal import BY_CODE, Evidence, holds_name
from rag.evaluation import unit_holds
from rag.text import terms

log = logging.getLogger("topic_names")
NAME_RULES = ("no_typed_unit", "low_score")  # the rules that ask a unit's passage for the question's names
AFTER = ("no_typed_unit", "no_count", "relation_untied", "low_score")  # the rules from the first of those on
SHARES = (1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02)


def share(name: str, stats: CorpusStats) -> float:
    """The share of chunks holding the name's rarest term (an upper bound on the chunks holding the name)."""
    parts = terms(name)
    return min((stats.df.get(t, 0) for t in parts), default=0) / max(stats.chunks, 1)


def missing_names(p: Pool, depth: int) -> set[str]:
    """The question's names that no typed unit among the first ``depth`` has in its passage."""
    typed = [c for c in p.candidates[:depth] if c.typed]
    return {n for n in p.question.names if not any(holds_name(c, n) for c in typed)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="where scripts/pools.py wrote pools")
    parser.add_argument("--first", type=int, default=16, help="candidates a scorer reorders (the card's first)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    pools = load_pools(args.index_root)
    if not pools:
        print(f"no pools in {args.index_root}: run scripts/pools.py first", file=sys.stderr)
        return 1
    from rag.answer.threshold import refusal_threshold
    from rag.app import ensure_index
    from rag.config import HAND_ORDER, load_settings, offline_environment

    offline_environment()
    blockers: Counter[tuple[str, str]] = Counter()
    shares: dict[tuple[str, str], float] = {}
    # (corpus, share) -> counts
    table: dict[tuple[str, float], Counter[str]] = defaultdict(Counter)
    for name, items in sorted(pools.items()):
        asked = [p for p in items if p.set in ("training", "tuning") and not p.question.follow_up]
        settings = dataclasses.replace(load_settings(docs_dir=DOCS[name]), index_dir=args.index_root / name,
                                       ranker=HAND_ORDER, scorer=HAND_ORDER)
        pipeline = ensure_index(settings)[0].pipeline
        stats = pipeline.stats()
        threshold = refusal_threshold(settings, pipeline.store)[0]
        params = pipeline.params
        for p in asked:
            if p.answerable and p.refusal in NAME_RULES:
                for n in missing_names(p, params.refusal_depth):
                    blockers[(name, n)] += 1
                    shares[(name, n)] = share(n, stats)
            for s in SHARES:
                refusal = p.refusal
                if refusal in NAME_RULES:
                    topic = frozenset(n for n in p.question.names if share(n, stats) >= s)
                    q = dataclasses.replace(p.question, names=p.question.names - topic)
                    e = Evidence(q, list(p.candidates), stats, [x.text for x in p.passages], threshold, None, params)
                    refusal = next((r for r in (BY_CODE[c](e) for c in AFTER) if r is not None), None)
                    refusal = refusal.code if refusal else None
                c = table[(name, s)]
                if p.answerable:
                    c["answerable"] += 1
                    c["refused"] += refusal is not None
                    c["answered, fact in first"] += refusal is None and any(
                        unit_holds(x, list(p.facts)) for x in p.candidates[: args.first])
                else:
                    c["unanswerable"] += 1
                    c["unanswerable answered"] += refusal is None
        log.warning("%s: %d questions", name, len(asked))
    print("## Names that kept every typed unit of an answerable question from counting\n")
    print("| corpus | name | questions | share of chunks |")
    print("|---|---|---|---|")
    for (corpus, n), k in blockers.most_common(40):
        print(f"| {corpus} | {n} | {k} | {shares[(corpus, n)]:.3f} |")
    print("\n## Names held by at least S of the chunks not asked for (training and tuning questions)\n")
    print("| S | answerable | refused | answered, fact among first | unanswerable | answered |")
    print("|---|---|---|---|---|---|")
    corpora = sorted(pools)
    for s in SHARES:
        total = sum((table[(c, s)] for c in corpora), Counter())
        print(f"| {s} | {total['answerable']} | {total['refused']} | {total['answered, fact in first']} | "
              f"{total['unanswerable']} | {total['unanswerable answered']} |")
    print("\n## Per corpus: refused answerable / answered unanswerable at each S\n")
    print("| corpus | " + " | ".join(str(s) for s in SHARES) + " |")
    print("|---|" + "---|" * len(SHARES))
    for c in corpora:
        cells = [f"{table[(c, s)]['refused']} / {table[(c, s)]['unanswerable answered']}" for s in SHARES]
        print(f"| {c} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
