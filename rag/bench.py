"""`rag bench`: indexing throughput, re-index time, retrieval latency and memory on a real prose corpus.

A measurement, not a test: it prints a table and writes JSON, and asserts nothing. Everything happens in a
work folder (a temp folder unless --work is given); the project's index is never touched.

Corpus: the reStructuredText sources of the Python documentation (Debian's python3-doc package ships them as
plain text under /usr/share/doc/python3/html/_sources), copied file by file until --chunks chunks.
The large collection (--big) is not embedded (that would take hours here): it holds the real chunks' texts and
vectors repeated, each copy with its own source name, a marker word appended to the text and a small random
change of the vector (see ``_copy_vectors``), so the vector index and the BM25 index have that many distinct
entries of realistic texts and vectors.
"""

from __future__ import annotations

import logging
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import RETRIEVAL_MODES, Settings
from rag.errors import ConfigError
from rag.index.embedding import Embedder, make_embedder
from rag.index.indexer import Indexer, chunk_document
from rag.index.store import ChromaStore
from rag.ingest.documents import list_documents, read_document
from rag.retrieval.bm25 import LexicalIndex
from rag.retrieval.retriever import Retriever
from rag.types import ChunkRecord, IndexInfo

log = logging.getLogger(__name__)

DEFAULT_CORPUS = Path("/usr/share/doc/python3/html/_sources")
COPY_NOISE = 0.005  # per-dimension standard deviation of the change given to each copy's vector
_UNDERLINE = re.compile(r"^([=\-~^\"'*+#])\1{2,}\s*$")
_ROLE = re.compile(r":[\w:.-]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")


class RssSampler:
    """Peak resident memory of this process, sampled every 20 ms while a phase runs."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peaks: dict[str, float] = {}

    def rss_mb(self) -> float:
        return self._process.memory_info().rss / 2**20

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        peak = [self.rss_mb()]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.02):
                peak[0] = max(peak[0], self.rss_mb())

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.peaks[name] = round(max(peak[0], self.rss_mb()), 1)


def copy_corpus(source: Path, target: Path, chunks: int, chunk_chars: int) -> tuple[int, int]:
    """Copy whole files (sorted by path) from ``source`` until they make at least ``chunks`` chunks.

    Returns (files, chunks) copied.
    """
    if not source.is_dir():
        raise ConfigError(f"Benchmark corpus {source} not found. Install it with `apt-get install -y python3-doc` "
                          "(or `make bench`), or point --corpus at a folder of .txt/.md files.")
    files = total = 0
    for path in list_documents(source):
        rel = path.relative_to(source)
        n = len(chunk_document(read_document(path, rel.as_posix()), chunk_chars))
        if n == 0:
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / rel)
        files, total = files + 1, total + n
        if total >= chunks:
            break
    if total == 0:
        raise ConfigError(f"No readable .txt/.md files in {source}.")
    return files, total


def _headings(text: str) -> list[str]:
    """A file's reST section titles, roles and markup removed; its first line when it has none."""
    lines = text.splitlines()
    titles = [lines[i - 1] for i in range(1, len(lines))
              if _UNDERLINE.match(lines[i]) and lines[i - 1].strip() and not _UNDERLINE.match(lines[i - 1])]
    out = []
    for title in titles or [next((line for line in lines if line.strip()), "")]:
        clean = " ".join(_ROLE.sub(r"\1", title).replace("---", "-").replace("`", "").replace("*", "").split())
        if len(clean.split()) >= 2 and not clean.startswith(".."):
            out.append(clean)
    return out


