"""The persistent Chroma index: chunks with their vectors and provenance, and what was indexed from which file.

Vectors always come from our own embedder; the collection is created with no embedding function so Chroma
never embeds (its default function would download a model).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError, IndexBroken, IndexMissing, IndexOutdated
from rag.index import chroma_server
from rag.index.chroma_errors import Guarded, open_error
from rag.index.chroma_import import unchecked_overrides
from rag.index.manifest import FileManifest, files_collection_name
from rag.index.paging import PAGE, get_all
from rag.types import Block, ChunkRecord, FileRecord, IndexInfo, Passage, StoredFile

log = logging.getLogger(__name__)

# What an index folder holds: Chroma's database (with SQLite's side files) and one folder per vector segment, the
# BM25 index (rag/retrieval/bm25.py), the refusal calibration (rag/answer/calibration.py), and the repository's
# placeholders.
# A sync writing to a local index keeps RUN_MARKER in its folder until it ends: found at the next start, it says a
# run was interrupted even when every file record is clean (a kill after the last record was written can still
# tear Chroma's save of its vector index).
RUN_MARKER = "sync-running"
INDEX_FILES = frozenset({"chroma.sqlite3", "chroma.sqlite3-journal", "chroma.sqlite3-wal", "chroma.sqlite3-shm",
                         "calibration.json", ".gitkeep", ".gitignore", RUN_MARKER})
INDEX_FOLDERS = frozenset({"bm25", "corpus"})  # the BM25 index; corpus statistics (rag.answer.corpus)
_SEGMENT_FOLDER = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_BATCH = 256
_LOG_DELETE = 3  # the operation code of a deletion in Chroma's write-ahead log (embeddings_queue)
REACH_K = 100  # how wide a chunk's search for itself is (HNSW search is approximate among near-identical chunks)


def _metadata(r: ChunkRecord) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": r.source, "sha256": r.sha256, "chunk": r.index, "total": r.total,
                            "start": r.start, "end": r.end, "path": PATH_SEPARATOR.join(r.path),
                            "blocks": encode_blocks(r.blocks, r.start)}
    if r.page is not None:  # Chroma metadata values cannot be None: files without pages have no "page" key
        meta["page"] = r.page
    return meta


PATH_SEPARATOR = " > "


def encode_blocks(blocks: tuple[Block, ...], offset: int) -> str:
    """A chunk's blocks as compact JSON: their paths once, then [start, end, kind, path number, header] each,
    offsets relative to the chunk."""
    paths = list(dict.fromkeys(b.path for b in blocks))
    rows = [[b.start - offset, b.end - offset, b.kind, paths.index(b.path)] + ([b.header] if b.header else [])
            for b in blocks]
    return json.dumps({"paths": [list(p) for p in paths], "blocks": rows}, ensure_ascii=False, separators=(",", ":"))


def decode_blocks(raw: Any, offset: int) -> tuple[Block, ...]:
    """The blocks ``encode_blocks`` wrote, offsets back in the file's text; none for a chunk stored without."""
    if not raw:
        return ()
    try:
        data = json.loads(raw)
        paths = [tuple(p) for p in data["paths"]]
        return tuple(Block(int(r[0]) + offset, int(r[1]) + offset, str(r[2]), paths[int(r[3])],
                           str(r[4]) if len(r) > 4 else "") for r in data["blocks"])
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("a chunk's block structure could not be read; it is read as paragraphs")
        return ()


def _with_paths(got: dict[str, Any]) -> list[str]:
    """A Chroma result's documents, each led by its heading path (none for chunks stored without one)."""
    return [f"{(meta or {}).get('path')}\n{text}" if (meta or {}).get("path") else text
            for text, meta in zip(got["documents"], got.get("metadatas") or [None] * len(got["documents"]),
                                  strict=True)]


def _path(meta: dict[str, Any]) -> tuple[str, ...]:
    raw = str(meta.get("path") or "")
    return tuple(raw.split(PATH_SEPARATOR)) if raw else ()


def _page(meta: dict[str, Any]) -> int | None:
    page = meta.get("page")
    return int(page) if page is not None else None


def _passage(text: str, meta: dict[str, Any], score: float) -> Passage:
    start = int(meta["start"])
    return Passage(source=meta["source"], start=start, end=int(meta["end"]), text=text, score=score,
                   page=_page(meta), blocks=decode_blocks(meta.get("blocks"), start), path=_path(meta))


