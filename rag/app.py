"""Wiring: build the embedder, store, indexer, model and pipeline from one Settings object."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

from rag.config import Settings
from rag.errors import IndexBroken, IndexOutdated
from rag.index.embedding import Embedder, make_embedder
from rag.index.indexer import Indexer, Progress
from rag.index.reopen import IndexWatch, forget_cached_client
from rag.index.store import ChromaStore
from rag.llm.llama import LlamaCppGenerator, TextGenerator
from rag.pipeline import Pipeline
from rag.types import IndexInfo, SyncReport

log = logging.getLogger(__name__)


@dataclass
class App:
    """The objects one process uses. Nothing heavy is loaded until first used."""

    settings: Settings
    embedder: Embedder
    store: ChromaStore
    indexer: Indexer
    pipeline: Pipeline
    index: IndexWatch  # reopens the store when its folder is replaced or fixed under a running app


def build_app(settings: Settings, create_index: bool = False, embedder: Embedder | None = None,
              generator: TextGenerator | None = None) -> App:
    """Open (or with ``create_index`` create) the index and assemble the pipeline around it. ``embedder`` and
    ``generator`` default to the ones the settings name (tests pass fakes)."""
    if embedder is None:
        embedder = make_embedder(settings)
    info = IndexInfo(embedder=embedder.name, dimension=embedder.dimension, chunk_chars=settings.chunk_chars)
    store = ChromaStore(settings.index_dir, settings.collection, info, url=chroma_address(settings))
    store.open(create=create_index)
    index = IndexWatch(store)
    indexer = Indexer(store, embedder, settings.chunk_chars, settings.display_path, batch_size=settings.embed_batch)
    pipeline = Pipeline(settings, store, embedder, make_generator(settings) if generator is None else generator)
    return App(settings=settings, embedder=embedder, store=store, indexer=indexer, pipeline=pipeline, index=index)


def chroma_address(settings: Settings) -> str | None:
    """The Chroma server's URL carrying its time-out (RAG_CHROMA_TIMEOUT), or None for the index folder."""
    if not settings.chroma_url:
        return None
    from rag.index.chroma_server import ServerAddress

    return ServerAddress(settings.chroma_url, settings.chroma_timeout)


def make_generator(settings: Settings) -> TextGenerator:
    """The model server named by ``llm_url`` if set, else the local GGUF model."""
    if settings.llm_url:
        from rag.llm.openai_chat import OpenAIChatGenerator

        return OpenAIChatGenerator(settings)
    return LlamaCppGenerator(settings)


def rebuild_index(settings: Settings) -> None:
    """Drop the index so the next sync builds it from scratch (documents untouched): the index folder's Chroma
    files, or with ``chroma_url`` its collections on the server."""
    if settings.chroma_url:
        from rag.index.chroma_server import delete_collections
        from rag.index.manifest import files_collection_name

        delete_collections(settings.chroma_url, settings.collection, files_collection_name(settings.collection),
                           timeout=settings.chroma_timeout)
        return
    index_dir = settings.index_dir
    if not index_dir.exists():
        return
    try:
        for child in index_dir.iterdir():
            if child.name in {".gitkeep", ".gitignore"}:
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    except OSError as exc:  # e.g. a read-only folder
        raise IndexBroken(
            f"Cannot clear the index in {index_dir} ({exc.strerror or exc}: {exc.filename}). Make the folder "
            f"writable (e.g. `chmod -R u+w {index_dir}`) and run `rag index --rebuild` again; your documents are "
            "not touched."
        ) from exc
    # A client this process already holds for the folder would read the deleted database ('no such table').
    forget_cached_client(index_dir)
    log.info("cleared the index in %s", index_dir)


def drop_outdated(settings: Settings) -> None:
    """Drop an index an older version built: its collections, and the BM25 index and calibration beside them."""
    embedder_free = IndexInfo(embedder="", dimension=0, chunk_chars=settings.chunk_chars)
    ChromaStore(settings.index_dir, settings.collection, embedder_free).drop()
    from rag.answer import calibration
    from rag.retrieval import bm25

    shutil.rmtree(settings.index_dir / bm25.FOLDER, ignore_errors=True)
    (settings.index_dir / calibration.FILE).unlink(missing_ok=True)


def open_for_sync(settings: Settings) -> App:
    """``build_app`` creating the index if missing; an index an older version of this program built (a local
    folder) is dropped first, since the sync that follows builds it again from the documents."""
    try:
        return build_app(settings, create_index=True)
    except IndexOutdated as exc:
        if settings.chroma_url:
            raise
        log.warning("%s Rebuilding it now.", str(exc).split(" Rebuild it")[0])
        drop_outdated(settings)
        return build_app(settings, create_index=True)


def ensure_index(settings: Settings, progress: Progress | None = None) -> tuple[App, SyncReport]:
    """Open the index, build it if missing, rebuild it if an older version of this program built it (the index is
    derived from the documents, which are not touched), and sync it with the documents folder if stale."""
    app = open_for_sync(settings)
    report = app.indexer.sync(settings.docs_dir, progress=progress)
    if settings.retrieval != "dense":
        app.pipeline.retriever.lexical.refresh()  # build (or load) BM25 now rather than on the first question
    return app, report
