"""scripts/train_scorer.py's training: a run killed midway resumes from its checkpoint to the model an unbroken
run makes, and a finished model is kept when `make scorer` runs again on the same data. The packaged MiniLM is
trained for real on a dozen tiny groups."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import train_scorer as ts


def _groups() -> list[ts.Group]:
    return [ts.Group(f"Which port does server {i} listen on?",
                     (f"Server {i} listens on port {8000 + i}.", f"Server {i} was built in {1990 + i}."), (1, 0))
            for i in range(12)]  # 3 steps of 4 questions


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_a_killed_training_resumes_from_its_checkpoint_to_the_same_model(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    import torch

    groups = _groups()
    monkeypatch.setattr(ts, "CHECKPOINT_EVERY", 1)
    ts.train(groups, tmp_path / "whole", 1, set(), ["t"])
    assert not (tmp_path / "whole" / ts.CHECKPOINT).exists()

    real_step, calls = torch.optim.AdamW.step, []

    def killed_on_the_third_step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # as a kill would, after two steps were checkpointed
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", killed_on_the_third_step)
    with pytest.raises(KeyboardInterrupt):
        ts.train(groups, tmp_path / "killed", 1, set(), ["t"])
    assert (tmp_path / "killed" / ts.CHECKPOINT).is_file()
    assert not (tmp_path / "killed" / "modules.json").exists()  # not a model yet: nothing loads it
    assert torch.load(tmp_path / "killed" / ts.CHECKPOINT, weights_only=False)["step"] == 2

    monkeypatch.setattr(torch.optim.AdamW, "step", real_step)
    ts.train(groups, tmp_path / "killed", 1, set(), ["t"])
    assert not (tmp_path / "killed" / ts.CHECKPOINT).exists()
    whole, resumed = _weights(tmp_path / "whole"), _weights(tmp_path / "killed")
    assert whole.keys() == resumed.keys()
    assert all(torch.allclose(whole[k], resumed[k], atol=1e-6) for k in whole)
    untouched = _weights(Path(str(ts.packaged_embedder_path())))
    trained_layer = next(k for k in whole if ".layer.5." in k and k.endswith("weight"))
    assert not torch.allclose(untouched[trained_layer], whole[trained_layer])  # it did train


def test_a_finished_model_is_kept_only_for_the_same_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    groups = _groups()
    out = tmp_path / "model"
    assert not ts.trained(out, groups, 1, set())
    out.mkdir()
    (out / "sims-wiki.pickle").write_bytes(b"similarities of an earlier model")
    (out / "int8").mkdir()
    (out / "int8" / "model.onnx").write_bytes(b"the export of an earlier model")
    ts.train(groups, out, 1, set(), ["t"])
    assert not (out / "sims-wiki.pickle").exists()  # they would be stale: export computes them again
    assert not (out / "int8" / "model.onnx").exists()
    assert ts.trained(out, groups, 1, set())
    assert not ts.trained(out, groups[:-1], 1, set())  # a question more or less: train again
    assert not ts.trained(out, groups, 2, set())
    assert not ts.trained(out, groups, 1, {"wiki"})


def _pool(i: int, units: tuple[str, ...]) -> ts.Pool:
    from types import SimpleNamespace

    from rag.types import Passage

    return ts.Pool("c", "training", f"q{i}", "", True, (), SimpleNamespace(query=f"Which port does server {i} use?"),
                   (), tuple(SimpleNamespace(passage=Passage("f.txt", 0, len(u), u)) for u in units), None)


def test_cached_similarities_serve_only_the_pools_they_were_computed_for(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    import rag.index.embedding

    cache = tmp_path / "sims-c.pickle"
    pools = [_pool(i, (f"Server {i} listens on port {8000 + i}.", "It was built in 1990.")) for i in range(2)]
    first = ts.similarities(None, pools, cache)
    assert len(first) == 2 and first[0][0] > first[0][1]  # the unit naming the port is the nearer
    with monkeypatch.context() as m:
        m.setattr(rag.index.embedding, "OnnxInt8Embedder", None)  # nothing may be embedded: read from the cache
        assert all((a == b).all() for a, b in zip(ts.similarities(None, pools, cache), first, strict=True))
    grown = [*pools, _pool(2, ("Server 2 listens on port 8002.",))]  # a set added since
    again = ts.similarities(None, grown, cache)
    assert len(again) == 3 and all((a == b).all() for a, b in zip(first, again[:2], strict=False))
    redecided = [_pool(0, ("Server 0 listens on port 8000.",)), *grown[1:]]  # a pool decided again
    assert len(ts.similarities(None, redecided, cache)[0]) == 1


def test_a_trained_models_similarities_are_those_of_the_export_answering_runs(tmp_path: Path, packaged_scorer: Path):
    """What a stack is fitted on must be what answering computes: the scorer folder's int8 export quantises the word
    embeddings too, which moves a cosine by up to 0.09 against the export the packaged embedder runs."""
    import shutil

    import numpy as np

    from rag.answer.params import DEFAULTS
    from rag.answer.scorer import LearnedScorer
    from rag.index.embedding import packaged_embedder_path

    model = tmp_path / "loco"  # a trained bi-encoder's folder (here the packaged weights, as conftest exports them)
    shutil.copytree(packaged_embedder_path(), model)
    pools = [_pool(i, (f"Server {i} listens on port {8000 + i}.", "It was built in 1990.", "Ports are numbers."))
             for i in range(2)]
    stale = tmp_path / "sims.pickle"  # kept by the earlier recipe, for these very pools: not served
    ts.keep_scores(stale, ts.pools_digest(pools, ts.read_units(pools)), [np.zeros(3), np.zeros(3)])
    sims = ts.similarities(model, pools, stale)
    shipped = LearnedScorer.load(packaged_scorer)
    for p, s in zip(pools, sims, strict=True):
        assert np.allclose(s, shipped.similarities(p.question.query, p.candidates, DEFAULTS), atol=1e-6)
    assert (model / "int8" / "model.onnx").is_file()  # made once, beside the model
    packaged = ts.similarities(None, pools)  # the index's embedder: the other export, other cosines
    assert not all(np.allclose(a, b, atol=1e-3) for a, b in zip(packaged, sims, strict=True))


def test_sets_left_out_of_training_are_kept_to_be_scored():
    pools = {"c": [_pool(0, ("a", "b")), ts.dataclasses.replace(_pool(1, ("a", "b")), set="structure")]}
    kept = ts.without(pools, ["structure"])
    assert [p.set for p in kept["c"]] == ["training", f"structure{ts.UNSEEN}"]
    assert all(p.set not in ts.TRAIN_SETS for p in kept["c"][1:])
    assert ts.without(pools, []) is pools


def test_the_cross_encoder_reads_every_group_once_an_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import json

    import cross_encoder as ce

    seen: list[str] = []
    real = ce.logits

    def counted(tokenizer, model, query, texts):
        seen.append(query)
        return real(tokenizer, model, query, texts)

    monkeypatch.setattr(ce, "logits", counted)
    groups = _groups()  # 12 groups, 3 steps an epoch
    ce.train(groups, tmp_path / "cross", set(), ["t"], epochs=2)
    assert sorted(seen) == sorted([g.query for g in groups] * 2)
    assert sorted(seen[:12]) == sorted(g.query for g in groups)  # the first epoch is the whole set, once
    assert json.loads((tmp_path / "cross" / "training.json").read_text())["epochs"] == 2
    # trained again (other data): the scores cached from the model it replaces, and its export, are gone
    (tmp_path / "cross" / "scores-wiki-first16.pickle").write_bytes(b"stale")
    ce.shipped_int8(tmp_path / "cross", pairs=True)
    ce.train(groups[:4], tmp_path / "cross", set(), ["t"])
    assert not (tmp_path / "cross" / "scores-wiki-first16.pickle").exists()
    assert not (tmp_path / "cross" / "int8" / "model.onnx").exists()


def test_a_killed_cross_encoder_training_resumes_from_its_checkpoint_to_the_same_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import cross_encoder as ce
    import torch

    groups = _groups()
    monkeypatch.setattr(ce, "CHECKPOINT_EVERY", 1)
    ce.train(groups, tmp_path / "whole", set(), ["t"])
    assert not (tmp_path / "whole" / ce.CHECKPOINT).exists()
    assert ts.trained(tmp_path / "whole", groups, 1, set(), "config.json", **ce.RECIPE)
    assert not ts.trained(tmp_path / "whole", groups[:-1], 1, set(), "config.json", **ce.RECIPE)
    # a model of another recipe (other frozen layers) is not kept
    assert not ts.trained(tmp_path / "whole", groups, 1, set(), "config.json", frozen_layers=ce.FROZEN_LAYERS - 1)

    real_step, calls = torch.optim.AdamW.step, []

    def killed_on_the_third_step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", killed_on_the_third_step)
    with pytest.raises(KeyboardInterrupt):
        ce.train(groups, tmp_path / "killed", set(), ["t"])
    assert torch.load(tmp_path / "killed" / ce.CHECKPOINT, weights_only=False)["step"] == 2
    assert not (tmp_path / "killed" / "config.json").exists()  # not a model yet

    monkeypatch.setattr(torch.optim.AdamW, "step", real_step)
    ce.train(groups, tmp_path / "killed", set(), ["t"])
    assert not (tmp_path / "killed" / ce.CHECKPOINT).exists()
    whole, resumed = _weights(tmp_path / "whole"), _weights(tmp_path / "killed")
    assert whole.keys() == resumed.keys()
    assert all(torch.allclose(whole[k], resumed[k], atol=1e-6) for k in whole)


def test_cached_cross_encoder_scores_serve_only_the_pools_they_were_computed_for(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    import cross_encoder as ce
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    cache = tmp_path / "scores-c.pickle"
    model = tmp_path / "model"  # the packaged MiniLM with a fresh head: the scores are arbitrary, their cache is not
    AutoModelForSequenceClassification.from_pretrained(str(ts.packaged_embedder_path()), num_labels=1).save_pretrained(
        str(model))
    AutoTokenizer.from_pretrained(str(ts.packaged_embedder_path())).save_pretrained(str(model))
    pools = [_pool(i, (f"Server {i} listens on port {8000 + i}.", "It was built in 1990.")) for i in range(2)]
    first = ce.scores(model, pools, cache)
    assert [len(s) for s in first] == [2, 2]
    with monkeypatch.context() as m:
        m.setattr(ce, "shipped_int8", None)  # no model may be loaded: read from the cache
        assert all((a == b).all() for a, b in zip(ce.scores(model, pools, cache), first, strict=True))
    grown = [*pools, _pool(2, ("Server 2 listens on port 8002.",))]  # a set added since
    again = ce.scores(model, grown, cache)
    assert [len(s) for s in again] == [2, 2, 1]


def test_the_cross_encoders_int8_export_scores_as_the_trained_model(tmp_path: Path):
    import cross_encoder as ce
    import numpy as np
    import onnxruntime as ort
    import torch

    groups = _groups()
    ce.train(groups, tmp_path / "cross", set(), ["t"])
    ce.export(tmp_path / "cross", tmp_path / "export", None, None)
    assert (tmp_path / "export" / "model.onnx").stat().st_size < 30e6

    tokenizer, model = ce.load(tmp_path / "cross")
    model.eval()
    query, texts = groups[0].query, [*groups[0].texts, "Server 7 was built in 1997.", "Ports are numbers."]
    with torch.no_grad():
        want = ce.logits(tokenizer, model, query, texts).numpy()
    batch = tokenizer([query] * len(texts), texts, truncation="longest_first", max_length=ce.MAX_TOKENS,
                      padding=True, return_tensors="np")
    session = ort.InferenceSession(str(tmp_path / "export" / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids")})[0][:, 0]
    assert np.corrcoef(want, got)[0, 1] > 0.95  # int8 weights: close to the float model, not equal
    assert int(np.argmax(got)) == int(np.argmax(want))
    from rag.answer.pairs import OnnxCrossEncoder  # as answering runs it: its own tokenizer, each pair alone

    answering = OnnxCrossEncoder(tmp_path / "export", ce.MAX_TOKENS).scores(query, texts)
    assert np.corrcoef(want, answering)[0, 1] > 0.95
    assert int(np.argmax(answering)) == int(np.argmax(want))


def test_where_a_missed_fact_stands_next_to_the_top_unit():
    """cross_encoder.where_missed: a miss whose fact is in the next sentence of the top unit counts as adjacent,
    near and in its section; one in another section of the same file far away counts as a miss only."""
    from types import SimpleNamespace

    import cross_encoder as ce
    import numpy as np

    from rag.types import Passage

    def pool(units: list[tuple[int, tuple[str, ...], str]]) -> ts.Pool:
        cands = tuple(SimpleNamespace(passage=Passage("f.rst", at, at + len(text), text, path=path), shown=text)
                      for at, path, text in units)
        return ts.Pool("c", "training", "q", "", True, ("isqrt",), SimpleNamespace(query="Which function?"), (),
                       cands, None)

    entry = ("math", "isqrt")
    next_sentence = pool([(100, entry, "Return the integer square root."), (132, entry, "isqrt(n) is new.")])
    elsewhere = pool([(100, entry, "Return the integer square root."), (5000, ("math", "notes"), "See isqrt.")])
    right = pool([(100, entry, "isqrt(n) is new."), (5000, ("math", "notes"), "Other.")])
    first_wins = np.asarray([1.0, 0.0])
    assert ce.where_missed([next_sentence, elsewhere, right], [first_wins] * 3) == (2, 1, 1, 1)


def test_a_unit_read_with_the_sentence_before_is_tokenised_alike_in_training_and_answering():
    """model_text's '[SEP]' is MiniLM's separator token for both tokenizers: transformers' in training
    (cross_encoder.logits) and tokenizers' in answering (rag.answer.pairs), with the same truncation."""
    import cross_encoder as ce
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from rag.index.embedding import packaged_embedder_path

    query = "Which port does the server listen on?"
    text = "server > ports: The default is 8080. [SEP] " + "The server listens on one port only. " * 30
    training = AutoTokenizer.from_pretrained(str(packaged_embedder_path()), local_files_only=True)
    want = training(query, text, truncation="longest_first", max_length=ce.MAX_TOKENS)["input_ids"]
    answering = Tokenizer.from_file(str(packaged_embedder_path() / "tokenizer.json"))
    answering.enable_truncation(max_length=ce.MAX_TOKENS, strategy="longest_first")
    got = answering.encode(query, text).ids
    sep = training.sep_token_id
    assert got == want and len(got) == ce.MAX_TOKENS
    assert got.count(sep) == 3  # after the question, between the unit and the sentence before, at the end
    assert got[-1] == sep and got[got.index(sep) + 1 : got.index(sep) + 3] == training.convert_tokens_to_ids(
        ["server", ">"])  # the unit stands whole; the cut took the sentence before's end


def test_a_group_holds_the_facts_units_then_the_best_others_up_to_its_size():
    from pools import Pool

    from rag.answer.candidates import candidate
    from rag.answer.question import analyse
    from rag.types import Passage

    texts = [f"Server {i} was built in {1990 + i}." for i in range(20)]
    texts[7] = "Server 7 listens on port 8007."
    units = tuple(candidate(Passage("s.txt", 40 * i, 40 * i + len(t), t), 0.5, 0.5) for i, t in enumerate(texts))
    q = analyse("Which port does server 7 listen on?")
    pool = Pool("c", "training", "t1", q.text, True, ("8007",), q, (), units, None)
    assert ts.group_of(pool).texts[0] == ts.group_of(pool, size=16).texts[0] == "Server 7 listens on port 8007."
    assert len(ts.group_of(pool).texts) == ts.GROUP and len(ts.group_of(pool, size=16).texts) == 16
    assert ts.group_of(pool, size=16).texts[1:] == tuple(t for t in texts if t != texts[7])[:15]  # the hand order's
