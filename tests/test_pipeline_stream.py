"""Streaming: which sentences of a draft are finished, and that a citation marker stays with its sentence however
the model's text is cut into pieces."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ScriptedModel, fake_app

from rag import pipeline as pipeline_module
from rag.pipeline import Pipeline, complete_sentences

SPLIT_MARKER = ["Lavrov visited Hanoi.", " [", "1] He met Son [1]."]


def _drafts(pieces: list[str]) -> list[str]:
    out, raw = [], ""
    for piece in pieces:
        raw += piece
        out.append(raw)
    return out


# complete_sentences


def test_a_sentence_is_not_finished_while_its_marker_may_still_follow():
    first, second, third = _drafts(SPLIT_MARKER)
    assert complete_sentences(first, final=False) == []
    assert complete_sentences(second, final=False) == []  # '... Hanoi. [' may become '... Hanoi. [1]'
    assert complete_sentences(third, final=False) == ["Lavrov visited Hanoi [1]."]
    assert complete_sentences(third, final=True) == ["Lavrov visited Hanoi [1].", "He met Son [1]."]


@pytest.mark.parametrize("draft", ["Lavrov visited Hanoi. [1", "Lavrov visited Hanoi. [1]",
                                   "Lavrov visited Hanoi. [1,"])
def test_a_marker_alone_after_the_stop_keeps_its_sentence_open(draft: str):
    assert complete_sentences(draft, final=False) == []


def test_text_after_the_marker_finishes_the_sentence():
    assert complete_sentences("Lavrov visited Hanoi. [1] He", final=False) == ["Lavrov visited Hanoi [1]."]
    assert complete_sentences("Lavrov visited Hanoi [1]. He", final=False) == ["Lavrov visited Hanoi [1]."]


@pytest.mark.parametrize("reply", ["Lavrov visited Hanoi [1]. He met Son [1].",
                                   "Lavrov visited Hanoi. [1] He met Son. [1]"])
def test_a_whole_message_reply_keeps_its_last_sentence(reply: str):
    assert complete_sentences(reply, final=False) == ["Lavrov visited Hanoi [1]."]
    assert complete_sentences(reply, final=True) == ["Lavrov visited Hanoi [1].", "He met Son [1]."]


def test_nothing_is_finished_in_an_empty_draft():
    assert complete_sentences("", final=False) == []
    assert complete_sentences("   ", final=True) == []


# through Pipeline.stream, with a real Chroma store and a scripted model

DOC = ("Russian Foreign Minister Sergey Lavrov visited Hanoi on Wednesday. "
       "He met Foreign Minister Bui Thanh Son in Hanoi.\n")
QUESTION = "What did Lavrov do in Hanoi?"  # the sentences below are held to 'do' only if the evidence says it


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hanoi.txt").write_text(DOC, encoding="utf-8")
    return fake_app(tmp_path, ScriptedModel([]), min_evidence_score=0.0).pipeline


def _run(pipeline: Pipeline, pieces: list[str], monkeypatch: pytest.MonkeyPatch):
    """(model sentences as checked, 'text' deltas, final answer)."""
    checked: list[str] = []
    real = pipeline_module.check_sentence

    def spy(raw, evidence, *args):
        checked.append(raw)
        return real(raw, evidence, *args)

    monkeypatch.setattr(pipeline_module, "check_sentence", spy)
    events = list(pipeline.stream(QUESTION, generator=ScriptedModel(pieces)))  # the reply in these pieces
    assert events[-1].kind == "done"
    return checked, [e.text for e in events if e.kind == "text"], events[-1].answer


def test_the_question_is_answered_not_refused(pipeline: Pipeline):
    assert pipeline.decide(QUESTION).refusal is None


# Each sentence says a word ('trip', 'talks') the document lacks, so each is shown, not held back as the quote's.
STREAMED = ["Lavrov visited Hanoi on a trip.", " [", "1] He met Son for talks [1]."]


def test_a_marker_streamed_after_the_stop_stays_with_its_sentence(pipeline, monkeypatch):
    checked, deltas, answer = _run(pipeline, STREAMED, monkeypatch)
    assert checked == ["Lavrov visited Hanoi on a trip [1].", "He met Son for talks [1]."]
    model = [s for s in answer.sentences if s.origin == "model"]
    assert [s.claim for s in model] == ["Lavrov visited Hanoi on a trip.", "He met Son for talks."]
    assert all(s.citations for s in model)
    assert deltas[:2] == [model[0].text, " " + model[1].text]
    assert answer.raw_answer == "".join(STREAMED)
    assert not answer.removed


@pytest.mark.parametrize("reply", ["Lavrov visited Hanoi on a trip [1]. He met Son for talks [1].",
                                   "Lavrov visited Hanoi on a trip. [1] He met Son for talks. [1]"])
def test_a_whole_message_reply_keeps_its_last_sentence_in_the_answer(pipeline, monkeypatch, reply):
    checked, _, answer = _run(pipeline, [reply], monkeypatch)
    assert checked == ["Lavrov visited Hanoi on a trip [1].", "He met Son for talks [1]."]
    assert [s.claim for s in answer.sentences if s.origin == "model"] == ["Lavrov visited Hanoi on a trip.",
                                                                         "He met Son for talks."]
    assert "He met Son for talks" in answer.answer


def test_a_reply_that_restates_its_quote_shows_the_quote_alone(pipeline, monkeypatch):
    _, deltas, answer = _run(pipeline, ["Lavrov visited Hanoi [1]."], monkeypatch)
    assert [s.origin for s in answer.sentences] == ["quote"]
    assert answer.answer == f'"{DOC.strip()}" [1]' == "".join(deltas)
    assert not answer.removed and not answer.fallback


def test_each_sentence_is_checked_once_however_the_reply_is_cut(pipeline, monkeypatch):
    reply = "Lavrov visited Hanoi. [1] He met Son [1]."
    checked, _, _ = _run(pipeline, list(reply), monkeypatch)  # one character per piece
    assert checked == ["Lavrov visited Hanoi [1].", "He met Son [1]."]


def test_prepare_loads_the_lexical_index_and_the_corpus_statistics(pipeline: Pipeline):
    assert pipeline.retriever.lexical.last_build == {}
    pipeline.prepare()  # what `rag ask` runs on another thread while the question is embedded
    assert pipeline.retriever.lexical.last_build["action"] == "built"
    assert pipeline.corpus.get().chunks == pipeline.store.count()
