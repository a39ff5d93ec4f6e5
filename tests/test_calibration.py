"""Calibrating the refusal threshold: probe questions made from the documents, the threshold pick, storage."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import NoModel, fake_app, make_settings

from rag.answer.calibration import (
    FILE,
    Calibration,
    _pick,
    calibrate,
    load,
    make_probes,
    refusal_threshold,
    save,
)
from rag.answer.corpus import CorpusStats
from rag.answer.params import DEFAULTS
from rag.answer.question import analyse
from rag.answer.refusal import unknown
from rag.config import DEFAULT_MIN_EVIDENCE_SCORE
from rag.text import names

TEXTS = [
    "Russian Foreign Minister Sergey Lavrov visited Hanoi on Wednesday with 40 officials.",
    "The bridge over the river was opened in 1932 by the mayor, Anna Berg, after 12 years of work.",
    "The mother of Ann Lee is Eve Lee, who was born in Oslo in 1950.",
    "Trade between Vietnam and Russia reached 7 billion dollars in 2021, officials in Moscow said.",
]
STATS = CorpusStats.build(TEXTS)


# probes


def test_probes_are_answerable_and_unanswerable():
    probes = make_probes(TEXTS, 10, seed=0)
    kinds = {p.kind for p in probes}
    assert kinds == {"answerable", "near-miss", "foreign"}
    assert all(p.answerable == (p.kind == "answerable") for p in probes)
    assert sum(p.answerable for p in probes) == len(TEXTS)  # one per usable sentence (fewer than asked for)
    for p in probes:
        assert p.question.endswith("?")
        assert analyse(p.question).kind in {"name", "number"}


def test_a_foreign_probe_holds_a_value_no_text_has():
    foreign = [p for p in make_probes(TEXTS, 10, seed=0) if p.kind == "foreign"]
    assert foreign
    for p in foreign:
        assert unknown(analyse(p.question), STATS), p.question  # the rules alone refuse it


def test_a_near_miss_name_swaps_in_a_name_the_documents_hold_elsewhere():
    vocabulary = {n for t in TEXTS for n in names(t)}
    probes = make_probes(TEXTS, 10, seed=0)
    for answerable, near, _ in zip(probes[0::3], probes[1::3], probes[2::3], strict=True):
        assert (answerable.kind, near.kind) == ("answerable", "near-miss")
        was, now = set(re.findall(r"\w+", answerable.question)), set(re.findall(r"\w+", near.question))
        added = now - was
        if added and not any(w.isdigit() for w in added):
            assert {w.lower() for w in added} <= vocabulary


def test_an_answerable_probe_is_a_window_of_a_sentence_with_one_fact_left_out():
    for p in make_probes(TEXTS, 10, seed=0)[0::3]:
        lead, body = p.question.removesuffix("?").split(": ", 1)
        assert lead in {"Who or what", "How many", "When"}
        words = body.split()
        assert 0 < len(words) <= 2 * DEFAULTS.probe_window
        # The words come from one sentence, in order, with one of its facts (a word or number) left out.
        source = next(t for t in TEXTS if " ".join(words) in " ".join(t.rstrip(".").split())
                      or all(w in t for w in words))
        left_out = [w for w in source.rstrip(".").split() if w not in words]
        assert left_out, p.question


def test_probes_are_reproducible_by_seed():
    assert make_probes(TEXTS, 10, seed=3) == make_probes(TEXTS, 10, seed=3)
    assert make_probes([], 10, seed=0) == []
    assert make_probes(["Too short."], 10, seed=0) == []


def test_probes_are_the_same_in_every_process():
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys; from rag.answer.calibration import make_probes; "
            "print(json.dumps([p.question for p in make_probes(json.loads(sys.argv[1]), 10, 0)]))")
    runs = set()
    for hash_seed in ("1", "2", "3", "4"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(TEXTS)], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        runs.add(out.stdout)
    assert len(runs) == 1


# the threshold pick


@pytest.mark.parametrize("total", [20, 100, 237])
def test_pick_refuses_at_most_five_percent_of_the_answerable_probes(total: int):
    rng = random.Random(total)
    scores = [rng.random() for _ in range(total)]
    threshold = _pick(scores)
    allowed = int(DEFAULTS.max_false_refusals * total)
    assert sum(s < threshold for s in scores) == allowed
    # The highest such threshold: refusing the next answerable probe too would break the target.
    ranked = sorted(scores)
    assert ranked[allowed] - 1e-5 < threshold < ranked[allowed]


def test_pick_with_nothing_to_spare_refuses_no_answerable_probe():
    scores = [0.3, 0.5, 0.7]
    assert all(s >= _pick(scores) for s in scores)
    assert _pick([]) == pytest.approx(DEFAULT_MIN_EVIDENCE_SCORE, abs=1e-5)


# storage and precedence

CAL = Calibration(min_score=0.21, answerable=10, unanswerable=20, false_refusals=0.0, refusals=0.6, chunks=4, seed=0)


def test_save_and_load_round_trip(tmp_path: Path):
    path = save(tmp_path / "index", CAL)
    assert path == tmp_path / "index" / FILE
    assert load(tmp_path / "index") == CAL
    assert "10 answerable and 20 unanswerable" in CAL.describe()


def test_a_missing_or_broken_file_is_no_calibration(tmp_path: Path):
    assert load(tmp_path) is None
    (tmp_path / FILE).write_text("{not json", encoding="utf-8")
    assert load(tmp_path) is None
    (tmp_path / FILE).write_text('{"min_score": 0.2}', encoding="utf-8")  # fields missing
    assert load(tmp_path) is None


def test_a_setting_beats_a_calibration_beats_the_default(tmp_path: Path):
    settings = make_settings(tmp_path)
    store = SimpleNamespace(index_dir=tmp_path / "index")
    assert refusal_threshold(settings, store)[0] == DEFAULT_MIN_EVIDENCE_SCORE
    save(store.index_dir, CAL)
    value, how = refusal_threshold(settings, store)
    assert value == 0.21 and "calibrated" in how
    assert refusal_threshold(replace(settings, min_evidence_score=0.5), store) == (0.5, "set by RAG_MIN_EVIDENCE_SCORE")


# end to end on a real store


def test_calibrate_on_a_real_store(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(TEXTS):
        (docs / f"{i}.txt").write_text(text + "\n", encoding="utf-8")
    cal, report = calibrate(fake_app(tmp_path, NoModel()).pipeline, probes_per_kind=10, seed=0)
    assert cal.chunks == len(TEXTS)
    assert cal.answerable == report["by_kind"]["answerable"]["probes"] == len(TEXTS)
    assert cal.unanswerable == report["by_kind"]["near-miss"]["probes"] + report["by_kind"]["foreign"]["probes"]
    by_kind = report["by_kind"]
    assert cal.false_refusals == pytest.approx(by_kind["answerable"]["refused_at_threshold"] / cal.answerable,
                                               abs=1e-4)
    # Every foreign probe is refused by the rules: its value occurs in no document.
    assert by_kind["foreign"]["refused_by_rules"] == by_kind["foreign"]["probes"]


def test_imports_run_one_way_the_pipeline_needs_only_the_threshold():
    import subprocess
    import sys

    code = "import sys, rag.pipeline; print('rag.answer.calibration' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"  # calibration imports the pipeline; the pipeline reads the threshold
