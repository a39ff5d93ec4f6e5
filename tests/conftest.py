"""Shared fixtures: a fast fake embedder for unit tests, the one scripted stand-in for the model (ScriptedModel,
fixture ``scripted_model``), the one way to make a folder of documents indexed with the real embedder
(make_indexed_folder, fixture ``indexed_folder``), and one real app (real embedder, real GGUF model, real Chroma
store in a temp folder) built once per test session for the integration tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from rag.config import PROJECT_ROOT, Settings, load_settings, offline_environment

if TYPE_CHECKING:
    from rag.app import App
    from rag.types import SyncReport

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


# Tests of the pipeline's mechanics (layout, citations, streaming, servers, follow-ups) answer every question the
# refusal rules let through, whatever its confidence: whether a right answer clears the confidence's operating
# point is what tests/test_confidence.py asks, with the shipped point (ANSWER_ALWAYS off).
ANSWER_ALWAYS = {"min_confidence": 0.0}


def rag_env(tmp: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a `rag` subprocess: this process's, minus every RAG_ setting, plus ``extra``. With
    ``tmp``, the documents are tmp/docs, the index tmp/index and the model cache the project's (``extra`` wins).
    Every question the rules let through is answered (RAG_MIN_CONFIDENCE=0, see ANSWER_ALWAYS) unless ``extra``
    sets RAG_MIN_CONFIDENCE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_MIN_CONFIDENCE"] = "0"
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
    """Settings over tmp/docs and tmp/index; every question the rules let through is answered (ANSWER_ALWAYS)
    unless ``overrides`` set ``min_confidence``."""
    return load_settings(
        env={},
        docs_dir=tmp / "docs",
        index_dir=tmp / "index",
        cache_dir=PROJECT_ROOT / ".cache",  # the assembled GGUF is reused across runs
        **{**ANSWER_ALWAYS, **overrides},
    )


Reply = str | Sequence[str]

# A draft that cites nothing checkable: the answer then quotes the best evidence.
UNCHECKABLE_REPLY = "I think so."


class ScriptedModel:
    """Stands in for the model (rag.llm.llama.TextGenerator: ``name``, ``stream``, ``warm_up``) with a scripted
    reply: ``reply`` is the whole reply as one piece (a str), the pieces to stream in order (a list; [] streams
    nothing), or a function of the prompt that returns either. ``prompts`` keeps every prompt received, in order.
    With ``raises`` (an exception), the stream raises it after ``after`` pieces. With ``never=True`` the test must
    never call the model: ``stream`` fails the test at the call (see NoModel)."""

    def __init__(self, reply: Reply | Callable[[Any], Reply] = (), *, name: str | None = None,
                 raises: BaseException | None = None, after: int = 0, never: bool = False) -> None:
        self.reply = reply
        self.name = name or ("none" if never else "scripted")
        self.raises = raises
        self.after = after
        self.never = never
        self.prompts: list[Any] = []

    def stream(self, prompt: Any, max_tokens: int) -> Iterator[str]:
        if self.never:
            raise AssertionError("this test never calls the model")
        self.prompts.append(prompt)
        reply = self.reply(prompt) if callable(self.reply) else self.reply
        return self._pieces([reply] if isinstance(reply, str) else list(reply))

    def _pieces(self, pieces: list[str]) -> Iterator[str]:
        for n, piece in enumerate(pieces):
            if self.raises is not None and n == self.after:
                raise self.raises
            yield piece
        if self.raises is not None:  # ``after`` is at or past the last piece
            raise self.raises

    def warm_up(self) -> None:
        pass


class NoModel(ScriptedModel):
    """Stands in for a model that the test must never call: ``ScriptedModel(never=True)``."""

    def __init__(self) -> None:
        super().__init__(never=True)


@pytest.fixture
def scripted_model() -> type[ScriptedModel]:
    """Makes a ScriptedModel per reply: ``scripted_model("Lavrov met Son [1].")``."""
    return ScriptedModel


def ann_lee_docs(tmp: Path) -> Path:
    """tmp/docs with one file of three facts about Ann Lee (an occupation, a gender, a birth): a question about one
    of them has candidates to order."""
    (tmp / "docs").mkdir()
    (tmp / "docs" / "a.txt").write_text("The occupation of Ann Lee is potter. The gender of Ann Lee is female.\n\n"
                                        "Ann Lee was born in 1950 in Leeds.", encoding="utf-8")
    return tmp / "docs"


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


# What make_indexed_folder writes into the folder: text, bytes, or a function that writes the file at the given path.
DocumentContent = str | bytes | Callable[[Path], object]


@dataclass
class IndexedFolder:
    """A documents folder (``root``/docs) and its index (``root``/index), built with the real embedder."""

    root: Path  # what run_rag and rag_env take
    app: App | None = None  # the app that built the index in this process (None when `rag index` built it)
    report: SyncReport | None = None  # that build's report
    run: subprocess.CompletedProcess[str] | None = None  # the `rag index` run that built it

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def index(self) -> Path:
        return self.root / "index"


def make_indexed_folder(tmp: Path, docs: Path | None = SEEDS, files: Mapping[str, DocumentContent] | None = None,
                        *, cli: bool = False, **overrides: object) -> IndexedFolder:
    """Copy ``docs`` (None: start empty) to tmp/docs, add ``files`` (name -> content), and index it into tmp/index
    with the real embedder: in this process by ``ensure_index`` (``overrides`` go to make_settings), or with ``cli``
    by `rag index` in a fresh process, which must succeed."""
    folder = IndexedFolder(tmp)
    if docs is None:
        folder.docs.mkdir(parents=True)
    else:
        shutil.copytree(docs, folder.docs)
    for name, content in (files or {}).items():
        path = folder.docs / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            content(path)
    if cli:
        if overrides:
            raise TypeError(f"settings overrides apply to the in-process build only: {sorted(overrides)}")
        folder.run = run_rag(tmp, "index")
        assert folder.run.returncode == 0, folder.run.stderr
        return folder
    from rag.app import ensure_index

    folder.app, folder.report = ensure_index(make_settings(tmp, **overrides))
    return folder


@pytest.fixture(scope="session")
def packaged_scorer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learned-scorer folder (rag/answer/scorer.py) made from the packaged MiniLM, untrained, exported once per
    session (seconds): what scripts/train_scorer.py export writes, with the packaged weights."""
    from rag.answer.scorer import save_scorer
    from rag.index.embedding import packaged_embedder_path

    folder = tmp_path_factory.mktemp("scorer") / "scorer"
    save_scorer(packaged_embedder_path(), folder, 0.5, "packaged all-MiniLM-L6-v2, not fine-tuned (a test)")
    return folder


