"""The indexer against a real Chroma store in temp folders, with the fast hash embedder.

The crash tests here stop a sync by raising at every single store write in turn (deterministic and exhaustive);
tests/test_crash_resume.py kills a real `rag index` process instead.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from index_checks import expected_versions, index_problems, search_problems

from rag.config import load_settings
from rag.errors import ConfigError, IndexBroken
from rag.index.embedding import OnnxInt8Embedder, SentenceTransformerEmbedder, make_embedder
from rag.index.indexer import Indexer, _prefetched
from rag.index.store import ChromaStore
from rag.serve.progress import ProgressBar
from rag.types import IndexInfo

CHUNKS = 700


class Crash(Exception):
    """Stands in for the process dying between two store writes."""


def _indexer(index_dir: Path, embedder, batch_size: int = 8, prefetch: bool = True) -> Indexer:
    store = ChromaStore(index_dir, "documents", IndexInfo(embedder.name, embedder.dimension, CHUNKS))
    store.open(create=True)
    return Indexer(store, embedder, CHUNKS, lambda p: p.name, batch_size=batch_size, prefetch=prefetch)


def _crash_at(indexer: Indexer, when: int) -> list[str]:
    """Make the store raise Crash on its ``when``-th write (0-based); returns the log of writes made."""
    writes: list[str] = []
    store = indexer.store
    for owner, name in ((store, "add"), (store, "delete"), (store.files, "write"), (store.files, "remove")):
        real = getattr(owner, name)

        def wrapped(*args, _real=real, _name=name, **kwargs):
            if len(writes) == when:
                raise Crash(f"crash before write {when} ({_name})")
            writes.append(_name)
            return _real(*args, **kwargs)

        setattr(owner, name, wrapped)
    return writes


def _update(docs: Path) -> None:
    """Change two files, delete one, add one."""
    (docs / "000_3f9bc7393afcd6ea.txt").write_text("Lavrov met the Vietnamese foreign minister. " * 30)
    with (docs / "002_cd5c2d4c352cb8e4.txt").open("a", encoding="utf-8") as fh:
        fh.write("\nA new closing paragraph about the talks in Hanoi.\n")
    (docs / "003_8696cf6703ef46b9.txt").unlink()
    (docs / "new.md").write_text("# Notes\n\n" + "Trade between the two countries grew. " * 20)


def _clean_ids(tmp: Path, docs: Path, embedder) -> set[str]:
    indexer = _indexer(tmp / "clean", embedder)
    indexer.sync(docs)
    return set(indexer.store.collection.get(include=[])["ids"])


def _assert_exact(indexer: Indexer, docs: Path, clean_ids: set[str]) -> None:
    problems = index_problems(indexer.store, expected_versions(docs, CHUNKS, lambda p: p.name))
    problems += search_problems(indexer.store, indexer.embedder.dimension)
    assert problems == []
    assert set(indexer.store.collection.get(include=[])["ids"]) == clean_ids


def test_batches_span_files(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder, batch_size=16)
    report = indexer.sync(docs_copy)
    total = report.chunks_embedded
    assert total > 32
    assert hash_embedder.calls == [16] * (total // 16) + ([total % 16] if total % 16 else [])
    assert index_problems(indexer.store, expected_versions(docs_copy, CHUNKS, lambda p: p.name)) == []


@pytest.mark.parametrize("prefetch", [True, False])
def test_update_adds_replaces_and_removes_exactly(tmp_path, docs_copy, hash_embedder, prefetch):
    indexer = _indexer(tmp_path / "index", hash_embedder, prefetch=prefetch)
    indexer.sync(docs_copy)
    _update(docs_copy)
    report = indexer.sync(docs_copy)
    assert report.added == ["new.md"]
    assert report.updated == ["000_3f9bc7393afcd6ea.txt", "002_cd5c2d4c352cb8e4.txt"]
    assert report.removed == ["003_8696cf6703ef46b9.txt"]
    assert sorted(report.unchanged) == ["001_9f4acd3a2150c267.txt", "004_6a4118b6b4af9dbd.txt"]
    _assert_exact(indexer, docs_copy, _clean_ids(tmp_path, docs_copy, hash_embedder))


def test_unchanged_resync_reads_no_chunk(tmp_path, docs_copy, hash_embedder):
    """Deciding that nothing changed reads the per-file records only, never the chunks' metadata."""
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    chunk_reads = []
    real_get = indexer.store.collection.get
    indexer.store.collection.get = lambda *a, **k: chunk_reads.append(k) or real_get(*a, **k)
    report = indexer.sync(docs_copy)
    assert len(report.unchanged) == 5 and not report.changed
    assert chunk_reads == []


