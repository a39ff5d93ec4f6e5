"""(d) of the answer scorer: a cross-encoder initialised from the packaged MiniLM's weights (its scoring head starts
untrained), trained listwise on the same candidate groups as the bi-encoder, and measured the same way.

    .venv/bin/python scripts/cross_encoder.py train --leave-out pydocs+wiki   # -> .cache/work/scorer/cross-pydocs+wiki
    .venv/bin/python scripts/cross_encoder.py report                          # hand order, (d) and (d) fused
    .venv/bin/python scripts/cross_encoder.py export --leave-out L --to DIR   # int8 ONNX, the form answering runs
    .venv/bin/python scripts/cross_encoder.py bench --to DIR --corpus pydocs  # warm ms for 40 candidates

Each question is read against each candidate as one pair ('question [SEP] unit read with its heading path'); a
group's logits go through the same listwise loss as scripts/train_scorer.py's bi-encoder. `report` scores every
corpus with the model whose training left it out, and fuses (d) with the hand order as (e) does.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

from rag.config import offline_environment
from rag.index.embedding import packaged_embedder_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pools import INDEX_ROOT, Pool, load_pools
from train_scorer import (
    CHECKPOINT,
    CHECKPOINT_EVERY,
    UNSEEN,
    WEIGHT_SETS,
    WEIGHTS,
    WORK,
    Group,
    cached_scores,
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
    signature,
    top1,
    trained,
    training_groups,
    without,
)

log = logging.getLogger("cross_encoder")
FROZEN_LAYERS = 2  # the embeddings and these lowest layers are not trained (two CPU cores)
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


def train(groups: list[Group], out: Path, left_out: set[str], trained_on: list[str], epochs: int = 1) -> None:
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
    plan = signature(groups, epochs, left_out)
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
        "epochs": epochs, "seed": SEED, "left_out": sorted(left_out), "trained_on": trained_on,
        "seconds": round(spent + time.perf_counter() - started), "signature": plan}, indent=1))
    checkpoint.unlink(missing_ok=True)


def scores(model_dir: Path, pools: list[Pool], cache: Path) -> list[np.ndarray]:
    """Per pool, the cross-encoder's score of each candidate (kept in ``cache`` with a digest of the pools, and
    computed again for other pools, as train_scorer.similarities does)."""
    import torch

    read = read_units(pools)
    digest = pools_digest(pools, read)
    if (kept := cached_scores(cache, digest)) is not None:
        return kept
    torch.set_num_threads(2)
    tokenizer, model = load(model_dir)
    model.eval()  # type: ignore[attr-defined]
    out, started = [], time.perf_counter()
    with torch.no_grad():
        for i, (p, texts) in enumerate(zip(pools, read, strict=True), 1):
            out.append(logits(tokenizer, model, p.question.query, texts).numpy().astype(np.float64))
            if i % 200 == 0:
                log.warning("%s: %d/%d pools (%.0f s)", cache.stem, i, len(pools), time.perf_counter() - started)
    keep_scores(cache, digest, out)
    return out


def report(pools: dict[str, list[Pool]], work: Path, sets: tuple[str, ...]) -> None:
    counted = {n: [p for p in scored(ps) if p.set in sets] for n, ps in pools.items()}
    counted = {n: ps for n, ps in counted.items() if ps}
    found = {}
    for name, ps in counted.items():
        model = model_leaving_out(work, name, "cross-", "config.json")
        if model is not None:
            found[name] = scores(model, ps, model / f"scores-{name}.pickle")

    def hits(w: float) -> int:
        return sum(top1([p for p in ps if p.set in WEIGHT_SETS],
                        [learned_order(p, x, w) for p, x in zip(ps, found[n], strict=True) if p.set in WEIGHT_SETS])
                   for n, ps in counted.items() if n in found)

    weight = max(WEIGHTS, key=hits)
    print(f"(d) fused weight chosen on the hand-written training and tuning pools: {weight}\n")
    print("| corpus | set | questions | fact in a candidate | (a) hand order | (d) cross-encoder, left out | "
          "(d) fused, left out |")
    print("|---|---|---|---|---|---|---|")
    for name, ps in counted.items():
        for label in sets:
            idx = [i for i, p in enumerate(ps) if p.set == label]
            if not idx or name not in found:
                continue
            q, s = [ps[i] for i in idx], [found[name][i] for i in idx]
            print(f"| {name} | {label} | {len(q)} | {sum(int(labels(p).any()) for p in q)} | "
                  f"{top1(q, [hand(p) for p in q])} | {top1(q, s)} | "
                  f"{top1(q, [learned_order(p, x, weight) for p, x in zip(q, s, strict=True)])} |", flush=True)


def export(model_dir: Path, target: Path) -> None:
    """The trained cross-encoder as int8 ONNX (per-channel MatMul and word-embedding weights, as the bi-encoder's
    export) beside its tokenizer: the form answering would run."""
    import os
    import tempfile
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tokenizer, model = load(model_dir)
    model.eval()  # type: ignore[attr-defined]
    target.mkdir(parents=True, exist_ok=True)
    names = ("input_ids", "attention_mask", "token_type_ids")
    example = tuple(torch.ones((2, 8), dtype=torch.int64) for _ in names)
    with tempfile.TemporaryDirectory(dir=target, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shapes; the axes below are dynamic
            torch.onnx.export(model, example, str(fp32), input_names=list(names), output_names=["logits"],
                              opset_version=17, dynamo=False,
                              dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}})
        int8 = Path(tmp) / "model-int8.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Gather"])
        os.replace(int8, target / "model.onnx")
    tokenizer.save_pretrained(str(target))  # type: ignore[attr-defined]
    log.warning("wrote %s (%.1f MB)", target, (target / "model.onnx").stat().st_size / 1e6)


def bench(target: Path, pools: list[Pool], candidates: int, repeats: int) -> None:
    """Warm time to score ``candidates`` units of one question with the int8 export: median and 90th percentile
    over ``repeats`` questions (tests/test_train_scorer.py checks the export's scores against the float model)."""
    import onnxruntime as ort
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(target), local_files_only=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(target / "model.onnx"), options, providers=["CPUExecutionProvider"])
    chosen = [p for p in pools if len(p.candidates) >= candidates][: repeats + 1]
    if len(chosen) < 2:
        raise SystemExit(f"fewer than two pools hold {candidates} candidates")
    times = []
    for p in chosen:
        texts = read_units([p])[0][:candidates]
        batch = tokenizer([p.question.query] * len(texts), texts, truncation="longest_first", max_length=MAX_TOKENS,
                          padding=True, return_tensors="np")
        started = time.perf_counter()
        session.run(None, {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids")})
        times.append(time.perf_counter() - started)
    warm = sorted(times[1:])  # the first run warms the session
    log.warning("%d candidates, %d questions: median %.0f ms, 90th percentile %.0f ms, %.1f MB", candidates,
                len(warm), 1000 * warm[len(warm) // 2], 1000 * warm[int(0.9 * (len(warm) - 1))],
                (target / "model.onnx").stat().st_size / 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("train", "report", "export", "bench"))
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
    parser.add_argument("--to", type=Path, help="export: the folder written; bench: the export timed")
    parser.add_argument("--candidates", type=int, default=40, help="bench: units scored per question")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    if args.action == "export":
        if args.to is None:
            parser.error("export needs --to")
        export(args.work / f"cross-{args.leave_out}", args.to)
        return 0
    pools = without(load_pools(args.index_root, args.corpus), args.without)
    if args.action == "train":
        leave_out = left_out_of(args.leave_out)
        groups = training_groups(pools, leave_out)
        trained_on = [n for n in pools if n not in leave_out]
        out = args.work / f"cross-{args.leave_out}"
        if trained(out, groups, args.epochs, leave_out, "config.json"):
            log.warning("%s is already trained on these %d groups: kept", out, len(groups))
            return 0
        log.warning("training on %d groups from %s", len(groups), ", ".join(trained_on))
        train(groups, out, leave_out, trained_on, args.epochs)
    elif args.action == "bench":
        if args.to is None:
            parser.error("bench needs --to (an export)")
        bench(args.to, [p for ps in pools.values() for p in ps], args.candidates, 30)
    else:
        report(pools, args.work, tuple(s for s in args.sets.split(",") if s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
