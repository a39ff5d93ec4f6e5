"""Reading a whole Chroma collection a page at a time: one get() of 100k entries would hold them all at once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

PAGE = 5000


def get_all(collection: Any, include: list[str]) -> Iterator[dict[str, Any]]:
    """Chroma's get() results for every entry of ``collection``, ``PAGE`` entries at a time, in storage order."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=PAGE, offset=offset)
        yield got
        if len(got["ids"]) < PAGE:
            return
        offset += len(got["ids"])


def ids_fingerprint(ids: list[str], kind: str) -> str:
    """Names what was derived from exactly these chunks (``kind`` and its format version, e.g. 'bm25 v5'): chunk
    ids hold their file's content hash, so the same ids mean the same texts."""
    digest = hashlib.sha256(f"{kind}\n".encode())
    for chunk_id in sorted(ids):
        digest.update(chunk_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]
