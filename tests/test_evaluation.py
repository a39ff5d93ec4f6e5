"""`rag eval` shows where an answer is lost: retrieved passages, candidate units, the top unit, the shown answer."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import run_rag

from rag.answer.candidates import candidate
from rag.answer.question import analyse
from rag.evaluation import rules_fired, stage_summary, stages
from rag.pipeline import Decision, Pipeline
from rag.types import Passage

DATA = Path(__file__).parent / "data"


def _decision(passages: list[str], units: list[tuple[str, str]]) -> Decision:
    q = analyse("In which version was cached_property added?")
    ps = [Passage("f.rst", 0, len(t), t) for t in passages]
    scored = [candidate(Passage("f.rst", 0, len(t), t, path=("functools", "cached_property")), 0.5, 0.5,
                        kind=kind, label="cached_property" if kind == "directive" else "")
              for t, kind in units]
    return Decision(q, ps, scored, None, 0.35, "default", None)  # type: ignore[arg-type]


def test_each_stage_is_judged_on_its_own_text() -> None:
    d = _decision(["Transform a method.\n\n.. versionadded:: 3.8"],
                  [("Transform a method.", "prose"), (".. versionadded:: 3.8", "directive")])
    got = stages(d, ["3.8"], answer="It was added in 3.9 [1].")
    assert got == {"in_passages": True, "in_candidates": True, "in_top_unit": False, "in_answer": False}
    # A version note is judged as shown: with its entry's name ('cached_property: New in version 3.8.').
    d = _decision(["x"], [(".. versionadded:: 3.8", "directive")])
    assert stages(d, ["cached_property", "3.8"])["in_top_unit"] is True
    assert stages(d, ["3.8"], answer=None)["in_answer"] is None


def test_summary_counts_answerable_questions_per_stage() -> None:
    rows = [{"answerable": True, "stages": {"in_passages": True, "in_candidates": True, "in_top_unit": False,
                                            "in_answer": None}},
            {"answerable": True, "stages": {"in_passages": True, "in_candidates": False, "in_top_unit": False,
                                            "in_answer": None}},
            {"answerable": False, "stages": None}]
    assert stage_summary(rows) == {"in_passages": 2, "in_candidates": 1, "in_top_unit": 0}


@pytest.mark.slow
def test_rag_eval_stages_prints_the_table_without_a_model(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("functools.rst.txt", "logging.rst.txt"):
        shutil.copy(DATA / "pydocs" / "docs" / "library" / name, docs / name)
    questions = tmp_path / "q.jsonl"
    rows = [{"id": "a", "question": "In which Python version was functools.cached_property added?",
             "answerable": True, "sources": ["functools.rst.txt"], "facts": ["3.8"]},
            {"id": "b", "question": "What is the numeric value of the ERROR logging level?", "answerable": True,
             "sources": ["logging.rst.txt"], "facts": ["40"]}]
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "stages.json"
    result = run_rag(tmp_path, "eval", "--stages", "--docs", str(docs), "--questions", str(questions),
                     "--out", str(out), RAG_MODEL_PATH=str(tmp_path / "no-such-model.gguf"))
    assert result.returncode == 0, result.stderr  # no model is loaded: a missing one does not matter
    assert "fact in the top unit" in result.stdout and "/ 2" in result.stdout
    report = json.loads(out.read_text())
    assert report["answerable"] == 2 and report["stages"]["in_passages"] == 2
    by_id = {r["id"]: r for r in report["questions"]}
    assert by_id["a"]["stages"]["in_top_unit"], by_id["a"]["top_unit"]  # the version note under cached_property


def test_every_rule_that_would_refuse_is_recorded_whatever_is_in_force() -> None:
    from rag.answer.corpus import CorpusStats
    from rag.answer.params import DEFAULTS

    stats = CorpusStats.build(["functools.cached_property was added in version 3.8."])
    q = analyse("In which version was cached_property added to Fortran?")  # 'Fortran' is in no document
    unit = candidate(Passage("f.rst", 0, 20, "Added in version 3.8."), 0.5, 0.5, kind="directive")
    decision = Decision(q, [], [unit], None, 0.35, "default", stats)
    for rules in (DEFAULTS.refusal_rules, ()):
        pipeline = SimpleNamespace(embedder=None, params=replace(DEFAULTS, refusal_rules=rules))
        pipeline.evidence = partial(Pipeline.evidence, pipeline)  # the real method, on a pipeline with no index
        assert rules_fired(pipeline, decision)[0] == "unknown_terms"  # type: ignore[arg-type]


def _row(qid: str, *, facts_ok: bool, short_ok: bool | None, status: str = "answered") -> dict:
    return {"id": qid, "answerable": True, "refused": status == "refused", "facts_ok": facts_ok, "short_ok": short_ok,
            "status": status, "citations_ok": [], "gold_rank": 1, "raw_sentences": 0, "removed_sentences": 0,
            "shown_unsupported": 0, "shown_sentences": 1, "fallback": False,
            "timings_ms": {"total": 1.0, "first_token": 1.0, "retrieve": 1.0}}


def test_a_wrong_short_answer_over_a_right_quote_is_counted_as_shown_wrong() -> None:
    from rag.evaluation import _metrics

    rows = [_row("a", facts_ok=True, short_ok=True), _row("b", facts_ok=True, short_ok=False),
            _row("c", facts_ok=True, short_ok=None), _row("d", facts_ok=False, short_ok=False, status="not_sure"),
            _row("e", facts_ok=False, short_ok=None, status="refused")]
    m = _metrics(rows, 4)
    assert m["fact_accuracy"] == 0.6  # the quote under b's wrong short answer holds the facts
    assert m["short_shown"] == 0.75 and m["short_right"] == round(1 / 3, 4)  # of the 4 answers shown, 3 lead
    assert m["wrong_short_shown"] == 0.4  # b and d, of 5 answerable questions
    assert m["wrong_short_at_point"] == 0.2  # d is "not sure" at the point: no short answer shown


def test_the_not_sure_passages_are_judged_only_where_not_sure_is_shown() -> None:
    from rag.evaluation import _metrics

    rows = [{**_row("a", facts_ok=False, short_ok=None, status="not_sure"), "not_sure_ok": True},
            {**_row("b", facts_ok=False, short_ok=None, status="not_sure"), "not_sure_ok": False},
            {**_row("c", facts_ok=False, short_ok=None, status="not_sure"), "not_sure_ok": False},
            {**_row("d", facts_ok=True, short_ok=None), "not_sure_ok": False},  # answered: its answer is judged
            _row("e", facts_ok=False, short_ok=None, status="not_sure")]  # an older run: nothing recorded
    assert _metrics(rows, 4)["not_sure_holds_facts"] == round(1 / 3, 4)
