"""The model pool: the configured model plus the packaged ones, created lazily, sharing one run lock."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import make_settings

from rag.config import PACKAGED_MODELS
from rag.errors import ConfigError
from rag.llm.llama import LlamaCppGenerator
from rag.llm.pool import ModelPool
from rag.serve.chat import ChatService


def test_configured_model_comes_first_and_is_the_default(tmp_path):
    settings = make_settings(tmp_path, model="smollm2-135m")
    default = LlamaCppGenerator(settings)
    pool = ModelPool(settings, default)
    assert pool.names() == ["smollm2-135m", *(m for m in PACKAGED_MODELS if m != "smollm2-135m")]
    assert pool.get(None) is default
    assert pool.get("") is default
    assert pool.get("smollm2-135m") is default


def test_a_model_file_is_listed_with_the_packaged_ones(tmp_path):
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    settings = make_settings(tmp_path, model=str(gguf))
    pool = ModelPool(settings, LlamaCppGenerator(settings))
    assert pool.names() == [str(gguf), *PACKAGED_MODELS]


def test_other_models_are_created_once_lazily_and_share_the_run_lock(tmp_path):
    settings = make_settings(tmp_path)
    default = LlamaCppGenerator(settings)
    pool = ModelPool(settings, default)
    other = pool.get("smollm2-135m")
    assert other is not default
    assert other is pool.get("smollm2-135m")  # one instance, shared by every session that picks it
    assert other.name == "smollm2-135m"
    assert other._llm is None  # nothing loaded until its first question
    # One lock for all models: two generations never run at once on the machine's cores.
    assert other.run_lock is default.run_lock


def test_concurrent_first_requests_create_one_generator(tmp_path):
    settings = make_settings(tmp_path)
    pool = ModelPool(settings, LlamaCppGenerator(settings))
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(pool.get("smollm2-135m"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(g is got[0] for g in got)


def test_unknown_model_is_a_clear_error(tmp_path):
    settings = make_settings(tmp_path)
    pool = ModelPool(settings, LlamaCppGenerator(settings))
    with pytest.raises(ConfigError, match=r"Unknown model '/etc/passwd'; choose one of: gemma3-270m, smollm2-135m\."):
        pool.get("/etc/passwd")
    assert len(pool._generators) == 1  # a client-sent name never becomes a model path to open
    # Shown to the user as a message in the conversation, not a crash. (No pipeline: the name must be refused
    # before any retrieval or generation starts.)
    service = ChatService(SimpleNamespace(settings=settings, pipeline=None), models=pool)
    *_, (conversation, sources, draft) = service.respond("Who is Lavrov?", [], model="/etc/passwd")
    assert conversation[-1]["content"].startswith("⚠️ Unknown model '/etc/passwd'; choose one of:")
    assert sources == draft == ""


class FakeServer:
    """Stands for a model server generator (RAG_LLM_URL): no run lock of its own."""

    name = "gemma @ http://127.0.0.1:8080"

    def stream(self, prompt, max_tokens):
        yield "ok"


def test_a_model_server_is_listed_under_its_own_name(tmp_path):
    settings = make_settings(tmp_path)
    server = FakeServer()
    pool = ModelPool(settings, server)
    assert pool.names() == [server.name, *PACKAGED_MODELS]
    assert pool.get(None) is server
    assert isinstance(pool.get("gemma3-270m"), LlamaCppGenerator)  # the local model stays a choice


def test_onnxruntime_quantiser_advice_shows_only_with_verbose():
    import logging

    from rag.index.embedding import _FromOnnxRuntimeAsInfo

    def record(path: str) -> logging.LogRecord:
        return logging.LogRecord("root", logging.WARNING, path, 1, "Please consider to run pre-processing", (), None)

    root, quiet = logging.getLogger(), _FromOnnxRuntimeAsInfo()
    level = root.level
    try:
        root.setLevel(logging.WARNING)  # rag without -v
        assert quiet.filter(record("/venv/lib/onnxruntime/quantization/quantize.py")) is False
        assert quiet.filter(record("/venv/lib/rag/index/embedding.py")) is True  # our own warnings stay
        root.setLevel(logging.INFO)  # rag -v
        shown = record("/venv/lib/onnxruntime/quantization/quantize.py")
        assert quiet.filter(shown) is True and shown.levelname == "INFO"
    finally:
        root.setLevel(level)


@pytest.mark.slow
def test_the_onnx_embedder_gives_a_text_the_same_vector_alone_or_among_many():
    """Runs go side by side on several threads: each text's vector must not depend on which run or thread."""
    import numpy as np
    from conftest import PROJECT_ROOT

    from rag.index.embedding import OnnxInt8Embedder

    embedder = OnnxInt8Embedder(PROJECT_ROOT / ".cache")
    texts = [f"Sentence {i} about Lavrov visiting Hanoi and meeting Son, {'again ' * (i % 7)}." for i in range(40)]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert np.array_equal(together, alone)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_the_vector_size_is_read_from_either_pooling_config(tmp_path: Path):
    from rag.index.embedding import _pooling_dimension

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"word_embedding_dimension": 384}')  # before ST 6
    assert _pooling_dimension(tmp_path) == 384
    (tmp_path / "1_Pooling" / "config.json").write_text('{"embedding_dimension": 256, "pooling_mode": "mean"}')
    assert _pooling_dimension(tmp_path) == 256  # what sentence-transformers 6 writes


def test_a_prebuilt_onnx_folder_without_its_model_file_says_so(tmp_path: Path):
    from rag.errors import ModelMissing
    from rag.index.embedding import OnnxFolderEmbedder

    (tmp_path / "modules.json").write_text("[]")
    with pytest.raises(ModelMissing, match="model.onnx is missing"):
        OnnxFolderEmbedder(tmp_path).embed(["a"])
