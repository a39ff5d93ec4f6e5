"""The index against a real Chroma store in a temp folder (fast: a hash embedder stands in for the model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexBroken, IndexMissing
from rag.index.indexer import Indexer, chunk_document
from rag.index.store import ChromaStore
from rag.ingest.documents import read_document
from rag.types import ChunkRecord, FileRecord, IndexInfo


def _indexer(index_dir: Path, embedder, chunk_chars: int = 700) -> Indexer:
    store = ChromaStore(index_dir, "documents", IndexInfo(embedder.name, embedder.dimension, chunk_chars))
    store.open(create=True)
    return Indexer(store, embedder, chunk_chars, lambda p: p.name)


def test_sync_adds_every_file_and_quotes_round_trip(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    report = indexer.sync(docs_copy)
    assert sorted(report.added) == sorted(p.name for p in docs_copy.glob("*.txt"))
    assert indexer.store.count() == report.chunks_embedded > 0
    got = indexer.store.collection.get(include=["documents", "metadatas"])
    for text, meta in zip(got["documents"], got["metadatas"]):
        file_text = (docs_copy / meta["source"]).read_text(encoding="utf-8")
        assert file_text[meta["start"] : meta["end"]] == text


def test_resync_with_nothing_changed_embeds_nothing(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    calls = len(hash_embedder.calls)
    report = indexer.sync(docs_copy)
    assert report.chunks_embedded == 0
    assert not report.changed
    assert len(report.unchanged) == 5
    assert len(hash_embedder.calls) == calls


def test_changed_file_replaces_its_chunks(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    target = docs_copy / "004_6a4118b6b4af9dbd.txt"
    target.write_text("A short new text about a meeting in Oslo.\n", encoding="utf-8")
    report = indexer.sync(docs_copy)
    assert report.updated == [target.name]
    got = indexer.store.collection.get(where={"source": target.name}, include=["documents"])
    assert got["documents"] == ["A short new text about a meeting in Oslo."]


def test_deleted_file_loses_its_chunks(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    (docs_copy / "003_8696cf6703ef46b9.txt").unlink()
    report = indexer.sync(docs_copy)
    assert report.removed == ["003_8696cf6703ef46b9.txt"]
    assert indexer.store.collection.get(where={"source": "003_8696cf6703ef46b9.txt"})["ids"] == []
    assert "003_8696cf6703ef46b9.txt" not in indexer.store.sources()


def test_unreadable_file_is_skipped_with_reason_and_others_indexed(tmp_path, docs_copy, hash_embedder):
    (docs_copy / "broken.txt").write_bytes(b"\xff\xfe\x00binary\x00")
    (docs_copy / "empty.md").write_bytes(b"")
    indexer = _indexer(tmp_path / "index", hash_embedder)
    report = indexer.sync(docs_copy)
    assert set(report.skipped) == {"broken.txt", "empty.md"}
    assert "binary" in report.skipped["broken.txt"]
    assert "empty" in report.skipped["empty.md"]
    assert len(report.added) == 5


def test_interrupted_add_is_finished_by_next_sync(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    path = docs_copy / "001_9f4acd3a2150c267.txt"
    records = chunk_document(read_document(path, path.name), 700)
    # Simulate a crash after the first half of one file's chunks was stored (its record marked first, as the
    # indexer does): the file counts as not indexed, and its chunk count shows the half.
    half = records[: len(records) // 2]
    indexer.store.files.write([FileRecord(path.name, "", 0, dirty=True)])
    indexer.store.add(half, hash_embedder.embed([r.text for r in half]))
    assert not indexer.store.file_states()[path.name].complete
    assert indexer.store.chunk_states()[path.name].partial == {records[0].sha256}
    indexer.sync(docs_copy)
    states = indexer.store.file_states()
    assert states[path.name].complete == {records[0].sha256} and not states[path.name].partial
    assert len(indexer.store.collection.get(where={"source": path.name})["ids"]) == len(records)


def test_query_returns_passages_with_scores(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    [vector] = hash_embedder.embed(["Lavrov will visit China on April 8-9"])
    passages = indexer.store.query(vector, 3)
    assert len(passages) == 3
    assert passages[0].source == "004_6a4118b6b4af9dbd.txt"
    assert passages[0].score >= passages[1].score >= passages[2].score


def test_missing_index_is_reported(tmp_path, hash_embedder):
    store = ChromaStore(tmp_path / "nothing", "documents", IndexInfo("x", 64, 700))
    with pytest.raises(IndexMissing, match="rag index"):
        store.open(create=False)


def test_index_built_with_other_settings_is_refused(tmp_path, docs_copy, hash_embedder):
    _indexer(tmp_path / "index", hash_embedder).sync(docs_copy)
    other = ChromaStore(tmp_path / "index", "documents", IndexInfo(hash_embedder.name, 64, 300))
    with pytest.raises(IndexBroken, match="--rebuild"):
        other.open(create=False)


def test_an_existing_index_opens_with_the_settings_it_was_built_with(tmp_path, docs_copy, hash_embedder):
    built = _indexer(tmp_path / "index", hash_embedder, chunk_chars=300)
    built.sync(docs_copy)
    store = ChromaStore.existing(tmp_path / "index", "documents")
    assert store.info == IndexInfo(hash_embedder.name, hash_embedder.dimension, 300)
    assert store.count() == built.store.count() > 0
    with pytest.raises(IndexMissing, match="rag index"):
        ChromaStore.existing(tmp_path / "nothing", "documents")
    with pytest.raises(IndexMissing, match="no collection 'other'"):
        ChromaStore.existing(tmp_path / "index", "other")


def test_corrupt_index_file_is_reported_not_crashed(tmp_path, hash_embedder):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    store = ChromaStore(index_dir, "documents", IndexInfo("x", 64, 700))
    with pytest.raises((IndexBroken, IndexMissing)):
        store.open(create=False)


def test_an_index_of_an_older_schema_is_outdated_and_ensure_index_rebuilds_it(tmp_path):
    import shutil

    from conftest import SEEDS, make_settings

    from rag.app import ensure_index
    from rag.errors import IndexOutdated
    from rag.index.embedding import make_embedder

    settings = make_settings(tmp_path)
    shutil.copytree(SEEDS, tmp_path / "docs")
    embedder = make_embedder(settings)
    old = ChromaStore(settings.index_dir, settings.collection,
                      IndexInfo(embedder.name, embedder.dimension, settings.chunk_chars, schema=2))
    old.open(create=True)
    del old
    current = ChromaStore(settings.index_dir, settings.collection,
                          IndexInfo(embedder.name, embedder.dimension, settings.chunk_chars))
    with pytest.raises(IndexOutdated, match="schema=2"):
        current.open(create=False)
    app, report = ensure_index(settings)  # `make run` after an upgrade: rebuilt, documents untouched
    assert len(report.added) == len(list(SEEDS.glob("*.txt")))
    assert app.store.count() > 0 and all(p.path == () for p in app.store.query(embedder.embed(["Lavrov"])[0], 3))


def test_chunk_ids_are_read_once_per_change_of_the_store(tmp_path, docs_copy, hash_embedder, monkeypatch):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    store = indexer.store
    reads = []
    real = store.ids_and_texts
    monkeypatch.setattr(store, "ids_and_texts", lambda *a, **k: reads.append(1) or real(*a, **k))
    first = store.ids()
    assert store.ids() == first and len(reads) == 1  # the lexical index and the statistics share one read
    (docs_copy / "003_8696cf6703ef46b9.txt").unlink()
    indexer.sync(docs_copy)
    after = store.ids()
    assert len(reads) == 2 and set(after) < set(first)  # a change is seen at once
    # Another process writing the same folder changes the database file, which the token reads.
    other = _indexer(tmp_path / "index", hash_embedder)
    (docs_copy / "new.txt").write_text("A short new text about a meeting in Oslo.\n", encoding="utf-8")
    other.sync(docs_copy)
    assert len(store.ids()) == len(after) + 1


def test_a_new_index_writes_its_vectors_to_disk_every_256(tmp_path, hash_embedder):
    from rag.types import HNSW_SYNC_THRESHOLD

    indexer = _indexer(tmp_path / "index", hash_embedder)
    assert indexer.store.collection.metadata["hnsw:sync_threshold"] == HNSW_SYNC_THRESHOLD == 256


def _random_chunks(source: str, n: int, seed: int) -> tuple[list[ChunkRecord], np.ndarray]:
    rng = np.random.default_rng(seed)
    sha = f"{seed:064x}"
    records = [ChunkRecord(source, sha, i, n, 0, 10, f"chunk {i} of {source}") for i in range(n)]
    vectors = rng.normal(size=(n, 64)).astype(np.float32)
    return records, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_chunks_a_torn_graph_cannot_reach_are_relinked_by_the_recovery_after_an_interrupted_run(tmp_path,
                                                                                              hash_embedder):
    """Chroma 1.5.9 can leave an element no search reaches when a kill tears its save of the HNSW graph. The
    first sync after an interrupted run finds such chunks (a search with their own vector misses them) and stores
    them again; nothing else changes."""
    from index_checks import cut_links_to

    built = _indexer(tmp_path / "built", hash_embedder)
    chunks = {name: _random_chunks(name, 150, seed) for seed, name in enumerate(("a.txt", "b.txt"), start=1)}
    for records, vectors in chunks.values():
        built.store.add(records, vectors)  # 300 chunks: Chroma writes the graph to disk at the 256th
    built.store.files.write([FileRecord(name, records[0].sha256, len(records)) for name, (records, _) in
                             chunks.items()])
    built.store.files.write([FileRecord("c.txt", "", 0, dirty=True)])  # a run was killed adding c.txt
    before = built.store.collection.get(include=["documents", "metadatas"])
    lost = chunks["a.txt"][0][40].id
    shutil.copytree(tmp_path / "built", tmp_path / "torn")  # a fresh path: this process's client reads the files
    cut_links_to(tmp_path / "torn", lost)

    indexer = _indexer(tmp_path / "torn", hash_embedder)
    assert indexer.store.unreachable() == [lost]
    assert indexer.recover() == ["c.txt"]
    assert indexer.store.unreachable() == []
    nearest = indexer.store.query_ids(chunks["a.txt"][1][40], 1)
    assert [chunk_id for chunk_id, _ in nearest] == [lost]
    after = indexer.store.collection.get(include=["documents", "metadatas"])
    def stored(got: dict) -> list[tuple[str, str, list]]:
        return sorted(zip(got["ids"], got["documents"], (sorted(m.items()) for m in got["metadatas"]), strict=True))

    assert stored(after) == stored(before)
    assert indexer.store.files.read() == {name: FileRecord(name, records[0].sha256, len(records))
                                          for name, (records, _) in chunks.items()}


def test_a_run_killed_after_its_last_record_was_written_is_searched_and_relinked(tmp_path, hash_embedder):
    """Every file record clean, and still a torn graph: the run marker a writing sync leaves in the folder says the
    run did not end, and the recovery searches and relinks as after any interrupted run."""
    from index_checks import cut_links_to

    from rag.index.store import RUN_MARKER

    built = _indexer(tmp_path / "built", hash_embedder)
    records, vectors = _random_chunks("a.txt", 300, 3)
    built.store.add(records, vectors)
    built.store.files.write([FileRecord("a.txt", records[0].sha256, len(records))])
    built.store.begin_run()  # killed here: the marker stays
    shutil.copytree(tmp_path / "built", tmp_path / "torn")
    lost = records[7].id
    cut_links_to(tmp_path / "torn", lost)
    indexer = _indexer(tmp_path / "torn", hash_embedder)
    assert indexer.store.interrupted() and indexer.store.unreachable() == [lost]
    assert indexer.recover() == []  # no file needed cleaning
    assert indexer.store.unreachable() == []
    assert indexer.store.files.read() == {"a.txt": FileRecord("a.txt", records[0].sha256, len(records))}
    empty = tmp_path / "docs"
    empty.mkdir()
    indexer.sync(empty, prune=False)  # the marker stays until a run ends: a kill before that searches again
    assert not (tmp_path / "torn" / RUN_MARKER).exists()


def test_the_chunks_chroma_replays_from_its_log_at_an_open_are_the_ones_written_since_its_last_save(tmp_path,
                                                                                                      hash_embedder):
    """Chroma saves its graph every 256 vectors and rebuilds the rest from its log at each open, in an order of its
    threads: those are the chunks whose reachability can differ from one open to the next. Named once per open."""
    built = _indexer(tmp_path / "built", hash_embedder)
    records, vectors = _random_chunks("a.txt", 300, 4)
    built.store.add(records, vectors)  # one batch of 256 (saved), then 44 only in the log
    built.store.delete("gone.txt")
    shutil.copytree(tmp_path / "built", tmp_path / "copy")
    store = _indexer(tmp_path / "copy", hash_embedder).store
    assert sorted(store.take_replayed()) == sorted(r.id for r in records[256:])
    assert store.take_replayed() == []  # once per open
    store.open(create=False)
    assert len(store.take_replayed()) == 44


def test_a_sync_after_an_open_relinks_a_replayed_chunk_no_search_reaches(tmp_path, hash_embedder, monkeypatch):
    """Without any interrupted run, the first sync of a process searches only the chunks Chroma replayed at its
    open, and stores again one the search misses; the second sync searches nothing."""
    built = _indexer(tmp_path / "built", hash_embedder)
    records, vectors = _random_chunks("a.txt", 300, 5)
    built.store.add(records, vectors)
    built.store.files.write([FileRecord("a.txt", records[0].sha256, len(records))])
    shutil.copytree(tmp_path / "built", tmp_path / "copy")
    indexer = _indexer(tmp_path / "copy", hash_embedder)
    searched: list[list[str] | None] = []
    relinked: list[list[str]] = []
    real_relink = indexer.store.relink

    def unreachable(k: int = 100, ids: list[str] | None = None) -> list[str]:
        searched.append(ids)
        return [records[290].id]  # as if the replay had left it unlinked

    monkeypatch.setattr(indexer.store, "unreachable", unreachable)
    monkeypatch.setattr(indexer.store, "relink", lambda ids: relinked.append(ids) or real_relink(ids))
    empty = tmp_path / "docs"
    empty.mkdir()
    indexer.sync(empty, prune=False)
    indexer.sync(empty, prune=False)
    assert [sorted(ids or []) for ids in searched] == [sorted(r.id for r in records[256:])]
    assert relinked == [[records[290].id]]
    assert indexer.store.files.read() == {"a.txt": FileRecord("a.txt", records[0].sha256, len(records))}
    assert indexer.store.count() == 300


def test_a_sync_leaves_no_run_marker_and_the_marker_is_one_of_the_index_files(tmp_path, docs_copy, hash_embedder):
    from rag.index.store import RUN_MARKER, foreign_entries

    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    assert not (tmp_path / "index" / RUN_MARKER).exists() and not indexer.store.interrupted()
    (tmp_path / "index" / RUN_MARKER).touch()
    assert foreign_entries(tmp_path / "index") == []  # an index's own file: `rag index --rebuild` may clear it


def test_a_sync_after_a_clean_run_does_not_search_the_whole_index(tmp_path, docs_copy, hash_embedder, monkeypatch):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    monkeypatch.setattr(indexer.store, "unreachable", lambda: pytest.fail("searched without an interrupted run"))
    indexer.sync(docs_copy)


def test_a_relink_killed_between_its_delete_and_its_add_has_the_next_sync_index_the_file_again(tmp_path, docs_copy,
                                                                                              hash_embedder):
    """What a kill inside ChromaStore.relink leaves: the file's record says no complete version (as the indexer
    writes it first) and one chunk is deleted, not yet added. The next sync indexes the file again, whole."""
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    name = "001_9f4acd3a2150c267.txt"
    record = indexer.store.files.read()[name]
    chunk_id = indexer.store.collection.get(where={"source": name}, include=[])["ids"][1]
    indexer.store.files.write([FileRecord(name, "", record.total, dirty=True)])
    indexer.store.collection.delete(ids=[chunk_id])
    report = indexer.sync(docs_copy)
    assert name in report.recovered and name in report.added
    assert indexer.store.files.read()[name] == record
    assert indexer.store.chunk_states()[name].complete == {record.sha256}
    assert chunk_id in indexer.store.collection.get(where={"source": name}, include=[])["ids"]
