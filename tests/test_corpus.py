"""Corpus statistics (document frequencies of terms and numbers) and the cache that rebuilds them on any change."""

from __future__ import annotations

import math
import threading
from pathlib import Path

from conftest import fake_app

from rag.answer.corpus import CorpusCache, CorpusStats

TEXTS = ["Lavrov visited Hanoi in 2022.", "Lavrov met Son.", "Trade reached 12,000 tonnes."]


def test_build_counts_documents_not_occurrences():
    stats = CorpusStats.build(TEXTS + ["Lavrov, Lavrov, Lavrov."])
    assert stats.chunks == 4
    assert stats.df["lavrov"] == 3
    assert stats.df["visit"] == 1


def test_has_terms_and_numbers():
    stats = CorpusStats.build(TEXTS)
    assert stats.has("visit") and stats.has("2022") and stats.has("12000")
    assert not stats.has("moscow") and not stats.has("1")


def test_mentions_needs_every_term_of_a_name():
    stats = CorpusStats.build(TEXTS)
    assert stats.mentions("Lavrov") and stats.mentions("Hanoi")
    assert not stats.mentions("Sergey Lavrov")
    assert not stats.mentions("the")  # a name with no terms



def test_mentions_knows_a_longer_or_shorter_form_of_a_name_but_not_a_shared_prefix():
    # Only for 'does the index know this name' (refusal), not for matching terms: 'Mongolian' is known to a corpus
    # that says 'Mongolia', and the other way round; 'Vietcong' is not known to one that says 'Vietnam'.
    stats = CorpusStats.build(["Lavrov visited Vietnam and Mongolian herders."])
    assert stats.mentions("Vietnamese") and stats.mentions("Mongolia")
    assert not stats.mentions("Vietcong")
    assert not stats.has("vietnames")  # the exact lookup stays exact
    assert not CorpusStats.build(["He met Son."]).mentions("Sonya")  # short terms must match exactly


def test_idf_is_higher_for_rarer_terms():
    stats = CorpusStats.build(TEXTS)
    assert stats.idf("visit") > stats.idf("lavrov")
    assert stats.idf("absent") > stats.idf("visit")
    assert stats.idf("lavrov") == math.log((3 + 1) / (2 + 0.5))


def test_empty_corpus():
    stats = CorpusStats.build([])
    assert stats.chunks == 0 and not stats.has("lavrov") and not stats.mentions("Lavrov")


class FakeStore:
    """A store whose texts can change in place; its token is an edit counter."""

    def __init__(self, texts: list[str]) -> None:
        self.texts_now = list(texts)
        self.edits = 0
        self.reads = 0

    def token(self) -> int:
        return self.edits

    def texts(self) -> list[str]:
        self.reads += 1
        return list(self.texts_now)


def test_the_cache_rebuilds_when_the_token_changes_even_with_the_same_number_of_texts():
    store = FakeStore(["Lavrov visited Hanoi.", "Trade grew."])
    cache = CorpusCache(store.token, store.texts)
    assert cache.get().mentions("Hanoi")
    store.texts_now[0] = "Putin visited Moscow."  # same count, different text
    store.edits += 1
    stats = cache.get()
    assert stats.chunks == 2
    assert stats.mentions("Moscow") and not stats.mentions("Hanoi")


def test_the_cache_reads_the_texts_once_per_token():
    store = FakeStore(TEXTS)
    cache = CorpusCache(store.token, store.texts)
    first = cache.get()
    assert cache.get() is first and cache.get() is first
    assert store.reads == 1
    store.edits += 1
    assert cache.get() is not first and store.reads == 2


def test_the_cache_builds_once_under_concurrent_first_use():
    store = FakeStore(TEXTS)
    cache = CorpusCache(store.token, store.texts)
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.reads == 1 and all(g is got[0] for g in got)


def test_a_real_store_s_token_changes_when_a_file_is_edited_to_the_same_number_of_chunks(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Lavrov visited Hanoi on Wednesday.\n", encoding="utf-8")
    app = fake_app(tmp_path)
    store, indexer, settings = app.store, app.indexer, app.settings
    cache = CorpusCache(store.change_token, store.texts)
    assert cache.get().mentions("Hanoi") and cache.get().chunks == 1
    (docs / "a.txt").write_text("Putin visited Moscow on Thursday.\n", encoding="utf-8")
    indexer.sync(settings.docs_dir)
    stats = cache.get()
    assert stats.chunks == 1
    assert stats.mentions("Moscow") and not stats.mentions("Hanoi")


def test_statistics_are_saved_beside_the_index_and_loaded_by_a_new_process(tmp_path):
    from rag.answer.corpus import CorpusCache

    texts = ["Lavrov visited Hanoi.", "Lavrov met Son in Hanoi."]
    calls: list[int] = []

    def read() -> list[str]:
        calls.append(1)
        return texts

    first = CorpusCache(lambda: 1, read, lambda: ["a:0", "a:1"], tmp_path / "corpus").get()
    again = CorpusCache(lambda: 1, read, lambda: ["a:1", "a:0"], tmp_path / "corpus").get()
    assert calls == [1]  # the second cache (a new `rag ask`) read no chunk
    assert again == first and again.has("hanoi") and again.chunks == 2
    changed = CorpusCache(lambda: 2, read, lambda: ["a:0", "b:0"], tmp_path / "corpus").get()
    assert calls == [1, 1] and changed.chunks == 2  # other chunks: counted again, the old file replaced
    assert len(list((tmp_path / "corpus").glob("*.json"))) == 1
