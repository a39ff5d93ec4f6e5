"""Chroma's failures, turned into the project's errors with what to do. The one place that catches them.

A local index folder: Chroma reports a lost or read-only database as ``chromadb.errors.InternalError`` ("attempt
to write a readonly database") from deep in its Rust bindings; without this, the web chat would show a traceback
and an upload would be left in the documents folder as if it had been indexed. Such failures become IndexBroken;
a running app reopens the index at its next question (rag/index/reopen.py).
A Chroma server (RAG_CHROMA_URL): one that does not answer, or a lost connection, becomes ServerError; one that
does not answer in time (RAG_CHROMA_TIMEOUT) ServerTimeout.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

from rag.config import CONNECT_TIMEOUT_S, DEFAULT_CHROMA_TIMEOUT_S, parse_chroma_url
from rag.errors import IndexBroken, IndexMissing, RagError, ServerError, ServerTimeout

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


def timeout_of(url: str) -> float:
    """The time-out in seconds a server URL carries (rag.index.chroma_server.ServerAddress), else the default."""
    return float(getattr(url, "timeout", DEFAULT_CHROMA_TIMEOUT_S))


def server_timeout(url: str, exc: BaseException | None, setting: float, what: str,
                   waited: float | None = None) -> ServerTimeout:
    """The server at ``url`` did not connect, or did not answer ``what``, in time: ``setting`` is its time-out
    (RAG_CHROMA_TIMEOUT), ``waited`` how long was waited when that is not the setting."""
    import httpx

    if isinstance(exc, httpx.ConnectTimeout):
        return ServerTimeout(
            f"Could not connect to the Chroma server at {url} in time ({what}: no connection after "
            f"{min(setting, CONNECT_TIMEOUT_S):g} s). Check the host and port and that they are reachable from here "
            f"(a firewall that drops packets looks like this). {start_hint(url)}")
    return ServerTimeout(
        f"The Chroma server at {url} accepted the connection but did not answer {what} within "
        f"{setting if waited is None else waited:g} s (RAG_CHROMA_TIMEOUT={setting:g}). Check that a Chroma server "
        "(`chroma run`) listens there and is not stuck or overloaded (its log); if it is only slow, raise "
        "RAG_CHROMA_TIMEOUT.")


def server_error_status(url: str, status: int, body: str, path: str) -> ServerError:
    """The server at ``url`` answered HTTP ``status`` to ``path``."""
    detail = " ".join(body.split())[:200] or "no message"
    return ServerError(f"The Chroma server at {url} answered HTTP {status} to {path} ({detail}). Check that {url} "
                       "is a Chroma server (`chroma run`, chromadb 1.x) and look at its log.")


def server_failed(url: str, exc: BaseException, method: str) -> ServerError:
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    return ServerError(f"The Chroma server at {url} failed a `{method}` call ({detail}). Check its log; ask again "
                       "once it is fixed.")


def index_error(exc: BaseException, index_dir: Path, action: str) -> IndexBroken:
    """An IndexBroken for ``exc`` raised while trying to ``action`` ("open", "read", "write to") the index.

    Chroma keeps its SQLite connections, and one opened while the folder was read-only stays read-only after the
    folder is writable again; a running app's next question reopens the index (rag/index/reopen.py), so the advice
    is to fix the folder and try again, never a restart.
    """
    reason = str(exc).strip() or type(exc).__name__
    again = ("run the command again" if action == "open"
             else "try again (a running app reopens the index; no restart needed)")
    if not (index_dir / "chroma.sqlite3").is_file():
        advice = ("The index folder was deleted or moved: build it again with `rag index` (in another shell if the "
                  "app is running; it picks the new index up at the next question, no restart needed). Your "
                  "documents are not touched.")
    elif "readonly" in reason.lower().replace("-", "") or isinstance(exc, PermissionError):
        advice = (f"The index folder is (or was) read-only: make it writable (e.g. `chmod -R u+w {index_dir}`), "
                  f"then {again}; or point RAG_INDEX_DIR / --index at a writable folder.")
    elif action == "open":
        advice = REBUILD_ADVICE
    else:
        advice = ("Try again (a running app reopens the index); if this keeps happening, rebuild the index with "
                  "`rag index --rebuild` (your documents are not touched).")
    return IndexBroken(f"Cannot {action} the index in {index_dir} ({reason}). {advice}")


def open_error(exc: Exception, *, create: bool, collection: str, location: str, index_dir: Path,
               url: str | None) -> RagError:
    """What opening collection ``collection`` of the index at ``location`` failing with ``exc`` means.

    chromadb raises many types there (NotFoundError, sqlite errors, ValueError), so this looks at the message.
    """
    if not create and "does not exist" in str(exc).lower():
        return IndexMissing(f"The index in {location} has no collection {collection!r}. Build it with `rag index`.")
    if url is None:
        return index_error(exc, index_dir, "open")  # says what to do: rebuild, chmod...
    import httpx

    if isinstance(exc, httpx.TimeoutException):  # the server, not the index: rebuilding would not help
        return server_timeout(url, exc, timeout_of(url), f"opening collection {collection!r}")
    if isinstance(exc, httpx.TransportError):
        return connection_lost(url, exc)
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
            return _server_failure(self._url, method, exc)
        if not isinstance(exc, _chroma_failures()) or _is_programming_error(exc):
            return None
        action = "write to" if method in _WRITES else "open" if method.endswith("collection") else "read"
        return index_error(exc, self._index_dir, action)


def _server_failure(url: str, method: str, exc: Exception) -> RagError | None:
    """What ``exc`` from a call ``method`` to the Chroma server at ``url`` means; None: a bug of ours, let it show."""
    import httpx
    from chromadb.errors import ChromaError, NotFoundError

    if isinstance(exc, httpx.TimeoutException):
        return server_timeout(url, exc, timeout_of(url), f"a `{method}` call")
    if isinstance(exc, httpx.TransportError):
        return connection_lost(url, exc)
    if isinstance(exc, NotFoundError):
        return IndexBroken(f"The index on the Chroma server at {url} is gone ({exc}): another process dropped its "
                           "collections (`rag index --rebuild`?). Build it with `rag index`, then ask again (a "
                           "running app reopens it).")
    # chromadb raises a bare Exception holding the response body for an HTTP error it cannot map (e.g. a 500 from
    # a proxy or a crashed worker).
    if type(exc) is Exception or (isinstance(exc, ChromaError) and not _is_programming_error(exc)):
        return server_failed(url, exc, method)
    return None
