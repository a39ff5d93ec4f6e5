"""scripts/ablate_refusal.py: its rows are decided a half of the corpora at a time (--corpus), each half by the
scorer folder that left it out, and a cache of rows no model saw takes none from a scorer that saw their corpus."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import ablate_refusal


def test_the_variants_are_the_shipped_rules_each_left_out_none_and_those_asked_for():
    labels = [label for label, _ in ablate_refusal.variants(["names_apart,low_score"])]
    assert labels[0] == "shipped rules" and "no rule" in labels
    assert {f"without {code}" for code in ablate_refusal.SHIPPED} <= set(labels)
    rules = dict(ablate_refusal.variants(["names_apart,low_score"]))["without names_apart + low_score"]
    assert "names_apart" not in rules and "low_score" not in rules and rules
    assert set(rules) < set(ablate_refusal.SHIPPED)


def test_the_shipped_scorer_adds_no_rows_to_a_cache_of_left_out_rows(tmp_path: Path, monkeypatch, capsys):
    """The shipped scorer (RAG_SCORER unset) was trained on the news reports: with --corpus seeds and a cache of
    rows decided by scorers that left their corpora out, the run stops with a message, the corpus not indexed and
    the cache as it was."""
    monkeypatch.delenv("RAG_SCORER", raising=False)
    cache = tmp_path / "ablation-rows.json"
    rows = {"pydocs": [{"corpus": "pydocs", "id": "t1", "refused": True, "answerable": True, "seen": False,
                        "fired": ["low_score"]}]}
    cache.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(SystemExit):
        ablate_refusal.main(["--cached", "--corpus", "seeds", "--eval-dir", str(tmp_path / "eval"),
                             "--index-root", str(tmp_path)])
    assert "was trained on seeds" in capsys.readouterr().err
    assert not (tmp_path / "seeds").exists()
    assert json.loads(cache.read_text(encoding="utf-8")) == rows
