"""How the candidates of questions the learned models cannot read (the Russian corpora) are best ordered.

    PYTHONHASHSEED=0 .venv/bin/python scripts/pools.py --skip structure --skip generated --corpus aptitude_ru \
        --corpus debian_faq_ru --corpus developers_reference_ru --corpus doublecmd_help_ru --corpus gimp_help_ru \
        --corpus kicad_doc_ru
    .venv/bin/python scripts/russian_order.py [--min-latin 0.5 --min-latin 0.8] [--write]

The learned scorer's models read a Russian word letter by letter, so its card keeps the hand order for a question
its vocabulary does not hold ("unreadable": "hand"). With six Russian corpora of hand-written questions, a ranker
over the candidate features alone can be fitted on Russian questions and scored on a Russian corpus it left out.
Printed per corpus and set, fact in the top unit (answerable questions with candidates) by:

- (a) the hand order;
- (s) the shipped scorer's stack (models/scorer) with its learned columns at zero, as for a question it cannot read
  (the features and the hand order's z-scores; fitted on every corpus's rows, the learned columns of a row its
  models could not read at zero);
- (b) a pairwise logistic ranker over the features and the hand order's z-score (STACKED without the learned
  columns), fitted on the training and tuning pools of the other Russian corpora (leave-one-corpus-out);
- (b+) the same with the corpus's own training pools too (what would ship; its tuning and held-out rows are
  never fitted on when they are scored);
- (p) the shipped scorer (models/scorer) as its card says: its stack ranks a question its models read (some
  Russian questions are half Latin: command and key names) and the others keep the hand order, or, once
  --write has run, are ordered by the ranker written;
- (p') the shipped stack for the questions its models read and (b) for the others, with a question read when its
  vocabulary share is at least AnswerParams.scorer_min_share and at least --min-latin of its letters are Latin
  (rag.answer.scorer.question_share; 0 counts Russian questions read by their vocabulary share alone).

--write fits (b+) on every Russian corpus's training and tuning pools (never a held-out set; --leave-out drops some)
and names it in the card of --scorer (default: the shipped one) as the ranker of questions its models cannot read
(rag.answer.scorer.set_unreadable_ranker).

No pool is decided here; only --write writes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

import numpy as np

from rag.answer.params import DEFAULTS
from rag.answer.rank import FEATURES, STACKED_UNREADABLE, hand_rows, stacked_rows
from rag.answer.scorer import LearnedScorer, latin_share, question_share, readable, set_unreadable_ranker
from rag.config import PROJECT_ROOT
from rag.index.embedding import vocabulary_share

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DOCS
from fit_ranker import fit as fit_pairwise
from pools import INDEX_ROOT, Pool, load_pools
from train_scorer import feature_table, hand, labels, scored, top1

log = logging.getLogger("russian_order")
FIT_SETS = ("training", "tuning")  # never "held-out"
RUSSIAN = ("aptitude_ru", "debian_faq_ru", "developers_reference_ru", "doublecmd_help_ru", "gimp_help_ru",
           "kicad_doc_ru")
SETS = ("training", "tuning", "held-out")


def rows(pool: Pool) -> np.ndarray:
    """The features and the hand order's z-score: a stacked row without the learned columns."""
    return hand_rows(feature_table(pool), hand(pool))


def shipped_rows(pool: Pool, learned_columns: int) -> np.ndarray:
    """The shipped stack's rows for a question its models cannot read: every learned column at zero."""
    nothing = np.zeros(len(pool.candidates))
    return stacked_rows(feature_table(pool), hand(pool), nothing, 0.0, *[nothing] * (learned_columns - 1))


def latin_shares(args: argparse.Namespace) -> None:
    """What AnswerParams.scorer_min_latin rests on: the least Latin share of an English training or tuning question,
    and how many Russian questions the vocabulary share alone reads, and with the Latin gate."""
    from corpora import CORPORA, TRAINING

    def questions(name: str) -> list[str]:
        files = [TRAINING / "questions" / f"{name}.jsonl", *([CORPORA[name][1]] if name in CORPORA else [])]
        return [json.loads(line)["question"] for f in files if f.is_file()
                for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]

    english = [q for name in DOCS if name not in RUSSIAN for q in questions(name)]
    russian = [q for name in args.corpus for q in questions(name)]
    least = min(english, key=latin_share)
    words = [q for q in russian if readable(vocabulary_share(args.scorer, q), DEFAULTS.scorer_min_share)]
    gated = [q for q in words if readable(question_share(args.scorer, q, DEFAULTS), DEFAULTS.scorer_min_share)]
    print(f"English training and tuning questions: {len(english)}, the least Latin {latin_share(least):.2f} "
          f"({least!r}); Russian ones: {len(russian)}, read by the vocabulary share alone {len(words)}, with "
          f"scorer_min_latin = {DEFAULTS.scorer_min_latin} too {len(gated)}\n")


