"""Checks that an index holds exactly the current version of every document, used by the indexer and crash
tests: each file's chunks present once with its current hash, nothing of a deleted or old version, the per-file
records clean and in agreement, and Chroma's own view (count, search) consistent."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import DocumentUnreadable
from rag.index.indexer import chunk_document
from rag.index.store import ChromaStore
from rag.ingest.documents import list_documents, read_document
from rag.types import IndexInfo


def expected_versions(docs: Path, chunk_chars: int, display: Callable[[Path], str]) -> dict[str, tuple[str, int]]:
    """source -> (sha256, chunk total) for every readable file in ``docs``."""
    out = {}
    for path in list_documents(docs):
        try:
            doc = read_document(path, display(path))
        except DocumentUnreadable:
            continue
        out[doc.source] = (doc.sha256, len(chunk_document(doc, chunk_chars)))
    return out


def index_problems(store: ChromaStore, expected: dict[str, tuple[str, int]]) -> list[str]:
    """Every way the store differs from ``expected``; empty when it matches exactly."""
    problems = []
    got = store.collection.get(include=["metadatas"])
    ids, metas = got["ids"], got["metadatas"]
    if len(set(ids)) != len(ids):
        problems.append(f"duplicate ids: {[i for i, n in Counter(ids).items() if n > 1][:5]}")
    if store.count() != len(ids):
        problems.append(f"count() says {store.count()} but get() returns {len(ids)} chunks")
    chunks: dict[str, list[int]] = {}
    for chunk_id, meta in zip(ids, metas, strict=True):
        source, sha = meta["source"], meta["sha256"]
        if source not in expected:
            problems.append(f"chunk {chunk_id} of a file not on disk")
        elif sha != expected[source][0]:
            problems.append(f"chunk {chunk_id} of an old version of {source}")
        elif int(meta["total"]) != expected[source][1]:
            problems.append(f"chunk {chunk_id} claims total {meta['total']}, expected {expected[source][1]}")
        else:
            chunks.setdefault(source, []).append(int(meta["chunk"]))
    for source, (_, total) in expected.items():
        if sorted(chunks.get(source, [])) != list(range(total)):
            problems.append(f"{source}: chunks {sorted(chunks.get(source, []))} instead of 0..{total - 1}")
    records = store.files.read()
    for source, record in records.items():
        if record.dirty:
            problems.append(f"record of {source} still dirty")
        if expected.get(source) != (record.sha256, record.total):
            problems.append(f"record of {source} says {record.sha256[:12]}/{record.total}, "
                            f"expected {expected.get(source)}")
    for source in set(expected) - set(records):
        problems.append(f"no record for {source}")
    return problems


def search_problems(store: ChromaStore, dimension: int) -> list[str]:
    """Chroma's vector index agrees with its records: searching with each stored vector finds that record (every
    record is searchable) and a search returns only stored ids. (One search for all n records is no test: HNSW
    search is approximate and may return fewer than n after records were rewritten.)"""
    n = store.count()
    if n == 0:
        return []
    got = store.collection.get(include=["embeddings"])
    ids = list(got["ids"])
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    problems = []
    if vectors.shape != (len(ids), dimension):
        problems.append(f"stored vectors have shape {vectors.shape}, expected ({len(ids)}, {dimension})")
        return problems
    # A wide search (HNSW explores at least k candidates): a record missing from the vector index is never found,
    # while a present one is not lost to the approximate search's misses among near-identical neighbours.
    res = store.collection.query(query_embeddings=vectors.tolist(), n_results=min(n, 100), include=[])
    found = {i for row in res["ids"] for i in row}
    missing = [i for i, row in zip(ids, res["ids"], strict=True) if i not in row]
    if missing:
        problems.append(f"{len(missing)} record(s) not found by their own vector, e.g. {missing[:3]}")
    if not found <= set(ids):
        problems.append(f"search returned ids not stored: {sorted(found - set(ids))[:3]}")
    return problems


def open_copy(index_dir: Path, collection: str, info: IndexInfo) -> tuple[ChromaStore, Path]:
    """Open a copy of an index another process wrote (this process's Chroma caches clients by path, so a fresh
    path guarantees what is read comes from the files). The caller removes the returned folder."""
    tmp = Path(tempfile.mkdtemp(prefix="index-copy-"))
    shutil.copytree(index_dir, tmp / "index")
    store = ChromaStore(tmp / "index", collection, info)
    store.open(create=False)
    return store, tmp


def all_ids(store: ChromaStore) -> set[str]:
    return set(store.collection.get(include=[])["ids"])


def describe(problems: list[Any]) -> str:
    return "\n".join(str(p) for p in problems[:20])