@pytest.fixture(scope="session")
def packaged_cross_scorer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cross-encoder scorer folder (kind "cross-encoder", reordering the first 2 candidates) made from the
    packaged MiniLM with a fresh, seeded scoring head: its scores are arbitrary but fixed; what
    scripts/cross_encoder.py export and train_scorer's export write, with untrained weights."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rag.answer.scorer import CROSS, save_scorer
    from rag.index.embedding import packaged_embedder_path

    torch.manual_seed(0)
    trained = tmp_path_factory.mktemp("cross") / "trained"
    model = AutoModelForSequenceClassification.from_pretrained(str(packaged_embedder_path()), num_labels=1,
                                                               local_files_only=True)
    model.save_pretrained(str(trained))
    AutoTokenizer.from_pretrained(str(packaged_embedder_path()), local_files_only=True).save_pretrained(str(trained))
    folder = trained.parent / "scorer"
    save_scorer(trained, folder, 1.0, "packaged all-MiniLM-L6-v2 with a fresh head (a test)", {"max_tokens": 160},
                kind=CROSS, first=2)
    return folder


@pytest.fixture(scope="session")
def packaged_cross_bi_scorer(packaged_cross_scorer: Path) -> Path:
    """packaged_cross_scorer's cross-encoder with the packaged MiniLM beside it as its bi-encoder (card "bi"), the
    weights both keep from MiniLM stored once, and a stacked ranker over STACKED_WITH_BI weighing only the
    bi-encoder's column: what scripts/cross_encoder.py export --with-bi writes, with untrained weights."""
    from rag.answer.rank import STACKED_WITH_BI, Ranker
    from rag.answer.scorer import CROSS, save_scorer
    from rag.index.embedding import packaged_embedder_path

    trained = packaged_cross_scorer.parent / "trained"
    folder = packaged_cross_scorer.parent / "with-bi"
    n = len(STACKED_WITH_BI)
    stack = Ranker(np.zeros(n), np.ones(n), np.eye(n)[-1], "a test", STACKED_WITH_BI)
    save_scorer(trained, folder, 1.0, "packaged all-MiniLM-L6-v2 with a fresh head, and beside it (a test)",
                {"max_tokens": 160}, stack=stack, kind=CROSS, first=2, bi=packaged_embedder_path())
    return folder


@pytest.fixture(scope="session")
def indexed_folder() -> Callable[..., IndexedFolder]:
    """make_indexed_folder, for fixtures and tests: ``indexed_folder(tmp, docs=SEEDS, files={...}, cli=False)``."""
    return make_indexed_folder


@pytest.fixture
def cli_indexed_seeds(tmp_path: Path) -> Path:
    """A private copy of seeds/ in tmp_path/docs, indexed into tmp_path/index by `rag index` (real embedder);
    returns tmp_path, for run_rag and rag_env. For tests that ask, change the folder or change the index."""
    folder = make_indexed_folder(tmp_path, cli=True)
    assert "5 added" in folder.run.stdout
    return tmp_path


@pytest.fixture(scope="session")
def real_app(indexed_folder, tmp_path_factory: pytest.TempPathFactory):
    """The real pipeline over a copy of seeds/, indexed once for the session."""
    folder = indexed_folder(tmp_path_factory.mktemp("real"))
    assert len(folder.report.added) == len(list(SEEDS.glob("*.txt")))
    return folder.app


def at_shipped_point(app: Any, **settings: Any) -> Any:
    """A pipeline over ``app``'s index and models at the shipped confidence's operating point (the session's apps
    answer whatever their confidence), with any other settings replaced as given."""
    from dataclasses import replace

    from rag.pipeline import Pipeline

    return Pipeline(replace(app.settings, min_confidence=None, **settings), app.store, app.embedder,
                    app.pipeline.generator)


def quoted_units(answer: Any) -> list[str]:
    """The units an answer quotes, as cited (the sentences of origin "quote")."""
    numbers = {n for s in answer.sentences if s.origin == "quote" for n in s.citations}
    return [c.quote for c in answer.citations if c.n in numbers]
