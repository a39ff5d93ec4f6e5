"""(d) of the answer scorer: a cross-encoder initialised from the packaged MiniLM's weights (its scoring head starts
untrained), trained listwise on the same candidate groups as the bi-encoder, and measured the same way.

    .venv/bin/python scripts/cross_encoder.py train --leave-out pydocs+wiki   # -> .cache/work/scorer/cross-pydocs+wiki
    .venv/bin/python scripts/cross_encoder.py report                          # hand order, (d) and (d) fused
    .venv/bin/python scripts/cross_encoder.py report --first 16               # reordering the first 16 only
    .venv/bin/python scripts/cross_encoder.py export --leave-out L --first 16 --to DIR   # a scorer folder
    .venv/bin/python scripts/cross_encoder.py export --leave-out L --first 16 --with-bi --to DIR   # (h)
    .venv/bin/python scripts/cross_encoder.py train --leave-out L --reads unit+before --work W   # and the sentence
                                                                   # before each unit (its own --work: see --reads)
    .venv/bin/python scripts/cross_encoder.py train --leave-out L --group 16 --work W  # each group the facts' units
                                                                   # and the hand order's best others, 16 in all

Each question is read against each candidate as one pair ('question [SEP] unit read with its heading path'); a
group's logits go through the same listwise loss as scripts/train_scorer.py's bi-encoder. `report` scores every
corpus with the model whose training left it out, fuses (d) with the hand order as (e) does, and stacks it with
the features as (f) does the bi-encoder: (g); when every corpus also has a bi-encoder that left it out
(scripts/train_scorer.py train --leave-out HALF, in the same --work), it adds (f) on the same pools and (h), one
stack over the features and both models' z-scores, and where (h)'s misses stand. `export` writes a folder
answering loads (RAG_SCORER=DIR) with (g) fitted on the hand-written pools of the corpora the model was trained
on, each scored by the half model that left it out; scripts/scorebench.py --scorer DIR times it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

from rag.answer.candidates import READS
from rag.answer.params import DEFAULTS
from rag.answer.rank import Ranker
from rag.answer.scorer import CROSS, readable
from rag.config import offline_environment
from rag.index.embedding import packaged_embedder_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pools import INDEX_ROOT, Pool, load_pools
from train_scorer import (
    CHECKPOINT,
    CHECKPOINT_EVERY,
    GROUP,
    UNSEEN,
    WEIGHT_SETS,
    WEIGHTS,
    WORK,
    Group,
    cached_scores,
    fit_stack,
    hand,
    keep_scores,
    labels,
    learned_order,
    left_out_of,
    model_leaving_out,
    pools_digest,
    read_units,
    resume,
    save_checkpoint,
    scored,
    share,
    shipped_int8,
    signature,
    similarities,
    stacked,
    top1,
    trained,
    training_groups,
    without,
)
from train_scorer import export as scorer_export

log = logging.getLogger("cross_encoder")
# The embeddings and these lowest layers are not trained: as the bi-encoder's (scripts/train_scorer.py), so a
# scorer folder holding both keeps them once (rag.index.embedding.share_weights: under the 30 MB models/ allows).
FROZEN_LAYERS = 3
RECIPE = {"frozen_layers": FROZEN_LAYERS}  # in the signature: a model of another recipe is trained again
MAX_TOKENS = 160  # question and unit together
QUESTIONS_PER_STEP = 4
LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 1e-3  # the new head learns from nothing
SEED = 0


def load(model_dir: Path) -> tuple[object, object]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), num_labels=1, local_files_only=True)
    return tokenizer, model


def logits(tokenizer: object, model: object, query: str, texts: list[str]) -> object:
    batch = tokenizer([query] * len(texts), texts, truncation="longest_first", max_length=MAX_TOKENS,  # type: ignore
                      padding=True, return_tensors="pt")
    return model(**batch).logits.squeeze(-1)  # type: ignore[operator]


def train(groups: list[Group], out: Path, left_out: set[str], trained_on: list[str], epochs: int = 1,
          reads: str = "unit") -> None:
    """Train (d) on ``groups`` into ``out``. Every CHECKPOINT_EVERY steps the state is saved to out/CHECKPOINT; a
    run killed midway resumes there when started again with the same data (as train_scorer.train does)."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    tokenizer, model = load(packaged_embedder_path())
    bert = model.bert  # type: ignore[attr-defined]
    for part in [bert.embeddings, *bert.encoder.layer[:FROZEN_LAYERS]]:
        for weight in part.parameters():
            weight.requires_grad = False
    head = [w for n, w in model.named_parameters() if w.requires_grad and not n.startswith("bert.")]  # type: ignore
    body = [w for n, w in model.named_parameters() if w.requires_grad and n.startswith("bert.")]  # type: ignore
    optimiser = torch.optim.AdamW([{"params": body, "lr": LEARNING_RATE},
                                   {"params": head, "lr": HEAD_LEARNING_RATE}])
    steps = epochs * math.ceil(len(groups) / QUESTIONS_PER_STEP)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup)))
    rng = random.Random(SEED)
    order = []
    for _ in range(epochs):  # each epoch its own shuffle, no batch across an epoch's end
        epoch = list(groups)
        rng.shuffle(epoch)
        order += [epoch[i : i + QUESTIONS_PER_STEP] for i in range(0, len(epoch), QUESTIONS_PER_STEP)]
    plan = signature(groups, epochs, left_out, **RECIPE)
    for stale in [*out.glob("scores-*.pickle"), out / "int8" / "model.onnx"]:  # of a model this one replaces
        stale.unlink(missing_ok=True)
    checkpoint = out / CHECKPOINT
    done, spent = resume(checkpoint, plan, model, optimiser, schedule)
    model.train()  # type: ignore[attr-defined]
    started = time.perf_counter()
    for step, batch in enumerate(order, 1):
        if step <= done:  # trained before the checkpoint
            continue
        loss = torch.zeros(())
        for g in batch:
            scores = logits(tokenizer, model, g.query, list(g.texts))
            target = torch.tensor(g.labels, dtype=torch.bool)
            loss = loss + torch.logsumexp(scores, 0) - torch.logsumexp(scores[target], 0)
        loss = loss / len(batch)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # type: ignore[attr-defined]
        optimiser.step()
        schedule.step()
        if step % 10 == 0 or step == steps:
            rate = (time.perf_counter() - started) / (step - done)
            log.warning("step %d/%d loss %.3f (%.1f s/step, %.0f s left)", step, steps, float(loss.detach()), rate,
                        rate * (steps - step))
        if step % CHECKPOINT_EVERY == 0 and step < steps:
            save_checkpoint(checkpoint, plan, step, spent + time.perf_counter() - started, model, optimiser,
                            schedule)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))  # type: ignore[attr-defined]
    tokenizer.save_pretrained(str(out))  # type: ignore[attr-defined]
    (out / "training.json").write_text(json.dumps({
        "groups": len(groups), "frozen_layers": FROZEN_LAYERS, "max_tokens": MAX_TOKENS, "learning_rate":
        LEARNING_RATE, "head_learning_rate": HEAD_LEARNING_RATE, "questions_per_step": QUESTIONS_PER_STEP,
        "epochs": epochs, "seed": SEED, "left_out": sorted(left_out), "trained_on": trained_on, "reads": reads,
        "seconds": round(spent + time.perf_counter() - started), "signature": plan}, indent=1))
    checkpoint.unlink(missing_ok=True)


