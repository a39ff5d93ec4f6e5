"""The answer scorer: fit the ranker that orders candidates (models/ranker.json), and measure the alternatives.

    PYTHONHASHSEED=0 .venv/bin/python scripts/pools.py                 # decide every question once (resumable)
    .venv/bin/python scripts/train_scorer.py ranker                     # fit (b) on all pools -> models/ranker.json
    .venv/bin/python scripts/train_scorer.py train --leave-out pydocs   # a bi-encoder (c) without pydocs ('none': all)
    .venv/bin/python scripts/train_scorer.py report                     # the corpus x set table
    .venv/bin/python scripts/train_scorer.py export --weight W          # loco-none -> models/scorer (int8 ONNX)

Training data: the pools of the training questions (training/questions, written by hand; training/structure,
made from document structure by training/structure_questions.py; training/generated, written by Gemma,
training/gemma_questions.py; --without SET leaves a set out) and of the tuning sets, never of a held-out set.
Each answerable question whose candidates hold the facts in some unit is counted; a unit is labelled by whether,
as shown, it holds every fact.

(b), the one answering uses: a pairwise logistic ranker over the candidate table's features
(rag.answer.rank.FEATURES, scripts/fit_ranker.py's fit): within each question, every unit holding the facts
against every one that does not.

(c), measured: the packaged all-MiniLM-L6-v2 fine-tuned listwise on candidate groups (the question against up to
GROUP units, each read with its heading path, rag.answer.candidates.read_text; softmax over cosine similarities
times SCALE, minus the log of the probability mass on the units holding the facts); (e) is the hand order fused
with it (z-scores within the question's candidates, the bi-encoder's weighed by a weight chosen on the training
and tuning pools of the left-out corpora).

(f), measured: a pairwise logistic ranker like (b) over the features and two more columns, the hand order's and the
bi-encoder's z-scores among the question's candidates (rag.answer.rank.stacked_rows), fitted on the hand-written
training and tuning pools, each pool's similarity by the bi-encoder that left its corpus out; `export --stack`
puts it in the scorer's card, and answering then orders by it (rag.answer.scorer.LearnedScorer.order).

`report` prints, per corpus and set, the questions whose facts are in some candidate and the facts in the top unit
by (a) the hand order, (b), (c), (e) and (f), each fitted one in-corpus (on all corpora; for (c) and (e) only the
held-out rows, since it was trained on the others) and leave-one-corpus-out (fitted without the corpus; the
bi-encoder from --work/loco-NAME).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import logging
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

from rag.answer.candidates import model_text
from rag.answer.params import DEFAULTS
from rag.answer.rank import FEATURES, STACKED, STACKED_WITH_BI, Ranker, fused, stacked_rows
from rag.answer.scorer import EXPORT_OPS, fusion_weight, question_share, readable, save_scorer
from rag.config import PROJECT_ROOT, offline_environment
from rag.evaluation import unit_holds
from rag.index.embedding import SentenceTransformerEmbedder, packaged_embedder_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import WORK_ROOT
from pools import DOCS, INDEX_ROOT, Pool, load_pools

log = logging.getLogger("train_scorer")
WORK = WORK_ROOT / "scorer"
SCALE = 20.0  # cosine similarities times this are the listwise logits
GROUP = 8  # units per group: every unit holding the facts (up to MAX_POSITIVES), then the best-ordered others
MAX_POSITIVES = 3
QUESTIONS_PER_STEP = 4
LEARNING_RATE = 3e-5
FROZEN_LAYERS = 3  # of MiniLM-L6's six: the embeddings and these lowest layers are not trained
MAX_TOKENS = 128
SEED = 0
TRAIN_SETS = ("training", "structure", "generated", "tuning")  # never "held-out"
WEIGHT_SETS = ("training", "tuning")  # the hand-written ones: what the fusion weight is chosen on
UNSEEN = ", not trained on"  # a set left out by --without is still scored


@dataclasses.dataclass(frozen=True)
class Group:
    query: str
    texts: tuple[str, ...]
    labels: tuple[int, ...]


def without(pools: dict[str, list[Pool]], sets: list[str]) -> dict[str, list[Pool]]:
    """The pools with ``sets`` renamed out of TRAIN_SETS: kept to be scored, as test sets none of the fits saw."""
    if not sets:
        return pools
    return {name: [dataclasses.replace(p, set=f"{p.set}{UNSEEN}") if p.set in sets else p for p in ps]
            for name, ps in pools.items()}


def labels(pool: Pool) -> np.ndarray:
    return np.asarray([unit_holds(c, list(pool.facts)) for c in pool.candidates], dtype=int)


def group_of(pool: Pool, reads: str = "unit", size: int = GROUP) -> Group | None:
    """The training group of one pool, or None when it teaches nothing (no unit, or every unit, holds the facts);
    each unit as a model reading ``reads`` reads it (rag.answer.candidates.model_text); ``size`` units at most."""
    if not pool.answerable or pool.refusal is not None or not pool.candidates:
        return None
    y = labels(pool)
    if not y.any() or y.all():
        return None
    pos = [i for i in range(len(y)) if y[i]][:MAX_POSITIVES]
    neg = [i for i in range(len(y)) if not y[i]][: size - len(pos)]
    keep = pos + neg
    return Group(pool.question.query, tuple(model_text(pool.candidates[i], reads) for i in keep),
                 tuple(int(y[i]) for i in keep))


def training_groups(pools: dict[str, list[Pool]], leave_out: set[str], reads: str = "unit",
                    size: int = GROUP) -> list[Group]:
    return [g for name, ps in pools.items() if name not in leave_out for p in ps if p.set in TRAIN_SETS
            if (g := group_of(p, reads, size)) is not None]


def frozen_below(model: object, layers: int) -> None:
    """Train only the transformer layers from ``layers`` up (and not the embeddings): half the backward pass on
    two CPU cores, and the lower layers keep what the packaged model learnt of language."""
    bert = model[0].auto_model  # type: ignore[index]
    for part in [bert.embeddings, *bert.encoder.layer[:layers]]:
        for weight in part.parameters():
            weight.requires_grad = False


CHECKPOINT = "checkpoint.pt"  # in the output folder while training runs; removed when the model is saved
CHECKPOINT_EVERY = 50  # steps (about 3 minutes here)


def signature(groups: list[Group], epochs: int, left_out: set[str], **recipe: object) -> dict:
    """What a checkpoint or a finished model must match to be resumed or kept: the same training data and plan
    (``recipe``: what else a kind of model names, as the cross-encoder its frozen layers)."""
    digest = hashlib.sha256(json.dumps([dataclasses.astuple(g) for g in groups]).encode()).hexdigest()
    return {"groups": len(groups), "data": digest, "epochs": epochs, "left_out": sorted(left_out), **recipe}


def trained(out: Path, groups: list[Group], epochs: int, left_out: set[str], marker: str = "modules.json",
            **recipe: object) -> bool:
    """Whether ``out`` already holds the model this training would make (`make scorer` run again skips it);
    ``marker`` is a file every saved model of its kind has."""
    path = out / "training.json"
    if not path.is_file() or not (out / marker).is_file():
        return False
    done = json.loads(path.read_text(encoding="utf-8")).get("signature")
    return done == signature(groups, epochs, left_out, **recipe)


def resume(checkpoint: Path, plan: dict, model: object, optimiser: object, schedule: object) -> tuple[int, float]:
    """The step and seconds a killed training reached, its model, optimiser, schedule and random state restored
    from ``checkpoint``; (0, 0.0) when there is none or it was made for other data (``plan``: signature())."""
    import torch

    if not checkpoint.is_file():
        return 0, 0.0
    state = torch.load(checkpoint, weights_only=False)
    if state["signature"] != plan:
        log.warning("%s was made for other training data: starting again", checkpoint)
        return 0, 0.0
    model.load_state_dict(state["model"])  # type: ignore[attr-defined]
    optimiser.load_state_dict(state["optimiser"])  # type: ignore[attr-defined]
    schedule.load_state_dict(state["schedule"])  # type: ignore[attr-defined]
    torch.set_rng_state(state["torch_rng"])
    log.warning("resuming %s at step %d", checkpoint.parent, state["step"])
    return state["step"], state["seconds"]


def save_checkpoint(checkpoint: Path, plan: dict, step: int, seconds: float, model: object, optimiser: object,
                    schedule: object) -> None:
    """What resume() restores, written atomically: a kill leaves the last whole checkpoint."""
    import torch

    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    partial = checkpoint.with_suffix(".partial")
    torch.save({"signature": plan, "step": step, "seconds": seconds, "model": model.state_dict(),  # type: ignore
                "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),  # type: ignore
                "torch_rng": torch.get_rng_state()}, partial)
    partial.replace(checkpoint)


def train(groups: list[Group], out: Path, epochs: int, left_out: set[str], trained_on: list[str]) -> None:
    """Fine-tune the packaged MiniLM listwise on ``groups`` into ``out``. Every CHECKPOINT_EVERY steps the state
    is saved to out/CHECKPOINT; a run killed midway resumes there when started again with the same data."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    model = SentenceTransformer(str(packaged_embedder_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    frozen_below(model, FROZEN_LAYERS)
    model.train()
    optimiser = torch.optim.AdamW([w for w in model.parameters() if w.requires_grad], lr=LEARNING_RATE)
    steps = epochs * math.ceil(len(groups) / QUESTIONS_PER_STEP)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup)))
    plan = signature(groups, epochs, left_out)
    for stale in [*out.glob("sims-*.pickle"), out / "int8" / "model.onnx"]:  # of a model this one replaces
        stale.unlink(missing_ok=True)
    checkpoint = out / CHECKPOINT
    step, spent = resume(checkpoint, plan, model, optimiser, schedule)
    rng = random.Random(SEED)
    seen, resumed, started = 0, step, time.perf_counter()
    for epoch in range(epochs):
        order = list(groups)
        rng.shuffle(order)
        for start in range(0, len(order), QUESTIONS_PER_STEP):
            seen += 1
            if seen <= step:  # trained before the checkpoint
                continue
            batch = order[start : start + QUESTIONS_PER_STEP]
            texts = [g.query for g in batch] + [t for g in batch for t in g.texts]
            vectors = model(model.preprocess(texts))["sentence_embedding"]
            queries, units = vectors[: len(batch)], vectors[len(batch) :]
            loss = torch.zeros(())
            at = 0
            for qi, g in enumerate(batch):
                logits = SCALE * (units[at : at + len(g.texts)] @ queries[qi])
                at += len(g.texts)
                target = torch.tensor(g.labels, dtype=torch.bool)
                loss = loss + torch.logsumexp(logits, 0) - torch.logsumexp(logits[target], 0)
            loss = loss / len(batch)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            elapsed = spent + time.perf_counter() - started
            if step % 5 == 0 or step == steps:
                rate = (time.perf_counter() - started) / (step - resumed)
                log.warning("epoch %d step %d/%d loss %.3f (%.1f s/step, %.0f s left)", epoch + 1, step, steps,
                            float(loss.detach()), rate, rate * (steps - step))
            if step % CHECKPOINT_EVERY == 0 and step < steps:
                save_checkpoint(checkpoint, plan, step, elapsed, model, optimiser, schedule)
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    (out / "training.json").write_text(json.dumps({
        "groups": len(groups), "epochs": epochs, "scale": SCALE, "group": GROUP, "questions_per_step":
        QUESTIONS_PER_STEP, "learning_rate": LEARNING_RATE, "max_tokens": MAX_TOKENS, "seed": SEED,
        "frozen_layers": FROZEN_LAYERS, "left_out": sorted(left_out), "trained_on": trained_on,
        "seconds": round(spent + time.perf_counter() - started), "signature": plan}, indent=1))
    checkpoint.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------- measuring