def _is_index_entry(path: Path) -> bool:
    if path.is_dir():
        return path.name in INDEX_FOLDERS or _SEGMENT_FOLDER.fullmatch(path.name) is not None
    return path.name in INDEX_FILES


def foreign_entries(index_dir: Path) -> list[str]:
    """The names in ``index_dir`` that no index writes, sorted; none for a missing or empty folder or an index."""
    if not index_dir.exists():
        return []
    if not index_dir.is_dir():
        return [index_dir.name]  # a file where the folder should be
    return sorted(child.name for child in index_dir.iterdir() if not _is_index_entry(child))


def check_rebuildable(index_dir: Path) -> None:
    """Refuse to clear ``index_dir`` for `rag index --rebuild` (which deletes everything in it) unless it is missing,
    empty or holds an index and nothing else: --index pointing at an ordinary folder must not lose its files."""
    foreign = foreign_entries(index_dir)
    if not foreign:
        return
    if index_dir.is_dir():
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        what = f"holds {', '.join(repr(name) for name in foreign[:5])}{more}, which no index contains"
    else:
        what = "is a file, not a folder"
    raise ConfigError(
        f"Refusing to rebuild the index in {index_dir}: it {what}, and `rag index --rebuild` deletes everything "
        "in the index folder. Nothing was deleted. Point --index (or RAG_INDEX_DIR) at the index folder, or at an "
        "empty or new folder for a new index."
    )


def _client(index_dir: Path) -> Any:
    with unchecked_overrides():  # chromadb's modules, and those the client imports when built
        import chromadb  # deferred: importing chromadb is slow
        from chromadb.config import Settings as ChromaSettings

        return chromadb.PersistentClient(
            path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )


def _state(record: FileRecord) -> StoredFile:
    versions = {record.sha256} if record.sha256 else set()
    # A dirty record's version is complete, but other chunks of the source may be stored beside it.
    return StoredFile(partial=versions) if record.dirty else StoredFile(complete=versions)