def fitted(pools: dict[str, list[Pool]], names: set[str], own: tuple[str, list[Pool]] | None = None):
    groups = [(rows(p), labels(p), None) for n in pools if n in names for p in pools[n] if p.set in FIT_SETS]
    if own is not None:
        groups += [(rows(p), labels(p), None) for p in own[1] if p.set == "training"]
    return fit_pairwise(groups)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="where scripts/pools.py wrote pools")
    parser.add_argument("--corpus", action="append", choices=sorted(DOCS),
                        help=f"the corpora (default: {', '.join(RUSSIAN)})")
    parser.add_argument("--scorer", type=Path, default=PROJECT_ROOT / "models" / "scorer")
    parser.add_argument("--min-latin", type=float, action="append",
                        help="(p'): the share of Latin letters below which a question is not read (repeatable; "
                             "default: AnswerParams.scorer_min_latin)")
    parser.add_argument("--write", action="store_true", help="name (b+) fitted on every corpus in the scorer's card")
    parser.add_argument("--leave-out", default="", help="--write: corpora left out of the fit, joined by '+' (a half "
                                                        "folder's ranker leaves its half's Russian corpora out)")
    args = parser.parse_args()
    args.corpus = args.corpus or list(RUSSIAN)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    pools = {name: scored(ps) for name, ps in load_pools(args.index_root).items() if name in args.corpus}
    latins = args.min_latin or [DEFAULTS.scorer_min_latin]
    scorer = LearnedScorer.load(args.scorer)
    stack = scorer.card.stack
    assert stack is not None, f"{args.scorer} has no stacked ranker"
    learned_columns = len(stack.names) - len(FEATURES) - 1  # past the features and the hand order's z-score
    latin_shares(args)
    print(f"(s): {args.scorer}, {len(stack.names)} columns; (b) over {len(FEATURES) + 1}\n")
    print("| corpus | set | questions | fact in a candidate | (a) hand order | (s) shipped stack, learned at zero "
          "| (b) fitted on the other Russian corpora | (b+) and its own training questions | (p) the card "
          + "".join(f"| read at {m} | (p') at {m} " for m in latins) + "|")
    print("|---|---|---|---|---|---|---|---|---|" + "---|---|" * len(latins))
    totals: dict[str, np.ndarray] = {}
    for name, ps in pools.items():
        others = set(pools) - {name}
        loco = fitted(pools, others)
        plus = fitted(pools, others, (name, ps))
        for label in SETS:
            chosen = [p for p in ps if p.set == label]
            if not chosen:
                continue
            today = [scorer.order(p.question.query, p.candidates, DEFAULTS) for p in chosen]
            read_at = []
            for m in latins:
                params = dataclasses.replace(DEFAULTS, scorer_min_latin=m)
                reads = [readable(question_share(args.scorer, p.question.query, params), params.scorer_min_share)
                         for p in chosen]
                stacked = [scorer.order(p.question.query, p.candidates, params) if r else loco.score(rows(p))
                           for p, r in zip(chosen, reads, strict=True)]
                read_at += [sum(reads), top1(chosen, stacked)]
            counts = np.asarray([
                len(chosen), sum(int(labels(p).any()) for p in chosen),
                top1(chosen, [hand(p) for p in chosen]),
                top1(chosen, [stack.score(shipped_rows(p, learned_columns)) for p in chosen]),
                top1(chosen, [loco.score(rows(p)) for p in chosen]),
                top1(chosen, [plus.score(rows(p)) for p in chosen]),
                top1(chosen, today), *read_at])
            totals[label] = totals.get(label, 0) + counts
            print(f"| {name} | {label} | " + " | ".join(str(c) for c in counts) + " |", flush=True)
    for label, counts in totals.items():
        print(f"| **all** | {label} | " + " | ".join(f"**{c}**" for c in counts) + " |")
    if args.write:
        kept = [name for name in pools if name not in args.leave_out.split("+")]
        ranker = dataclasses.replace(fitted(pools, set(kept)), names=STACKED_UNREADABLE, fitted_on=(
            f"hand-written training and tuning pools of {', '.join(kept)}"))
        set_unreadable_ranker(args.scorer, ranker)
        log.warning("wrote the ranker of questions its models cannot read into %s", args.scorer / "scorer.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
