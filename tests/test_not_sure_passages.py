"""scripts/not_sure_passages.py: what a "not sure" answer showed (two units) against what it shows (two passages)."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from rag.answer.candidates import candidate
from rag.answer.question import analyse
from rag.types import Passage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import not_sure_passages
from pools import Pool, pool_file

Q = analyse("How much was trade between Vietnam and Russia in 2021?")
TEXT = "Two-way trade grew after the pandemic. Lavrov visited Hanoi in July. It reached $5.54 billion in 2021."
PASSAGE = Passage("a.txt", 0, len(TEXT), TEXT)
OTHER = Passage("b.txt", 0, 30, "Russia sells fuel to Mongolia.")


def _unit(sentence: str, dense: float, passage: Passage = PASSAGE):
    at = passage.text.index(sentence)
    return candidate(Passage(passage.source, at, at + len(sentence), sentence), dense, 0.5)


def test_the_passage_around_the_top_unit_shows_a_fact_the_two_best_units_lack(tmp_path, monkeypatch, capsys):
    table = (_unit("Two-way trade grew after the pandemic.", 0.9), _unit("Lavrov visited Hanoi in July.", 0.8),
             _unit("Russia sells fuel to Mongolia.", 0.7, OTHER))
    pool = Pool("seeds", "training", "q1", Q.text, True, ("5.54 billion",), Q, (PASSAGE, OTHER), table, None)
    assert not_sure_passages.measure(pool, list(table), not_sure_passages.AnswerParams()) == {
        "top": False, "before": False, "today": True}
    pool_file(tmp_path, "seeds").parent.mkdir(parents=True)
    pool_file(tmp_path, "seeds").write_bytes(pickle.dumps([pool]))
    monkeypatch.setattr(sys, "argv", ["not_sure_passages.py", "--index-root", str(tmp_path), "--scorer", "hand"])
    assert not_sure_passages.main() == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| seeds | training"))
    assert row.startswith("| seeds | training | 1 | 1 | 0 / 1 |")


def test_a_refusal_listed_the_nearest_units_and_lists_their_passages(tmp_path, monkeypatch, capsys):
    table = (_unit("Two-way trade grew after the pandemic.", 0.9), _unit("Russia sells fuel to Mongolia.", 0.7, OTHER))
    pool = Pool("seeds", "training", "q1", Q.text, True, ("5.54 billion",), Q, (PASSAGE, OTHER), table, "low_score")
    assert not_sure_passages.listed_facts(pool, list(table), not_sure_passages.AnswerParams(), 4) == {
        "before": False, "today": True}
    pool_file(tmp_path, "seeds").parent.mkdir(parents=True)
    pool_file(tmp_path, "seeds").write_bytes(pickle.dumps([pool]))
    monkeypatch.setattr(sys, "argv", ["not_sure_passages.py", "--index-root", str(tmp_path), "--scorer", "hand",
                                      "--refused"])
    assert not_sure_passages.main() == 0
    assert "| seeds | training | 1 | 0 / 1 |" in capsys.readouterr().out
