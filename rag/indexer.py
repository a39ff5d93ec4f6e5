"""Sync a documents folder into the index: embed new and changed files, drop removed ones."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.chunking import chunk_text
from rag.documents import Document, file_sha256, list_documents, read_document
from rag.embedding import Embedder
from rag.errors import DocumentUnreadable
from rag.store import ChromaStore, ChunkRecord

log = logging.getLogger(__name__)

# progress(files_done, files_total, chunks_embedded)
Progress = Callable[[int, int, int], None]


@dataclass
class SyncReport:
    """What one sync changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # source -> reason
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.skipped)} skipped",
            f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f}s",
        ]
        return ", ".join(parts)


def chunk_document(doc: Document, chunk_chars: int) -> list[ChunkRecord]:
    spans = chunk_text(doc.text, chunk_chars)
    return [
        ChunkRecord(source=doc.source, sha256=doc.sha256, index=i, total=len(spans), start=s.start, end=s.end,
                    text=doc.text[s.start : s.end])
        for i, s in enumerate(spans)
    ]


class Indexer:
    """Keeps a store in step with a folder. Only files whose content hash changed are embedded."""

    def __init__(self, store: ChromaStore, embedder: Embedder, chunk_chars: int,
                 display: Callable[[Path], str]) -> None:
        self.store = store
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.display = display

    def sync(self, folder: Path, progress: Progress | None = None, prune: bool = True) -> SyncReport:
        """Bring the index in line with ``folder``. With ``prune``, sources not in the folder are removed."""
        started = time.perf_counter()
        report = SyncReport()
        paths = list_documents(folder)
        stored = self.store.file_states()
        on_disk: set[str] = set()
        for done, path in enumerate(paths, start=1):
            source = self.display(path)
            on_disk.add(source)
            self._sync_file(path, source, stored, report)
            if progress:
                progress(done, len(paths), report.chunks_embedded)
        if prune:
            for source in sorted(set(stored) - on_disk):
                self.store.delete(source)
                report.removed.append(source)
        report.seconds = time.perf_counter() - started
        log.info("sync of %s: %s", folder, report.summary())
        return report

    def add_file(self, path: Path) -> SyncReport:
        """Index one file (an upload); nothing else is touched."""
        started = time.perf_counter()
        report = SyncReport()
        self._sync_file(path, self.display(path), self.store.file_states(), report)
        report.seconds = time.perf_counter() - started
        if report.skipped:
            raise DocumentUnreadable(next(iter(report.skipped.values())))
        return report

    def _sync_file(self, path: Path, source: str, stored: dict, report: SyncReport) -> None:
        previous = stored.get(source)
        try:
            # Hash first: an unchanged file is neither decoded nor chunked.
            if previous is not None and previous.is_exactly(file_sha256(path)):
                report.unchanged.append(source)
                return
            doc = read_document(path, source)
        except (DocumentUnreadable, OSError) as exc:
            report.skipped[source] = str(exc)
            if previous is not None:
                # Keep what was indexed from an earlier readable version rather than lose it.
                report.unchanged.append(source)
            return
        records = chunk_document(doc, self.chunk_chars)
        if previous is None or doc.sha256 not in previous.complete:
            vectors = self.embedder.embed([r.text for r in records])
            # Add the new version before removing the old one: an interruption never leaves the file absent.
            self.store.add(records, vectors)
            report.chunks_embedded += len(records)
        if previous is not None:
            self.store.delete(source, keep_sha=doc.sha256)
            report.updated.append(source)
        else:
            report.added.append(source)
