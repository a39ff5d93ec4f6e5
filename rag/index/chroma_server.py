"""A Chroma server as the index (RAG_CHROMA_URL): connect by URL (rag/index/chroma_errors.py says what to do
when it is not there), drop its collections for a rebuild.

Several app processes can share one index through a server; the embedded index folder serves one process.
Telemetry is off and no embedding function is ever given, exactly as for the embedded store.
"""

from __future__ import annotations

import logging
from typing import Any

from rag.config import parse_chroma_url
from rag.index.chroma_errors import server_unreachable

log = logging.getLogger(__name__)


def connect(url: str) -> Any:
    """A Chroma HTTP client for ``url``; raises ServerError when nothing answers there."""
    import chromadb  # deferred: importing chromadb is slow
    import httpx
    from chromadb.config import Settings as ChromaSettings

    host, port, ssl = parse_chroma_url(url)
    try:
        # The client asks the server for its tenant and database at once, so a missing server fails here.
        return chromadb.HttpClient(
            host=host, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
    except (ValueError, httpx.HTTPError) as exc:
        raise server_unreachable(url, exc) from exc


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
