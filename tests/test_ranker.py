"""The fitted ranker (models/ranker.json): how it is read, and that it orders a question's candidates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from rag.answer.rank import FEATURES, Ranker
from rag.config import HAND_ORDER, PROJECT_ROOT, load_settings
from rag.errors import ConfigError

SHIPPED = PROJECT_ROOT / "models" / "ranker.json"


def test_the_shipped_ranker_reads_and_orders_by_its_weights():
    ranker = Ranker.load(SHIPPED)
    assert len(ranker.coef) == len(FEATURES) and ranker.fitted_on
    rows = np.tile(ranker.mean, (2, 1))
    typed = FEATURES.index("typed")
    rows[1, typed] += ranker.scale[typed]  # one standard deviation more of "holds the kind of fact asked for"
    assert ranker.coef[typed] > 0 and np.argmax(ranker.score(rows)) == 1
    assert np.allclose(ranker.score(rows[:1]), 0.0)  # the mean row scores 0


def test_the_hand_order_is_the_default_and_a_ranker_is_one_setting():
    assert load_settings(env={}).ranker == HAND_ORDER
    assert Path(load_settings(env={"RAG_RANKER": "models/ranker.json"}).ranker) == SHIPPED


def test_a_missing_or_foreign_ranker_says_what_to_do(tmp_path: Path):
    with pytest.raises(ConfigError, match="RAG_RANKER=none"):
        Ranker.load(tmp_path / "nowhere.json")
    other = json.loads(SHIPPED.read_text())
    other["names"] = other["names"][:-1]
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(ConfigError, match="other features"):
        Ranker.load(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match="cannot be read"):
        Ranker.load(tmp_path / "broken.json")


def test_the_pipeline_orders_candidates_by_the_ranker_it_is_given(tmp_path: Path):
    from conftest import ann_lee_docs, fake_app

    ann_lee_docs(tmp_path)
    app = fake_app(tmp_path, ranker=str(SHIPPED), scorer=HAND_ORDER)  # a scorer's order would replace the ranker's
    decision = app.pipeline.decide("When was Ann Lee born?")
    ranker = app.pipeline.ranker()
    assert ranker is not None and decision.candidates
    rows = np.asarray([c.features for c in decision.candidates])
    assert [c.order for c in decision.candidates] == pytest.approx(list(ranker.score(rows)))
    assert [c.order for c in decision.candidates] == sorted((c.order for c in decision.candidates), reverse=True)
    (tmp_path / "hand" / "docs").mkdir(parents=True)
    hand = fake_app(tmp_path / "hand")
    assert hand.pipeline.ranker() is None and hand.pipeline.decide("When was Ann Lee born?").candidates == []
    assert make_settings(tmp_path, ranker=HAND_ORDER).ranker == HAND_ORDER


def test_the_hand_order_chooses_which_near_duplicate_survives_and_the_ranker_orders_the_survivors():
    from dataclasses import replace

    from rag.answer.candidates import build_candidates
    from rag.answer.corpus import CorpusStats
    from rag.answer.question import analyse
    from rag.types import Passage

    class Embedder:  # the unit saying 'copy' is the closer one, so the hand order puts it first
        def embed(self, texts: list[str]) -> np.ndarray:
            return np.asarray([[1.0, 0.0] if "copy" in t or t.endswith("?") else [0.6, 0.8] for t in texts])

    texts = ["The pump was serviced in May by the crew, the report copy says.",
             "The pump was serviced in May by the crew, the report says.",
             "Seals are kept in the blue cabinet."]
    passages = [Passage(f"{i}.txt", 0, len(t), t) for i, t in enumerate(texts)]
    q = analyse("When was the pump serviced?")
    stats = CorpusStats.build(texts)
    hand = build_candidates(q, passages, Embedder(), stats)  # type: ignore[arg-type]
    assert [c.passage.source for c in hand][:1] == ["0.txt"] and "1.txt" not in [c.passage.source for c in hand]
    # A ranker that prefers what the hand order ranks last: it reorders the survivors, it does not pick them.
    backwards = replace(Ranker.load(SHIPPED), coef=-Ranker.load(SHIPPED).coef)
    ranked = build_candidates(q, passages, Embedder(), stats, ranker=backwards)  # type: ignore[arg-type]
    assert {c.passage.source for c in ranked} == {c.passage.source for c in hand}
    assert [c.passage.source for c in ranked] == [c.passage.source for c in sorted(ranked, key=lambda c: -c.order)]
