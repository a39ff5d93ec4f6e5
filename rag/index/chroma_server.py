"""A Chroma server as the index (RAG_CHROMA_URL): connect by URL, and say what to do when it is not there.

Several app processes can share one index through a server; the embedded index folder serves one process.
Telemetry is off and no embedding function is ever given, exactly as for the embedded store.
"""

from __future__ import annotations

import functools
import logging
from typing import Any
from urllib.parse import urlsplit

from rag.errors import ConfigError, ServerError

log = logging.getLogger(__name__)

DEFAULT_PORT = 8000  # what `chroma run` listens on when given no --port


def parse_url(url: str) -> tuple[str, int, bool]:
    """``http(s)://host[:port]`` -> (host, port, ssl)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"RAG_CHROMA_URL={url!r} is not a server address; use e.g. http://127.0.0.1:8000.")
    if parts.path not in ("", "/") or parts.query:
        raise ConfigError(f"RAG_CHROMA_URL={url!r} has a path; give only the scheme, host and port.")
    ssl = parts.scheme == "https"
    try:
        port = parts.port or (443 if ssl else DEFAULT_PORT)
    except ValueError as exc:
        raise ConfigError(f"RAG_CHROMA_URL={url!r} has an invalid port: {exc}") from exc
    return parts.hostname, port, ssl


def start_hint(url: str) -> str:
    """How to start a server at ``url``, for error messages."""
    host, port, _ = parse_url(url)
    return (
        f"Start it with `chroma run --path DIR --host {host} --port {port}` (the `chroma` command comes with "
        "the chromadb package, e.g. .venv/bin/chroma), or unset RAG_CHROMA_URL / --chroma-url to use the "
        "index folder instead."
    )


def connect(url: str) -> Any:
    """A Chroma HTTP client for ``url``; raises ServerError when nothing answers there."""
    import chromadb  # deferred: importing chromadb is slow
    import httpx
    from chromadb.config import Settings as ChromaSettings

    host, port, ssl = parse_url(url)
    try:
        # The client asks the server for its tenant and database at once, so a missing server fails here.
        return chromadb.HttpClient(
            host=host, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
    except (ValueError, httpx.HTTPError) as exc:
        raise ServerError(f"No Chroma server answers at {url} ({exc}). {start_hint(url)}") from exc


def guarded(collection: Any, url: str) -> Any:
    """The collection, with its calls turning a lost connection into ServerError instead of an httpx traceback."""
    return _Guarded(collection, url)


class _Guarded:
    def __init__(self, target: Any, url: str) -> None:
        self._target = target
        self._url = url

    def __getattr__(self, name: str) -> Any:
        import httpx

        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except httpx.TransportError as exc:
                raise ServerError(
                    f"Lost the connection to the Chroma server at {self._url} ({exc}). {start_hint(self._url)}"
                ) from exc

        return call


def delete_collections(url: str, *names: str) -> list[str]:
    """Drop these collections on the server (for `rag index --rebuild`); returns the ones that existed."""
    from chromadb.errors import NotFoundError

    client = connect(url)
    deleted = []
    for name in names:
        try:
            client.delete_collection(name)
        except NotFoundError:
            continue
        deleted.append(name)
    log.info("deleted collections %s on the Chroma server at %s", deleted, url)
    return deleted
