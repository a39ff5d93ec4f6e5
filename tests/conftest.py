"""Shared fixtures: a fast fake embedder for unit tests, and one real app (real embedder, real GGUF model,
real Chroma store in a temp folder) built once per test session for the integration tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from rag.config import PROJECT_ROOT, Settings, load_settings, offline_environment

if TYPE_CHECKING:
    from rag.app import App

offline_environment()

SEEDS = PROJECT_ROOT / "seeds"


class HashEmbedder:
    """Deterministic bag-of-words vectors: similar texts share words, so retrieval behaves sensibly."""

    name = "hash-embedder"
    dimension = 64

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.sha1(word.strip(".,!?\"'").encode()).digest()
                out[row, digest[0] % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    """A private copy of the seed documents."""
    target = tmp_path / "docs"
    shutil.copytree(SEEDS, target)
    return target


def unreadable_reason(path: Path) -> str:
    """The reason read_document refuses ``path``; the message must name the file."""
    from rag.errors import DocumentUnreadable
    from rag.ingest.documents import read_document

    with pytest.raises(DocumentUnreadable) as info:
        read_document(path, path.name)
    message = str(info.value)
    assert message.startswith(f"{path.name}: "), "the message names the file"
    return message


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rag_env(tmp: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a `rag` subprocess: this process's, minus every RAG_ setting, plus ``extra``. With
    ``tmp``, the documents are tmp/docs, the index tmp/index and the model cache the project's (``extra`` wins)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    if tmp is not None:
        env.update(RAG_DOCS_DIR=str(tmp / "docs"), RAG_INDEX_DIR=str(tmp / "index"),
                   RAG_CACHE_DIR=str(PROJECT_ROOT / ".cache"))
    env.update(extra)
    return env


def run_rag(tmp: Path | None, *args: str, prefix: tuple[str, ...] = (),
            **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m rag *args` in a fresh process with ``rag_env(tmp, **env)``; ``prefix`` goes before the
    interpreter (e.g. setpriv). Never raises on a non-zero exit: the test checks the returncode."""
    return subprocess.run([*prefix, sys.executable, "-m", "rag", *args], check=False, capture_output=True,
                          text=True, env=rag_env(tmp, **env), timeout=600, cwd=PROJECT_ROOT)


def make_settings(tmp: Path, **overrides: object) -> Settings:
    return load_settings(
        env={},
        docs_dir=tmp / "docs",
        index_dir=tmp / "index",
        cache_dir=PROJECT_ROOT / ".cache",  # the assembled GGUF is reused across runs
        **overrides,
    )


class NoModel:
    """Stands in for a model that the test must never call."""

    name = "none"

    def stream(self, prompt: object, max_tokens: int):
        raise AssertionError("this test never calls the model")

    def warm_up(self) -> None:
        pass


def fake_app(tmp: Path, generator: Any = None, embedder: Any = None, sync: bool = True, **overrides: object) -> App:
    """``build_app`` over tmp/docs and tmp/index (a real Chroma index) with a fake model (``generator``, else
    NoModel) and the hash embedder (or ``embedder``), synced with the documents folder unless ``sync`` is False."""
    from rag.app import build_app

    settings = make_settings(tmp, **overrides)
    app = build_app(settings, create_index=True, embedder=HashEmbedder() if embedder is None else embedder,
                    generator=NoModel() if generator is None else generator)
    if sync:
        app.indexer.sync(settings.docs_dir)
    return app


@pytest.fixture(scope="session")
def real_app(tmp_path_factory: pytest.TempPathFactory):
    """The real pipeline over a copy of seeds/, indexed once for the session."""
    from rag.app import ensure_index

    tmp = tmp_path_factory.mktemp("real")
    shutil.copytree(SEEDS, tmp / "docs")
    app, report = ensure_index(make_settings(tmp))
    assert len(report.added) == len(list(SEEDS.glob("*.txt")))
    return app