class ChromaStore:
    """One collection in a persistent Chroma folder, or on a Chroma server when ``url`` is given."""

    def __init__(self, index_dir: Path, collection: str, info: IndexInfo, url: str | None = None) -> None:
        self.index_dir = index_dir
        self.url = url
        self.location = url or str(index_dir)  # where the index lives, for messages
        self.collection_name = collection
        self.info = info
        self._collection: Any = None
        self.files: FileManifest  # set by open()
        self._generation = 0  # bumped by add/delete in this process (see change_token)
        self._ids: tuple[Any, list[str]] | None = None  # (change token, every chunk id): read once per change
        self._replay_taken = False  # take_replayed() answered since open()

    def drop(self) -> None:
        """Delete this index's collections (chunks and file records) from its Chroma folder or server, through
        the client: Chroma keeps a process's client open, so deleting its files would not be seen here."""
        client = chroma_server.connect(self.url) if self.url else _client(self.index_dir)
        from chromadb.errors import NotFoundError  # imported with the client

        for name in (self.collection_name, files_collection_name(self.collection_name)):
            try:
                client.delete_collection(name)
            except (NotFoundError, ValueError) as exc:  # by Chroma version: there is nothing to drop
                log.debug("collection %s not dropped: %s", name, exc)
        self._collection = None

    @classmethod
    def existing(cls, index_dir: Path, collection: str) -> ChromaStore:
        """The collection in a local index folder, opened with the settings it was built with (of any schema):
        for tools that read an index as it is. Raises IndexMissing when there is none."""
        if not cls.exists(index_dir):
            raise IndexMissing(f"No index found in {index_dir}. Build it with `rag index`.")
        try:
            meta = _client(index_dir).get_collection(collection).metadata or {}
            info = IndexInfo.from_metadata(meta)
        except Exception as exc:  # chromadb raises many types; a collection of no known schema lacks keys
            raise open_error(exc, create=False, collection=collection, location=str(index_dir),
                             index_dir=index_dir, url=None) from exc
        store = cls(index_dir, collection, info)
        store.open(create=False)
        return store

    @staticmethod
    def exists(index_dir: Path) -> bool:
        return (index_dir / "chroma.sqlite3").is_file()

    def open(self, create: bool) -> None:
        """Open the collection; with ``create`` make it if missing. Refuses one built with other settings."""
        if self.url is None and not create and not self.exists(self.index_dir):
            raise IndexMissing(f"No index found in {self.index_dir}. Build it with `rag index`.")
        client = chroma_server.connect(self.url) if self.url else None  # ServerError when nothing answers
        try:
            if client is None:
                self.index_dir.mkdir(parents=True, exist_ok=True)
                client = _client(self.index_dir)
            if create:
                coll = client.get_or_create_collection(
                    self.collection_name, embedding_function=None, metadata=self.info.as_metadata()
                )
            else:
                coll = client.get_collection(self.collection_name, embedding_function=None)
        except Exception as exc:  # chromadb raises many types (NotFoundError, sqlite errors, ValueError)
            raise open_error(exc, create=create, collection=self.collection_name, location=self.location,
                             index_dir=self.index_dir, url=self.url) from exc
        self._check_info(coll.metadata or {})
        self._collection = self._guarded(coll)
        self._replay_taken = False
        files = self._guarded(client).get_or_create_collection(
            files_collection_name(self.collection_name), embedding_function=None)
        self.files = FileManifest(self._guarded(files))

    def _guarded(self, target: Any) -> Any:
        """``target`` (a client or collection) raising ServerError / IndexBroken instead of Chroma's errors."""
        return Guarded(target, self.index_dir, self.url)

    def _check_info(self, meta: dict[str, Any]) -> None:
        built = (meta.get("embedder"), meta.get("dimension"), meta.get("chunk_chars"), meta.get("schema"))
        wanted = (self.info.embedder, self.info.dimension, self.info.chunk_chars, self.info.schema)
        if built != wanted:
            older = built[:3] == wanted[:3] and isinstance(built[3], int) and built[3] < wanted[3]
            raise (IndexOutdated if older else IndexBroken)(
                f"The index in {self.location} was built with embedder={built[0]}, dimension={built[1]}, "
                f"chunk_chars={built[2]}, schema={built[3]}, but the current settings are embedder={wanted[0]}, "
                f"dimension={wanted[1]}, chunk_chars={wanted[2]}, schema={wanted[3]}. "
                "Rebuild it with `rag index --rebuild`."
            )

    @property
    def collection(self) -> Any:
        if self._collection is None:
            raise IndexMissing("The index is not open. Build it with `rag index`.")
        return self._collection

    def count(self) -> int:
        return int(self.collection.count())

    def file_states(self) -> dict[str, StoredFile]:
        """What is stored for each source, from the per-file records (one small entry per file)."""
        return {r.source: _state(r) for r in self.files.read().values() if r.sha256 or r.dirty}

    def chunk_states(self) -> dict[str, StoredFile]:
        """What is stored for each source, counted from every chunk's metadata (slow; for checks and tests)."""
        counts: dict[tuple[str, str], int] = defaultdict(int)
        totals: dict[tuple[str, str], int] = {}
        for got in get_all(self.collection, ["metadatas"]):
            for meta in got.get("metadatas") or []:
                key = (str(meta["source"]), str(meta["sha256"]))
                counts[key] += 1
                totals[key] = int(meta["total"])
        states: dict[str, StoredFile] = defaultdict(StoredFile)
        for (source, sha), n in counts.items():
            # An interrupted add leaves fewer chunks than the file version's total: not complete.
            (states[source].complete if n == totals[(source, sha)] else states[source].partial).add(sha)
        return dict(states)

    def texts(self) -> list[str]:
        """The text of every stored chunk (for the vocabulary that refusal checks names against)."""
        return self.ids_and_texts()[1]

    def add(self, records: list[ChunkRecord], vectors: np.ndarray) -> None:
        """Store chunks. A chunk already stored (same id: same file version, index and source, so the same text
        and vector, left by an interrupted run) is skipped: rewriting an HNSW element in place can leave it
        unreachable by search."""
        for i in range(0, len(records), _BATCH):
            batch = records[i : i + _BATCH]
            present = set(self.collection.get(ids=[r.id for r in batch], include=[])["ids"])
            keep = [j for j, r in enumerate(batch) if r.id not in present]
            if not keep:
                continue
            block = vectors[i : i + _BATCH]
            self.collection.add(
                ids=[batch[j].id for j in keep],
                embeddings=[block[j].tolist() for j in keep],
                documents=[batch[j].text for j in keep],
                metadatas=[_metadata(batch[j]) for j in keep],
            )
        self._generation += 1

    def begin_run(self) -> None:
        """Mark a local index as being written (RUN_MARKER); a folder this process cannot write is left as it is
        (nothing will be written to it either)."""
        if self.url is None:
            try:
                (self.index_dir / RUN_MARKER).touch()
            except OSError as exc:
                log.debug("no run marker in %s: %s", self.index_dir, exc)

    def end_run(self) -> None:
        """The run that begin_run marked ended: remove the marker."""
        if self.url is None:
            try:
                (self.index_dir / RUN_MARKER).unlink(missing_ok=True)
            except OSError as exc:  # the folder was made read-only meanwhile: the next run searches once more
                log.debug("run marker in %s left: %s", self.index_dir, exc)

    def interrupted(self) -> bool:
        """Whether a run that wrote to this local index did not end (its RUN_MARKER is still there)."""
        return self.url is None and (self.index_dir / RUN_MARKER).is_file()

    def unreachable(self, k: int = REACH_K, ids: list[str] | None = None) -> list[str]:
        """Chunks (of ``ids``, or all) that a search with their own stored vector does not return: the vector
        index holds them but no path through its graph leads to them. Chroma 1.5.9 can leave such elements (one,
        of 215, right after a kill in the crash test; the same symptom as chroma-core/chroma#7758), and reopening
        does not relink them; HNSW can also leave a rare element unreached on its own (1 of 11,284 chunks of a
        never-killed index), more likely one far from every other. One search of width ``k`` per chunk: seconds
        at 10,000 chunks, so all of them only after an interrupted run."""
        n = self.count()
        missing: list[str] = []
        if ids is None:
            pages = get_all(self.collection, ["embeddings"])
        else:
            pages = (self.collection.get(ids=ids[i : i + _BATCH], include=["embeddings"])
                     for i in range(0, len(ids), _BATCH))
        for got in pages:
            if not got["ids"]:
                continue
            res = self.collection.query(query_embeddings=np.asarray(got["embeddings"], dtype=np.float32).tolist(),
                                        n_results=min(n, k), include=[])
            missing += [i for i, row in zip(got["ids"], res["ids"], strict=True) if i not in row]
        return missing

    def take_replayed(self) -> list[str]:
        """Once per open (then none): the chunks this process's Chroma rebuilt into its vector graph from its
        write-ahead log when it opened the index, those written since it last saved the graph to disk (every
        HNSW_SYNC_THRESHOLD vectors; a run's end does not save it). Its threads insert them in an order of their
        own, so whether a chunk far from all others is reachable can differ from one open to the next (the crash
        test met one, unreached in one open and reached in five others, every file record clean). Read from
        Chroma's SQLite tables as chromadb 1.5.9 lays them out; none for a server or a layout this does not know."""
        if self.url is not None or self._replay_taken:
            return []
        self._replay_taken = True
        try:
            database = (self.index_dir / "chroma.sqlite3").resolve().as_uri() + "?mode=ro"
            with closing(sqlite3.connect(database, uri=True)) as db:
                collection_id = str(self.collection.id)
                row = db.execute("SELECT m.seq_id FROM segments s LEFT JOIN max_seq_id m ON m.segment_id = s.id "
                                 "WHERE s.collection = ? AND s.scope = 'VECTOR'", (collection_id,)).fetchone()
                if row is None:
                    return []
                rows = db.execute("SELECT DISTINCT id FROM embeddings_queue WHERE seq_id > ? AND topic LIKE ? "
                                  "AND operation != ?", (row[0] or 0, f"%/{collection_id}", _LOG_DELETE)).fetchall()
        except sqlite3.Error as exc:
            log.debug("could not read which chunks Chroma replayed in %s: %s", self.index_dir, exc)
            return []
        return [r[0] for r in rows]

    def relink(self, ids: list[str]) -> None:
        """Store these chunks again, same id, text, metadata and vector: deleted and added, each gets a new
        element that the vector index links afresh (rewriting one in place can leave it unreachable)."""
        for i in range(0, len(ids), _BATCH):
            got = self.collection.get(ids=ids[i : i + _BATCH], include=["documents", "metadatas", "embeddings"])
            if not got["ids"]:
                continue
            self.collection.delete(ids=list(got["ids"]))
            self.collection.add(ids=list(got["ids"]), documents=list(got["documents"]),
                                metadatas=list(got["metadatas"]),
                                embeddings=np.asarray(got["embeddings"], dtype=np.float32).tolist())
        self._generation += 1

    def delete(self, source: str, keep_sha: str | None = None) -> None:
        """Remove a source's chunks, all of them or all but those of one file version."""
        where: dict[str, Any] = {"source": source}
        if keep_sha is not None:
            where = {"$and": [{"source": source}, {"sha256": {"$ne": keep_sha}}]}
        self.collection.delete(where=where)
        self._generation += 1

    def query(self, vector: np.ndarray, k: int) -> list[Passage]:
        return [p for _, p in self.query_ids(vector, k)]

    def query_ids(self, vector: np.ndarray, k: int) -> list[tuple[str, Passage]]:
        """The ``k`` nearest chunks as (chunk id, passage), nearest first; score is the cosine similarity."""
        if k <= 0:
            return []
        # No count() first: Chroma returns fewer results (none for an empty collection) when k exceeds the count,
        # and a count costs as much as the query itself at 100k chunks.
        res = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=k, include=["documents", "metadatas", "distances"]
        )
        return [(chunk_id, _passage(text, meta, 1.0 - float(dist)))
                for chunk_id, text, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0] or [],
                                                      res["distances"][0] or [], strict=True)]

    def passages(self, ids: list[str], vector: np.ndarray) -> dict[str, Passage]:
        """Chunks by id, scored like ``query`` does: cosine similarity of their stored vector to ``vector``."""
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        sims = np.asarray(got["embeddings"], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        return {chunk_id: _passage(text, meta, float(sim))
                for chunk_id, text, meta, sim in zip(got["ids"], got["documents"], got["metadatas"], sims, strict=True)}

    def ids(self) -> list[str]:
        """Every stored chunk's id, read again only after the store changed (the lexical index and the corpus
        statistics both name their saved files by them)."""
        token = self.change_token()  # before reading: a write meanwhile changes it, and the next call reads again
        cached = self._ids
        if cached is None or cached[0] != token:
            cached = self._ids = (token, self.ids_and_texts(texts=False)[0])
        return list(cached[1])

    def siblings(self, passage: Passage, limit: int = 8) -> list[Passage]:
        """The other chunks of ``passage``'s file under the same heading path (the rest of its section or API
        entry), in file order; each scored as ``passage`` is. None for a passage without a path."""
        if not passage.path:
            return []
        got = self.collection.get(where={"$and": [{"source": passage.source},
                                                  {"path": PATH_SEPARATOR.join(passage.path)}]},
                                  include=["documents", "metadatas"], limit=limit + 1)
        found = [_passage(text, meta, passage.score) for text, meta in zip(got["documents"], got["metadatas"],
                                                                             strict=True)]
        return sorted((p for p in found if p.start != passage.start), key=lambda p: p.start)[:limit]

    def heads(self, sources: list[str]) -> dict[str, str]:
        """The first chunk of each of these files (title, byline, module name), by source."""
        out: dict[str, str] = {}
        for source in sorted(set(sources)):
            got = self.collection.get(where={"$and": [{"source": source}, {"chunk": 0}]}, include=["documents"],
                                      limit=1)
            if got["documents"]:
                out[source] = got["documents"][0]
        return out

    def texts_of(self, ids: list[str], with_path: bool = False) -> dict[str, str]:
        """The text of these chunks by id (ids no longer stored are left out); ``with_path``: led by the heading
        path, as the embedder sees them (the lexical index searches that)."""
        out: dict[str, str] = {}
        for i in range(0, len(ids), PAGE):
            got = self.collection.get(ids=ids[i : i + PAGE], include=["documents", "metadatas"] if with_path
                                      else ["documents"])
            docs = _with_paths(got) if with_path else got["documents"]
            out.update(zip(got["ids"], docs, strict=True))
        return out

    def ids_and_texts(self, texts: bool = True, with_path: bool = False) -> tuple[list[str], list[str]]:
        """Every stored chunk's id (and text, led by its heading path with ``with_path``), in storage order."""
        ids: list[str] = []
        docs: list[str] = []
        include = (["documents", "metadatas"] if with_path else ["documents"]) if texts else []
        for got in get_all(self.collection, include):
            ids.extend(got["ids"])
            docs.extend((_with_paths(got) if with_path else got.get("documents")) or [])
        return ids, docs

    def change_token(self) -> tuple[Any, ...]:
        """Cheap to get, and different after any change of the stored chunks (by this or another process).

        A local index: this process's writes plus the Chroma database files' size and modification time (reads
        leave them alone). A server: nothing cheap tells, so the token also changes every 5 seconds.
        """
        if self.url is not None:
            return (self._generation, self.count(), int(time.monotonic() // 5))
        stats = []
        for name in ("chroma.sqlite3", "chroma.sqlite3-wal"):
            try:
                st = (self.index_dir / name).stat()
            except FileNotFoundError:
                continue
            stats.append((name, st.st_size, st.st_mtime_ns))
        return (self._generation, *stats)

    def sources(self) -> list[str]:
        return sorted(self.file_states())
