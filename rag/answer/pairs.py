"""A cross-encoder exported to int8 ONNX: one score per (question, unit) pair, read together by one transformer.

The folder holds ``model.onnx`` (output "logits", one per pair; scripts/cross_encoder.py export) and the
tokenizer's ``tokenizer.json``. Each pair is run alone (dynamic int8 quantisation scales activations over the whole
input, so in a padded batch a pair's score would depend on its neighbours), two at a time on their own threads.
Loaded on first use.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rag.index.embedding import onnx_session

log = logging.getLogger(__name__)

THREADS = 2  # pairs scored side by side (onnxruntime runs one session from many threads)


class OnnxCrossEncoder:
    """Scores units against a question; ``max_tokens`` bounds each pair (the longer text is cut first)."""

    def __init__(self, folder: Path, max_tokens: int) -> None:
        self.folder = folder
        self.max_tokens = max_tokens
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the tokenizer and the ONNX session (onnxruntime's own errors pass through)."""
        with self._lock:
            if self._session is not None:
                return
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=self.max_tokens, strategy="longest_first")
            log.info("loading cross-encoder %s", self.folder / "model.onnx")
            self._session = onnx_session(self.folder / "model.onnx")
            self._tokenizer = tokenizer

    def scores(self, query: str, texts: list[str]) -> np.ndarray:
        """One logit per text, read as the pair (query, text); higher is likelier to answer."""
        self.warm_up()
        assert self._session is not None and self._tokenizer is not None
        encodings = self._tokenizer.encode_batch([(query, t) for t in texts])
        out = np.zeros(len(texts), dtype=np.float64)

        def run(i: int) -> None:
            e = encodings[i]
            feed = {"input_ids": np.array([e.ids], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
            out[i] = float(self._session.run(None, feed)[0].reshape(-1)[0])

        with ThreadPoolExecutor(THREADS, thread_name_prefix="pairs") as pool:
            list(pool.map(run, range(len(texts))))
        return out