def scores(model_dir: Path, pools: list[Pool], cache: Path, reads: str = "unit") -> list[np.ndarray]:
    """Per pool, the cross-encoder's score of each candidate by its int8 export, as answering computes it
    (rag.answer.pairs), kept in ``cache`` with a digest of the pools and computed again for other pools (as
    train_scorer.similarities does)."""
    from rag.answer.pairs import OnnxCrossEncoder

    read = read_units(pools, reads)
    digest = pools_digest(pools, read)
    if (kept := cached_scores(cache, digest)) is not None:
        return kept
    model = OnnxCrossEncoder(shipped_int8(model_dir, pairs=True), MAX_TOKENS)
    out, started = [], time.perf_counter()
    for i, (p, texts) in enumerate(zip(pools, read, strict=True), 1):
        out.append(model.scores(p.question.query, texts))
        if i % 500 == 0:
            log.warning("%s: %d/%d pools (%.0f s)", cache.stem, i, len(pools), time.perf_counter() - started)
    keep_scores(cache, digest, out)
    return out


def suffix(n: int | None) -> str:
    return "" if n is None else f"-first{n}"


def first(pools: list[Pool], n: int | None) -> list[Pool]:
    """The pools with only the hand order's first ``n`` candidates (all when None): what answering would let the
    cross-encoder reorder, at a fraction of the time (docs/quality.md)."""
    return pools if n is None else [dataclasses.replace(p, candidates=p.candidates[:n]) for p in pools]


