"""The answer confidence: its features read off the candidate table, the fitted model, and the "not sure" status."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import NoModel, ScriptedModel, at_shipped_point, fake_app

from rag.answer.candidates import candidate
from rag.answer.confidence import FEATURES, ConfidenceModel, DraftStage, features
from rag.answer.params import DEFAULTS
from rag.answer.question import analyse
from rag.answer.unsure import NOT_SURE_TEXT
from rag.config import PROJECT_ROOT
from rag.errors import ConfigError
from rag.pipeline import Pipeline
from rag.types import Passage

Q = analyse("How much was trade between Vietnam and Russia in 2021?")


def _c(text: str, dense: float, source: str = "a.txt", lexical: float = 0.5):
    return candidate(Passage(source, 0, len(text), text), dense, lexical, typed=True, strict=True)


def _row(cands) -> dict[str, float]:
    return dict(zip(FEATURES, features(Q, cands, [Passage("a.txt", 0, 1, "x", score=0.4)], 4, DEFAULTS),
                    strict=True))


def test_no_candidate_gives_a_row_of_zeros():
    assert features(Q, [], [], 4, DEFAULTS) == [0.0] * len(FEATURES)


def test_candidates_that_agree_on_the_value_count_as_agreement():
    one = _c("Trade reached $5.54 billion in 2021.", 0.8)
    same = _c("Two-way trade was 5.54 billion dollars.", 0.7, "b.txt")
    other = _c("Trade reached $7.1 billion in 2021.", 0.6, "c.txt")
    agreeing = _row([one, same])
    rival = _row([one, other])
    assert agreeing["agreement"] == 1.0 and rival["agreement"] == 0.0
    assert agreeing["kind_number"] == 1.0
    assert agreeing["margin"] == pytest.approx(one.order - same.order)
    assert agreeing["retrieval"] == pytest.approx(0.4)


def test_candidates_no_model_scored_are_read_in_the_hand_order_even_when_a_ranker_chose_another_first():
    from rag.answer.candidates import _reordered

    first, second = _c("Trade reached $5.54 billion in 2021.", 0.8), _c("Trade grew fast.", 0.6, "b.txt")
    assert first.order > second.order and first.hand is None and first.by_hand == first.order
    # a ranker for questions the models cannot read puts the hand order's second first; no model scored either
    ranked = _reordered([first, second], np.array([-1.0, 2.0]))
    assert ranked[0].passage.source == "b.txt" and ranked[0].order == 2.0 and ranked[0].by_hand == second.order
    row = _row(ranked)
    assert row["top_order"] == pytest.approx(second.order)  # its hand order, the scale the fit read
    assert row["margin"] == pytest.approx(second.order - first.order) and row["margin"] < 0
    # a model's scores: the order it made is what the fit read
    learned = _reordered([first, second], np.array([-1.0, 2.0]), np.array([0.3, 0.9]))
    assert _row(learned)["top_order"] == 2.0 and _row(learned)["margin"] == pytest.approx(3.0)


def _model(coef: float, point: float = 0.5) -> ConfidenceModel:
    n = len(FEATURES)
    weights = [0.0] * n
    weights[FEATURES.index("top_order")] = coef
    return ConfidenceModel(FEATURES, (0.0,) * n, (1.0,) * n, tuple(weights), 0.0, point)


def test_the_probability_follows_its_fitted_weights():
    model = _model(2.0)
    low = [0.0] * len(FEATURES)
    high = list(low)
    high[FEATURES.index("top_order")] = 1.0
    assert model.probability(low) == pytest.approx(0.5)
    assert model.probability(high) > 0.85


def test_a_row_of_another_length_is_an_error_not_a_misread_score():
    with pytest.raises(ValueError, match="decide it again"):
        _model(2.0).probability([0.0] * (len(FEATURES) + 3))


def test_a_missing_or_stale_model_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="fit_confidence.py"):
        ConfidenceModel.load(tmp_path / "none.json")
    stale = dict(_model(1.0).to_json(), names=["old"])
    (tmp_path / "stale.json").write_text(json.dumps(stale))
    with pytest.raises(ConfigError, match="other features"):
        ConfidenceModel.load(tmp_path / "stale.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError, match="cannot be read"):
        ConfidenceModel.load(tmp_path / "broken.json")


def test_a_model_fitted_on_some_of_the_features_reads_the_columns_it_names(tmp_path: Path):
    names = ("margin", "top_order")  # any of FEATURES, in any order
    model = ConfidenceModel(names, (0.0, 0.0), (1.0, 1.0), (0.0, 2.0), 0.0, 0.5)
    (tmp_path / "some.json").write_text(json.dumps(model.to_json()))
    loaded = ConfidenceModel.load(tmp_path / "some.json")
    row = [0.0] * len(FEATURES)
    row[FEATURES.index("top_order")] = 1.0
    assert loaded.probability(row) == pytest.approx(1 / (1 + math.exp(-2.0)))
    row[FEATURES.index("margin")] = 5.0  # its weight is zero
    row[FEATURES.index("top_learned")] = 9.0  # not a column it reads
    assert loaded.probability(row) == pytest.approx(1 / (1 + math.exp(-2.0)))
    twice = dict(model.to_json(), names=["margin", "margin"])
    (tmp_path / "twice.json").write_text(json.dumps(twice))
    with pytest.raises(ConfigError, match="other features"):
        ConfidenceModel.load(tmp_path / "twice.json")


def test_the_learned_scorers_own_scores_are_read_off_the_table():
    top = dataclasses.replace(_c("Trade reached $5.54 billion in 2021.", 0.8), learned=3.5)
    second = dataclasses.replace(_c("Trade grew.", 0.7, "b.txt"), learned=1.0)
    unscored = _c("Trade reached $7.1 billion in 2021.", 0.6, "c.txt")
    row = _row([top, second, unscored])
    assert row["learned_scored"] == 1.0 and row["top_learned"] == 3.5 and row["learned_margin"] == 2.5
    by_hand = _row([unscored, second])  # the top unit is one no model scored (the hand order's)
    assert by_hand["learned_scored"] == 0.0 and by_hand["top_learned"] == 0.0 and by_hand["learned_margin"] == 0.0


def test_the_shipped_model_loads_and_round_trips(tmp_path: Path):
    shipped = ConfidenceModel.load(PROJECT_ROOT / "models" / "confidence.json")
    assert 0.0 < shipped.point < 1.0
    (tmp_path / "m.json").write_text(json.dumps(shipped.to_json()))
    assert ConfidenceModel.load(tmp_path / "m.json") == shipped


def _app(tmp_path: Path, **overrides):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "trade.txt").write_text("Bilateral trade between Vietnam and Russia reached $5.54 billion in 2021. "
                                    "Two-way trade grew after the pandemic.\n\nLavrov visited Hanoi in July 2022.\n")
    return fake_app(tmp_path, NoModel(), min_evidence_score=-1.0, **overrides)


def test_below_the_operating_point_the_passages_are_shown_and_the_model_is_not_asked(tmp_path: Path):
    app = _app(tmp_path, min_confidence=1.0)  # every answer is below this point
    answer = app.pipeline.ask(Q.text)
    assert answer.status == "not_sure" and not answer.refused and answer.short == ""
    assert answer.sentences[0].text == NOT_SURE_TEXT
    quotes = [s for s in answer.sentences if s.origin == "quote"]
    assert 1 <= len(quotes) <= 2 and all(s.citations for s in quotes)
    assert {c.n for c in answer.citations} == {n for s in quotes for n in s.citations}
    assert any("5.54" in s.highlighted for s in quotes)  # the value asked for is highlighted
    assert answer.to_json()["status"] == "not_sure" and 0.0 <= answer.to_json()["confidence"] <= 1.0


def test_at_or_above_the_operating_point_the_answer_is_made(tmp_path: Path):
    app = _app(tmp_path, min_confidence=0.0)
    decision = app.pipeline.decide(Q.text)
    assert decision.status == "answered" and decision.confidence_source == "set by RAG_MIN_CONFIDENCE"
    assert dataclasses.replace(decision, min_confidence=1.0).status == "not_sure"


def test_the_draft_stage_moves_the_confidence_by_whether_the_draft_held_up(tmp_path: Path):
    stage = DraftStage(pre=1.0, held_up=2.0, intercept=-1.0)
    assert stage.probability(0.5, False) == pytest.approx(1 / (1 + math.exp(1.0)))
    assert stage.probability(0.5, True) == pytest.approx(1 / (1 + math.exp(-1.0)))
    model = dataclasses.replace(_model(1.0), draft=stage)
    assert model.after_draft(0.5, True) > 0.5 > model.after_draft(0.5, False)
    assert _model(1.0).after_draft(0.3, True) == 0.3  # no draft stage: the confidence is final
    (tmp_path / "m.json").write_text(json.dumps(model.to_json()))
    assert ConfidenceModel.load(tmp_path / "m.json") == model


def _drafted_app(tmp_path: Path, reply: str):
    """An app whose confidence model lets the draft decide every answer at point 0.5: 0.12 if no sentence of the
    draft holds up, 0.88 if one does."""
    shipped = ConfidenceModel.load(PROJECT_ROOT / "models" / "confidence.json")
    model = dataclasses.replace(shipped, draft=DraftStage(pre=0.0, held_up=4.0, intercept=-2.0))
    (tmp_path / "confidence.json").write_text(json.dumps(model.to_json()))
    app = _app(tmp_path, min_confidence=0.5, confidence_model=tmp_path / "confidence.json")
    return dataclasses.replace(app, pipeline=Pipeline(app.pipeline.settings, app.pipeline.store,
                                                      app.pipeline.embedder, ScriptedModel(reply)))


def test_a_draft_that_holds_up_is_shown_when_the_draft_decides(tmp_path: Path):
    app = _drafted_app(tmp_path, "Bilateral trade between Vietnam and Russia reached $5.54 billion in 2021 [1].")
    decision = app.pipeline.decide(Q.text)
    assert decision.status == "answered" and decision.draft_decides
    assert decision.after_draft == (pytest.approx(0.1192, abs=1e-3), pytest.approx(0.8808, abs=1e-3))
    answer = app.pipeline.ask(Q.text)
    assert answer.status == "answered" and "5.54" in answer.answer and not answer.fallback
    assert answer.confidence == pytest.approx(0.8808, abs=1e-3)


def test_a_draft_that_does_not_hold_up_turns_into_not_sure_and_nothing_is_shown_before_it(tmp_path: Path):
    app = _drafted_app(tmp_path, "The trade was mostly in bananas and it rained in Hanoi [1].")
    events = list(app.pipeline.stream(Q.text))
    answer = events[-1].answer
    assert answer.status == "not_sure" and answer.answer.startswith(NOT_SURE_TEXT), answer.answer
    assert answer.confidence == pytest.approx(0.1192, abs=1e-3)
    shown = [e.text for e in events if e.kind == "text"]
    assert shown and shown[0].startswith(NOT_SURE_TEXT)  # no checked text of the draft went out first
    assert any(e.kind == "token" for e in events)  # the model was asked


# With the real embedder and the packaged model, over the shipped seeds, at the shipped operating point.

# tests/data/heldout.jsonl h03 and questions.jsonl q02 with the shipped scorer (`scripts/evaltable.py --out` gives
# each one's confidence: 0.62 and 0.94 against the point 0.74). h03 is answered with the dates of the Hanoi visit
# (5-6 July), not the meeting's Thursday. The last scorer's wrong answer here, q34, the shipped one gets right; a
# wrong answer of the hand order it gets right is in tests/test_integration.py (q01).
WRONG_TODAY = ("On which day was the G20 foreign ministers' meeting in Bali due to begin?", ["Thursday"])
RIGHT_TODAY = ("Which country did Lavrov visit the day before he arrived in Hanoi?", ["Mongolia"])


@pytest.mark.slow
def test_a_wrong_answer_of_today_is_not_sure_and_a_right_one_is_kept(real_app):
    from rag.evaluation import has_facts

    shipped = at_shipped_point(real_app)
    question, facts = WRONG_TODAY
    today = real_app.pipeline.ask(question)  # answered whatever its confidence, as before the confidence
    assert today.status == "answered" and not has_facts(today.answer, facts), today.answer
    unsure = shipped.ask(question)
    assert unsure.status == "not_sure" and unsure.answer.startswith(NOT_SURE_TEXT), unsure.answer
    assert unsure.confidence is not None and unsure.confidence < shipped.confidence_model().point
    assert unsure.citations and unsure.short == ""
    question, facts = RIGHT_TODAY
    kept = shipped.ask(question)
    assert kept.status == "answered" and has_facts(kept.answer, facts), kept.answer


# The held-out sets did not show names_apart's worth (scripts/ablate_refusal.py), but without it this mixed-up name
# (Sergey Lavrov, Batmunkh) gets an answer with a confidence above the point: the rule stays, and refuses it.
MIXED_NAMES = "When did Sergey Batmunkh arrive in Ulaanbaatar?"


@pytest.mark.slow
def test_a_mixed_up_name_is_refused_by_names_apart_which_the_confidence_alone_would_answer(real_app):
    rules = real_app.settings.answer.refusal_rules
    without = dataclasses.replace(real_app.settings.answer, refusal_rules=tuple(c for c in rules if c != "names_apart"))
    unguarded = at_shipped_point(real_app, answer=without).decide(MIXED_NAMES)
    assert unguarded.status == "answered", unguarded.confidence
    answer = at_shipped_point(real_app).ask(MIXED_NAMES)
    assert answer.refused and answer.refusal == "names_apart" and "sergey batmunkh" in answer.decision, answer
