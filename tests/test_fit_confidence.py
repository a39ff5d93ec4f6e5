"""scripts/fit_confidence.py's row caches: a row says whether the scorer that decided it had seen its corpus, and a
cache of rows decided by scorers that had left their corpora out takes no rows from one that saw them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import fit_confidence as fc
import pytest

from rag.answer.scorer import LearnedScorer, ScorerCard
from rag.config import PROJECT_ROOT
from rag.errors import ConfigError

HALF = ScorerCard(0.5, "seeds, handbook, sqlite_doc (left out: apache_httpd, pydocs, wiki)",
                  corpora=("seeds", "handbook", "sqlite_doc"))


def test_a_scorer_card_names_the_corpora_it_was_trained_on_not_those_it_left_out():
    assert fc.saw(HALF, "handbook")
    assert fc.saw(HALF, "sqlite_doc")
    assert not fc.saw(HALF, "pydocs")
    assert not fc.saw(HALF, "wiki")
    assert not fc.saw(HALF, "seed")  # a whole name, not a part of one
    with pytest.raises(ConfigError, match="does not list the corpora"):
        fc.saw(ScorerCard(0.5, "seeds, wiki (left out: none)"), "pydocs")


def test_the_shipped_card_lists_the_corpora_it_was_trained_on():
    card = LearnedScorer.load(PROJECT_ROOT / "models" / "scorer").card
    assert len(card.corpora) == 24 and fc.saw(card, "pydocs") and fc.saw(card, "seeds")


def test_a_cache_of_left_out_rows_is_told_from_one_without_that_knowledge():
    left_out = {"pydocs": [{"refused": True, "seen": False}], "wiki": [{"refused": False, "seen": False}]}
    assert fc.holds_left_out_rows(left_out)
    assert not fc.holds_left_out_rows({"pydocs": [{"refused": False, "seen": True}]})
    assert not fc.holds_left_out_rows({"pydocs": [{"refused": False}]})  # cached before rows said which scorer saw them
    assert not fc.holds_left_out_rows({})


def test_the_shipped_scorer_adds_no_rows_to_a_cache_of_left_out_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The shipped scorer (RAG_SCORER unset) was trained on the news reports: deciding them for a cache of rows no
    model saw is refused before the corpus is indexed (the shipped card read for real)."""
    monkeypatch.delenv("RAG_SCORER", raising=False)
    with pytest.raises(ConfigError, match="was trained on seeds"):
        fc.collect("seeds", tmp_path, left_out=True)
    assert not (tmp_path / "seeds").exists()
