"""The lexical index: BM25 (scored by the bm25s library) over the chunks held by the Chroma store.

Built on first use from the store's texts and kept in step with it (uploads in this process, `rag index` in
another): when the store changes, only the new chunks are tokenised and the BM25 matrix is recomputed from the
term counts kept in memory, with numpy. The term counts are saved under the index folder keyed by a fingerprint
of the stored chunk ids (chunk ids hold the file's content hash, so the same ids mean the same texts), so a
process that opens an unchanged index loads them instead of tokenising every chunk again.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.paging import ids_fingerprint
from rag.index.store import ChromaStore
from rag.text import STOPWORDS, fold, stem, words

log = logging.getLogger(__name__)

# Bump when tokenisation or the saved layout changes: saved indexes of another version are not used.
FORMAT = 5  # 5: a chunk is searched with its heading path
FOLDER = "bm25"
K1, B = 1.5, 0.75  # bm25s's defaults, "lucene" variant
_SPLIT = re.compile(r"[-.']+")


def _word_tokens(word: str) -> tuple[str, ...]:
    word = word.strip(".'").removesuffix("'s")
    parts = _SPLIT.split(word)
    out = []
    for token in (word, *parts) if len(parts) > 1 else (word,):
        if token and token not in STOPWORDS and (len(token) > 1 or token.isdigit()):
            out.append(token if token.isdigit() else stem(token))
    return tuple(out)


def tokenize(text: str, cache: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Folded, stemmed words (rag.text's rules) but keeping numbers; 'os.path' also gives 'os' and 'path'.

    ``cache`` (word -> tokens) speeds up tokenising many texts: most words repeat.
    """
    cache = {} if cache is None else cache
    out: list[str] = []
    for word in words(fold(text)):
        tokens = cache.get(word)
        if tokens is None:
            tokens = cache[word] = _word_tokens(word)
        out.extend(tokens)
    return out


def fingerprint(ids: list[str]) -> str:
    return ids_fingerprint(ids, f"bm25 v{FORMAT}")


@dataclass
class Postings:
    """Term counts of every chunk, flat: chunk i's (term, count) pairs are ``terms/tfs[ptr[i]:ptr[i+1]]``."""

    ids: list[str]
    ptr: np.ndarray  # int64, len(ids) + 1
    terms: np.ndarray  # int32 term ids
    tfs: np.ndarray  # float32 counts
    lengths: np.ndarray  # float32 tokens per chunk
    vocab: dict[str, int]

    @classmethod
    def empty(cls) -> Postings:
        return cls([], np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32),
                   np.zeros(0, np.float32), {})

    def keep(self, wanted: set[str]) -> Postings:
        """Only the chunks whose id is in ``wanted`` (the vocabulary is kept whole)."""
        keep = np.fromiter((i in wanted for i in self.ids), dtype=bool, count=len(self.ids))
        if keep.all():
            return self
        counts = np.diff(self.ptr)
        entry_keep = np.repeat(keep, counts)
        ptr = np.concatenate([[0], np.cumsum(counts[keep])]).astype(np.int64)
        return Postings([i for i, k in zip(self.ids, keep, strict=True) if k], ptr, self.terms[entry_keep],
                        self.tfs[entry_keep], self.lengths[keep], self.vocab)

    def add(self, ids: list[str], texts: list[str]) -> Postings:
        """These chunks added; their new words join the vocabulary."""
        if not ids:
            return self
        vocab = dict(self.vocab)
        cache: dict[str, tuple[str, ...]] = {}
        flat: list[int] = []
        lengths = np.zeros(len(texts), np.float32)
        for n, text in enumerate(texts):
            tokens = tokenize(text, cache)
            lengths[n] = len(tokens)
            flat.extend(vocab.setdefault(t, len(vocab)) for t in tokens)
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths.astype(np.int64))
        # Unique (chunk, term) pairs with their counts, in chunk order, in one vectorised pass.
        keys, tfs = np.unique(doc * len(vocab) + np.asarray(flat, dtype=np.int64), return_counts=True)
        new_doc, new_terms = np.divmod(keys, len(vocab))
        ptr = np.searchsorted(new_doc, np.arange(len(texts) + 1)) + self.ptr[-1]
        return Postings(self.ids + ids, np.concatenate([self.ptr[:-1], ptr]).astype(np.int64),
                        np.concatenate([self.terms, new_terms.astype(np.int32)]),
                        np.concatenate([self.tfs, tfs.astype(np.float32)]),
                        np.concatenate([self.lengths, lengths]), vocab)

    def bm25(self) -> Any:
        """A bm25s model over these chunks: BM25 weights ("lucene" idf) in bm25s's CSC layout."""
        bm25s = _bm25s()
        from bm25s.scoring import _score_tfc_lucene

        n_docs, n_terms = len(self.ids), len(self.vocab)
        df = np.bincount(self.terms, minlength=n_terms).astype(np.float64)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        doc = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(self.ptr))
        avg = float(self.lengths.mean()) if n_docs else 1.0
        weights = idf[self.terms] * _score_tfc_lucene(self.tfs, self.lengths[doc], max(avg, 1e-9), K1, B)
        order = np.argsort(self.terms, kind="stable")
        model = bm25s.BM25(k1=K1, b=B, method="lucene")
        model.scores = {"data": weights[order].astype(np.float32), "indices": doc[order],
                        "indptr": np.concatenate([[0], np.cumsum(df.astype(np.int64))]), "num_docs": n_docs}
        model.vocab_dict = self.vocab
        model.unique_token_ids_set = set(self.vocab.values())
        model.nonoccurrence_array = None
        return model


