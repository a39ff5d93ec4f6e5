"""Reading a whole Chroma collection a page at a time: one get() of 100k entries would hold them all at once."""

from __future__ import annotations

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
