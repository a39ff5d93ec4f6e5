"""Dense, lexical (BM25) and hybrid retrieval against a real Chroma store in a temp folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from rag.errors import ConfigError
from rag.index.indexer import Indexer
from rag.index.store import ChromaStore
from rag.retrieval.bm25 import LexicalIndex, Postings, tokenize
from rag.retrieval.retriever import Retriever, candidate_depth, reciprocal_rank_fusion
from rag.types import IndexInfo

FILLER = "The annual budget meeting of the city council discussed the budget and the meeting hall of the council."
TARGET = "Shipment records. Parcel code 4471 left the depot on Monday morning."
QUERY = "budget meeting council code 4471"
OTHER = ["Rain fell over the northern hills all week.", "A quiet river runs past old mills.",
         "Farmers harvested wheat early this year.", "Trains to the coast were delayed by snow.",
         "The museum opened a new wing for paintings.", "Fishermen mended their nets at dawn."]


def _open(index_dir: Path, embedder) -> ChromaStore:
    store = ChromaStore(index_dir, "documents", IndexInfo(embedder.name, embedder.dimension, 700))
    store.open(create=True)
    return store


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(4):
        (docs / f"filler{i}.txt").write_text(f"{FILLER} Item {i}.\n", encoding="utf-8")
    for i, topic in enumerate(OTHER):
        (docs / f"other{i}.txt").write_text(topic + "\n", encoding="utf-8")
    (docs / "target.txt").write_text(TARGET + "\n", encoding="utf-8")
    return docs


@pytest.fixture
def hash_indexed_corpus(tmp_path: Path, corpus: Path, hash_embedder):
    """(store, indexer, retriever) over ``corpus`` indexed with the hash embedder."""
    store = _open(tmp_path / "index", hash_embedder)
    indexer = Indexer(store, hash_embedder, 700, lambda p: p.name)
    indexer.sync(corpus)
    return store, indexer, Retriever(store, hash_embedder)


def test_rare_number_found_by_lexical_and_hybrid_but_not_dense(hash_indexed_corpus):
    _, _, retriever = hash_indexed_corpus
    # At the default top_k of 4: the common words outweigh the number in the vectors (the target ranks 7th).
    assert "target.txt" not in [p.source for p in retriever.search(QUERY, 4, "dense")]
    assert retriever.search(QUERY, 1, "lexical")[0].source == "target.txt"
    assert "target.txt" in [p.source for p in retriever.search(QUERY, 4, "hybrid")]


def test_every_mode_scores_passages_by_cosine_similarity(hash_indexed_corpus, hash_embedder):
    _, _, retriever = hash_indexed_corpus
    query_vector = hash_embedder.embed([QUERY])[0]
    for mode in ("dense", "lexical", "hybrid"):
        passages = retriever.search(QUERY, 4, mode)
        assert passages
        for p in passages:
            expected = float(hash_embedder.embed([p.text])[0] @ query_vector)
            assert p.score == pytest.approx(expected, abs=1e-5), mode


def test_reciprocal_rank_fusion_order():
    # a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62; d: 1/63
    assert reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]]) == ["a", "c", "b", "d"]
    assert reciprocal_rank_fusion([["x"], []]) == ["x"]
    assert reciprocal_rank_fusion([["p", "q"], ["q", "p"]]) == ["p", "q"]  # a tie keeps first-seen order
    assert candidate_depth(4) == 20 and candidate_depth(10) == 40


def test_hybrid_puts_a_passage_both_lists_rank_first_on_top(hash_indexed_corpus):
    _, _, retriever = hash_indexed_corpus
    query = "Parcel code 4471 shipment depot"
    assert retriever.search(query, 1, "dense")[0].source == "target.txt"
    assert retriever.search(query, 1, "lexical")[0].source == "target.txt"
    assert retriever.search(query, 1, "hybrid")[0].source == "target.txt"


def test_lexical_index_follows_added_and_deleted_files(hash_indexed_corpus, corpus):
    _store, indexer, retriever = hash_indexed_corpus
    assert retriever.search("zeppelin hangar", 3, "lexical") == []
    (corpus / "new.txt").write_text("The zeppelin rested in its hangar at Friedrichshafen.\n", encoding="utf-8")
    indexer.sync(corpus)
    assert [p.source for p in retriever.search("zeppelin hangar", 3, "lexical")] == ["new.txt"]
    assert retriever.search("zeppelin hangar", 1, "hybrid")[0].source == "new.txt"
    (corpus / "new.txt").unlink()
    indexer.sync(corpus)
    assert retriever.search("zeppelin hangar", 3, "lexical") == []
    assert "new.txt" not in [p.source for p in retriever.search("zeppelin hangar", 5, "hybrid")]


def test_lexical_index_sees_changes_made_through_another_store_object(tmp_path, hash_indexed_corpus, hash_embedder,
                                                                      corpus):
    _store, _, retriever = hash_indexed_corpus
    assert retriever.search("zeppelin", 3, "lexical") == []
    other = _open(tmp_path / "index", hash_embedder)  # as another process would: no shared in-memory state
    (corpus / "new.txt").write_text("A zeppelin overhead.\n", encoding="utf-8")
    Indexer(other, hash_embedder, 700, lambda p: p.name).sync(corpus)
    assert [p.source for p in retriever.search("zeppelin", 3, "lexical")] == ["new.txt"]


def test_lexical_index_is_saved_and_loaded_by_fingerprint(hash_indexed_corpus):
    store, _, _ = hash_indexed_corpus
    first = LexicalIndex(store)
    first.refresh()
    assert first.last_build["action"] == "built"
    saved = list((store.index_dir / "bm25").glob("*.npz"))
    assert len(saved) == 1
    second = LexicalIndex(store)
    assert second.search(QUERY, 1)[0][0] == first.search(QUERY, 1)[0][0]
    assert second.last_build["action"] == "loaded"


def test_empty_store_returns_nothing_in_every_mode(tmp_path, hash_embedder):
    retriever = Retriever(_open(tmp_path / "index", hash_embedder), hash_embedder)
    for mode in ("dense", "lexical", "hybrid"):
        assert retriever.search("anything at all", 4, mode) == []


def test_tokenize_keeps_numbers_and_splits_dotted_names():
    tokens = tokenize("Lavrov's visit in 2022 cost $5.54 billion; see os.path.join")
    assert "2022" in tokens and "5.54" in tokens
    assert {"lavrov", "visit", "os.path.join", "os", "path", "join"} <= set(tokens)
    assert "the" not in tokenize("the of and")


def test_unknown_mode_is_refused(tmp_path, hash_indexed_corpus):
    _, _, retriever = hash_indexed_corpus
    with pytest.raises(ConfigError, match="hybrid"):
        retriever.search("x", 4, "fuzzy")
    with pytest.raises(ConfigError, match="retrieval"):
        make_settings(tmp_path, retrieval="fuzzy")


@pytest.mark.slow
def test_real_embedder_hybrid_recall_is_at_least_dense(real_app):
    from rag.config import PROJECT_ROOT
    from rag.evaluation import evaluate_retrieval, load_questions

    questions = load_questions(PROJECT_ROOT / "tests" / "data" / "questions.jsonl")
    report = evaluate_retrieval(real_app.pipeline.retriever, questions, 4, modes=("dense", "hybrid"))
    dense, hybrid = report["modes"]["dense"], report["modes"]["hybrid"]
    assert hybrid["recall@4"] >= dense["recall@4"]
    assert hybrid["mrr"] >= dense["mrr"]
    # Scores keep their meaning: a passage found by both lists has the same score in both modes.
    query = "Which country did Lavrov visit the day before he arrived in Hanoi?"
    dense_scores = {(p.source, p.start): p.score for p in real_app.pipeline.retriever.search(query, 20, "dense")}
    for p in real_app.pipeline.retriever.search(query, 4, "hybrid"):
        if (p.source, p.start) in dense_scores:
            assert p.score == pytest.approx(dense_scores[(p.source, p.start)], abs=1e-4)
        assert -1.0 <= p.score <= 1.0
    assert np.isfinite([p.score for p in real_app.pipeline.retriever.search(query, 4, "lexical")]).all()


def test_vectorised_bm25_matches_bm25s_own_indexing():
    import bm25s

    texts = [FILLER, TARGET, *OTHER, "Code 4471 again: the parcel code, the parcel, the depot."]
    ids = [f"c{i}" for i in range(len(texts))]
    ours = Postings.empty().add(ids[:3], texts[:3]).add(ids[3:], texts[3:]).bm25()
    reference = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    reference.index([tokenize(t) for t in texts], show_progress=False)
    for query in ("parcel code 4471", "budget council", "river mills wheat"):
        tokens = tokenize(query)
        np.testing.assert_allclose(ours.get_scores(tokens), reference.get_scores(tokens), rtol=1e-5, atol=1e-6)


def test_a_change_tokenises_only_the_new_chunks(hash_indexed_corpus, corpus):
    store, indexer, _ = hash_indexed_corpus
    lexical = LexicalIndex(store)
    lexical.refresh()
    assert lexical.last_build["action"] == "built"
    total = lexical.last_build["chunks"]
    (corpus / "new.txt").write_text("The zeppelin rested in its hangar.\n", encoding="utf-8")
    (corpus / "other0.txt").unlink()
    indexer.sync(corpus)
    assert lexical.search("zeppelin", 2)[0][0].endswith(":new.txt")
    assert lexical.last_build["action"] == "updated"
    assert lexical.last_build["tokenised"] == 1
    assert lexical.last_build["chunks"] == total
    assert not [i for i, _ in lexical.search("river mills", 5) if i.endswith(":other0.txt")]


def test_weighted_fusion_lets_one_list_count_less():
    # 'b' tops the second list only; with the first list weighed at 0 the second decides alone.
    assert reciprocal_rank_fusion([["a", "b"], ["b", "a"]], weights=[0.0, 1.0]) == ["b", "a"]
    assert reciprocal_rank_fusion([["a", "b"], ["b", "a"]], weights=[1.0, 0.5]) == ["a", "b"]


def test_the_dense_list_weighs_as_much_as_the_embedder_reads_the_query(tmp_path):
    from rag.index.embedding import OnnxInt8Embedder

    embedder = OnnxInt8Embedder(tmp_path)  # only its tokenizer is read: no model is loaded or exported
    english = embedder.vocabulary_share("Which exception does subprocess.run raise if the command fails?")
    russian = embedder.vocabulary_share("В какой каталог aptitude складывает скачанные пакеты по умолчанию?")
    assert english >= 0.85 and russian <= 0.35  # the packaged MiniLM spells Russian letter by letter
    retriever = Retriever.__new__(Retriever)
    retriever.embedder = embedder
    assert retriever.dense_weight("Когда вышла версия?") < retriever.dense_weight("When was the version released?")
    assert not list(tmp_path.iterdir())  # nothing was exported
