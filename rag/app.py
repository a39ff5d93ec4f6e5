"""Wiring: build the embedder, store, indexer, model and pipeline from one Settings object."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

from rag.config import Settings
from rag.embedding import SentenceTransformerEmbedder
from rag.indexer import Indexer, Progress, SyncReport
from rag.llm import LlamaCppGenerator
from rag.pipeline import Pipeline
from rag.store import ChromaStore, IndexInfo

log = logging.getLogger(__name__)


@dataclass
class App:
    """The objects one process uses. Nothing heavy is loaded until first used."""

    settings: Settings
    embedder: SentenceTransformerEmbedder
    store: ChromaStore
    indexer: Indexer
    pipeline: Pipeline


def build_app(settings: Settings, create_index: bool = False) -> App:
    """Open (or with ``create_index`` create) the index and assemble the pipeline around it."""
    embedder = SentenceTransformerEmbedder(settings.embedder_path)
    info = IndexInfo(embedder=embedder.name, dimension=embedder.dimension, chunk_chars=settings.chunk_chars)
    store = ChromaStore(settings.index_dir, settings.collection, info)
    store.open(create=create_index)
    indexer = Indexer(store, embedder, settings.chunk_chars, settings.display_path)
    pipeline = Pipeline(settings, store, embedder, LlamaCppGenerator(settings))
    return App(settings=settings, embedder=embedder, store=store, indexer=indexer, pipeline=pipeline)


def rebuild_index(settings: Settings) -> None:
    """Delete the index folder's Chroma files so the next sync builds it from scratch (documents untouched)."""
    index_dir = settings.index_dir
    if not index_dir.exists():
        return
    for child in index_dir.iterdir():
        if child.name in {".gitkeep", ".gitignore"}:
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    log.info("cleared the index in %s", index_dir)


def ensure_index(settings: Settings, progress: Progress | None = None) -> tuple[App, SyncReport]:
    """Open the index, build it if missing and sync it with the documents folder if stale."""
    app = build_app(settings, create_index=True)
    report = app.indexer.sync(settings.docs_dir, progress=progress)
    return app, report