def read_units(pools: list[Pool], reads: str = "unit") -> list[list[str]]:
    """Each pool's candidates as a learned model reading ``reads`` scores them (read with their heading paths)."""
    return [[model_text(c, reads) for c in p.candidates] for p in pools]


def pools_digest(pools: list[Pool], read: list[list[str]], how: str = "") -> str:
    """What a cache of per-candidate scores was computed for: the questions and the units, in order, and ``how``
    (the model's export, when the scores depend on which)."""
    return hashlib.sha256(json.dumps([[p.question.query, units] for p, units in zip(pools, read, strict=True)]
                                     + ([how] if how else [])).encode()).hexdigest()


def cached_scores(cache: Path | None, digest: str) -> list[np.ndarray] | None:
    """Per-candidate scores kept in ``cache`` for the pools of ``digest``; None when absent or for other pools."""
    import pickle

    if cache is None or not cache.is_file():
        return None
    kept = pickle.loads(cache.read_bytes())
    if isinstance(kept, dict) and kept.get("digest") == digest:
        return kept["scores"]
    log.warning("%s holds the scores of other pools: computed again", cache)
    return None


def keep_scores(cache: Path | None, digest: str, scores: list[np.ndarray]) -> None:
    import pickle

    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps({"digest": digest, "scores": scores}))