def counted_pools(pools: dict[str, list[Pool]], sets: tuple[str, ...], n: int | None) -> dict[str, list[Pool]]:
    """Per corpus with any, its answerable pools of ``sets`` with the hand order's first ``n`` candidates: what the
    top-unit figures count and the models reorder."""
    counted = {name: first([p for p in scored(ps) if p.set in sets], n) for name, ps in pools.items()}
    return {name: ps for name, ps in counted.items() if ps}


def stacked_order(stack: Ranker, pool: Pool, x: np.ndarray, bi: np.ndarray | None = None) -> np.ndarray:
    """(g) as answering orders (rag.answer.scorer.LearnedScorer.order with the card's "unreadable": "hand"): the
    stack's score, or the hand order for a question the model cannot read; with ``bi``, (h)."""
    if not readable(share(pool.question.query), DEFAULTS.scorer_min_share):
        return hand(pool)
    return stack.score(stacked(pool, x, bi))


def bi_scores(counted: dict[str, list[Pool]], work: Path, suffix: str) -> dict[str, list[np.ndarray]]:
    """Per corpus, its pools' similarities by the bi-encoder (train_scorer.py train) whose training left it out
    (cached beside the model); empty unless every corpus has one."""
    found = {}
    for name, ps in counted.items():
        model = model_leaving_out(work, name)
        if model is None:
            return {}
        found[name] = similarities(model, ps, model / f"sims-{name}{suffix}.pickle")
    return found


def report(pools: dict[str, list[Pool]], work: Path, sets: tuple[str, ...], n: int | None = None) -> None:
    """Per corpus and set, fact in the top unit by (a) the hand order, (d) the cross-encoder that left the corpus
    out, (d) fused with (a), and (g) the stacked ranker over the features, (a)'s and (d)'s z-scores, fitted on the
    hand-written pools of the other corpora (train_scorer.fit_stack, as (f) is with the bi-encoder); with the
    bi-encoders, (f) and (h), and where (h)'s misses stand (where_missed)."""
    counted = counted_pools(pools, sets, n)
    found = loco_scores(counted, work, suffix(n))

    def hits(w: float) -> int:
        return sum(top1([p for p in ps if p.set in WEIGHT_SETS],
                        [learned_order(p, x, w) for p, x in zip(ps, found[c], strict=True) if p.set in WEIGHT_SETS])
                   for c, ps in counted.items() if c in found)

    weight = max(WEIGHTS, key=hits)
    print(f"(d) fused weight chosen on the hand-written training and tuning pools: {weight}; candidates: "
          f"{'all' if n is None else f'the hand order first {n}'}\n")
    found_counted = {name: ps for name, ps in counted.items() if name in found}
    bi = bi_scores(found_counted, work, suffix(n))
    extra = " (f) bi-encoder stacked, left out | (h) both stacked, left out |" if bi else ""
    print("| corpus | set | questions | fact in a candidate | (a) hand order | (d) cross-encoder, left out | "
          f"(d) fused, left out | (g) stacked, left out |{extra}")
    print("|---|---|---|---|---|---|---|---|" + "---|---|" * bool(bi))
    misses: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    for name, ps in found_counted.items():
        stack = fit_stack(found_counted, found, {name})
        stacks = (fit_stack(found_counted, bi, {name}), fit_stack(found_counted, found, {name}, bi)) if bi else ()
        for label in sets:
            idx = [i for i, p in enumerate(ps) if p.set == label]
            if not idx:
                continue
            q, s = [ps[i] for i in idx], [found[name][i] for i in idx]
            row = (f"| {name} | {label} | {len(q)} | {sum(int(labels(p).any()) for p in q)} | "
                   f"{top1(q, [hand(p) for p in q])} | {top1(q, s)} | "
                   f"{top1(q, [learned_order(p, x, weight) for p, x in zip(q, s, strict=True)])} | "
                   f"{top1(q, [stacked_order(stack, p, x) for p, x in zip(q, s, strict=True)])} |")
            if bi:
                b = [bi[name][i] for i in idx]
                f = [stacked_order(stacks[0], p, x) for p, x in zip(q, b, strict=True)]
                h = [stacked_order(stacks[1], p, x, y) for p, x, y in zip(q, s, b, strict=True)]
                row += f" {top1(q, f)} | {top1(q, h)} |"
                misses[(name, label)] = where_missed(q, h)
            print(row, flush=True)
    if misses:
        print("\n(h)'s misses (the fact in a candidate, not in its top unit): where the unit holding the fact stands\n")
        print("| corpus | set | misses | the unit just before or after the top unit | within 400 characters of it "
              "| under the same heading path, same file |")
        print("|---|---|---|---|---|---|")
        for (name, label), m in misses.items():
            print(f"| {name} | {label} | {' | '.join(str(x) for x in m)} |")


