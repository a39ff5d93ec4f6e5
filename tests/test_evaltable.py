"""scripts/evaltable.py --compare (two runs' stored results side by side, as each run stored them) and --from with
--out (a run's answers rescored by today's confidence model)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from rag.answer.confidence import FEATURES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import evaltable


def _run(folder: Path, facts: float, at_point: float, top: int) -> None:
    folder.mkdir()
    metrics = {"fact_accuracy": facts, "refusal_accuracy": 0.5, "false_refusal_rate": 0.0, "wrong_answers_shown":
               1 - facts, "citation_precision": 0.9, "facts_at_point": at_point, "wrong_shown_at_point": 0.05}
    result = {"metrics": metrics, "stages": {"in_top_unit": top}}
    (folder / "seeds-questions.json").write_text(json.dumps(result), encoding="utf-8")  # the seeds' tuning set only


def test_compare_prints_before_and_after_of_each_set_both_runs_hold(tmp_path: Path):
    _run(tmp_path / "before", 0.86, 0.48, 41)
    _run(tmp_path / "after", 0.88, 0.46, 43)
    lines = evaltable.compare(tmp_path / "before", tmp_path / "after", ["seeds", "wiki"]).splitlines()
    assert len(lines) == 3  # header, rule, one row: no held-out file, no wiki files
    assert lines[2].startswith("| seeds | tuning | 86.0% -> 88.0% |")
    assert "48.0% -> 46.0%" in lines[2] and lines[2].endswith("| 41 -> 43 |")
    assert lines[0].count("|") == lines[2].count("|")


def test_compare_counts_the_answers_whose_text_changed_and_their_length(tmp_path: Path):
    for run, answers in (("before", ["A.", "B.", "C"]), ("after", ["A.", "B and more.", "C"])):
        questions = [{"id": f"q{i}", "answerable": True, "refused": i == 2, "answer": a} for i, a in enumerate(answers)]
        (tmp_path / run).mkdir()
        (tmp_path / run / "seeds-questions.json").write_text(json.dumps({"questions": questions}), encoding="utf-8")
    lines = evaltable.changed_answers(tmp_path / "before", tmp_path / "after", ["seeds"]).splitlines()
    assert lines[2] == "| seeds | tuning | 2 | 1 | 2 -> 11 |"  # q2 refused: not counted


def _question(qid: str, top_order: float) -> dict:
    """One stored answer, right, with every confidence feature 0 but the top unit's order."""
    features = [0.0] * len(FEATURES)
    features[FEATURES.index("top_order")] = top_order
    return {"id": qid, "answerable": True, "refused": False, "facts_ok": True, "citations_ok": [True],
            "gold_rank": 1, "raw_sentences": 1, "removed_sentences": 0, "shown_unsupported": 0, "shown_sentences": 1,
            "fallback": True, "status": "answered", "confidence": 0.9, "confidence_features": features,
            "timings_ms": {"total": 1.0, "first_token": 1.0, "retrieve": 1.0}}


def test_from_with_out_writes_the_answers_rescored_by_todays_confidence_model(tmp_path: Path, monkeypatch):
    model = {"names": ["top_order"], "mean": [0.0], "scale": [1.0], "coef": [1.0], "intercept": 0.0, "point": 0.5}
    (tmp_path / "confidence.json").write_text(json.dumps(model), encoding="utf-8")
    monkeypatch.setenv("RAG_CONFIDENCE_MODEL", str(tmp_path / "confidence.json"))
    run = tmp_path / "run"
    run.mkdir()
    stored = {"settings": {"top_k": 4, "min_confidence": 0.75}, "metrics": {}, "stages": {"in_top_unit": 2},
              "questions": [_question("q01", 2.0), _question("q02", -2.0)]}  # both answered by the old model
    (run / "seeds-questions.json").write_text(json.dumps(stored), encoding="utf-8")
    evaltable.main(["--from", str(run), "--out", str(tmp_path / "rescored"), "--corpus", "seeds"])
    again = json.loads((tmp_path / "rescored" / "seeds-questions.json").read_text(encoding="utf-8"))
    assert [q["status"] for q in again["questions"]] == ["answered", "not_sure"]  # sigmoid(2) and sigmoid(-2)
    assert again["settings"]["min_confidence"] == 0.5 and again["metrics"]["facts_at_point"] == 0.5
    assert again["stages"] == stored["stages"]  # the answers themselves are kept as they were
    assert json.loads((run / "seeds-questions.json").read_text(encoding="utf-8")) == stored  # the source untouched
    assert "50.0%" in evaltable.compare(run, tmp_path / "rescored", ["seeds"]).splitlines()[2]
    with pytest.raises(SystemExit):  # rescoring into the folder it reads from would lose the stored answers
        evaltable.main(["--from", str(run), "--out", str(run), "--corpus", "seeds"])