@pytest.mark.parametrize("scenario", ["build", "update"])
def test_crash_before_any_write_is_finished_by_next_sync(tmp_path, docs_copy, hash_embedder, scenario):
    """Crash the sync before each of its store writes in turn; the next sync must always end in the index a
    clean build gives, and a second crash during that next sync (its recovery included) must not matter."""
    base = tmp_path / "base"
    if scenario == "update":
        _indexer(base, hash_embedder).sync(docs_copy)
        _update(docs_copy)
    else:
        base.mkdir()
    clean_ids = _clean_ids(tmp_path, docs_copy, hash_embedder)
    when = 0
    while True:
        index_dir = tmp_path / f"run{when}"
        shutil.copytree(base, index_dir)
        indexer = _indexer(index_dir, hash_embedder)
        writes = _crash_at(indexer, when)
        try:
            indexer.sync(docs_copy)
        except Crash:
            pass
        else:
            break  # ``when`` is past the last write: every crash point has been tried
        assert len(writes) == when
        if when % 3 == 1:  # crash again, early in the next run (inside recovery or the first batch)
            again = _indexer(index_dir, hash_embedder)
            _crash_at(again, when % 4)
            try:
                again.sync(docs_copy)
            except Crash:
                pass
        resumed = _indexer(index_dir, hash_embedder)
        report = resumed.sync(docs_copy)
        _assert_exact(resumed, docs_copy, clean_ids)
        assert not report.skipped
        when += 1
    assert when > 10  # the scenario really had many write points (several batches, files across batches)


def test_crashed_upload_is_cleaned_and_redone(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder, batch_size=2)
    _crash_at(indexer, 2)  # mark, first batch stored, then dies
    with pytest.raises(Crash):
        indexer.add_file(docs_copy / "001_9f4acd3a2150c267.txt")
    fresh = _indexer(tmp_path / "index", hash_embedder)
    assert fresh.recover() == ["001_9f4acd3a2150c267.txt"]
    assert fresh.store.count() == 0 and fresh.store.files.read() == {}
    fresh.add_file(docs_copy / "001_9f4acd3a2150c267.txt")
    only = docs_copy / "only"
    only.mkdir()
    shutil.copy(docs_copy / "001_9f4acd3a2150c267.txt", only)
    assert index_problems(fresh.store, expected_versions(only, CHUNKS, lambda p: p.name)) == []


