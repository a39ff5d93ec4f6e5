"""The models a running app can answer with: the configured one plus the packaged ones, each loaded once, on
first use, and shared by every conversation that picks it.

All generators of one pool share one run lock, so at most one model generates at a time in the process. On a
2-core machine a second concurrent generation would only split the same cores (llama.cpp already uses them) and
slow both answers down, and it would compete with the embedder that the other users' retrieval needs; queueing
keeps each answer as fast as it can be and the memory bounded to the loaded weights.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from rag.config import PACKAGED_MODELS, Settings
from rag.errors import ConfigError
from rag.llm.llama import LlamaCppGenerator, TextGenerator

log = logging.getLogger(__name__)


class ModelPool:
    """Model name -> generator, created lazily; ``default`` is the configured model's generator."""

    def __init__(self, settings: Settings, default: TextGenerator) -> None:
        self._settings = settings
        self._default = default
        self._run_lock: threading.Lock = getattr(default, "run_lock", None) or threading.Lock()
        # A model server (RAG_LLM_URL) is listed under its own name; the packaged models stay local options.
        self._default_name = (settings.model if isinstance(default, LlamaCppGenerator)
                              else getattr(default, "name", "") or settings.model)
        self._generators: dict[str, TextGenerator] = {self._default_name: default}
        self._lock = threading.Lock()

    @property
    def default_name(self) -> str:
        return self._default_name

    def names(self) -> list[str]:
        """The configured model first, then the packaged models not already listed."""
        return [self.default_name, *(m for m in PACKAGED_MODELS if m != self.default_name)]

    def get(self, name: str | None) -> TextGenerator:
        """The generator for ``name`` (None or empty: the configured model). Loading happens at first use."""
        name = name or self.default_name
        if name not in self.names():
            raise ConfigError(f"Unknown model {name!r}; choose one of: {', '.join(self.names())}.")
        with self._lock:
            if name not in self._generators:
                log.info("adding model %s to the pool (loaded at its first question)", name)
                settings = dataclasses.replace(self._settings, model=name)
                self._generators[name] = LlamaCppGenerator(settings, run_lock=self._run_lock)
            return self._generators[name]
