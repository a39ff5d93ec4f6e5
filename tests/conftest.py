"""Shared fixtures: a fast fake embedder for unit tests, and one real app (real embedder, real GGUF model,
real Chroma store in a temp folder) built once per test session for the integration tests."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import PROJECT_ROOT, Settings, load_settings, offline_environment

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
    from rag.documents import read_document
    from rag.errors import DocumentUnreadable

    with pytest.raises(DocumentUnreadable) as info:
        read_document(path, path.name)
    message = str(info.value)
    assert message.startswith(f"{path.name}: "), "the message names the file"
    return message


def make_settings(tmp: Path, **overrides: object) -> Settings:
    return load_settings(
        env={},
        docs_dir=tmp / "docs",
        index_dir=tmp / "index",
        cache_dir=PROJECT_ROOT / ".cache",  # the assembled GGUF is reused across runs
        **overrides,
    )


@pytest.fixture(scope="session")
def real_app(tmp_path_factory: pytest.TempPathFactory):
    """The real pipeline over a copy of seeds/, indexed once for the session."""
    from rag.app import ensure_index

    tmp = tmp_path_factory.mktemp("real")
    shutil.copytree(SEEDS, tmp / "docs")
    app, report = ensure_index(make_settings(tmp))
    assert len(report.added) == len(list(SEEDS.glob("*.txt")))
    return app
