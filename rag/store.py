"""The persistent Chroma index: chunks with their vectors and provenance, and what was indexed from which file.

Vectors always come from our own embedder; the collection is created with no embedding function so Chroma
never embeds (its default function would download a model).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexBroken, IndexMissing
from rag.records import Passage

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_BATCH = 256
_PAGE = 5000


@dataclass(frozen=True)
class IndexInfo:
    """What an index was built with; opening it with anything else would give wrong answers."""

    embedder: str
    dimension: int
    chunk_chars: int
    schema: int = SCHEMA_VERSION

    def as_metadata(self) -> dict[str, Any]:
        return {
            "hnsw:space": "cosine",
            "embedder": self.embedder,
            "dimension": self.dimension,
            "chunk_chars": self.chunk_chars,
            "schema": self.schema,
        }


@dataclass
class StoredFile:
    """The versions of one source file found in the index."""

    complete: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)

    def is_exactly(self, sha256: str) -> bool:
        return self.complete == {sha256} and not self.partial


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk ready to store."""

    source: str
    sha256: str
    index: int
    total: int  # chunks of this file version; a file is complete when all are stored
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.sha256[:20]}:{self.index}:{self.source}"


def _client(index_dir: Path) -> Any:
    import chromadb  # deferred: importing chromadb is slow
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


class ChromaStore:
    """One collection in a persistent Chroma folder."""

    def __init__(self, index_dir: Path, collection: str, info: IndexInfo) -> None:
        self.index_dir = index_dir
        self.collection_name = collection
        self.info = info
        self._collection: Any = None

    @staticmethod
    def exists(index_dir: Path) -> bool:
        return (index_dir / "chroma.sqlite3").is_file()

    def open(self, create: bool) -> None:
        """Open the collection; with ``create`` make it if missing. Refuses one built with other settings."""
        if not create and not self.exists(self.index_dir):
            raise IndexMissing(f"No index found in {self.index_dir}. Build it with `rag index`.")
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            client = _client(self.index_dir)
            if create:
                coll = client.get_or_create_collection(
                    self.collection_name, embedding_function=None, metadata=self.info.as_metadata()
                )
            else:
                coll = client.get_collection(self.collection_name, embedding_function=None)
        except Exception as exc:  # chromadb raises many types (NotFoundError, sqlite errors, ValueError)
            if not create and "does not exist" in str(exc).lower():
                raise IndexMissing(
                    f"The index in {self.index_dir} has no collection {self.collection_name!r}. "
                    "Build it with `rag index`."
                ) from exc
            raise IndexBroken(
                f"Cannot open the index in {self.index_dir}: {exc}. "
                "Rebuild it with `rag index --rebuild` (your documents are not touched)."
            ) from exc
        self._check_info(coll.metadata or {})
        self._collection = coll

    def _check_info(self, meta: dict[str, Any]) -> None:
        built = (meta.get("embedder"), meta.get("dimension"), meta.get("chunk_chars"), meta.get("schema"))
        wanted = (self.info.embedder, self.info.dimension, self.info.chunk_chars, self.info.schema)
        if built != wanted:
            raise IndexBroken(
                f"The index in {self.index_dir} was built with embedder={built[0]}, dimension={built[1]}, "
                f"chunk_chars={built[2]}, schema={built[3]}, but the current settings are embedder={wanted[0]}, "
                f"dimension={wanted[1]}, chunk_chars={wanted[2]}, schema={wanted[3]}. "
                "Rebuild it with `rag index --rebuild`."
            )

    @property
    def collection(self) -> Any:
        if self._collection is None:
            raise IndexMissing("The index is not open. Build it with `rag index`.")
        return self._collection

    def count(self) -> int:
        return int(self.collection.count())

    def file_states(self) -> dict[str, StoredFile]:
        """What is stored for each source, by file version (content hash)."""
        counts: dict[tuple[str, str], int] = defaultdict(int)
        totals: dict[tuple[str, str], int] = {}
        offset = 0
        while True:
            got = self.collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            metas = got.get("metadatas") or []
            for meta in metas:
                key = (str(meta["source"]), str(meta["sha256"]))
                counts[key] += 1
                totals[key] = int(meta["total"])
            if len(metas) < _PAGE:
                break
            offset += len(metas)
        states: dict[str, StoredFile] = defaultdict(StoredFile)
        for (source, sha), n in counts.items():
            # An interrupted add leaves fewer chunks than the file version's total: not complete.
            (states[source].complete if n == totals[(source, sha)] else states[source].partial).add(sha)
        return dict(states)

    def texts(self) -> list[str]:
        """The text of every stored chunk (for the vocabulary that refusal checks names against)."""
        out: list[str] = []
        offset = 0
        while True:
            got = self.collection.get(include=["documents"], limit=_PAGE, offset=offset)
            docs = got.get("documents") or []
            out.extend(docs)
            if len(docs) < _PAGE:
                return out
            offset += len(docs)

    def add(self, records: list[ChunkRecord], vectors: np.ndarray) -> None:
        for i in range(0, len(records), _BATCH):
            batch = records[i : i + _BATCH]
            self.collection.upsert(
                ids=[r.id for r in batch],
                embeddings=vectors[i : i + _BATCH].tolist(),
                documents=[r.text for r in batch],
                metadatas=[
                    {"source": r.source, "sha256": r.sha256, "chunk": r.index, "total": r.total,
                     "start": r.start, "end": r.end}
                    for r in batch
                ],
            )

    def delete(self, source: str, keep_sha: str | None = None) -> None:
        """Remove a source's chunks, all of them or all but those of one file version."""
        where: dict[str, Any] = {"source": source}
        if keep_sha is not None:
            where = {"$and": [{"source": source}, {"sha256": {"$ne": keep_sha}}]}
        self.collection.delete(where=where)

    def query(self, vector: np.ndarray, k: int) -> list[Passage]:
        n = self.count()
        if n == 0:
            return []
        res = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=min(k, n), include=["documents", "metadatas", "distances"]
        )
        passages = []
        for text, meta, dist in zip(res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True):
            passages.append(
                Passage(source=meta["source"], start=int(meta["start"]), end=int(meta["end"]), text=text,
                        score=1.0 - float(dist))
            )
        return passages

    def sources(self) -> list[str]:
        return sorted(self.file_states())
