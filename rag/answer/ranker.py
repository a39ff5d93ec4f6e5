"""The evidence ranker: a logistic model over the signal table, its weights fitted on the tuning sets only.

The weights live in ``ranker.json`` beside this module, written by ``scripts/fit_ranker.py`` (which also reports
the leave-one-corpus-out figures); nothing here is hand-set. A missing or mismatched file means no ranker: the
evidence is then ordered by dense similarity plus coverage, as before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer.signals import NAMES

log = logging.getLogger(__name__)

WEIGHTS_FILE = Path(__file__).with_name("ranker.json")


@dataclass(frozen=True)
class Ranker:
    """score = sigmoid(mean-centred, scaled signals . coef + intercept)."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def score(self, table: np.ndarray) -> np.ndarray:
        if table.size == 0:
            return np.zeros(0)
        z = (table - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    def to_json(self) -> dict[str, object]:
        return {"names": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept}

    @staticmethod
    def from_json(data: dict[str, object]) -> Ranker:
        return Ranker(tuple(data["names"]), tuple(data["mean"]), tuple(data["scale"]),  # type: ignore[arg-type]
                      tuple(data["coef"]), float(data["intercept"]))  # type: ignore[arg-type]


def load_ranker(path: Path = WEIGHTS_FILE) -> Ranker | None:
    """The fitted ranker, or None when there is none for today's signals."""
    if not path.is_file():
        return None
    try:
        ranker = Ranker.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("ranker weights %s unreadable (%s); ranking by score", path, exc)
        return None
    if ranker.names != NAMES:
        log.warning("ranker weights %s are for other signals; ranking by score (refit with scripts/fit_ranker.py)",
                    path)
        return None
    return ranker