def test_unreadable_new_version_keeps_the_old_one(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    before = indexer.store.collection.get(where={"source": "004_6a4118b6b4af9dbd.txt"})["ids"]
    (docs_copy / "004_6a4118b6b4af9dbd.txt").write_bytes(b"\xff\xfe not utf-8")
    report = indexer.sync(docs_copy)
    assert "UTF-8" in report.skipped["004_6a4118b6b4af9dbd.txt"]
    assert "004_6a4118b6b4af9dbd.txt" in report.unchanged
    assert indexer.store.collection.get(where={"source": "004_6a4118b6b4af9dbd.txt"})["ids"] == before


def test_progress_reports_files_and_chunks(tmp_path, docs_copy, hash_embedder):
    calls = []
    indexer = _indexer(tmp_path / "index", hash_embedder)
    report = indexer.sync(docs_copy, progress=lambda *a: calls.append(a))
    assert calls[0] == (0, 5, 0)
    assert calls[-1] == (5, 5, report.chunks_embedded)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert [c[2] for c in calls] == sorted(c[2] for c in calls)


def test_progress_bar_shows_files_chunks_and_rate():
    out = io.StringIO()
    with ProgressBar("indexing", stream=out, enabled=True) as bar:
        bar.update(0, 4, 0)
        bar.update(4, 4, 120)
    text = out.getvalue()
    assert "4/4" in text and "file" in text
    assert "chunks=120" in text and "chunks/s" in text
    assert ProgressBar("x", stream=io.StringIO()).update(1, 2, 3) is None  # not a terminal: silent, no error


def test_summary_names_every_kind_of_change(tmp_path, docs_copy, hash_embedder):
    indexer = _indexer(tmp_path / "index", hash_embedder)
    indexer.sync(docs_copy)
    _update(docs_copy)
    (docs_copy / "empty.txt").write_text("")
    summary = indexer.sync(docs_copy).summary()
    for part in ("1 added", "2 updated", "1 removed", "2 unchanged", "1 skipped", "chunks/s", "chunks embedded"):
        assert part in summary


def test_reader_errors_reach_the_caller():
    def items():
        yield 1
        raise ValueError("disk on fire")

    got = _prefetched(items(), 2)
    assert next(got) == 1
    with pytest.raises(ValueError, match="disk on fire"):
        next(got)


def test_backend_is_part_of_the_embedder_name_and_validated(tmp_path):
    assert load_settings(env={}).embed_backend == "onnx-int8"  # the default (same recall, faster)
    torch_embedder = make_embedder(load_settings(env={"RAG_EMBED_BACKEND": "torch"}))
    onnx_embedder = make_embedder(load_settings(env={"RAG_EMBED_BACKEND": "onnx-int8", "RAG_CACHE_DIR": str(tmp_path)}))
    assert isinstance(torch_embedder, SentenceTransformerEmbedder)
    assert isinstance(onnx_embedder, OnnxInt8Embedder)
    assert onnx_embedder.name == f"{torch_embedder.name}+onnx-int8"
    assert onnx_embedder.dimension == torch_embedder.dimension == 384
    assert onnx_embedder.onnx_path.is_relative_to(tmp_path)
    with pytest.raises(ConfigError, match="RAG_EMBED_BACKEND"):
        load_settings(env={"RAG_EMBED_BACKEND": "tensorflow"})
    # An index built with one backend refuses the other.
    ChromaStore(tmp_path / "i", "documents", IndexInfo(torch_embedder.name, 384, 700)).open(create=True)
    with pytest.raises(IndexBroken, match="onnx-int8"):
        ChromaStore(tmp_path / "i", "documents", IndexInfo(onnx_embedder.name, 384, 700)).open(create=False)


@pytest.mark.slow
def test_onnx_int8_export_is_cached_and_close_to_torch(tmp_path):
    settings = load_settings(env={"RAG_CACHE_DIR": str(tmp_path / "cache"), "RAG_EMBED_BACKEND": "torch"})
    onnx_embedder = make_embedder(replace(settings, embed_backend="onnx-int8"))
    texts = [p.read_text(encoding="utf-8")[:700] for p in sorted(settings.docs_dir.glob("*.txt"))]
    texts += ["Who did Lavrov meet in Hanoi?", "x"]
    got = onnx_embedder.embed(texts)
    path = onnx_embedder.onnx_path
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["model.onnx"]  # no leftover temp files
    want = make_embedder(settings).embed(texts)
    cosines = (got * want).sum(axis=1)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert abs(float((got**2).sum(axis=1).mean()) - 1.0) < 1e-4
    assert cosines.min() > 0.95 and cosines.mean() > 0.98
    mtime = path.stat().st_mtime_ns
    again = make_embedder(replace(settings, embed_backend="onnx-int8"))
    assert (again.embed(texts[:2]) == got[:2]).all()  # same vectors, export reused
    assert path.stat().st_mtime_ns == mtime