def _bm25s() -> Any:
    import bm25s  # deferred: it imports scipy

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its logger to DEBUG on import
    return bm25s


@dataclass
class _Built:
    fingerprint: str
    postings: Postings
    model: Any  # bm25s.BM25, None when there are no chunks


class LexicalIndex:
    """BM25 over a store's chunks; thread-safe; follows the store's changes."""

    def __init__(self, store: ChromaStore, cache_dir: Path | None = None) -> None:
        self.store = store
        self.cache_dir = cache_dir if cache_dir is not None else store.index_dir / FOLDER
        self._built: _Built | None = None
        self._seen: Any = None  # the store's change token when last checked
        self._lock = threading.Lock()
        self.last_build: dict[str, Any] = {}  # what the last (re)build did, for logs and the bench

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` best (chunk id, BM25 score) for ``query``, best first; chunks sharing no term are left out."""
        built = self._current()
        tokens = tokenize(query)
        if built.model is None or k <= 0 or not tokens:
            return []
        token_ids = built.model.get_tokens_ids(tokens)
        if not token_ids:
            return []
        scores = built.model.get_scores_from_ids(token_ids)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        ids = built.postings.ids
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def refresh(self) -> None:
        """Bring the index in step with the store now (otherwise done by the next search)."""
        self._current()

    def _current(self) -> _Built:
        token = self.store.change_token()
        with self._lock:
            if self._built is not None and token == self._seen:
                return self._built
            ids = self.store.ids()
            fp = fingerprint(ids)
            if self._built is None or self._built.fingerprint != fp:
                self._built = (self._load(fp) if self._built is None else None) or self._update(fp, ids)
            self._seen = token
            return self._built

    def _update(self, fp: str, ids: list[str]) -> _Built:
        """Postings for exactly ``ids``: kept from the current index, new chunks read and tokenised."""
        started = time.perf_counter()
        if self._built is None:
            # From scratch: reading every text in pages is faster than asking for them by id.
            ids, texts = self.store.ids_and_texts(with_path=True)
            fp, have, new = fingerprint(ids), set(), ids
            postings = Postings.empty().add(ids, texts)
        else:
            postings = self._built.postings.keep(set(ids))
            have = set(postings.ids)
            new = [i for i in ids if i not in have]
            by_id = self.store.texts_of(new, with_path=True)
            postings = postings.add([i for i in new if i in by_id], [by_id[i] for i in new if i in by_id])
        built = _Built(fp, postings, postings.bm25() if postings.ids else None)
        seconds = time.perf_counter() - started
        self.last_build = {"action": "built" if not have else "updated", "chunks": len(postings.ids),
                           "tokenised": len(new), "seconds": round(seconds, 3)}
        log.info("lexical index: %s", self.last_build)
        self._save(built)
        return built

    def _path(self, fp: str) -> Path:
        return self.cache_dir / f"{fp}.npz"

    def _load(self, fp: str) -> _Built | None:
        path = self._path(fp)
        if not path.is_file():
            return None
        started = time.perf_counter()
        try:
            with np.load(path, allow_pickle=False) as saved:
                postings = Postings(ids=saved["ids"].tolist(), ptr=saved["ptr"], terms=saved["terms"],
                                    tfs=saved["tfs"], lengths=saved["lengths"],
                                    vocab={t: i for i, t in enumerate(saved["vocab"].tolist())})
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable lexical index %s (%s); rebuilding it", path, exc)
            return None
        built = _Built(fp, postings, postings.bm25() if postings.ids else None)
        seconds = time.perf_counter() - started
        self.last_build = {"action": "loaded", "chunks": len(postings.ids), "tokenised": 0,
                           "seconds": round(seconds, 3)}
        log.info("lexical index: %s from %s", self.last_build, path)
        return built

    def _save(self, built: _Built) -> None:
        """Write atomically and drop older saved indexes; a failure only costs a rebuild next time."""
        p = built.postings
        path = self._path(built.fingerprint)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as fh:
                np.savez(fh, ids=np.array(p.ids, dtype=str), ptr=p.ptr, terms=p.terms, tfs=p.tfs, lengths=p.lengths,
                         vocab=np.array(sorted(p.vocab, key=p.vocab.__getitem__), dtype=str))
            os.replace(tmp, path)
            for old in self.cache_dir.glob("*.npz"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not save the lexical index to %s: %s", path, exc)
            tmp.unlink(missing_ok=True)
