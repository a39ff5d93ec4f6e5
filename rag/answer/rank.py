"""The one scoring function of candidates, and the one IDF-weighted share of terms.

Answering ranks candidates by :func:`hand_order` over their feature rows; scripts/fit_ranker.py reads the same
function over the same rows, so what is measured is what answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from rag.answer.params import AnswerParams

KINDS = ("list_item", "table_row", "directive", "signature", "code", "note", "definition")  # 'prose' is the base
FEATURES = ("dense", "lexical", "local", "path", "typed", "rank", "retrieval", "length", "neighbour",
            "question_form", "read_with_path", "local_with_path", "typed_strict", "new_code", "dense_read",
            *(f"kind_{k}" for k in KINDS))
COLUMN = {name: i for i, name in enumerate(FEATURES)}

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
