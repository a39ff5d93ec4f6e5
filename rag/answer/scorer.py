"""The learned answer scorer: which candidate unit holds the asked fact, by a model trained on it.

The packaged all-MiniLM-L6-v2 fine-tuned listwise on candidate groups of thousands of training questions (each
question against its candidates read with their heading paths; scripts/train_scorer.py), exported to int8 ONNX
in a folder (scripts/train_scorer.py export; none is shipped yet, docs/quality.md). Candidates are ordered by the
hand order and the model's similarity together (rag.answer.rank.fused, with the weight the folder's scorer.json
names, less for a question the model cannot read), or, when scorer.json holds a stacked ranker, by that ranker over
the candidate features and both orders' z-scores (rag.answer.rank.stacked_rows). The index keeps its own
embeddings, and the model is loaded on first use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer.candidates import Candidate, read_text
from rag.answer.params import AnswerParams
from rag.answer.rank import STACKED, Ranker, fused, stacked_rows
from rag.errors import ConfigError
from rag.index.embedding import OnnxFolderEmbedder, export_onnx_int8

CARD = "scorer.json"  # in the folder: the fusion weight and what the model was trained on
# What answering reads of a sentence-transformers folder besides the ONNX export (no torch weights are kept).
SHIPPED_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json",
                 "1_Pooling/config.json")
REDO = "export one again: scripts/train_scorer.py export (docs/quality.md)"


def save_scorer(trained: Path, target: Path, weight: float, trained_on: str, training: dict | None = None,
                stack: Ranker | None = None) -> None:
    """Write a trained sentence-transformers folder as answering loads it: the int8 ONNX export with its word
    embeddings quantised too (23 MB for MiniLM-L6, under the 30 MB models/ allows), the tokenizer and configs,
    and the card (with ``stack``, a ranker over STACKED that orders the candidates in place of the fused order).
    Needs torch (scripts/train_scorer.py export; tests)."""
    target.mkdir(parents=True, exist_ok=True)
    export_onnx_int8(trained, target / "model.onnx", ops=("MatMul", "Gather"))
    for name in SHIPPED_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes((trained / name).read_bytes())
    card = {"weight": weight, "trained_on": trained_on, "training": training or {}}
    if stack is not None:
        card["stack"] = stack.to_json()
    (target / CARD).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def fusion_weight(weight: float, share: float, min_share: float) -> float:
    """The learned similarity's weight for one question: the card's weight times ``share``, the share of the
    question's words the model's vocabulary holds whole (rag.index.embedding vocabulary_share), and none below
    ``min_share`` (AnswerParams.scorer_min_share). MiniLM reads Russian letter by letter, and what it learnt on
    English questions does not carry there (docs/quality.md)."""
    return weight * share if readable(share, min_share) else 0.0


def readable(share: float, min_share: float) -> bool:
    """Whether the model can read a question: its vocabulary holds this share of the question's words whole."""
    return share >= min_share


@dataclass(frozen=True)
class ScorerCard:
    weight: float  # the learned similarity's weight against the hand order (z-scores), chosen left out
    trained_on: str = ""
    stack: Ranker | None = None  # when present, what orders: a ranker over the features and both z-scores


class LearnedScorer:
    """Orders one question's candidates; build with :meth:`load` (which reads only the small card)."""

    def __init__(self, folder: Path, card: ScorerCard) -> None:
        self.folder = folder
        self.card = card
        self._embedder = OnnxFolderEmbedder(folder)

    @staticmethod
    def load(folder: Path) -> LearnedScorer:
        """The scorer in ``folder``. Raises ConfigError when its card is missing or unreadable, or the model file
        is not beside it."""
        path = folder / CARD
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stack = Ranker.from_json(data["stack"], STACKED) if "stack" in data else None
            card = ScorerCard(float(data["weight"]), str(data.get("trained_on", "")), stack)
        except FileNotFoundError as exc:
            raise ConfigError(f"The answer scorer {path} is missing; {REDO}, or order by hand: "
                              "RAG_SCORER=none.") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"The answer scorer {path} cannot be read ({exc}); {REDO}.") from exc
        if not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
            raise ConfigError(f"The answer scorer in {folder} lacks model.onnx or tokenizer.json; {REDO}.")
        return LearnedScorer(folder, card)

    def warm_up(self) -> None:
        """Load the model now (start-up does it on a background thread) rather than at the first question.
        Raises ConfigError when the model file cannot be loaded."""
        try:
            self._embedder.warm_up()
        except Exception as exc:  # onnxruntime raises its own types for a damaged or foreign file
            raise ConfigError(f"The answer scorer's model {self.folder / 'model.onnx'} cannot be loaded ({exc}); "
                              f"{REDO}, or order by hand: RAG_SCORER=none.") from exc

    def similarities(self, query: str, table: Sequence[Candidate], params: AnswerParams) -> np.ndarray:
        """The model's cosine similarity of the question to each candidate read with its heading path."""
        self.warm_up()
        vectors = self._embedder.embed([query] + [read_text(c.passage, params) for c in table])
        return np.atleast_1d(vectors[1:] @ vectors[0])

    def order(self, query: str, table: Sequence[Candidate], params: AnswerParams) -> np.ndarray:
        """Each candidate's order: the hand order (``Candidate.order``) fused with the learned similarity, or, when
        the card has a stacked ranker, that ranker's score of the features and both z-scores."""
        hand = np.asarray([c.order for c in table], dtype=np.float64)
        learned = self.similarities(query, table, params).astype(np.float64)
        share = self._embedder.vocabulary_share(query)
        if self.card.stack is not None:
            rows = stacked_rows(np.asarray([c.features for c in table], dtype=np.float64), hand, learned,
                                float(readable(share, params.scorer_min_share)))
            return self.card.stack.score(rows)
        return fused(hand, learned, fusion_weight(self.card.weight, share, params.scorer_min_share))
