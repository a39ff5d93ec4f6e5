"""scripts/evaltable.py --compare: two runs' stored results side by side, as each run stored them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