def heading_queries(folder: Path, limit: int) -> dict[str, set[Path]]:
    """Up to ``limit`` section headings of the corpus as queries, spread over it, each with the files it heads."""
    owners: dict[str, set[Path]] = {}
    for path in list_documents(folder):
        for heading in _headings(path.read_text(encoding="utf-8", errors="replace")):
            owners.setdefault(heading, set()).add(path)
    unique = list(owners)
    step = max(1, len(unique) // limit) if limit else 1
    return {q: owners[q] for q in unique[::step][:limit]}


def _percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def time_queries(retriever: Retriever, queries: list[str], k: int) -> dict[str, Any]:
    """Latency per mode of ``Retriever.search`` (query embedding included) and of the query embedding alone."""
    out: dict[str, Any] = {}
    embed_ms = []
    for q in queries:
        started = time.perf_counter()
        retriever.embedder.embed([q])
        embed_ms.append((time.perf_counter() - started) * 1000)
    out["query_embedding"] = _percentiles(embed_ms)
    for mode in RETRIEVAL_MODES:
        retriever.search(queries[0], k, mode)  # warm caches; the lexical index is already built
        ms = []
        for q in queries:
            started = time.perf_counter()
            retriever.search(q, k, mode)
            ms.append((time.perf_counter() - started) * 1000)
        out[mode] = _percentiles(ms)
    return out


def _copy_vectors(vectors: np.ndarray, copy: int) -> np.ndarray:
    """The vectors of copy number ``copy``: each slightly and differently moved, then normalised again."""
    if copy == 0:
        return vectors
    noisy = vectors + np.random.default_rng(copy).normal(0.0, COPY_NOISE, vectors.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def build_big(store: ChromaStore, source: ChromaStore, size: int) -> dict[str, Any]:
    """Fill ``store`` with ``size`` chunks: copies of ``source``'s chunks (texts and vectors, see module doc)."""
    got = source.collection.get(include=["documents", "metadatas", "embeddings"])
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    base = [(text, meta) for text, meta in zip(got["documents"], got["metadatas"], strict=True)]
    started = time.perf_counter()
    added = copy = 0
    while added < size:
        n = min(len(base), size - added)
        records = [
            ChunkRecord(source=f"copy{copy}/{meta['source']}", sha256=str(meta["sha256"]), index=int(meta["chunk"]),
                        total=int(meta["total"]), start=int(meta["start"]), end=int(meta["end"]),
                        text=text if copy == 0 else f"{text} (copy {copy})")
            for text, meta in base[:n]
        ]
        store.add(records, _copy_vectors(vectors[:n], copy))
        added += n
        copy += 1
    return {"chunks": store.count(), "copies": copy, "seconds": round(time.perf_counter() - started, 1),
            "vector_noise_sd": COPY_NOISE, "cosine_to_original_mean": _mean_copy_cosine(vectors)}


def _mean_copy_cosine(vectors: np.ndarray) -> float:
    sample = vectors[:500]
    return round(float(np.mean(np.sum(sample * _copy_vectors(sample, 1), axis=1))), 4)


def _open_store(folder: Path, settings: Settings, embedder: Embedder) -> ChromaStore:
    store = ChromaStore(folder, settings.collection, IndexInfo(embedder.name, embedder.dimension, settings.chunk_chars))
    store.open(create=True)
    return store


def _lexical_build(store: ChromaStore) -> dict[str, Any]:
    """Cold build of the BM25 index (saved to disk), a second process-like load of the saved one, and the update
    after a file of 10 chunks is added to the store and then removed again (wall time, change detection included)."""
    cold = LexicalIndex(store)
    cold.refresh()
    warm = LexicalIndex(store)
    warm.refresh()
    warm_load = warm.last_build
    got = store.collection.get(limit=10, include=["documents", "metadatas", "embeddings"])
    records = [ChunkRecord(source="bench-added.txt", sha256="f" * 64, index=n, total=len(got["ids"]),
                           start=int(meta["start"]), end=int(meta["end"]), text=text)
               for n, (text, meta) in enumerate(zip(got["documents"], got["metadatas"], strict=True))]
    store.add(records, np.asarray(got["embeddings"], dtype=np.float32))
    started = time.perf_counter()
    warm.refresh()
    added = {**warm.last_build, "wall_seconds": round(time.perf_counter() - started, 3)}
    store.delete("bench-added.txt")
    started = time.perf_counter()
    warm.refresh()
    removed = {**warm.last_build, "wall_seconds": round(time.perf_counter() - started, 3)}
    return {"build": cold.last_build, "load_saved": warm_load, "file_added": added, "file_removed": removed}


def run_bench(settings: Settings, work: Path, corpus: Path = DEFAULT_CORPUS, chunks: int = 10_000,
              big: int = 100_000, queries: int = 200, k: int = 4, embedder: Embedder | None = None) -> dict[str, Any]:
    """Run every measurement in ``work`` and return the report (see ``format_report``)."""
    embedder = embedder or make_embedder(settings)
    rss = RssSampler()
    docs = work / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    files, n_chunks = copy_corpus(corpus, docs, chunks, settings.chunk_chars)
    settings = replace(settings, docs_dir=docs, index_dir=work / "index")
    report: dict[str, Any] = {"corpus": {"source": str(corpus), "files": files, "chunks": n_chunks},
                              "embedder": embedder.name, "rss_start_mb": round(rss.rss_mb(), 1)}
    texts = [r.text for p in list_documents(docs)
             for r in chunk_document(read_document(p, p.name), settings.chunk_chars)]
    embedder.embed(texts[:8])  # load the model before any clock starts

    store = _open_store(settings.index_dir, settings, embedder)
    indexer = Indexer(store, embedder, settings.chunk_chars, settings.display_path)
    with rss.phase("indexing"):
        first = indexer.sync(docs)
    started = time.perf_counter()
    batch = getattr(indexer, "batch_size", 64)
    for i in range(0, len(texts), batch):
        embedder.embed(texts[i : i + batch])
    raw_seconds = time.perf_counter() - started
    index_rate = first.chunks_embedded / first.seconds
    raw_rate = len(texts) / raw_seconds
    report["indexing"] = {"chunks": first.chunks_embedded, "seconds": round(first.seconds, 1),
                          "chunks_per_s": round(index_rate, 1), "embedder_alone_chunks_per_s": round(raw_rate, 1),
                          "embedder_batch": batch, "ratio": round(index_rate / raw_rate, 3)}
    report["reindex"] = _reindex(indexer, docs)

    retriever = Retriever(store, embedder)
    owners = {q: {settings.display_path(f) for f in paths} for q, paths in heading_queries(docs, queries).items()}
    sample = list(owners)
    if not sample:
        raise ConfigError(f"No section headings found in {corpus} to use as queries.")
    report["queries"] = {"count": len(sample), "source": "section headings of the corpus", "examples": sample[:3],
                         "k": k}
    with rss.phase("lexical_build_small"):
        report["lexical_index_small"] = _lexical_build(store)
    with rss.phase("serving_small"):
        report["latency_small"] = {"chunks": store.count(), **time_queries(retriever, sample, k)}
    report["heading_file_hit"] = _heading_hits(retriever, owners, k)

    if big:
        big_store = _open_store(work / "index-big", settings, embedder)
        with rss.phase("loading_big"):
            report["big"] = build_big(big_store, store, big)
        with rss.phase("lexical_build_big"):
            report["lexical_index_big"] = _lexical_build(big_store)
        with rss.phase("serving_big"):
            report["latency_big"] = {"chunks": big_store.count(), **time_queries(Retriever(big_store, embedder),
                                                                                  sample, k)}
    report["peak_rss_mb"] = rss.peaks
    return report


def _reindex(indexer: Indexer, docs: Path) -> dict[str, Any]:
    unchanged = indexer.sync(docs)
    files = list_documents(docs)
    target = files[len(files) // 2]
    with target.open("a", encoding="utf-8") as fh:
        fh.write("\n\nAn added paragraph, so that this file has changed since it was indexed.\n")
    changed = indexer.sync(docs)
    return {"unchanged_seconds": round(unchanged.seconds, 3), "unchanged_embedded": unchanged.chunks_embedded,
            "one_file_changed_seconds": round(changed.seconds, 3), "one_file_changed_embedded": changed.chunks_embedded,
            "changed_file": target.relative_to(docs).as_posix()}


def _heading_hits(retriever: Retriever, owners: dict[str, set[str]], k: int) -> dict[str, float]:
    """Share of heading queries with a file they head among the top k passages, per mode. Headings occur verbatim
    in their files, which favours lexical retrieval: a sanity check, not a quality benchmark."""
    out = {}
    for mode in RETRIEVAL_MODES:
        hits = [any(p.source in files for p in retriever.search(q, k, mode)) for q, files in owners.items()]
        out[mode] = round(sum(hits) / len(hits), 3) if hits else 0.0
    return out


def run_in(settings: Settings, work: Path | None, **options: Any) -> dict[str, Any]:
    """``run_bench`` in ``work`` (which must be empty or new) or, without it, in a temp folder removed after."""
    if work is None:
        with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
            return run_bench(settings, Path(tmp), **options)
    if work.exists() and any(work.iterdir()):
        raise ConfigError(f"The work folder {work} is not empty; give a new or empty folder "
                          "(its index would be reused).")
    work.mkdir(parents=True, exist_ok=True)
    return run_bench(settings, work, **options)


def format_report(r: dict[str, Any]) -> str:
    ix, re_ = r["indexing"], r["reindex"]
    lines = [
        (f"corpus: {r['corpus']['files']} files, {r['corpus']['chunks']} chunks from {r['corpus']['source']}; "
        f"embedder {r['embedder']}"),
        "",
        f"{'measure':46} {'value':>14}  target",
        f"{'indexing throughput (sync)':46} {ix['chunks_per_s']:>10.1f} c/s",
        (f"{'embedder alone, same chunks, batch ' + str(ix['embedder_batch']):46} "
         f"{ix['embedder_alone_chunks_per_s']:>10.1f} c/s"),
        f"{'ratio':46} {ix['ratio']:>14.2f}  >= 0.85",
        f"{'re-index, nothing changed':46} {re_['unchanged_seconds']:>12.2f} s  < 2 s at 10k chunks",
        (f"{'re-index, one file changed':46} {re_['one_file_changed_seconds']:>12.2f} s  "
        f"({re_['one_file_changed_embedded']} chunks embedded)"),
    ]
    for key, label in (("lexical_index_small", "small"), ("lexical_index_big", "big")):
        if key in r:
            b = r[key]
            lines.append(f"{'BM25 index ' + label + ', built / loaded from disk':46} "
                         f"{b['build']['seconds']:>6.2f} / {b['load_saved']['seconds']:.2f} s  "
                         f"({b['build']['chunks']} chunks)")
            lines.append(f"{'BM25 index ' + label + ', update: file added / removed':46} "
                         f"{b['file_added']['wall_seconds']:>6.2f} / {b['file_removed']['wall_seconds']:.2f} s")
    lines += ["", (f"retrieval latency, ms (k={r['queries']['k']}, {r['queries']['count']} heading queries, "
              "query embedding included)")]
    sizes = [key for key in ("latency_small", "latency_big") if key in r]
    lines.append(f"{'mode':16}" + "".join(f"{'p50 @' + str(r[s]['chunks']):>14}{'p95':>8}" for s in sizes))
    for mode in ("query_embedding", *RETRIEVAL_MODES):
        label = "(embedding only)" if mode == "query_embedding" else mode
        lines.append(f"{label:16}" + "".join(f"{r[s][mode]['p50_ms']:>14.1f}{r[s][mode]['p95_ms']:>8.1f}"
                                             for s in sizes))
    if "big" in r:
        b = r["big"]
        lines.append(f"(the {b['chunks']} chunks: the {r['corpus']['chunks']} real ones x {b['copies']} copies, "
                     f"each copy with a marker word added and its vector moved by N(0, {b['vector_noise_sd']}) per "
                     f"dimension, mean cosine {b['cosine_to_original_mean']} to the original; "
                     f"loaded in {b['seconds']} s)")
    hits = r["heading_file_hit"]
    lines += ["", "heading query -> its file in the top k (sanity check; favours lexical): "
              + ", ".join(f"{m} {v:.0%}" for m, v in hits.items()),
              "peak RSS, MB: " + ", ".join(f"{phase} {mb:.0f}" for phase, mb in r["peak_rss_mb"].items())]
    return "\n".join(lines)