# How a trained bi-encoder is exported where answering runs it (rag.answer.scorer.EXPORT_OPS). The similarities a
# stack is fitted on come from the same export: quantising the word embeddings too moves a cosine by up to 0.09
# (a text's vector by the two exports: cosine 0.992), and the two exports put another unit first for 11 of 120
# pydocs questions (docs/quality.md).
SHIPPED_EXPORT = f"int8 {'+'.join(EXPORT_OPS)}"


def shipped_int8(model_dir: Path, pairs: bool = False) -> Path:
    """A trained model's int8 export as a scorer folder ships it, beside it in model_dir/int8 (made once; train()
    deletes it when the model is retrained): what its similarities, or with ``pairs`` (a cross-encoder) its scores,
    are measured with, and what answering runs."""
    from rag.answer.scorer import SHIPPED_FILES
    from rag.index.embedding import export_onnx_int8

    target = model_dir / "int8"
    if not (target / "model.onnx").is_file():
        export_onnx_int8(model_dir, target / "model.onnx", ops=EXPORT_OPS, pairs=pairs)
    for name in ("tokenizer.json",) if pairs else SHIPPED_FILES:
        if not (target / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes((model_dir / name).read_bytes())
    return target


def similarities(model_dir: Path | None, pools: list[Pool], cache: Path | None = None) -> list[np.ndarray]:
    """Per pool, the cosine similarity of the question to each candidate read with its path, as answering computes
    it: by a trained model's int8 export as a scorer folder ships it (shipped_int8: word embeddings quantised too),
    or with ``model_dir`` None by the packaged embedder as the index runs it (rag.index.embedding
    .OnnxInt8Embedder); each distinct text embedded once; kept in ``cache`` with a digest of what was embedded and
    how, and computed again when the pools are not those (a set added or decided again). A model folder's caches
    and export are stale once it is retrained: train() deletes them."""
    from rag.index.embedding import OnnxFolderEmbedder, OnnxInt8Embedder

    read = read_units(pools)
    digest = pools_digest(pools, read, "" if model_dir is None else SHIPPED_EXPORT)
    if (kept := cached_scores(cache, digest)) is not None:
        return kept

    model = (OnnxInt8Embedder(WORK / "onnx", packaged_embedder_path()) if model_dir is None
             else OnnxFolderEmbedder(shipped_int8(model_dir)))
    texts = sorted({p.question.query for p in pools} | {t for units in read for t in units})
    log.warning("embedding %d distinct texts of %d pools with %s", len(texts), len(pools), model.name)
    vectors = dict(zip(texts, model.embed(texts), strict=True))
    out = [np.asarray([vectors[t] for t in units]).reshape(-1, model.dimension) @ vectors[p.question.query]
           for p, units in zip(pools, read, strict=True)]
    keep_scores(cache, digest, out)
    return out


WEIGHTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)  # bi-encoder weight grid, chosen on training pools


