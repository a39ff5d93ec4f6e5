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


def search_problems(store: ChromaStore, dimension: int, reach: bool = True) -> list[str]:
    """Chroma's vector index agrees with its records: every record's vector is stored (Chroma reads it from the
    vector index), searching with each stored vector finds that record (every record is searchable; not checked
    without ``reach``) and a search returns only stored ids. (One search for all n records is no test: HNSW
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
    if missing and reach:
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


def cut_links_to(index_dir: Path, chunk_id: str) -> None:
    """Edit the persisted HNSW graph of the segment holding ``chunk_id`` so that no element links to it (what a
    torn save of the graph can leave): the element stays, with its vector, but no search path reaches it.
    The file layout is hnswlib's (header.bin, then per element a level-0 link list in data_level0.bin and the
    upper levels' lists in link_lists.bin), as chromadb 1.5.9 writes it. Only for a folder no client has open."""
    import pickle
    import struct

    for pickled in index_dir.glob("*/index_metadata.pickle"):
        id_map = pickle.loads(pickled.read_bytes())
        if chunk_id in id_map["id_to_label"]:
            break
    else:
        raise AssertionError(f"{chunk_id} is in no persisted segment of {index_dir}")
    segment, label = pickled.parent, id_map["id_to_label"][chunk_id]
    header = (segment / "header.bin").read_bytes()
    (_version, _offset0, _capacity, elements, stride, label_offset, _data_offset, _max_level, entry, max_m,
     _max_m0) = struct.unpack_from("<iQQQQQQiIQQ", header)
    data = bytearray((segment / "data_level0.bin").read_bytes())
    target = next(i for i in range(elements) if struct.unpack_from("<Q", data, i * stride + label_offset)[0] == label)
    assert target != entry, "the entry point is always reached"

    def cut(buf: bytearray, at: int) -> None:  # one link list: a u32 count (low 16 bits; flags above), the links
        raw = struct.unpack_from("<I", buf, at)[0]
        count = raw & 0xFFFF
        links = [x for x in struct.unpack_from(f"<{count}I", buf, at + 4) if x != target]
        struct.pack_into("<I", buf, at, (raw & ~0xFFFF) | len(links))
        struct.pack_into(f"<{count}I", buf, at + 4, *links, *[0] * (count - len(links)))

    for i in range(elements):
        cut(data, i * stride)
    upper = bytearray((segment / "link_lists.bin").read_bytes())
    at = 0
    for _ in range(elements):
        size = struct.unpack_from("<I", upper, at)[0]
        for level_at in range(at + 4, at + 4 + size, 4 * max_m + 4):
            cut(upper, level_at)
        at += 4 + size
    (segment / "data_level0.bin").write_bytes(bytes(data))
    (segment / "link_lists.bin").write_bytes(bytes(upper))
