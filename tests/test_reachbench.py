"""scripts/reachbench.py on a real Chroma index: it counts the chunks and leaves the index untouched."""

from __future__ import annotations

import sys

from rag.config import PROJECT_ROOT
from rag.index.indexer import Indexer
from rag.index.store import ChromaStore
from rag.types import IndexInfo

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
import reachbench


def test_reachbench_counts_the_chunks_of_a_copy(tmp_path, docs_copy, hash_embedder):
    index = tmp_path / "index"
    store = ChromaStore(index, "documents", IndexInfo(hash_embedder.name, hash_embedder.dimension, 700))
    store.open(create=True)
    Indexer(store, hash_embedder, 700, lambda p: p.name).sync(docs_copy)
    before = sorted(p.name for p in index.rglob("*"))
    chunks, missed, seconds = reachbench.measure(index)
    assert chunks == store.count() > 0 and missed == 0 and seconds >= 0
    assert sorted(p.name for p in index.rglob("*")) == before
