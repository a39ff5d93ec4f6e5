"""Measurements for indexing: embedder throughput per backend, indexing throughput against it, the cost of a
re-index with nothing changed, and retrieval recall per backend. Prints numbers; asserts nothing.

    python scripts/indexbench.py embed      [--corpus DIR] [--backends torch,onnx-int8]
    python scripts/indexbench.py sync       [--corpus DIR] [--backend torch] [--batch 64]
    python scripts/indexbench.py manifest   [--chunks 10000]
    python scripts/indexbench.py recall     [--backends torch,onnx-int8]
    python scripts/indexbench.py corpus DIR [--chunks 1000]   (real text: package READMEs from site-packages)

Temp folders only; the project's index/ is never touched. The ONNX export goes to the cache folder (once).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import sysconfig
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.config import EMBED_BACKENDS, Settings, load_settings, offline_environment
from rag.index.embedding import make_embedder
from rag.index.indexer import Indexer, chunk_document
from rag.index.store import ChromaStore
from rag.ingest.documents import list_documents, read_document
from rag.types import IndexInfo

log = logging.getLogger(__name__)


def corpus_chunks(settings: Settings, folder: Path) -> list[str]:
    texts = []
    for path in list_documents(folder):
        texts += [r.text for r in chunk_document(read_document(path, path.name), settings.chunk_chars)]
    return texts


def make_real_corpus(target: Path, chunks: int, chunk_chars: int = 700) -> int:
    """Copy the long descriptions of installed packages (real English prose and markdown) as .md files until
    about ``chunks`` chunks. Returns the number of files."""
    site = Path(sysconfig.get_paths()["purelib"])
    target.mkdir(parents=True, exist_ok=True)
    made = total = 0
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        raw = meta.read_text(encoding="utf-8", errors="replace")
        body = raw.split("\n\n", 1)[1] if "\n\n" in raw else ""
        if len(body) < 4000:
            continue
        (target / f"{meta.parent.name.split('-')[0]}.md").write_text(body, encoding="utf-8")
        made += 1
        total += len(body) // int(chunk_chars * 0.9)
        if total >= chunks:
            break
    return made


def _raw_rate(embedder, texts: list[str], batch: int) -> tuple[float, float]:
    """(chunks per wall-clock second, chunks per CPU second of this process). The second is steadier on a busy
    machine; on an idle one the two differ by the number of cores used."""
    embedder.embed(texts[:8])  # load and warm up
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        embedder.embed(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - started), len(texts) / (time.process_time() - cpu)


def cmd_embed(settings: Settings, args: argparse.Namespace) -> None:
    for corpus in args.corpus:
        texts = corpus_chunks(settings, corpus)
        for backend in args.backends:
            embedder = make_embedder(replace(settings, embed_backend=backend))
            rate, cpu_rate = _raw_rate(embedder, texts, args.batch)
            print(f"{corpus.name:12} {len(texts):5} chunks  {backend:10} {rate:7.1f} chunks/s  "
                  f"{cpu_rate:7.1f} chunks/CPU-s (batch {args.batch})")


def cmd_sync(settings: Settings, args: argparse.Namespace) -> None:
    embedder = make_embedder(replace(settings, embed_backend=args.backend))
    for corpus in args.corpus:
        texts = corpus_chunks(settings, corpus)
        raw, raw_cpu = _raw_rate(embedder, texts, args.batch)
        with tempfile.TemporaryDirectory() as tmp:
            store = ChromaStore(Path(tmp), "documents", IndexInfo(embedder.name, embedder.dimension,
                                                                 settings.chunk_chars))
            store.open(create=True)
            indexer = Indexer(store, embedder, settings.chunk_chars, lambda p: p.name, batch_size=args.batch,
                              prefetch=not args.no_prefetch)
            cpu = time.process_time()
            report = indexer.sync(corpus)
            cpu = time.process_time() - cpu
            again = indexer.sync(corpus)
        rate, cpu_rate = report.chunks_per_second, report.chunks_embedded / cpu
        print(f"{corpus.name:12} {report.chunks_embedded:5} chunks  raw {raw:6.1f}/s  sync {rate:6.1f}/s  "
              f"ratio {rate / raw:.2f}  | per CPU-s: raw {raw_cpu:6.1f}  sync {cpu_rate:6.1f}  "
              f"ratio {cpu_rate / raw_cpu:.2f}  (batch {args.batch}, prefetch {not args.no_prefetch}; "
              f"re-sync unchanged {again.seconds:.2f}s)")


def cmd_manifest(settings: Settings, args: argparse.Namespace) -> None:
    """Build an index of ``--chunks`` chunks with fake vectors, then time a sync that finds nothing changed."""

    class FakeEmbedder:
        name, dimension = "fake", 384

        def embed(self, texts: list[str]) -> np.ndarray:
            v = np.random.default_rng(len(texts)).standard_normal((len(texts), self.dimension)).astype(np.float32)
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    per_file = 10
    real = make_embedder(settings)  # only its name and dimension: `rag index` can then open the kept index
    with tempfile.TemporaryDirectory() as tmp:
        tmp = str(args.keep) if args.keep else tmp
        docs = Path(tmp) / "docs"
        docs.mkdir(parents=True)
        sentence = "Word after word makes a sentence that fills a chunk of the test file. "
        for f in range(args.chunks // per_file):
            (docs / f"f{f:05d}.txt").write_text(f"File {f}. " + sentence * (per_file * 9), encoding="utf-8")
        store = ChromaStore(Path(tmp) / "index", "documents", IndexInfo(real.name, real.dimension,
                                                                       settings.chunk_chars))
        store.open(create=True)
        indexer = Indexer(store, FakeEmbedder(), settings.chunk_chars, settings.display_path, batch_size=256)
        report = indexer.sync(docs)
        print(f"built: {store.count()} chunks in {len(report.added)} files ({report.seconds:.1f}s)")
        for run in range(3):
            started = time.perf_counter()
            again = indexer.sync(docs)
            print(f"re-sync, nothing changed ({len(again.unchanged)} files): {time.perf_counter() - started:.3f}s")
        started = time.perf_counter()
        states = store.chunk_states()
        print(f"for comparison, reading every chunk's metadata ({len(states)} files): "
              f"{time.perf_counter() - started:.3f}s")
    if args.keep:
        print(f"kept; time the whole command with: time rag index --docs {args.keep}/docs --index {args.keep}/index")


def cmd_recall(settings: Settings, args: argparse.Namespace) -> None:
    """Retrieval-only recall@k and MRR of each backend on the question set over seeds/."""
    from rag.evaluation import load_questions

    questions = [q for q in load_questions(args.questions) if q.answerable]
    for backend in args.backends:
        embedder = make_embedder(replace(settings, embed_backend=backend))
        with tempfile.TemporaryDirectory() as tmp:
            store = ChromaStore(Path(tmp), "documents", IndexInfo(embedder.name, embedder.dimension,
                                                                 settings.chunk_chars))
            store.open(create=True)
            Indexer(store, embedder, settings.chunk_chars, settings.display_path).sync(settings.docs_dir)
            hits = rr = 0.0
            vectors = embedder.embed([q.question for q in questions])
            for q, vector in zip(questions, vectors, strict=True):
                sources = [p.source for p in store.query(vector, args.k)]
                ranks = [i for i, s in enumerate(sources, start=1) if s in q.sources]
                hits += bool(ranks)
                rr += 1 / ranks[0] if ranks else 0
        print(f"{backend:10} recall@{args.k} {hits / len(questions):.3f}  mrr {rr / len(questions):.3f}  "
              f"({len(questions)} answerable questions, dense retrieval only)")


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python scripts/indexbench.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("embed", "sync"):
        p = sub.add_parser(name)
        p.add_argument("--corpus", type=Path, action="append", help="documents folder (repeatable; default seeds/)")
        p.add_argument("--batch", type=int, default=settings.embed_batch)
        if name == "embed":
            p.add_argument("--backends", default=",".join(EMBED_BACKENDS))
        else:
            p.add_argument("--backend", default=settings.embed_backend, choices=EMBED_BACKENDS)
            p.add_argument("--no-prefetch", action="store_true", help="read files on the embedding thread")
    p = sub.add_parser("manifest")
    p.add_argument("--chunks", type=int, default=10_000)
    p.add_argument("--keep", type=Path, help="build in this (new) folder and keep it, to time `rag index` on it")
    p = sub.add_parser("recall")
    p.add_argument("--backends", default=",".join(EMBED_BACKENDS))
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--questions", type=Path, default=settings.project_root / "tests" / "data" / "questions.jsonl")
    p = sub.add_parser("corpus")
    p.add_argument("target", type=Path)
    p.add_argument("--chunks", type=int, default=1000)
    args = parser.parse_args(argv)
    if hasattr(args, "backends"):
        args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if hasattr(args, "corpus"):
        args.corpus = args.corpus or [settings.docs_dir]
    if args.what == "corpus":
        if args.target.exists():
            shutil.rmtree(args.target)
        print(f"{make_real_corpus(args.target, args.chunks, settings.chunk_chars)} files written to {args.target}")
        return 0
    {"embed": cmd_embed, "sync": cmd_sync, "manifest": cmd_manifest, "recall": cmd_recall}[args.what](settings, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