def feature_table(pool: Pool) -> np.ndarray:
    return np.asarray([c.features for c in pool.candidates], dtype=np.float64).reshape(-1, len(FEATURES))


def scored(pools: list[Pool]) -> list[Pool]:
    """The answerable pools with candidates (refused or not, as `rag eval`'s stage table counts them): those the
    top-unit figures count."""
    return [p for p in pools if p.answerable and p.candidates]


def hand(pool: Pool) -> np.ndarray:
    return np.asarray([c.order for c in pool.candidates])


def top1(pools: list[Pool], orders: list[np.ndarray]) -> int:
    """Questions whose top unit, by the given orders, holds the facts."""
    return sum(int(labels(p)[int(np.argmax(o))]) for p, o in zip(pools, orders, strict=True))


@functools.cache
def share(query: str) -> float:
    """The share of the question's words MiniLM's vocabulary holds whole (none for a question mostly in other
    letters than Latin): the learned weight is scaled by it (and is none below AnswerParams.scorer_min_share), as
    answering does (rag.answer.scorer.question_share, fusion_weight)."""
    return question_share(SentenceTransformerEmbedder().model_dir, query, DEFAULTS)


def learned_order(pool: Pool, sims: np.ndarray, weight: float) -> np.ndarray:
    """(e): the hand order fused with the learned similarity, as rag.answer.scorer.LearnedScorer.order does."""
    return fused(hand(pool), sims, fusion_weight(weight, share(pool.question.query), DEFAULTS.scorer_min_share))


