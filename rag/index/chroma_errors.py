"""Failures of a local Chroma index folder, turned into IndexBroken with what to do.

Chroma reports a lost or read-only database as ``chromadb.errors.InternalError`` ("attempt to write a readonly
database") from deep in its Rust bindings; without this, the web chat would show a traceback and an upload
would be left in the documents folder as if it had been indexed.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

from rag.errors import IndexBroken

REBUILD_ADVICE = "Rebuild it with `rag index --rebuild` (your documents are not touched)."


def _chroma_failures() -> tuple[type[BaseException], ...]:
    from chromadb.errors import ChromaError

    return (ChromaError, sqlite3.Error, OSError)


def _is_programming_error(exc: BaseException) -> bool:
    from chromadb.errors import InvalidArgumentError

    return isinstance(exc, InvalidArgumentError)  # a bug in our call, not a broken index: let it show


def index_error(exc: BaseException, index_dir: Path, action: str) -> IndexBroken:
    """An IndexBroken for ``exc`` raised while trying to ``action`` ("open", "read", "write to") the index.

    A running app cannot recover in place: Chroma keeps its SQLite connections, and one opened while the folder
    was read-only stays read-only after the folder is writable again. So the advice for a running app is a restart.
    """
    reason = str(exc).strip() or type(exc).__name__
    again = "run the command again" if action == "open" else "restart the app (its open connections stay read-only)"
    if not (index_dir / "chroma.sqlite3").is_file():
        advice = ("The index folder was deleted or moved while the app was running: restart the app (it builds "
                  "the index again from the documents folder) or run `rag index`. Your documents are not touched.")
    elif "readonly" in reason.lower().replace("-", "") or isinstance(exc, PermissionError):
        advice = (f"The index folder is (or was) read-only: make it writable (e.g. `chmod -R u+w {index_dir}`), "
                  f"then {again}; or point RAG_INDEX_DIR / --index at a writable folder.")
    elif action == "open":
        advice = REBUILD_ADVICE
    else:
        advice = ("Restart the app; if this keeps happening, rebuild the index with `rag index --rebuild` "
                  "(your documents are not touched).")
    return IndexBroken(f"Cannot {action} the index in {index_dir} ({reason}). {advice}")


_WRITES = frozenset({"add", "upsert", "update", "delete", "modify"})


class GuardedCollection:
    """A Chroma collection whose calls raise IndexBroken instead of Chroma's, SQLite's or the OS's errors."""

    def __init__(self, target: Any, index_dir: Path) -> None:
        self._target = target
        self._index_dir = index_dir

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr
        action = "write to" if name in _WRITES else "open" if name.endswith("collection") else "read"

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except _chroma_failures() as exc:
                if _is_programming_error(exc):
                    raise
                raise index_error(exc, self._index_dir, action) from exc

        return call
