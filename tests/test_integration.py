"""End to end with real parts: the packaged embedder, the packaged Gemma GGUF, a real Chroma store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SEEDS, make_settings, quoted_units

from rag.app import ensure_index
from rag.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

# Questions whose answers sit in different seed files.
CASES = [
    ("When will Lavrov visit China?", {"seeds/004_6a4118b6b4af9dbd.txt"}, "April 8-9"),
    ("How many projects have Russian companies invested in Vietnam?", {"seeds/002_cd5c2d4c352cb8e4.txt"}, "151"),
    ("Who is the Prime Minister of Mongolia?", {"seeds/003_8696cf6703ef46b9.txt"}, "Oyun-Erdene"),
]


def _source_text(source: str) -> str:
    # Inside the project a source is relative to its root; outside (the temp copy) it is absolute.
    return (PROJECT_ROOT / source).read_text(encoding="utf-8")


@pytest.mark.parametrize(("question", "sources", "fact"), CASES)
def test_answers_cite_the_right_files_with_exact_quotes(real_app, question, sources, fact):
    answer = real_app.pipeline.ask(question)
    assert not answer.refused
    assert answer.citations, answer
    assert {Path(c.source).name for c in answer.citations} <= {Path(s).name for s in sources}
    assert fact.lower() in answer.answer.lower()
    for c in answer.citations:
        assert _source_text(c.source)[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer


def test_question_outside_the_documents_is_refused_with_nearest_passages(real_app):
    answer = real_app.pipeline.ask("What did Lavrov discuss with Thailand?")
    assert answer.refused
    assert answer.citations  # the nearest passages, so the user can check
    assert "[" not in answer.answer


def test_every_marker_has_a_citation_and_shown_sentences_are_supported(real_app):
    from rag.answer.checking import parse_citations, split_answer, unsupported_reason

    answer = real_app.pipeline.ask("Who did Lavrov meet in Hanoi?")
    by_n = {c.n: c for c in answer.citations}
    # The structured sentences and the answer text agree: same sentences, same markers.
    assert [parse_citations(s)[1] for s in split_answer(answer.answer)] == [list(s.citations) for s in answer.sentences]
    for sentence in answer.sentences:
        assert sentence.citations and all(n in by_n for n in sentence.citations)
        assert any(not unsupported_reason(sentence.claim, by_n[n].quote) for n in sentence.citations)


def test_streaming_yields_text_before_done(real_app):
    kinds = [event.kind for event in real_app.pipeline.stream("When will Lavrov visit China?")]
    assert kinds[-1] == "done"
    assert "text" in kinds[:-1]


def test_resync_reembeds_nothing_and_deleted_file_disappears(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "docs")
    settings = make_settings(tmp_path)
    app, first = ensure_index(settings)
    assert first.chunks_embedded > 0
    _, again = ensure_index(settings)
    assert again.chunks_embedded == 0 and not again.changed
    (tmp_path / "docs" / "004_6a4118b6b4af9dbd.txt").unlink()
    app, third = ensure_index(settings)
    assert third.removed == [settings.display_path(tmp_path / "docs" / "004_6a4118b6b4af9dbd.txt")]
    answer = app.pipeline.ask("When will Lavrov visit China?")
    assert all("004_6a4118b6b4af9dbd" not in c.source for c in answer.citations)


def test_the_learned_scorer_quotes_the_unit_the_hand_order_ranks_below_a_wrong_one(real_app):
    """tests/data/questions.jsonl q01, with the real embedder, model and the shipped scorer (models/scorer, the
    default). The hand order (RAG_SCORER=none) puts first the AP report's headline ('Russian foreign minister stops
    in Vietnam ahead of G-20'), which never says where the meeting was; the scorer puts first the sentence saying
    Lavrov attended the G-20 in Bali. q01 is a tuning question the shipped scorer was trained on; the scorer trained
    without the news reports (docs/quality.md, leave-half-out) made the same choice."""
    import dataclasses

    from rag.config import HAND_ORDER
    from rag.pipeline import Pipeline

    question = ("After his stop in Vietnam in July 2022, where did Lavrov go for the G-20 foreign ministers' "
                "gathering?")
    right = "In Bali where he attended the G-20 summit"
    assert real_app.pipeline.scorer() is not None  # the default
    decision = real_app.pipeline.decide(question)
    assert right in decision.candidates[0].passage.text, decision.candidates[0].passage.text
    answer = real_app.pipeline.ask(question)
    assert any(right in q for q in quoted_units(answer)), answer.answer
    assert {Path(c.source).name for c in answer.citations} == {"002_cd5c2d4c352cb8e4.txt"}
    hand = Pipeline(dataclasses.replace(real_app.settings, scorer=HAND_ORDER), real_app.store, real_app.embedder,
                    real_app.pipeline.generator)
    assert hand.scorer() is None
    assert right not in hand.decide(question).candidates[0].passage.text
    assert not any(right in q for q in quoted_units(hand.ask(question)))


def test_a_quote_from_an_api_entry_names_the_entry_it_describes(indexed_folder, tmp_path):
    """tests/data/pydocs tuning p57, with the real embedder and model: the sentence that answers ('Create an object
    that operates like a regular reader but maps ... to a dict') never names DictReader; its entry does. The answer
    shows it with the entry's name, and the citation still holds exactly the file's characters of the sentence.
    The hand order quotes that sentence; the shipped scorer quotes the entry's signature, which names DictReader
    itself (both right)."""
    import dataclasses

    from rag.config import HAND_ORDER
    from rag.pipeline import Pipeline

    docs = tmp_path / "src"
    docs.mkdir()
    for name in ("csv.rst.txt", "json.rst.txt"):
        shutil.copy(PROJECT_ROOT / "tests" / "data" / "pydocs" / "docs" / "library" / name, docs / name)
    app = indexed_folder(tmp_path / "folder", docs=docs).app
    question = "In the csv module, what should I use to read each row as a dict keyed by column name?"
    shipped = app.pipeline.ask(question)
    assert not shipped.refused and "DictReader" in shipped.answer, shipped.answer
    hand = Pipeline(dataclasses.replace(app.settings, scorer=HAND_ORDER), app.store, app.embedder,
                    app.pipeline.generator)
    answer = hand.ask(question)
    assert not answer.refused
    assert "DictReader: Create an object that operates like a regular reader" in answer.answer, answer.answer
    cited = [c for c in answer.citations if "operates like a regular reader" in c.quote]
    assert cited and all("DictReader" not in c.quote and c.shown.startswith("DictReader: ") for c in cited)
    for c in [*answer.citations, *shipped.citations]:
        assert (docs / Path(c.source).name).read_text(encoding="utf-8")[c.start : c.end] == c.quote
