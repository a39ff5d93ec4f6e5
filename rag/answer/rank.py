"""The orders of candidates (the hand order, and the ranker fitted over the same feature rows), and the one
IDF-weighted share of terms.

Answering ranks candidates by the fitted :class:`Ranker` (models/ranker.json) over their feature rows, or by
:func:`hand_order` when none is installed; scripts/fit_ranker.py and scripts/train_scorer.py read the same
functions over the same rows, so what is measured is what answers. :func:`hand_score` stays what the refusal
threshold is set on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from rag.answer.fitted import load_fitted
from rag.answer.params import AnswerParams
from rag.errors import ConfigError

KINDS = ("list_item", "table_row", "directive", "signature", "code", "note", "definition")  # 'prose' is the base
FEATURES = ("dense", "lexical", "local", "path", "typed", "rank", "retrieval", "length", "neighbour",
            "question_form", "read_with_path", "local_with_path", "typed_strict", "new_code", "dense_read",
            *(f"kind_{k}" for k in KINDS))
COLUMN = {name: i for i, name in enumerate(FEATURES)}
# A stacked ranker's columns (rag.answer.scorer): the features, then the hand order's and a learned similarity's
# z-scores among the question's candidates.
STACKED = (*FEATURES, "hand_z", "learned_z")
# A cross-encoder scorer's stack that also reads a bi-encoder's similarity (rag.answer.scorer, card "bi").
STACKED_WITH_BI = (*STACKED, "bi_z")
# The ranker a scorer's card names for questions its models cannot read (rag.answer.scorer, card "unreadable"): the
# features and the hand order's z-scores, no learned column.
STACKED_UNREADABLE = (*FEATURES, "hand_z")
REDO = "restore it from the repository (git checkout models/) or refit it: make ranker"

X = TypeVar("X")  # a float (one candidate) or a numpy column (many)


def hand_score(dense: X, read: X, lexical: X, typed: X, p: AnswerParams) -> X:
    """Dense similarity (``read``: the unit alone or read with its heading path, whichever is closer; weighed
    against the unit alone by ``p.read_weight``) plus coverage, less the penalty for lacking the kind of fact
    asked for: what the refusal threshold is set on."""
    near = dense * (1 - p.read_weight) + read * p.read_weight
    return p.dense_weight * near + p.lexical_weight * lexical - p.type_penalty * (1 - typed)


def hand_order(dense: X, read: X, lexical: X, typed: X, typed_strict: X, p: AnswerParams) -> X:
    """What candidates are ranked by: :func:`hand_score` plus a bonus for holding the value a number, date or
    version question needs."""
    return hand_score(dense, read, lexical, typed, p) + p.strict_bonus * typed_strict


def order_of_rows(x: X, p: AnswerParams) -> X:
    """:func:`hand_order` of a feature table (rows of FEATURES)."""
    c = COLUMN
    return hand_order(x[:, c["dense"]], x[:, c["dense_read"]], x[:, c["lexical"]], x[:, c["typed"]],
                      x[:, c["typed_strict"]], p)


@dataclass(frozen=True)
class Ranker:
    """A linear ranker over standardised feature rows (FEATURES), fitted pairwise: within a question, which of two
    candidates holds the asked fact (scripts/train_scorer.py, card models/ranker.md)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    fitted_on: str = ""
    names: tuple[str, ...] = FEATURES  # the columns of its rows (STACKED for a learned scorer's stacked ranker)

    def score(self, rows: np.ndarray) -> np.ndarray:
        """The order of each row (higher is better); only comparable among one question's candidates."""
        return ((rows - self.mean) / self.scale) @ self.coef

    def to_json(self) -> dict[str, object]:
        return {"names": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "fitted_on": self.fitted_on}

    @staticmethod
    def from_json(data: dict, names: tuple[str, ...]) -> Ranker:
        """A ranker over ``names`` from :meth:`to_json`'s form. Raises ValueError (or KeyError, TypeError) when
        it holds other columns or arrays of another length."""
        if tuple(data.get("names", ())) != names:
            raise ValueError(f"fitted on the columns {data.get('names')}, not {list(names)}")
        mean, scale, coef = (np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef"))
        if not len(mean) == len(scale) == len(coef) == len(names):
            raise ValueError("its arrays do not match its columns")
        return Ranker(mean, scale, coef, str(data.get("fitted_on", "")), names)

    @staticmethod
    def load(path: Path) -> Ranker:
        """Read a ranker written by scripts/train_scorer.py. Raises ConfigError when it is missing, unreadable or
        fitted on other features than this code computes."""
        def make(data: dict) -> Ranker:
            return Ranker(*(np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")),
                          fitted_on=str(data.get("fitted_on", "")))

        ranker = load_fitted(path, "ranker", FEATURES, make, REDO, ", or rank by hand: RAG_RANKER=none")
        if not len(ranker.coef) == len(ranker.mean) == len(ranker.scale) == len(FEATURES):
            raise ConfigError(f"The ranker {path} was fitted on other features than this version computes; {REDO}.")
        return ranker


def zscores(x: np.ndarray) -> np.ndarray:
    """``x`` standardised among one question's candidates (zeros when they are all alike)."""
    spread = float(x.std())
    return (x - x.mean()) / spread if spread > 0 else np.zeros_like(x)


def fused(hand: np.ndarray, learned: np.ndarray, weight: float) -> np.ndarray:
    """The order of one question's candidates by the hand order and a learned similarity together: their z-scores
    among those candidates, the learned one times ``weight`` (rag/answer/scorer.py, scripts/train_scorer.py)."""
    return zscores(hand) + weight * zscores(learned)


def stacked_rows(features: np.ndarray, hand: np.ndarray, learned: np.ndarray, learned_weight: float,
                 *more: np.ndarray) -> np.ndarray:
    """A stacked ranker's rows (STACKED; with ``more`` learned scores, a column each: STACKED_WITH_BI) for one
    question's candidates: each one's features, then the z-scores of the hand order and of each learned score,
    the latter times ``learned_weight`` (0 for a question the models cannot read, rag.answer.scorer.fusion_weight)."""
    return np.column_stack([np.asarray(features, dtype=np.float64).reshape(len(hand), len(FEATURES)),
                            zscores(np.asarray(hand, dtype=np.float64)),
                            *(learned_weight * zscores(np.asarray(x, dtype=np.float64)) for x in (learned, *more))])


def hand_rows(features: np.ndarray, hand: np.ndarray) -> np.ndarray:
    """The rows of a ranker over STACKED_UNREADABLE for one question's candidates: each one's features, then the
    z-score of its hand order among them."""
    return np.column_stack([np.asarray(features, dtype=np.float64).reshape(len(hand), len(FEATURES)),
                            zscores(np.asarray(hand, dtype=np.float64))])


def weighted_share(wanted: Iterable[str], have: set[str] | frozenset[str], weights: Mapping[str, float],
                   default: float = 1.0) -> float:
    """The share of ``wanted`` terms found in ``have``, each weighed by ``weights`` (``default`` for a term
    without one); 0 when nothing is wanted."""
    total = got = 0.0
    for t in wanted:
        w = weights.get(t, default)
        total += w
        if t in have:
            got += w
    return got / total if total else 0.0
