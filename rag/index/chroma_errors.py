"""Chroma's failures, turned into the project's errors with what to do. The one place that catches them.

A local index folder: Chroma reports a lost or read-only database as ``chromadb.errors.InternalError`` ("attempt
to write a readonly database") from deep in its Rust bindings; without this, the web chat would show a traceback
and an upload would be left in the documents folder as if it had been indexed. Such failures become IndexBroken.
A Chroma server (RAG_CHROMA_URL): one that does not answer, or a lost connection, becomes ServerError.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

from rag.config import parse_chroma_url
from rag.errors import IndexBroken, IndexMissing, RagError, ServerError

REBUILD_ADVICE = "Rebuild it with `rag index --rebuild` (your documents are not touched)."


def start_hint(url: str) -> str:
    """How to start a server at ``url``, for error messages."""
    host, port, _ = parse_chroma_url(url)
    return (
        f"Start it with `chroma run --path DIR --host {host} --port {port}` (the `chroma` command comes with "
        "the chromadb package, e.g. .venv/bin/chroma), or unset RAG_CHROMA_URL / --chroma-url to use the "
        "index folder instead."
    )


def server_unreachable(url: str, exc: BaseException) -> ServerError:
    """Nothing answers at ``url`` (raised while connecting)."""
    return ServerError(f"No Chroma server answers at {url} ({exc}). {start_hint(url)}")


def connection_lost(url: str, exc: BaseException) -> ServerError:
    return ServerError(f"Lost the connection to the Chroma server at {url} ({exc}). {start_hint(url)}")


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


def open_error(exc: Exception, *, create: bool, collection: str, location: str, index_dir: Path,
               url: str | None) -> IndexMissing | IndexBroken:
    """What opening collection ``collection`` of the index at ``location`` failing with ``exc`` means.

    chromadb raises many types there (NotFoundError, sqlite errors, ValueError), so this looks at the message.
    """
    if not create and "does not exist" in str(exc).lower():
        return IndexMissing(f"The index in {location} has no collection {collection!r}. Build it with `rag index`.")
    if url is None:
        return index_error(exc, index_dir, "open")  # says what to do: rebuild, chmod...
    return IndexBroken(f"Cannot open the index in {location}: {exc}. {REBUILD_ADVICE}")


def _chroma_failures() -> tuple[type[BaseException], ...]:
    from chromadb.errors import ChromaError

    return (ChromaError, sqlite3.Error, OSError)


def _is_programming_error(exc: BaseException) -> bool:
    from chromadb.errors import InvalidArgumentError

    return isinstance(exc, InvalidArgumentError)  # a bug in our call, not a broken index: let it show


_WRITES = frozenset({"add", "upsert", "update", "delete", "modify"})


class Guarded:
    """A Chroma client or collection whose calls raise the project's errors instead of Chroma's, SQLite's, the OS's
    or httpx's: IndexBroken for the index folder ``index_dir``, ServerError for the server at ``url``. Other errors
    pass unchanged."""

    def __init__(self, target: Any, index_dir: Path, url: str | None = None) -> None:
        self._target = target
        self._index_dir = index_dir
        self._url = url

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except Exception as exc:  # re-raised as it is unless it is a failure of the index or the server
                error = self._translate(name, exc)
                if error is None:
                    raise
                raise error from exc

        return call

    def _translate(self, method: str, exc: Exception) -> RagError | None:
        if self._url is not None:
            import httpx

            return connection_lost(self._url, exc) if isinstance(exc, httpx.TransportError) else None
        if not isinstance(exc, _chroma_failures()) or _is_programming_error(exc):
            return None
        action = "write to" if method in _WRITES else "open" if method.endswith("collection") else "read"
        return index_error(exc, self._index_dir, action)
