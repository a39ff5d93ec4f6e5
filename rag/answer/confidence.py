"""How sure the pipeline is that the answer it would show holds the asked fact: one calibrated probability.

The inputs are what deciding already knows, read off the candidate table (rag.answer.candidates): the score of
the top unit (the one the answer quotes) and its margin over the next, whether the best candidates agree on the
value, retrieval's best similarity, the question's kind, and the learned scorer's own score of the
top unit (rag.answer.scorer). A logistic model fitted on questions the
ranking was not tuned on (scripts/fit_confidence.py, models/confidence.md) turns them into a probability; below
the operating point the answer is shown as "not sure" with the passages most likely to hold it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rag.answer.candidates import Candidate
from rag.answer.fitted import load_fitted
from rag.answer.params import AnswerParams
from rag.answer.question import Question
from rag.answer.rank import COLUMN
from rag.answer.refusal import names_in_context
from rag.types import Passage

log = logging.getLogger(__name__)

KINDS = ("number", "date", "version", "name")  # an open question (kind None) is the base
# The quote_* columns describe the unit the answer quotes, which is the top unit (rag.answer.compose.builder_for);
# its score and margin are top_score and margin.
FEATURES = ("top_order", "top_score", "margin", "quote_read", "quote_lexical", "quote_typed", "quote_local",
            "quote_path", "quote_named", "agreement", "retrieval", "same_file_top2", "candidates",
            *(f"kind_{k}" for k in KINDS), "learned_scored", "top_learned", "learned_margin")
STATUSES = ("answered", "not_sure", "refused")


def _values(q: Question, c: Candidate) -> frozenset[str]:
    """What a unit answers with, to compare units: the amounts, dates, versions or names of the kind asked for
    that the question does not say (number words are left out: 'billion' is no value of its own)."""
    f = c.facts
    found = {"number": f.amounts, "date": f.dates, "version": f.versions}.get(q.kind or "", f.names)
    return found - q.asked_specifics


def features(q: Question, candidates: list[Candidate], passages: list[Passage], evidence_k: int,
             params: AnswerParams) -> list[float]:
    """The confidence inputs of one decision (FEATURES, in order); all zeros when there is no candidate."""
    if not candidates:
        return [0.0] * len(FEATURES)
    top = candidates[0]
    second = candidates[1] if len(candidates) > 1 else None
    quote = top  # the unit an answer quotes (rag.answer.compose.builder_for, before a who-question's name)
    # No model scored them: the fit read the hand order of such questions (Russian ones), so it reads the hand order
    # here too, also when a ranker for them chose another unit (then its lead is below zero).
    unread = all(c.learned is None for c in candidates)
    orders = [c.by_hand if unread else c.order for c in candidates]
    top_order = orders[0]
    margin = top_order - max(orders[1:]) if second else 1.0
    mine = _values(q, quote)
    peers = candidates[1:evidence_k]
    agree = sum(1 for c in peers if mine & _values(q, c)) / len(peers) if peers and mine else 0.0
    others = [c.learned for c in candidates[1:] if c.learned is not None]
    return [
        top_order,
        top.score,
        margin,
        quote.read,
        quote.lexical,
        1.0 if quote.typed else 0.0,
        quote.features[COLUMN["local"]] if quote.features else 0.0,
        quote.features[COLUMN["path"]] if quote.features else 0.0,
        1.0 if names_in_context(q, quote, params) else 0.0,
        agree,
        max((p.score for p in passages), default=0.0),
        1.0 if second is not None and second.passage.source == top.passage.source else 0.0,
        math.log1p(len(candidates)),
        *(1.0 if q.kind == k else 0.0 for k in KINDS),
        # the learned scorer's own score of the top unit (a cross-encoder's logit: unlike the orders, not a z-score
        # among this question's candidates) and its lead over the best other it scored
        0.0 if top.learned is None else 1.0,
        top.learned or 0.0,
        top.learned - max(others) if top.learned is not None and others else 0.0,
    ]


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@dataclass(frozen=True)
class DraftStage:
    """What the model's draft adds to the confidence made before it: a logistic model over the earlier
    confidence's log-odds and whether a sentence of the draft held up against the evidence (the checker kept it).
    A model that words an answer the evidence supports agrees with the unit the answer quotes; a draft the checker
    removed whole leaves the quote alone (scripts/fit_confidence.py --drafts)."""

    pre: float  # weight of the confidence's log-odds
    held_up: float  # added when a model sentence held up
    intercept: float

    def probability(self, before: float, held_up: bool) -> float:
        return _sigmoid(self.intercept + self.pre * logit(before) + (self.held_up if held_up else 0.0))

    def to_json(self) -> dict[str, float]:
        return {"pre": self.pre, "held_up": self.held_up, "intercept": self.intercept}


@dataclass(frozen=True)
class ConfidenceModel:
    """A logistic model over standardised features, with the operating point it was shipped with, and what the
    model's draft adds (None: the confidence is final before generation). It reads the columns of FEATURES it
    names, so a model fitted before a feature was added still loads and scores as it did."""

    names: tuple[str, ...]  # of FEATURES
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    point: float  # the default operating point: at or above it the answer is shown as it is
    fitted_on: str = ""  # what it was fitted on (the card says more)
    draft: DraftStage | None = None

    @cached_property
    def _columns(self) -> tuple[int, ...]:
        return tuple(FEATURES.index(n) for n in self.names)

    def probability(self, row: list[float]) -> float:
        """The confidence before generation, of a row of FEATURES (the model reads the columns it names). Raises
        ValueError on a row of another length (one computed by an older FEATURES, e.g. a cached evaluation)."""
        if len(row) != len(FEATURES):
            raise ValueError(f"a confidence row has {len(row)} features, this code computes {len(FEATURES)}: "
                             "decide it again")
        z = self.intercept + sum((row[i] - m) / s * w for i, m, s, w in zip(self._columns, self.mean, self.scale,
                                                                            self.coef, strict=True))
        return _sigmoid(z)

    def after_draft(self, before: float, held_up: bool) -> float:
        """The confidence once the draft is checked (``before`` itself when there is no draft stage)."""
        return before if self.draft is None else self.draft.probability(before, held_up)

    def of_row(self, row: dict) -> float:
        """The final confidence of a row of `rag eval`'s output (its features, whether its draft held up)."""
        return self.after_draft(self.probability(row["confidence_features"]), not row["fallback"])

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"names": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                                  "coef": list(self.coef), "intercept": self.intercept, "point": self.point,
                                  "fitted_on": self.fitted_on}
        if self.draft is not None:
            out["draft"] = self.draft.to_json()
        return out

    @staticmethod
    def load(path: Path) -> ConfidenceModel:
        """Read a model written by scripts/fit_confidence.py. Raises ConfigError when it is missing, unreadable or
        fitted on other features than this code computes."""
        def make(data: dict) -> ConfidenceModel:
            return ConfidenceModel(tuple(data["names"]), tuple(data["mean"]), tuple(data["scale"]),
                                   tuple(data["coef"]), float(data["intercept"]), float(data["point"]),
                                   str(data.get("fitted_on", "")),
                                   DraftStage(**{k: float(v) for k, v in data["draft"].items()})
                                   if data.get("draft") else None)

        model = load_fitted(path, "confidence model", FEATURES, make,
                            "restore it from the repository (git checkout models/) or refit it: "
                            ".venv/bin/python scripts/fit_confidence.py", subset=True)
        return model
