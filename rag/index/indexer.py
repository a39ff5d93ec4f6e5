"""Sync a documents folder into the index: embed new and changed files, drop removed ones.

Safe to kill at any point. The per-file records (rag/index/manifest.py) are written around the chunk writes so that
the next sync can tell finished files from interrupted ones without reading every chunk:

- changed or new file: mark its record dirty (keeping the old version's hash) -> add the new chunks -> record
  the new hash, still dirty -> delete the old version's chunks -> mark the record clean;
- removed file: mark its record dirty with no version -> delete its chunks -> delete the record.

``recover()`` (run first by every sync) finishes each dirty record: it deletes that source's chunks of any other
version than the one recorded, so an interrupted add is rolled back and an interrupted replace is completed. After
an interrupted run it also stores again any chunk the vector index holds but no search reaches (a kill can tear
Chroma's save of its graph); otherwise, once per open, it does so among the chunks Chroma rebuilt from its log.

Chunks are embedded in batches that span files; files are read and chunked one at a time on a background thread
while the previous batch is embedded, so memory holds one batch and a few files, never the whole corpus.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import DocumentUnreadable
from rag.index.embedding import Embedder
from rag.index.store import ChromaStore
from rag.ingest.chunking import chunk_blocks, chunk_path
from rag.ingest.documents import file_sha256, list_documents, read_document
from rag.ingest.structure import plain_blocks
from rag.types import ChunkRecord, Document, FileRecord, SyncReport

log = logging.getLogger(__name__)

# progress(files_done, files_total, chunks_embedded)
Progress = Callable[[int, int, int], None]

DEFAULT_BATCH = 64  # chunks per embedding call (`rag bench` compares indexing with the embedder alone)
_PREFETCH = 8  # files read ahead of the embedder


def chunk_document(doc: Document, chunk_chars: int) -> list[ChunkRecord]:
    """Chunks with offsets into ``doc.text``, made of whole blocks of its structure (a PDF's chunk starts a new page
    only with a sentence cut by the page break, rag.ingest.pdf_pages); each keeps its blocks and heading path."""
    blocks = doc.blocks or tuple(plain_blocks(doc.text))
    spans = chunk_blocks(doc.text, blocks, chunk_chars, doc.pages)
    return [
        ChunkRecord(source=doc.source, sha256=doc.sha256, index=i, total=len(spans), start=span.start, end=span.end,
                    text=doc.text[span.start : span.end], page=doc.page_at(span.start), blocks=held,
                    path=chunk_path(held))
        for i, (span, held) in enumerate(spans)
    ]


@dataclass(eq=False)  # identity, so jobs can key a dict
class _FileJob:
    """A new or changed file, chunked and waiting to be embedded."""

    source: str
    sha256: str
    records: list[ChunkRecord]
    previous: FileRecord | None
    stored: int = 0  # chunks stored so far
    marked: bool = False  # record marked dirty before the first chunk was stored

    def record(self, dirty: bool) -> FileRecord:
        return FileRecord(self.source, self.sha256, len(self.records), dirty=dirty)


@dataclass(frozen=True)
class _Done:
    """A file that needs no embedding: unchanged, or skipped with a reason."""

    source: str
    skipped: str | None = None
    kept: bool = False  # skipped, but an earlier readable version stays indexed


class Indexer:
    """Keeps a store in step with a folder. Only files whose content hash changed are embedded."""

    def __init__(self, store: ChromaStore, embedder: Embedder, chunk_chars: int,
                 display: Callable[[Path], str], batch_size: int = DEFAULT_BATCH, prefetch: bool = True) -> None:
        self.store = store
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        self.display = display
        self.batch_size = max(1, batch_size)
        self.prefetch = prefetch
        self._lock = threading.Lock()  # one sync or upload at a time
        self._warm = False  # embedder loaded

    def sync(self, folder: Path, progress: Progress | None = None, prune: bool = True) -> SyncReport:
        """Bring the index in line with ``folder``. With ``prune``, sources not in the folder are removed."""
        with self._lock:
            started = time.perf_counter()
            report = SyncReport()
            paths = list_documents(folder)
            stored = self._recover(report)
            sources = [self.display(p) for p in paths]
            self.store.begin_run()
            if prune:
                self._remove(sorted(set(stored) - set(sources)), report)
            if progress:
                progress(0, len(paths), 0)
            events = self._scan(list(zip(paths, sources, strict=True)), stored)
            self._run(events, len(paths), report, progress)
            self.store.end_run()
            report.seconds = time.perf_counter() - started
            log.info("sync of %s: %s", folder, report.summary())
            return report

    def add_file(self, path: Path) -> SyncReport:
        """Index one file (an upload); nothing else is touched."""
        with self._lock:
            started = time.perf_counter()
            report = SyncReport()
            stored = self._recover(report)
            self.store.begin_run()
            self._run(self._scan([(path, self.display(path))], stored), 1, report, None)
            self.store.end_run()
            report.seconds = time.perf_counter() - started
        if report.skipped:
            raise DocumentUnreadable(next(iter(report.skipped.values())))
        return report

    def recover(self) -> list[str]:
        """Finish what an interrupted sync left half-done; returns the sources that needed it."""
        with self._lock:
            report = SyncReport()
            self._recover(report)
            return report.recovered

    # -- steps -------------------------------------------------------------------------------------------------

    def _recover(self, report: SyncReport) -> dict[str, FileRecord]:
        """Clean every dirty record (see the module docstring); returns the clean records."""
        records = self.store.files.read()
        dirty = [r for r in records.values() if r.dirty]
        if not dirty:
            if self.store.interrupted():  # killed after its last record was written: only the graph can be torn
                self._relink(records)
            else:  # what Chroma rebuilt from its log at this open (ChromaStore.take_replayed): a few hundred at most
                self._relink(records, self.store.take_replayed())
            return records
        for r in dirty:
            # Keep only the version the record vouches for; a record without one had no complete version.
            self.store.delete(r.source, keep_sha=r.sha256 or None)
            log.info("cleaned up %s after an interrupted run", r.source)
        kept = [replace(r, dirty=False) for r in dirty if r.sha256]
        if kept:
            self.store.files.write(kept)
        if len(kept) < len(dirty):
            self.store.files.remove([r.source for r in dirty if not r.sha256])
        report.recovered.extend(r.source for r in dirty)
        clean = {r.source: replace(r, dirty=False) for r in records.values() if r.sha256}
        self._relink(clean)
        return clean

    def _relink(self, records: dict[str, FileRecord], among: list[str] | None = None) -> None:
        """Store again the chunks (of ``among``, or all: after an interrupted run) the vector index holds but
        cannot reach (see ``ChromaStore.unreachable``). Their files' records say "no complete version" meanwhile,
        so a kill here has the next sync index those files again rather than trust a version that lost a chunk."""
        if among == []:
            return
        ids = self.store.unreachable(ids=among)
        if not ids:
            return
        held = [records[s] for s in sorted({ChunkRecord.source_of(i) for i in ids}) if s in records]
        self.store.files.write([replace(r, sha256="", dirty=True) for r in held])
        self.store.relink(ids)
        self.store.files.write(held)
        log.warning("relinked %d chunk(s) of %d file(s) that searches could not reach", len(ids), len(held))

    def _remove(self, gone: list[str], report: SyncReport) -> None:
        if not gone:
            return
        self.store.files.write([FileRecord(s, "", 0, dirty=True) for s in gone])
        for source in gone:
            self.store.delete(source)
            log.info("removed %s", source)
        self.store.files.remove(gone)
        report.removed.extend(gone)

    def _scan(self, files: list[tuple[Path, str]], stored: dict[str, FileRecord]) -> Iterator[_FileJob | _Done]:
        """Hash, read and chunk each file in turn, in a background thread when ``prefetch`` is on."""
        events = (self._examine(path, source, stored.get(source)) for path, source in files)
        return _prefetched(events, _PREFETCH) if self.prefetch else events

    def _examine(self, path: Path, source: str, previous: FileRecord | None) -> _FileJob | _Done:
        try:
            # Hash first: an unchanged file is neither decoded nor chunked.
            if previous is not None and previous.sha256 == file_sha256(path):
                return _Done(source)
            doc = read_document(path, source)
        except (DocumentUnreadable, OSError) as exc:
            # Keep what was indexed from an earlier readable version rather than lose it.
            return _Done(source, skipped=str(exc), kept=previous is not None)
        return _FileJob(source, doc.sha256, chunk_document(doc, self.chunk_chars), previous)

    def _run(self, events: Iterator[_FileJob | _Done], total: int, report: SyncReport,
             progress: Progress | None) -> None:
        writer = _Writer()
        try:
            self._feed(events, total, report, progress, [], writer)
        except BaseException:
            writer.close(raise_error=False)  # the first error is the one to report
            raise
        writer.close()  # waits for the last write; re-raises its error

    def _feed(self, events: Iterator[_FileJob | _Done], total: int, report: SyncReport,
              progress: Progress | None, pending: list[tuple[_FileJob, ChunkRecord]], writer: _Writer) -> int:
        done = 0
        for event in events:
            if isinstance(event, _Done):
                if event.skipped is not None:
                    report.skipped[event.source] = event.skipped
                if event.skipped is None or event.kept:
                    report.unchanged.append(event.source)
                done += 1
            else:
                pending.extend((event, r) for r in event.records)
                if not event.records:
                    done += len(self._store_batch([], [event], report, writer))
            while len(pending) >= self.batch_size:
                done += len(self._store_batch(pending[: self.batch_size], [], report, writer))
                pending = pending[self.batch_size :]
                if progress:
                    progress(done, total, report.chunks_embedded)
            if progress:
                progress(done, total, report.chunks_embedded)
        if pending:
            done += len(self._store_batch(pending, [], report, writer))
            if progress:
                progress(done, total, report.chunks_embedded)
        return done

    def _store_batch(self, batch: list[tuple[_FileJob, ChunkRecord]], empty: list[_FileJob],
                     report: SyncReport, writer: _Writer) -> list[_FileJob]:
        """Embed one batch here; store it and commit the files it completes on the writer thread, in order, while
        the next batch is embedded. Returns the files it completes."""
        jobs = list(dict.fromkeys([job for job, _ in batch] + empty))
        records = [r for _, r in batch]
        if records and not self._warm:
            started = time.perf_counter()
            warm_up = getattr(self.embedder, "warm_up", None)
            if warm_up is not None:
                warm_up()
            report.load_seconds += time.perf_counter() - started
            self._warm = True
        vectors = self.embedder.embed([r.embedding_text for r in records]) if records else None
        report.chunks_embedded += len(records)
        fresh = [job for job in jobs if not job.marked]
        for job in fresh:
            job.marked = True
        for job, _ in batch:
            job.stored += 1
        finished = [job for job in jobs if job.stored == len(job.records)]

        def write() -> None:
            # The same writes in the same order as ever: mark, add, (mark replaced, delete old), commit.
            if fresh:
                self.store.files.write([(job.previous or FileRecord(job.source, "", 0)).marked() for job in fresh])
            if records:
                self.store.add(records, vectors)
            replaced = [job for job in finished if job.previous is not None]
            if replaced:
                self.store.files.write([job.record(dirty=True) for job in replaced])
                for job in replaced:
                    self.store.delete(job.source, keep_sha=job.sha256)
            if finished:
                self.store.files.write([job.record(dirty=False) for job in finished])
            for job in finished:
                (report.updated if job.previous is not None else report.added).append(job.source)
                log.info("indexed %s (%d chunks)", job.source, len(job.records))

        writer.submit(write)
        return finished


class _Writer:
    """One background thread for store writes, so Chroma works while the next batch is embedded. At most one
    write is in flight: a new one waits for the previous (so writes keep their order, and a failed write stops
    all later ones); ``close`` waits for the last and re-raises its error."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _wait(self, raise_error: bool = True) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None and raise_error:
            error, self._error = self._error, None
            raise error

    def submit(self, fn: Callable[[], None]) -> None:
        self._wait()

        def run() -> None:
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 (handed to the indexing thread by _wait, raised there)
                self._error = exc

        self._thread = threading.Thread(target=run, name="index-writer", daemon=True)
        self._thread.start()

    def close(self, raise_error: bool = True) -> None:
        self._wait(raise_error)


_END = object()


def _prefetched(items: Iterator[_FileJob | _Done], depth: int) -> Iterator[_FileJob | _Done]:
    """Iterate ``items`` on a daemon thread, at most ``depth`` ahead; errors are re-raised here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():  # the consumer may have stopped reading (an error, a closed generator)
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(exc)

    thread = threading.Thread(target=work, name="rag-index-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
