"""scripts/topic_names.py: the share of chunks holding a name, and the names no typed unit's passage holds."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import topic_names

from rag.answer.candidates import candidate
from rag.answer.corpus import CorpusStats
from rag.answer.question import analyse
from rag.types import Passage


def test_share_is_that_of_the_rarest_term_of_the_name() -> None:
    stats = CorpusStats.build(["Python 3.8 added math.dist.", "Python reads files.", "Nothing of the sort."])
    assert topic_names.share("Python", stats) == 2 / 3
    assert topic_names.share("Python Software", stats) == 0.0  # 'software' is in no chunk
    assert topic_names.share("", stats) == 0.0


def test_a_name_no_typed_unit_holds_in_its_passage_is_missing() -> None:
    question = analyse("In which Python version was math.dist added?")
    note = candidate(Passage("math.txt", 0, 19, "New in version 3.8."), 0.5, 0.2)
    assert topic_names.missing_names(SimpleNamespace(question=question, candidates=(note,)), depth=8) == {"python"}
    named = candidate(Passage("math.txt", 0, 26, "New in Python version 3.8."), 0.5, 0.2)
    assert topic_names.missing_names(SimpleNamespace(question=question, candidates=(named,)), depth=8) == set()
    untyped = candidate(Passage("math.txt", 0, 26, "New in Python version 3.8."), 0.5, 0.2, typed=False)
    assert topic_names.missing_names(SimpleNamespace(question=question, candidates=(untyped,)), depth=8) == {"python"}
