"""The learned answer scorer: which candidate unit holds the asked fact, by a model trained on it.

A model trained from the packaged all-MiniLM-L6-v2 on candidate groups of thousands of training questions (each
question against its candidates read with their heading paths), exported to int8 ONNX in a folder whose card,
scorer.json, names its kind: a bi-encoder fine-tuned listwise (the question's cosine similarity to each unit;
scripts/train_scorer.py export), or a cross-encoder (one score per question and unit read together;
rag.answer.pairs, scripts/cross_encoder.py), which reorders only the hand order's first ``first`` candidates
(the card's) to keep within the time an answer has; a cross-encoder's folder may hold a bi-encoder too (the card's
"bi": its export beside the other, the weights both keep from MiniLM stored once), whose similarity its stacked
ranker reads as one more column. Candidates are ordered by the hand order and the model's
score together (rag.answer.rank.fused, with the weight the card names, less for a question the model cannot read),
or, when the card holds a stacked ranker, by that ranker over the candidate features and both orders' z-scores
(rag.answer.rank.stacked_rows). A question the models cannot read (Russian: they spell it letter by letter) is
ordered by the card's "unreadable" ranker over the features and the hand order alone, fitted on Russian questions
(scripts/russian_order.py). The index keeps its own embeddings, and the model is loaded on first use.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer.candidates import READS, Candidate, model_text, read_text
from rag.answer.pairs import OnnxCrossEncoder
from rag.answer.params import AnswerParams
from rag.answer.rank import STACKED, STACKED_UNREADABLE, STACKED_WITH_BI, Ranker, fused, hand_rows, stacked_rows
from rag.errors import ConfigError
from rag.index.embedding import OnnxFolderEmbedder, export_onnx_int8, share_weights, vocabulary_share

CARD = "scorer.json"  # in the folder: the fusion weight and what the model was trained on
# What answering reads of a sentence-transformers folder besides the ONNX export (no torch weights are kept).
SHIPPED_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json",
                 "1_Pooling/config.json")
BI, CROSS = "bi-encoder", "cross-encoder"  # the card's "kind"
SHIPPED_BY_KIND = {BI: SHIPPED_FILES, CROSS: ("tokenizer.json",)}
BI_FILE = "bi.onnx"  # a cross-encoder folder's bi-encoder export, when it has one
# The weights quantised to int8 in a scorer's export: the word embeddings too (Gather), so MiniLM fits in 23 MB.
# What a model is measured with in training (scripts/train_scorer.py, cross_encoder.py) is exported the same way.
EXPORT_OPS = ("MatMul", "Gather")
MAX_PAIR_TOKENS = 160  # a cross-encoder card's default: question and unit together (scripts/cross_encoder.py)
REDO = "export one again: scripts/train_scorer.py export (docs/quality.md)"


def save_scorer(trained: Path, target: Path, weight: float, trained_on: str, training: dict | None = None,
                stack: Ranker | None = None, kind: str = BI, first: int | None = None,
                unreadable_by_hand: bool = False, bi: Path | None = None, reads: str = "unit") -> None:
    """Write a trained model folder as answering loads it: the int8 ONNX export with its word embeddings quantised
    too (23 MB for MiniLM-L6, under the 30 MB models/ allows), the tokenizer (and a bi-encoder's configs), and the
    card (with ``stack``, a ranker over STACKED that orders the candidates in place of the fused order; for a
    cross-encoder, ``first``: how many of the hand order's candidates it reorders; ``unreadable_by_hand``: a
    question the model cannot read keeps the hand order, the stack unused; ``bi``: a trained bi-encoder folder
    exported beside a cross-encoder, for a stack over STACKED_WITH_BI; ``reads``: what the model reads of a
    candidate, rag.answer.candidates.READS). Needs torch (scripts/train_scorer.py
    export, scripts/cross_encoder.py export; tests)."""
    if bi is not None and (kind != CROSS or stack is None or stack.names != STACKED_WITH_BI):
        raise ValueError("a bi-encoder goes beside a cross-encoder whose stack reads its column (STACKED_WITH_BI)")
    target.mkdir(parents=True, exist_ok=True)
    export_onnx_int8(trained, target / "model.onnx", ops=EXPORT_OPS, pairs=kind == CROSS)
    shipped = [(trained, name) for name in SHIPPED_BY_KIND[kind]]
    if bi is not None:
        if _vocabulary(bi) != _vocabulary(trained):
            raise ValueError(f"{bi} and {trained} tokenize differently: they cannot share one tokenizer")
        export_onnx_int8(bi, target / BI_FILE, ops=EXPORT_OPS)
        shipped += [(bi, name) for name in SHIPPED_FILES if name != "tokenizer.json"]
    for folder, name in shipped:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes((folder / name).read_bytes())
    card: dict[str, object] = {"kind": kind, "weight": weight, "trained_on": trained_on, "training": training or {}}
    if kind == CROSS:
        card.update(first=first, max_tokens=int((training or {}).get("max_tokens", MAX_PAIR_TOKENS)))
    if bi is not None:
        share_weights([target / "model.onnx", target / BI_FILE])
        card["bi"] = BI_FILE
    if stack is not None:
        card["stack"] = stack.to_json()
    if unreadable_by_hand:
        card["unreadable"] = "hand"
    if reads != "unit":
        card["reads"] = reads
    (target / CARD).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def set_unreadable_ranker(folder: Path, ranker: Ranker) -> None:
    """Name ``ranker`` (over STACKED_UNREADABLE) in the card of the scorer in ``folder`` as what orders a question its
    models cannot read (scripts/russian_order.py --write); the rest of the card is kept as it is."""
    if ranker.names != STACKED_UNREADABLE:
        raise ValueError(f"a ranker for unreadable questions reads {', '.join(STACKED_UNREADABLE)}")
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    card["unreadable"] = ranker.to_json()
    (folder / CARD).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def _vocabulary(folder: Path) -> dict[str, int]:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(folder / "tokenizer.json")).get_vocab()


def fusion_weight(weight: float, share: float, min_share: float) -> float:
    """The learned similarity's weight for one question: the card's weight times ``share``, the share of the
    question's words the model's vocabulary holds whole (rag.index.embedding vocabulary_share), and none below
    ``min_share`` (AnswerParams.scorer_min_share). MiniLM reads Russian letter by letter, and what it learnt on
    English questions does not carry there (docs/quality.md)."""
    return weight * share if readable(share, min_share) else 0.0


def readable(share: float, min_share: float) -> bool:
    """Whether the model can read a question: its vocabulary holds this share of the question's words whole."""
    return share >= min_share


def latin_share(text: str) -> float:
    """The share of the letters of ``text`` that are Latin (1.0 when it has none)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for ch in letters if unicodedata.name(ch, "").startswith("LATIN")) / len(letters)


def question_share(folder: Path, query: str, params: AnswerParams) -> float:
    """The share of a question the scorer's models read (:func:`readable`, :func:`fusion_weight`): the share of its
    words their vocabulary holds whole, and none when fewer than ``params.scorer_min_latin`` of its letters are
    Latin (the vocabulary holds short Cyrillic words whole; a Russian question is read letter by letter)."""
    return vocabulary_share(folder, query) if latin_share(query) >= params.scorer_min_latin else 0.0


@dataclass(frozen=True)
class ScorerCard:
    weight: float  # the learned score's weight against the hand order (z-scores), chosen left out
    trained_on: str = ""
    stack: Ranker | None = None  # when present, what orders: a ranker over the features and both z-scores
    kind: str = BI
    first: int | None = None  # a cross-encoder reorders the hand order's first this many candidates (None: all)
    max_tokens: int = MAX_PAIR_TOKENS  # a cross-encoder's question and unit together
    # A question the model cannot read keeps the hand order (a stack fitted beside a strong model weighs the
    # features too little to order alone: docs/quality.md); otherwise the stack orders it without the model.
    unreadable_by_hand: bool = False
    bi: str | None = None  # a cross-encoder's folder: the file of the bi-encoder its stack reads too
    reads: str = "unit"  # what the model (a bi-encoder beside it: always "unit") reads of a candidate (READS)
    corpora: tuple[str, ...] = ()  # the corpora its models were trained on (the card's training.trained_on)
    # When the card has one, a question the models cannot read is ordered by this ranker over the features and the
    # hand order's z-scores (STACKED_UNREADABLE), fitted on such questions (scripts/russian_order.py)
    unreadable: Ranker | None = None


class LearnedScorer:
    """Orders one question's candidates; build with :meth:`load` (which reads only the small card)."""

    def __init__(self, folder: Path, card: ScorerCard) -> None:
        self.folder = folder
        self.card = card
        self._embedder = OnnxFolderEmbedder(folder) if card.kind == BI else None
        self._pairs = OnnxCrossEncoder(folder, card.max_tokens) if card.kind == CROSS else None
        self._bi = OnnxFolderEmbedder(folder, file=card.bi) if card.bi else None

    @staticmethod
    def load(folder: Path) -> LearnedScorer:
        """The scorer in ``folder``. Raises ConfigError when its card is missing or unreadable, or the model file
        is not beside it."""
        path = folder / CARD
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            bi = data.get("bi")
            kind = str(data.get("kind", BI))
            if kind not in SHIPPED_BY_KIND:
                raise ValueError(f"kind {kind!r} is neither {BI!r} nor {CROSS!r}")
            if bi is not None and (kind != CROSS or "stack" not in data):
                raise ValueError("only a cross-encoder with a stacked ranker reads a bi-encoder beside it")
            stack = Ranker.from_json(data["stack"], STACKED_WITH_BI if bi else STACKED) if "stack" in data else None
            first = data.get("first")
            reads = str(data.get("reads", "unit"))
            if reads not in READS or (reads != "unit" and kind != CROSS):
                raise ValueError(f"reads {reads!r}: a cross-encoder reads one of {', '.join(READS)}, a bi-encoder "
                                 "the unit")
            unreadable = data.get("unreadable")
            if unreadable is not None and unreadable != "hand" and not isinstance(unreadable, dict):
                raise ValueError(f"unreadable {unreadable!r} is neither 'hand' nor a ranker")
            card = ScorerCard(float(data["weight"]), str(data.get("trained_on", "")), stack, kind,
                              None if first is None else int(first), int(data.get("max_tokens", MAX_PAIR_TOKENS)),
                              unreadable == "hand", None if bi is None else str(bi), reads,
                              tuple(str(n) for n in data.get("training", {}).get("trained_on", ())),
                              Ranker.from_json(unreadable, STACKED_UNREADABLE) if isinstance(unreadable, dict)
                              else None)
        except FileNotFoundError as exc:
            raise ConfigError(f"The answer scorer {path} is missing; {REDO}, or order by hand: "
                              "RAG_SCORER=none.") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"The answer scorer {path} cannot be read ({exc}); {REDO}.") from exc
        needed = ["model.onnx", "tokenizer.json", *([card.bi] if card.bi else [])]
        if missing := [name for name in needed if not (folder / name).is_file()]:
            raise ConfigError(f"The answer scorer in {folder} lacks {', '.join(missing)}; {REDO}.")
        return LearnedScorer(folder, card)

    def warm_up(self) -> None:
        """Load the model now (start-up does it on a background thread) rather than at the first question.
        Raises ConfigError when the model file cannot be loaded."""
        try:
            if self._embedder is not None:
                self._embedder.warm_up()
            if self._pairs is not None:
                self._pairs.warm_up()
            if self._bi is not None:
                self._bi.warm_up()
        except Exception as exc:  # onnxruntime raises its own types for a damaged or foreign file
            files = " and ".join(str(self.folder / f) for f in ("model.onnx", self.card.bi) if f)
            raise ConfigError(f"The answer scorer's model {files} cannot be loaded ({exc}); "
                              f"{REDO}, or order by hand: RAG_SCORER=none.") from exc

    def similarities(self, query: str, table: Sequence[Candidate], params: AnswerParams) -> np.ndarray:
        """The model's score of each candidate read as its card says (with its heading path, and the sentence
        before it for "reads": "unit+before"): a bi-encoder's cosine similarity to the question, or a
        cross-encoder's logit of the pair."""
        return self._scores(query, [model_text(c, self.card.reads, params) for c in table])

    def _scores(self, query: str, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if self._pairs is not None:
            return self._pairs.scores(query, texts)
        assert self._embedder is not None
        return _cosines(self._embedder, query, texts)

    def order(self, query: str, table: Sequence[Candidate], params: AnswerParams) -> np.ndarray:
        """Each candidate's order (:meth:`rank`)."""
        return self.rank(query, table, params).order

    def rank(self, query: str, table: Sequence[Candidate], params: AnswerParams) -> Ranking:
        """Each candidate's order: the hand order (``Candidate.order``) fused with the learned score, or, when the
        card has a stacked ranker, that ranker's score of the features and the z-scores of the hand order and of
        each model (the cross-encoder's, then the bi-encoder's beside it when the card names one). Candidates past the
        card's ``first`` keep the hand order, below the others. A question the models cannot read
        (:func:`question_share`) is ordered by the card's ranker for such questions (its first ``first`` candidates,
        by the features and the hand order's z-scores), or keeps the hand order whole when the card says "hand". With
        each order, the model's own score of the candidate (NaN where it scored none):
        what the confidence reads of it (NaN too for a question it cannot read)."""
        share = question_share(self.folder, query, params)
        can_read = readable(share, params.scorer_min_share)
        if not can_read and self.card.unreadable is not None:
            return Ranking(unread_order(self.card.unreadable, table, self.card.first), np.full(len(table), np.nan))
        if self.card.unreadable_by_hand and not can_read:
            return Ranking(np.asarray([c.order for c in table], dtype=np.float64), np.full(len(table), np.nan))
        n = _head(table, self.card.first)
        head = table[:n]
        hand = np.asarray([c.order for c in head], dtype=np.float64)
        units = [read_text(c.passage, params) for c in head]  # each read with its path once, for both models
        texts = units if self.card.reads == "unit" else [model_text(c, self.card.reads, params) for c in head]
        learned = self._scores(query, texts).astype(np.float64)
        if self.card.stack is not None:
            more = [_cosines(self._bi, query, units)] if self._bi else []
            rows = stacked_rows(np.asarray([c.features for c in head], dtype=np.float64), hand, learned,
                                float(can_read), *more)
            ordered = self.card.stack.score(rows)
        else:
            ordered = fused(hand, learned, fusion_weight(self.card.weight, share, params.scorer_min_share))
        rest = len(table) - n
        return Ranking(_above_the_rest(ordered, rest),
                       # its scores of a question it cannot read tell nothing
                       np.concatenate([learned if can_read else np.full(n, np.nan), np.full(rest, np.nan)]))


def unread_order(ranker: Ranker, table: Sequence[Candidate], first: int | None) -> np.ndarray:
    """The order of a question the models cannot read: its first ``first`` candidates (None: all) by ``ranker``
    over their features and the hand order's z-scores (STACKED_UNREADABLE), the rest below them in the hand order."""
    n = _head(table, first)
    head = table[:n]
    rows = hand_rows(np.asarray([c.features for c in head], dtype=np.float64), np.asarray([c.order for c in head]))
    return _above_the_rest(ranker.score(rows), len(table) - n)


def _head(table: Sequence[Candidate], first: int | None) -> int:
    """How many of the table's candidates a card reorders."""
    return len(table) if first is None else min(first, len(table))


def _above_the_rest(ordered: np.ndarray, rest: int) -> np.ndarray:
    """The order of the first candidates, then ``rest`` more below every one of them, in the hand order (the table
    comes sorted by it)."""
    return np.concatenate([ordered, float(ordered.min()) - 1.0 - np.arange(rest, dtype=np.float64)])


@dataclass(frozen=True)
class Ranking:
    """One question's candidates as a learned scorer ranks them, in the table's order."""

    order: np.ndarray  # what they are sorted by, best highest
    learned: np.ndarray  # the model's own score of each (a cross-encoder's logit, a bi-encoder's cosine); NaN: none


def _cosines(embedder: OnnxFolderEmbedder, query: str, texts: list[str]) -> np.ndarray:
    """A bi-encoder's cosine similarity of each text to the query."""
    vectors = embedder.embed([query] + texts)
    return np.atleast_1d(vectors[1:] @ vectors[0]).astype(np.float64)
