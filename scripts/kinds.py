"""The kind of fact a question asks for, as the question analysis reads it, against the kind the helpers who wrote
the training questions gave it, and the refusals of answerable questions those readings go with.

    .venv/bin/python scripts/kinds.py [--index-root DIR] [--first 16]
    .venv/bin/python scripts/kinds.py --classifier    (no pools needed: a fitted reading measured, below)
    .venv/bin/python scripts/kinds.py --when-again    (the pools' "When" questions decided again, below)

Read from the pools (scripts/pools.py: every question decided once, in the hand order), so nothing is decided
again; the held-out pools are never read. Prints: the analysis's kind (rag.answer.question: 'date', 'number',
'version', 'name' or none) against the helpers' label (training/questions/*.jsonl "kind": what, how, yesno, date,
...) over the training questions; the same for the questions that open with "When"; and the answerable training
and tuning questions each refusal rule refused, with how many of them held the fact in one of the hand order's
first --first candidates (a scorer could have answered them).

With --classifier: how often the analysis's reading agrees with the writers' labels (mapped onto its kinds: date,
number, version, who -> name, anything else none) over all 10,193 training questions, against a logistic regression
fitted on the packaged embedder's vector of the question beside the analysis's own reading (one-hot, scaled by
ONE_HOT), each corpus's questions read by the fit on the other corpora's; per kind, precision and recall.

With --when-again: the answerable training and tuning questions opening with "When" decided again in the hand
order by today's analysis, against their pools (decided by the analysis of the day the pools were made): refused,
fact in the top unit, fact among the first --first candidates. The before/after of a change to how "When" is read,
run before the pools are decided again.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DOCS, TRAINING
from pools import INDEX_ROOT, Pool, load_pools

from rag.evaluation import unit_holds

log = logging.getLogger("kinds")
NONE = "-"  # the analysis read no kind (a what/how/why/yes-no question)
AS_READ = {"date": "date", "number": "number", "version": "version", "who": "name"}  # a writer's label, as a kind
KINDS = (NONE, "date", "number", "version", "name")
ONE_HOT = 3.0  # the analysis's reading beside the unit-length question vector (scikit-learn's default C=1)


def question_rows(files: Iterable[Path]) -> list[dict[str, Any]]:
    """Every row of the training question files (JSONL)."""
    return [json.loads(line) for path in files for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def opens_with_when(text: str) -> bool:
    return text.strip().lower().startswith("when ")


def helper_kinds(files: Iterable[Path]) -> dict[tuple[str, str], str]:
    """(corpus, question id) -> the kind its writer gave it."""
    return {(row["corpus"], row["id"]): row.get("kind") or NONE for row in question_rows(files)}


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
            when = opens_with_when(p.text)
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


def agreement(read: Sequence[str], written: Sequence[str]) -> str:
    """One line: the share of questions read as written, then each kind's precision and recall."""
    r, w = np.asarray(read), np.asarray(written)
    parts = []
    for k in KINDS[1:]:
        hit = int(((r == k) & (w == k)).sum())
        parts.append(f"{k} {hit / max(int((r == k).sum()), 1):.2f} / {hit / max(int((w == k).sum()), 1):.2f}")
    return f"agreement {float((r == w).mean()):.3f}; precision / recall: " + ", ".join(parts)


def classifier_report(files: Iterable[Path]) -> list[str]:
    """The analysis's reading and a fitted one, each against the writers' labels, leave-one-corpus-out."""
    from sklearn.linear_model import LogisticRegression

    from rag.answer.question import analyse
    from rag.config import load_settings
    from rag.index.embedding import make_embedder

    rows = question_rows(files)
    written = np.asarray([AS_READ.get(r.get("kind"), NONE) for r in rows])
    read = np.asarray([analyse(r["question"]).kind or NONE for r in rows])
    corpus = np.asarray([r["corpus"] for r in rows])
    vectors = make_embedder(load_settings()).embed([r["question"] for r in rows])
    x = np.hstack([vectors, ONE_HOT * (read[:, None] == np.asarray(KINDS)[None, :])])
    fitted = np.empty_like(written)
    for name in sorted(set(corpus)):
        out = corpus == name
        fitted[out] = LogisticRegression(max_iter=3000).fit(x[~out], written[~out]).predict(x[out])
    when = np.asarray([opens_with_when(r["question"]) for r in rows])
    return [f"{len(rows)} training questions of {len(set(corpus))} corpora",
            f"the analysis: {agreement(read, written)}",
            f"fitted, leave-one-corpus-out: {agreement(fitted, written)}",
            (f"opening with 'When' ({int(when.sum())}): read as a date {int((read[when] == 'date').sum())}, "
             f"fitted {int((fitted[when] == 'date').sum())}, written {int((written[when] == 'date').sum())}")]


@dataclass
class Outcome:
    questions: int = 0
    refused: int = 0
    top: int = 0  # the fact in the top unit
    head: int = 0  # the fact among the first candidates

    def add(self, refusal: str | None, candidates: Sequence[Any], facts: list[str], first: int) -> None:
        self.questions += 1
        self.refused += refusal is not None
        self.top += bool(candidates) and unit_holds(candidates[0], facts)
        self.head += any(unit_holds(c, facts) for c in candidates[:first])


def when_again(pools: Mapping[str, list[Pool]], index_root: Path, first: int) -> tuple[Outcome, Outcome]:
    """The pools' answerable "When" questions as pooled, and decided again by today's analysis, in the hand order."""
    import dataclasses

    from rag.app import ensure_index
    from rag.config import HAND_ORDER, load_settings, offline_environment

    offline_environment()
    before, after = Outcome(), Outcome()
    for name, items in pools.items():
        asked = [p for p in items if p.set in ("training", "tuning") and p.answerable
                 and opens_with_when(p.text) and not p.question.follow_up]
        if not asked:
            continue
        settings = dataclasses.replace(load_settings(docs_dir=DOCS[name]), index_dir=index_root / name,
                                       ranker=HAND_ORDER, scorer=HAND_ORDER)
        pipeline = ensure_index(settings)[0].pipeline
        for p in asked:
            before.add(p.refusal, p.candidates, list(p.facts), first)
            d = pipeline.decide(p.text)
            after.add(d.refusal.code if d.refusal else None, d.candidates, list(p.facts), first)
        log.warning("%s: %d questions", name, len(asked))
    return before, after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="where scripts/pools.py wrote pools")
    parser.add_argument("--first", type=int, default=16, help="candidates a scorer reorders (the card's first)")
    parser.add_argument("--classifier", action="store_true", help="measure a fitted reading instead (see above)")
    parser.add_argument("--when-again", action="store_true", help="decide the 'When' questions again (see above)")
    args = parser.parse_args()
    files = sorted((TRAINING / "questions").glob("*.jsonl"))
    if args.classifier:
        print("\n".join(classifier_report(files)))
        return 0
    pools = load_pools(args.index_root)
    if not pools:
        print(f"no pools in {args.index_root}: run scripts/pools.py first", file=sys.stderr)
        return 1
    if args.when_again:
        rows = zip(("as pooled", "decided again today"), when_again(pools, args.index_root, args.first),
                   strict=True)
        print("| reading | answerable 'When' questions | refused | fact in the top unit | "
              f"among the first {args.first} |")
        print("|---|---|---|---|---|")
        for label, o in rows:
            print(f"| {label} | {o.questions} | {o.refused} | {o.top} | {o.head} |")
        return 0
    t = tally(pools, helper_kinds(files), args.first)
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
