"""scripts/kinds.py: the kind the analysis reads against the helpers' label, and the refusals, from pools."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import kinds

from rag.answer.candidates import candidate
from rag.answer.question import analyse
from rag.types import Passage


def _pool(id_: str, text: str, set_: str = "training", refusal: str | None = None, holds: bool = False,
          answerable: bool = True) -> SimpleNamespace:
    unit = candidate(Passage("a.txt", 0, 40, "The timeout is 30 seconds." if holds else "Nothing here."), 0.5, 0.2)
    return SimpleNamespace(set=set_, id=id_, text=text, question=analyse(text), answerable=answerable,
                           refusal=refusal, facts=("30 seconds",), candidates=(unit,))


def test_kinds_read_against_kinds_written_and_the_refusals_they_go_with(tmp_path: Path) -> None:
    labels = tmp_path / "docs.jsonl"
    labels.write_text("\n".join(json.dumps(r) for r in [
        {"corpus": "docs", "id": "t1", "kind": "what"}, {"corpus": "docs", "id": "t2", "kind": "date"},
        {"corpus": "docs", "id": "t3", "kind": "number"}]) + "\n", encoding="utf-8")
    pools = {"docs": [
        _pool("t1", "When does the server close an idle connection?", refusal="low_score", holds=True),
        _pool("t2", "When was the timeout option added?"),
        _pool("t3", "How many seconds is the default timeout?", refusal="no_count"),
        _pool("u1", "When does the cache expire?", set_="tuning", refusal="low_score"),
        _pool("h1", "When does the log rotate?", set_="held-out", refusal="low_score", holds=True),  # never read
        _pool("t4", "When is the moon blue?", refusal="low_score", answerable=False),  # nothing to answer
    ]}
    t = kinds.tally(pools, kinds.helper_kinds([labels]), first=16)
    # a condition's "When" is read as no kind, a past one as a date (rag.answer.question)
    assert t.kinds == {("-", "what"): 1, ("date", "date"): 1, ("number", "number"): 1}
    assert t.when == {("-", "what"): 1, ("date", "date"): 1}
    assert t.refused == {"low_score": 2, "no_count": 1}  # t1 and the tuning question; t3
    assert t.refused_held == {"low_score": 1}  # only t1 held the fact among its candidates
    assert t.when_refused == {"low_score": 2}


def test_agreement_gives_the_share_read_as_written_and_each_kinds_precision_and_recall() -> None:
    line = kinds.agreement(["date", "date", "-", "number"], ["date", "-", "-", "-"])
    assert line.startswith("agreement 0.500; ")
    assert "date 0.50 / 1.00" in line  # two read as a date, one written so
    assert "number 0.00 / 0.00" in line and "name 0.00 / 0.00" in line  # none written: no division by zero


def test_an_outcome_counts_refusals_and_where_the_fact_stands() -> None:
    o = kinds.Outcome()
    right = _pool("t1", "When?", holds=True).candidates[0]
    wrong = _pool("t2", "When?").candidates[0]
    o.add("low_score", [wrong, right], ["30 seconds"], first=2)
    o.add(None, [right], ["30 seconds"], first=2)
    o.add(None, [wrong, wrong, right], ["30 seconds"], first=2)  # past the first two
    assert (o.questions, o.refused, o.top, o.head) == (3, 1, 1, 2)
