"""The refusal threshold in force: a setting, else the calibration stored with the index, else the default.

What `rag calibrate` (rag.answer.calibration) writes, and what every question reads; kept apart from the
calibration itself so the pipeline imports this and the calibration imports the pipeline, one way.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import DEFAULT_MIN_EVIDENCE_SCORE, Settings

if TYPE_CHECKING:
    from rag.index.store import ChromaStore

log = logging.getLogger(__name__)

FILE = "calibration.json"


@dataclass(frozen=True)
class Calibration:
    min_score: float
    answerable: int  # probes used
    unanswerable: int
    false_refusals: float  # of answerable probes, at min_score
    refusals: float  # of unanswerable probes, at min_score
    chunks: int  # chunks in the index when calibrated
    seed: int
    min_confidence: float | None = None  # the confidence's operating point fitted here (None: the model's own)

    def describe(self) -> str:
        point = "" if self.min_confidence is None else f", confidence point {self.min_confidence:.2f}"
        return (f"calibrated on {self.answerable} answerable and {self.unanswerable} unanswerable probes from "
                f"{self.chunks} chunks: false refusals {self.false_refusals:.1%}, refusals {self.refusals:.1%}"
                f"{point}")


def load(index_dir: Path) -> Calibration | None:
    path = index_dir / FILE
    try:
        return Calibration(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        log.warning("ignoring %s (%s); run `rag calibrate` again", path, exc)
        return None


def save(index_dir: Path, calibration: Calibration) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(calibration), indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def refusal_threshold(settings: Settings, store: ChromaStore) -> tuple[float, str]:
    """The threshold in force and how it was chosen: a setting beats a calibration beats the default."""
    if settings.min_evidence_score is not None:
        return settings.min_evidence_score, "set by RAG_MIN_EVIDENCE_SCORE"
    stored = load(store.index_dir)
    if stored is not None:
        return stored.min_score, stored.describe()
    return DEFAULT_MIN_EVIDENCE_SCORE, "default; run `rag calibrate` to fit it to these documents"


def confidence_point(settings: Settings, store: ChromaStore, default: float) -> tuple[float, str]:
    """The confidence's operating point in force and how it was chosen: a setting beats a calibration beats the
    model's default."""
    if settings.min_confidence is not None:
        return settings.min_confidence, "set by RAG_MIN_CONFIDENCE"
    stored = load(store.index_dir)
    if stored is not None and stored.min_confidence is not None:
        return stored.min_confidence, "calibrated on these documents"
    return default, "the model's default point"
