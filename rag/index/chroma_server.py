"""A Chroma server as the index (RAG_CHROMA_URL): connect by URL within a time-out (rag/index/chroma_errors.py
says what to do when it is not there or does not answer), drop its collections for a rebuild.

Several app processes can share one index through a server; the embedded index folder serves one process.
Telemetry is off and no embedding function is ever given, exactly as for the embedded store.

chromadb's HttpClient builds its httpx session with ``timeout=None`` and no setting changes that (chromadb 1.5.9,
chromadb/api/fastapi.py; chroma-core/chroma#5805), and it sends its first requests while it is being built. So a
server that accepts connections and never answers would hang the app for good. Here a heartbeat with our own
time-out comes first (it says exactly what failed), the client is built on a thread we stop waiting for after the
time-out, and its session then gets the time-out for every later call.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from rag.config import CONNECT_TIMEOUT_S, DEFAULT_CHROMA_TIMEOUT_S, parse_chroma_url
from rag.index.chroma_errors import (
    connection_lost,
    server_error_status,
    server_timeout,
    server_unreachable,
    timeout_of,
)
from rag.index.chroma_import import unchecked_overrides

log = logging.getLogger(__name__)

HEARTBEAT_PATH = "/api/v2/heartbeat"
_BUILD_REQUESTS = 4  # requests HttpClient() sends while it is built: identity, tenant, database, ...


class ServerAddress(str):
    """A Chroma server's URL that also carries how long to wait for it (RAG_CHROMA_TIMEOUT, in seconds).

    It is the URL string everywhere (messages, comparisons), so a ChromaStore given one passes the time-out on to
    ``connect`` without a parameter of its own.
    """

    timeout: float

    def __new__(cls, url: str, timeout: float = DEFAULT_CHROMA_TIMEOUT_S) -> ServerAddress:  # noqa: PYI034 (3.10)
        address = super().__new__(cls, url)
        address.timeout = timeout
        return address


def http_timeout(seconds: float) -> Any:
    """httpx's time-outs for a server call: ``seconds`` for each read and write, connecting at most 5 s."""
    import httpx

    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT_S, seconds))


def connect(url: str, timeout: float | None = None) -> Any:
    """A Chroma HTTP client for ``url`` whose every call is bounded by ``timeout`` seconds (default: what ``url``
    carries). Raises ServerError (ServerTimeout for a server that does not answer in time) with what to do."""
    timeout = timeout_of(url) if timeout is None else timeout
    host, port, ssl = parse_chroma_url(url)
    _heartbeat(url, timeout)
    client = _build_client(url, host, port, ssl, timeout)
    client._server._session.timeout = http_timeout(timeout)  # see the module docstring: no public setting
    return client


def _heartbeat(url: str, timeout: float) -> None:
    import httpx

    try:
        response = httpx.get(url.rstrip("/") + HEARTBEAT_PATH, timeout=http_timeout(timeout))
    except httpx.TimeoutException as exc:
        raise server_timeout(url, exc, timeout, f"a heartbeat request (GET {HEARTBEAT_PATH})") from exc
    except httpx.HTTPError as exc:
        raise server_unreachable(url, exc) from exc
    if response.status_code != 200:
        raise server_error_status(url, response.status_code, response.text, HEARTBEAT_PATH)


def _build_client(url: str, host: str, port: int, ssl: bool, timeout: float) -> Any:
    """chromadb.HttpClient(...), given up on after the time-out of the requests it sends while built."""
    import httpx

    with unchecked_overrides():  # the client's own modules load with it, on the thread below
        import chromadb  # deferred: importing chromadb is slow
        from chromadb.config import Settings as ChromaSettings

    result: dict[str, Any] = {}

    def build() -> None:
        try:
            result["client"] = chromadb.HttpClient(
                host=host, port=port, ssl=ssl,
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            result["error"] = exc

    # A daemon thread: if the server never answers, the thread stays blocked on its socket but the process can
    # still exit (a ThreadPoolExecutor's thread would be joined at exit, and hang it).
    worker = threading.Thread(target=build, name="chroma-connect", daemon=True)
    worker.start()
    worker.join(timeout * _BUILD_REQUESTS)
    if worker.is_alive():
        raise server_timeout(url, None, timeout, "the client's first requests (identity, tenant, database)",
                             waited=timeout * _BUILD_REQUESTS)
    error = result.get("error")
    if isinstance(error, (ValueError, httpx.HTTPError)):
        raise server_unreachable(url, error) from error
    if error is not None:
        raise error
    return result["client"]


def delete_collections(url: str, *names: str, timeout: float | None = None) -> list[str]:
    """Drop these collections on the server (for `rag index --rebuild`); returns the ones that existed."""
    import httpx
    from chromadb.errors import NotFoundError

    timeout = timeout_of(url) if timeout is None else timeout
    client = connect(url, timeout)
    deleted = []
    for name in names:
        try:
            client.delete_collection(name)
        except NotFoundError:
            continue
        except httpx.TimeoutException as exc:
            raise server_timeout(url, exc, timeout, f"deleting collection {name!r}") from exc
        except httpx.TransportError as exc:
            raise connection_lost(url, exc) from exc
        deleted.append(name)
    log.info("deleted collections %s on the Chroma server at %s", deleted, url)
    return deleted