def stacked(pool: Pool, sims: np.ndarray, bi: np.ndarray | None = None) -> np.ndarray:
    """(f)'s rows for one pool, as rag.answer.scorer.LearnedScorer.order builds them: the features, the hand order's
    z-scores and the learned similarity's (none for a question the model cannot read); with ``bi``, (h)'s: a
    bi-encoder's z-scores after a cross-encoder's (STACKED_WITH_BI)."""
    return stacked_rows(feature_table(pool), hand(pool), sims,
                        float(readable(share(pool.question.query), DEFAULTS.scorer_min_share)),
                        *([] if bi is None else [bi]))


def fit_stack(counted: dict[str, list[Pool]], sims: dict[str, list[np.ndarray | None]], leave_out: set[str],
              bi: dict[str, list[np.ndarray]] | None = None) -> Ranker:
    """(f): the pairwise logistic ranker over the features and both z-scores, fitted on the hand-written training
    and tuning pools (WEIGHT_SETS) of the corpora not in ``leave_out``, each pool's similarity by the model that
    left its corpus out, so the fit learns how far a similarity on unseen questions is to be trusted. With ``bi``
    (a bi-encoder's similarities beside a cross-encoder's ``sims``, each by the model that left the corpus out),
    (h), over STACKED_WITH_BI."""
    from fit_ranker import fit as fit_pairwise

    groups = [(stacked(p, s, None if bi is None else bi[name][i]), labels(p), None)
              for name, ps in counted.items() if name not in leave_out
              for i, (p, s) in enumerate(zip(ps, sims.get(name, []), strict=False))
              if s is not None and p.set in WEIGHT_SETS]
    ranker = fit_pairwise(groups)
    return dataclasses.replace(ranker, names=STACKED if bi is None else STACKED_WITH_BI,
                               fitted_on=f"hand-written training and tuning pools of {len(groups)} questions")


def choose_weight(counted: dict[str, list[Pool]], sims: dict[str, list[np.ndarray]]) -> float:
    """The learned_weight with the most facts in the top unit over the hand-written training and tuning pools of
    every corpus, each scored by the model that left it out (the held-out sets play no part; on a tie, the
    smallest). Not the structure and Gemma questions: they outnumber the hand-written ones two to one, are made
    from templates, and pull the weight up (1.5 with them, where the hand-written questions lose; docs/quality.md)."""
    def hits(w: float) -> int:
        total = 0
        for name, ps in counted.items():
            idx = [i for i, p in enumerate(ps) if p.set in WEIGHT_SETS]
            total += top1([ps[i] for i in idx], [learned_order(ps[i], sims[name][i], w) for i in idx])
        return total

    return max(WEIGHTS, key=hits)


