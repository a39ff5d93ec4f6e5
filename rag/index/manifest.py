"""The per-file records of an index: which version of each source file the index holds, one entry per file.

They live in a second Chroma collection, ``<collection>_files``, beside the chunks, so that deciding what to
re-embed reads one small entry per file instead of every chunk's metadata.

Crash safety rests on two rules the indexer follows (see rag/index/indexer.py):

1. A file's record is written (marked ``dirty``) before any of its chunks are added or removed, and is removed
   only after all its chunks are gone. So every chunk in the index has a record.
2. A record that is not dirty says exactly what is stored: the ``total`` chunks of version ``sha256``.

A dirty record therefore names the one version that is known to be complete (``sha256``, or none when empty);
whatever else is stored under that source is leftover from an interrupted write, and the next sync removes it
(:meth:`rag.index.indexer.Indexer.recover`).
"""

from __future__ import annotations

from typing import Any

from rag.index.paging import get_all
from rag.types import FileRecord

_BATCH = 1000


def files_collection_name(collection: str) -> str:
    return f"{collection}_files"


class FileManifest:
    """Reads and writes the file records in their Chroma collection (id = source path)."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    def read(self) -> dict[str, FileRecord]:
        out: dict[str, FileRecord] = {}
        for got in get_all(self.collection, ["metadatas"]):
            for meta in got.get("metadatas") or []:
                record = FileRecord.from_metadata(meta)
                out[record.source] = record
        return out

    def write(self, records: list[FileRecord]) -> None:
        """Upsert records. Each record is right on its own, so a write cut short anywhere is still safe."""
        for i in range(0, len(records), _BATCH):
            batch = records[i : i + _BATCH]
            # Chroma wants a vector per entry; the records are never searched, so a constant one does.
            self.collection.upsert(ids=[r.source for r in batch], embeddings=[[0.0]] * len(batch),
                                   metadatas=[r.as_metadata() for r in batch])

    def remove(self, sources: list[str]) -> None:
        for i in range(0, len(sources), _BATCH):
            self.collection.delete(ids=sources[i : i + _BATCH])