def loco_orders(pools: dict[str, list[Pool]], work: Path, sets: tuple[str, ...],
                n: int | None = None) -> dict[str, list[tuple[Pool, np.ndarray]]]:
    """Per corpus, each answerable pool of ``sets`` (the hand order's first ``n`` candidates) with (h)'s order by the
    models and the stack that left its corpus out, as `report` counts them; empty unless each corpus has both models
    left out in ``work``."""
    counted = counted_pools(pools, sets, n)
    found = loco_scores(counted, work, suffix(n))
    counted = {name: ps for name, ps in counted.items() if name in found}
    bi = bi_scores(counted, work, suffix(n))
    out = {}
    for name, ps in counted.items() if bi else ():
        stack = fit_stack(counted, found, {name}, bi)
        out[name] = [(p, stacked_order(stack, p, x, y)) for p, x, y in zip(ps, found[name], bi[name], strict=True)]
    return out


def where_missed(pools: list[Pool], orders: list[np.ndarray], near: int = 400) -> tuple[int, int, int, int]:
    """Of the questions whose fact is in a candidate but not in the top unit of ``orders``: how many, and how many
    of those have it in a unit right before or after the top unit, within ``near`` characters of it, and under
    its heading path in its file (a wrong choice within the right section, not a wrong section)."""
    missed = adjacent = close = section = 0
    for p, order in zip(pools, orders, strict=True):
        held = labels(p)
        top = int(np.argmax(order))
        if not held.any() or held[top]:
            continue
        a = p.candidates[top].passage
        right = [p.candidates[i].passage for i in np.flatnonzero(held) if p.candidates[i].passage.source == a.source]
        missed += 1
        adjacent += any(0 <= r.start - a.end <= 4 or 0 <= a.start - r.end <= 4 for r in right)
        close += any(abs(r.start - a.start) <= near for r in right)
        section += any(r.path == a.path for r in right)
    return missed, adjacent, close, section


def export(model_dir: Path, target: Path, first: int | None, stack: Ranker | None, bi: Path | None = None) -> None:
    """The trained cross-encoder as answering loads it (train_scorer.export, kind "cross-encoder"): int8 ONNX
    (per-channel MatMul and word-embedding weights), its tokenizer, and the card naming how many of the hand
    order's candidates it reorders and the stacked ranker that orders them: (g), or with ``bi`` (a trained
    bi-encoder folder, exported beside it, the weights both keep from MiniLM stored once) (h). Time it with
    scripts/scorebench.py."""
    scorer_export(model_dir, 1.0, target, stack, kind=CROSS, first=first, unreadable_by_hand=True,
                  reads=reads_of(model_dir), **({"bi": bi} if bi else {}))