def report(pools: dict[str, list[Pool]], work: Path, names: list[str], packaged: bool = False,
           encoders: bool = True) -> None:
    counted = {name: scored(ps) for name, ps in pools.items()}
    ranker_all = fit_ranker(pools, set())
    everything = work / "loco-none"
    sims: dict[str, dict[str, list[np.ndarray | None]]] = {"packaged": {}, "all": {}, "loco": {}}
    for name in names if encoders else []:
        ps = counted[name]
        if packaged:
            sims["packaged"][name] = similarities(None, ps, work / "sims" / f"packaged-{name}.pickle")
        if (everything / "modules.json").is_file():  # trained on the training and tuning pools (not a training
            # run's checkpoint): scored on the others only
            shown = [i for i, p in enumerate(ps) if p.set not in TRAIN_SETS]
            found = similarities(everything, [ps[i] for i in shown], everything / f"sims-{name}-held-out.pickle")
            sims["all"][name] = [None] * len(ps)
            for i, x in zip(shown, found, strict=True):
                sims["all"][name][i] = x
        loco = model_leaving_out(work, name)
        if loco is not None:
            log.warning("%s: scored by %s", name, loco.name)
            sims["loco"][name] = similarities(loco, ps, loco / f"sims-{name}.pickle")
    weight = {key: choose_weight({n: counted[n] for n in found}, found) for key, found in sims.items()
              if found and key != "all"}
    weight["all"] = weight.get("loco", 1.0)  # the in-corpus model is fused with the weight chosen left out
    print(f"learned_weight chosen on the training and tuning pools: {weight}\n")
    print("| corpus | set | questions | fact in a candidate | (a) hand order | (b) features, in-corpus | "
          "(b) left out | (c) bi-encoder, in-corpus | (c) left out | (e) fused, in-corpus | (e) left out | "
          "(f) stacked, left out | packaged MiniLM alone | hand + packaged |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        ranker_loco = fit_ranker(pools, {name})
        stack_loco = fit_stack(counted, sims["loco"], {name}) if name in sims["loco"] else None
        for label in ("training", "structure", "generated", "tuning", "held-out", f"structure{UNSEEN}",
                      f"generated{UNSEEN}"):
            idx = [i for i, p in enumerate(counted[name]) if p.set == label]
            if not idx:
                continue
            ps = [counted[name][i] for i in idx]

            def cell(key: str, fuse: bool, name: str = name, idx: list[int] = idx, ps: list[Pool] = ps) -> str:
                if name not in sims[key] or any(sims[key][name][i] is None for i in idx):
                    return "-"
                s = [sims[key][name][i] for i in idx]
                return str(top1(ps, [learned_order(p, x, weight[key]) for p, x in zip(ps, s, strict=True)]
                                if fuse else s))

            stacked_cell = "-" if stack_loco is None else str(top1(ps, [
                stack_loco.score(stacked(p, sims["loco"][name][i])) for p, i in zip(ps, idx, strict=True)]))
            print(f"| {name} | {label} | {len(ps)} | {sum(int(labels(p).any()) for p in ps)} "
                  f"| {top1(ps, [hand(p) for p in ps])} "
                  f"| {top1(ps, [ranker_all.score(feature_table(p)) for p in ps])} "
                  f"| {top1(ps, [ranker_loco.score(feature_table(p)) for p in ps])} "
                  f"| {cell('all', False)} | {cell('loco', False)} | {cell('all', True)} | {cell('loco', True)} "
                  f"| {stacked_cell} | {cell('packaged', False)} | {cell('packaged', True)} |", flush=True)


RANKER = PROJECT_ROOT / "models" / "ranker.json"
SCORER = PROJECT_ROOT / "models" / "scorer"


def export(trained: Path, weight: float, target: Path, stack: Ranker | None = None, **card: object) -> None:
    """The trained folder as answering loads it (rag.answer.scorer.save_scorer, ``card``: its kind, first and
    unreadable_by_hand), with what it was trained on."""
    training = json.loads((trained / "training.json").read_text(encoding="utf-8"))
    trained_on = f"{', '.join(training['trained_on'])} (left out: {', '.join(training['left_out']) or 'none'})"
    if isinstance(bi := card.get("bi"), Path):  # a bi-encoder beside a cross-encoder: how it was trained too
        training["bi"] = json.loads((bi / "training.json").read_text(encoding="utf-8"))
    save_scorer(trained, target, weight, trained_on, training, stack, **card)  # type: ignore[arg-type]
    size = sum(f.stat().st_size for f in target.iterdir() if f.suffix in (".onnx", ".bin"))
    log.warning("wrote %s (models %.1f MB)", target, size / 1e6)


def fit_ranker(pools: dict[str, list[Pool]], leave_out: set[str]) -> Ranker:
    """(b): the pairwise logistic ranker over the candidate features, fitted on the training and tuning pools."""
    from fit_ranker import fit as fit_pairwise

    return fit_pairwise([(feature_table(p), labels(p), None) for name, ps in pools.items() if name not in leave_out
                         for p in scored(ps) if p.set in TRAIN_SETS])


def left_out_of(spec: str) -> set[str]:
    return set() if spec == "none" else set(spec.split("+"))


def model_leaving_out(work: Path, name: str, prefix: str = "loco-", marker: str = "modules.json") -> Path | None:
    """A trained folder (``prefix`` + the corpora left out, holding ``marker``) whose training left ``name`` out:
    the one leaving out fewest corpora."""
    found = [d for d in work.glob(f"{prefix}*") if name in left_out_of(d.name.removeprefix(prefix))
             and (d / marker).is_file()]
    return min(found, key=lambda d: len(left_out_of(d.name.removeprefix(prefix))), default=None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("train", "report", "ranker", "export"))
    parser.add_argument("--leave-out", default="none",
                        help="corpora left out of training, joined by '+' (default 'none': train on all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--weight", type=float, help="export: the fusion weight (the one `report` chose left out)")
    parser.add_argument("--to", type=Path, default=SCORER, help=f"export: the folder written (default {SCORER})")
    parser.add_argument("--packaged", action="store_true", help="report: add the packaged MiniLM's columns")
    parser.add_argument("--stack", action="store_true",
                        help="export: add (f), the stacked ranker, fitted on the hand-written pools of the corpora "
                             "the model was trained on, each scored by the model that left it out (run `report` "
                             "first: it embeds them)")
    parser.add_argument("--features-only", action="store_true",
                        help="report: only (a) and (b), no bi-encoder columns (nothing is embedded)")
    parser.add_argument("--work", type=Path, default=WORK, help=f"trained models (default {WORK})")
    parser.add_argument("--index-root", type=Path, default=INDEX_ROOT, help="where scripts/pools.py wrote pools")
    parser.add_argument("--corpus", action="append", choices=sorted(DOCS), help="report these (default: all)")
    parser.add_argument("--without", action="append", default=[], choices=("structure", "generated"),
                        help="leave a set of training questions out of every fit (made from structure, written by "
                             "Gemma); report scores it as a test set")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    offline_environment()
    if args.action == "export" and args.weight is None:
        parser.error("export needs --weight (the learned_weight `report` prints)")
    if args.action == "export" and not args.stack:  # no pool is read
        export(args.work / f"loco-{args.leave_out}", args.weight, args.to)
        return 0
    pools = load_pools(args.index_root)
    pools = without(pools, args.without)
    if args.action == "export":  # with the stacked ranker, fitted on the pools
        counted = {name: scored(ps) for name, ps in pools.items()}
        sims: dict[str, list[np.ndarray | None]] = {}
        for name, ps in counted.items():
            loco = model_leaving_out(args.work, name)
            if loco is None:
                parser.error(f"no model in {args.work} left {name} out: train the halves first")
            sims[name] = list(similarities(loco, ps, loco / f"sims-{name}.pickle"))
        export(args.work / f"loco-{args.leave_out}", args.weight, args.to,
               fit_stack(counted, sims, left_out_of(args.leave_out)))
        return 0
    if args.action == "train":
        leave_out = left_out_of(args.leave_out)
        groups = training_groups(pools, leave_out)
        trained_on = [n for n in pools if n not in leave_out]
        out = args.work / f"loco-{args.leave_out}"
        if trained(out, groups, args.epochs, leave_out):
            log.warning("%s is already trained on these %d groups: kept", out, len(groups))
            return 0
        log.warning("training on %d groups from %s", len(groups), ", ".join(trained_on))
        train(groups, out, args.epochs, leave_out, trained_on)
    elif args.action == "report":
        report(pools, args.work, [n for n in (args.corpus or list(pools)) if n in pools], args.packaged,
               not args.features_only)
    else:
        ranker = fit_ranker(pools, set())
        sets = ", ".join(sorted({p.set for ps in pools.values() for p in ps} - {"held-out"}))
        ranker = dataclasses.replace(ranker, fitted_on=f"{sets} pools of {', '.join(pools)}")
        RANKER.write_text(json.dumps(ranker.to_json(), indent=1) + "\n", encoding="utf-8")
        log.warning("wrote %s", RANKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
