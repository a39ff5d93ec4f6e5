"""Question -> ranked passages: dense (Chroma vectors), lexical (BM25) or hybrid (both, fused by rank)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from rag.config import RETRIEVAL_MODES as MODES
from rag.errors import ConfigError
from rag.index.embedding import Embedder
from rag.index.store import ChromaStore
from rag.retrieval.bm25 import LexicalIndex
from rag.types import Passage

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009); dampens the weight of the top ranks


def candidate_depth(k: int) -> int:
    """How many candidates each list contributes to the fusion."""
    return max(4 * k, 20)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], rrf_k: int = RRF_K,
                           weights: Sequence[float] | None = None) -> list[str]:
    """Ids ordered by the sum of weight / (rrf_k + rank) over the rankings they appear in (ties: first seen)."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (rrf_k + rank)
    return sorted(scores, key=lambda item: -scores[item])  # sorted() is stable: equal scores keep first-seen order


class Retriever:
    """Finds the passages for a query. Thread-safe; the lexical index is built on first lexical/hybrid use.

    Every passage's ``score`` is the cosine similarity of its vector to the query's, whichever list found it,
    so evidence selection and refusal thresholds mean the same in every mode.
    """

    def __init__(self, store: ChromaStore, embedder: Embedder, mode: str = "hybrid",
                 lexical: LexicalIndex | None = None) -> None:
        check_mode(mode)
        self.store = store
        self.embedder = embedder
        self.mode = mode
        self.lexical = lexical or LexicalIndex(store)

    def dense_weight(self, query: str) -> float:
        """How much the dense list counts in the fusion: the share of the query's words the embedder's vocabulary
        holds whole. A query in a language the embedder cannot read (Russian for the packaged MiniLM) is found by
        its words (BM25) rather than by near-random vectors."""
        share = getattr(self.embedder, "vocabulary_share", None)
        return float(share(query)) if share is not None else 1.0

    def search(self, query: str, k: int, mode: str | None = None) -> list[Passage]:
        mode = mode or self.mode
        check_mode(mode)
        vector = self.embedder.embed([query])[0]
        return self.search_vector(query, vector, k, mode)

    def search_vector(self, query: str, vector: np.ndarray, k: int, mode: str) -> list[Passage]:
        """As ``search``, with the query's vector already computed."""
        if k <= 0:
            return []
        if mode == "dense":
            return self.store.query(vector, k)
        depth = candidate_depth(k) if mode == "hybrid" else k
        lexical = [chunk_id for chunk_id, _ in self.lexical.search(query, depth)]
        if mode == "lexical":
            found = self.store.passages(lexical, vector)
            return [found[i] for i in lexical if i in found]
        dense = self.store.query_ids(vector, candidate_depth(k))
        fused = reciprocal_rank_fusion([[i for i, _ in dense], lexical], weights=[self.dense_weight(query), 1.0])[:k]
        known = dict(dense)
        found = self.store.passages([i for i in fused if i not in known], vector)
        known.update(found)
        # An id the lexical index still lists but the store no longer holds (deleted meanwhile) is skipped.
        return [known[i] for i in fused if i in known]


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ConfigError(f"Unknown retrieval mode {mode!r}; use one of: {', '.join(MODES)}.")