def reads_of(model_dir: Path) -> str:
    """What a trained cross-encoder reads of a candidate (its training.json; "unit" for one trained before the
    choice existed)."""
    return str(json.loads((model_dir / "training.json").read_text(encoding="utf-8")).get("reads", "unit"))


def loco_scores(counted: dict[str, list[Pool]], work: Path, suffix: str) -> dict[str, list[np.ndarray]]:
    """Per corpus, its pools' scores by the cross-encoder whose training left it out (cached beside the model),
    each candidate read as that model was trained to read it."""
    found = {}
    for name, ps in counted.items():
        model = model_leaving_out(work, name, "cross-", "config.json")
        if model is not None:
            found[name] = scores(model, ps, model / f"scores-{name}{suffix}.pickle", reads_of(model))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("train", "report", "export"))
    parser.add_argument("--leave-out", default="none", help="corpora left out of training, joined by '+'")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT)
    parser.add_argument("--sets", default="training,structure,tuning,held-out",
                        help="report: the question sets scored (comma list; a set --without renamed ends in "
                             f"'{UNSEEN}')")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--corpus", action="append", help="read only these corpora's pools (default: all)")
    parser.add_argument("--without", action="append", default=[], choices=("structure", "generated"),
                        help="leave a set of training questions out of training (as train_scorer.py does)")
    parser.add_argument("--to", type=Path, help="export: the scorer folder written (RAG_SCORER=DIR loads it)")
    parser.add_argument("--with-bi", action="store_true",
                        help="export: (h), with the bi-encoder of the same --leave-out (train_scorer.py train, in "
                             "--work) beside the cross-encoder")
    parser.add_argument("--reads", choices=READS, default="unit",
                        help="train: what the model reads of a candidate (rag.answer.candidates.READS); a model "
                             "of each kind in its own --work, as report and export find models by name there")
    parser.add_argument("--group", type=int, default=GROUP,
                        help=f"train: units per candidate group, the facts' units first, then the hand order's "
                             f"best others (default {GROUP}); a model of another size in its own --work")
    parser.add_argument("--first", type=int,
                        help="report, export: reorder only the hand order's first N candidates (default all)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    if args.action == "export" and args.to is None:
        parser.error("export needs --to")
    pools = without(load_pools(args.index_root, args.corpus), args.without)
    if args.action == "train":
        leave_out = left_out_of(args.leave_out)
        groups = training_groups(pools, leave_out, args.reads, args.group)
        trained_on = [n for n in pools if n not in leave_out]
        out = args.work / f"cross-{args.leave_out}"
        if trained(out, groups, args.epochs, leave_out, "config.json", **RECIPE):
            log.warning("%s is already trained on these %d groups: kept", out, len(groups))
            return 0
        log.warning("training on %d groups from %s", len(groups), ", ".join(trained_on))
        train(groups, out, leave_out, trained_on, args.epochs, args.reads)
    elif args.action == "export":  # the stack, fitted on the pools of the corpora the model was trained on
        sets = tuple(s for s in args.sets.split(",") if s)  # as report scored them: its cached scores serve
        counted = counted_pools(pools, sets, args.first)
        found = loco_scores(counted, args.work, suffix(args.first))
        missing = sorted(set(counted) - set(found))
        if missing:
            parser.error(f"no cross-encoder in {args.work} left {', '.join(missing)} out: train the halves first")
        bi = args.work / f"loco-{args.leave_out}"
        if not args.with_bi:
            export(args.work / f"cross-{args.leave_out}", args.to, args.first,
                   fit_stack(counted, found, left_out_of(args.leave_out)))
        elif not (bi / "modules.json").is_file():
            parser.error(f"no bi-encoder {bi}: train it first (train_scorer.py train --leave-out {args.leave_out})")
        elif not (sims := bi_scores(counted, args.work, suffix(args.first))):
            parser.error(f"a bi-encoder in {args.work} must leave out each corpus: train the halves first")
        else:
            export(args.work / f"cross-{args.leave_out}", args.to, args.first,
                   fit_stack(counted, found, left_out_of(args.leave_out), sims), bi)
    else:
        report(pools, args.work, tuple(s for s in args.sets.split(",") if s), args.first)
    return 0


if __name__ == "__main__":
    sys.exit(main())
