"""Settings: RAG_* variables, overrides, validation, and paths resolved from the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import DEFAULT_MODEL, PACKAGED_MODELS, PROJECT_ROOT, Settings, load_settings
from rag.errors import ConfigError


def test_defaults_with_an_empty_environment() -> None:
    settings = load_settings(env={})
    assert settings.top_k == Settings.top_k
    assert settings.model == DEFAULT_MODEL
    assert settings.docs_dir == PROJECT_ROOT / "seeds"
    assert settings.index_dir == PROJECT_ROOT / "index"
    assert settings.embedder_path is None


def test_environment_is_not_read_when_env_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "9")
    assert load_settings(env={}).top_k == Settings.top_k


def test_rag_variables_are_parsed() -> None:
    settings = load_settings(
        env={
            "RAG_TOP_K": " 7 ",
            "RAG_EVIDENCE_K": "3",
            "RAG_CHUNK_CHARS": "500",
            "RAG_MIN_EVIDENCE_SCORE": "0.2",
            "RAG_COLLECTION": "mine",
            "RAG_HOST": "0.0.0.0",
            "RAG_PORT": "8080",
            "UNRELATED": "x",
        }
    )
    assert (settings.top_k, settings.evidence_k, settings.chunk_chars) == (7, 3, 500)
    assert settings.min_evidence_score == pytest.approx(0.2)
    assert (settings.collection, settings.host, settings.port) == ("mine", "0.0.0.0", 8080)


def test_blank_variable_keeps_the_default() -> None:
    assert load_settings(env={"RAG_TOP_K": "   ", "RAG_MODEL_PATH": ""}).top_k == Settings.top_k


def test_override_beats_environment() -> None:
    settings = load_settings(env={"RAG_TOP_K": "7", "RAG_DOCS_DIR": "env_docs"}, top_k=9, docs_dir=Path("cli_docs"))
    assert settings.top_k == 9
    assert settings.docs_dir == PROJECT_ROOT / "cli_docs"


def test_none_override_does_not_hide_the_environment() -> None:
    assert load_settings(env={"RAG_TOP_K": "7"}, top_k=None).top_k == 7


def test_unknown_override_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="bogus"):
        load_settings(env={}, bogus=1)


def test_relative_paths_resolve_from_the_project_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    settings = load_settings(
        env={"RAG_DOCS_DIR": "docs", "RAG_INDEX_DIR": "data/index", "RAG_CACHE_DIR": "../cache",
             "RAG_EMBEDDER_PATH": "models/emb"}
    )
    assert settings.docs_dir == PROJECT_ROOT / "docs"
    assert settings.index_dir == PROJECT_ROOT / "data" / "index"
    assert settings.cache_dir == PROJECT_ROOT.parent / "cache"
    assert settings.embedder_path == PROJECT_ROOT / "models" / "emb"
    assert all(p.is_absolute() for p in (settings.docs_dir, settings.index_dir, settings.cache_dir))


def test_relative_paths_follow_an_overridden_project_root(tmp_path: Path) -> None:
    settings = load_settings(env={"RAG_DOCS_DIR": "docs"}, project_root=tmp_path)
    assert settings.docs_dir == tmp_path / "docs"
    assert settings.index_dir == PROJECT_ROOT / "index"  # defaults are already absolute


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    assert load_settings(env={"RAG_DOCS_DIR": str(tmp_path)}).docs_dir == tmp_path


@pytest.mark.parametrize(
    ("var", "raw"),
    [("RAG_TOP_K", "abc"), ("RAG_PORT", "1.5"), ("RAG_N_CTX", "2k"), ("RAG_MIN_EVIDENCE_SCORE", "high")],
)
def test_bad_number_names_the_variable(var: str, raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={var: raw})
    assert var in str(info.value)
    assert repr(raw) in str(info.value)


@pytest.mark.parametrize("raw", ["0", "-3", "51", "1000"])
def test_out_of_range_top_k_raises_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"top_k=.* is out of range; use a value from 1 to 50"):
        load_settings(env={"RAG_TOP_K": raw})


@pytest.mark.parametrize("top_k", [1, 50])
def test_top_k_bounds_are_inclusive(top_k: int) -> None:
    assert load_settings(env={"RAG_TOP_K": str(top_k)}).top_k == top_k


def test_out_of_range_override_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="chunk_chars"):
        load_settings(env={}, chunk_chars=10)


def test_nan_score_is_out_of_range() -> None:
    with pytest.raises(ConfigError, match="min_evidence_score"):
        load_settings(env={"RAG_MIN_EVIDENCE_SCORE": "nan"})


@pytest.mark.parametrize("name", PACKAGED_MODELS)
def test_packaged_model_names_stay_names(name: str) -> None:
    settings = load_settings(env={"RAG_MODEL_PATH": name})
    assert settings.model == name
    assert settings.model_is_packaged()


def test_relative_model_path_becomes_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={"RAG_MODEL_PATH": "models/tiny.gguf"})
    assert settings.model == str(PROJECT_ROOT / "models" / "tiny.gguf")
    assert not settings.model_is_packaged()


def test_model_override_beats_environment() -> None:
    settings = load_settings(env={"RAG_MODEL_PATH": "models/tiny.gguf"}, model=PACKAGED_MODELS[-1])
    assert settings.model == PACKAGED_MODELS[-1]


def test_display_path_inside_the_project_is_relative() -> None:
    settings = load_settings(env={})
    assert settings.display_path(PROJECT_ROOT / "seeds" / "a.txt") == "seeds/a.txt"
    assert settings.display_path(PROJECT_ROOT / "seeds" / "sub" / ".." / "b.md") == "seeds/b.md"


def test_display_path_outside_the_project_is_absolute(tmp_path: Path) -> None:
    settings = load_settings(env={})
    outside = tmp_path / "notes.txt"
    assert settings.display_path(outside) == str(outside.resolve())
    assert Path(settings.display_path(outside)).is_absolute()


def test_display_path_with_an_overridden_project_root(tmp_path: Path) -> None:
    settings = load_settings(env={}, project_root=tmp_path.resolve())
    assert settings.display_path(tmp_path / "docs" / "x.txt") == "docs/x.txt"


def test_model_sentences_are_shown_for_a_model_you_bring_and_not_for_the_packaged_ones() -> None:
    auto = load_settings(env={})
    assert auto.model_sentences == "auto"
    assert not auto.shows_model_sentences("gemma3-270m") and not auto.shows_model_sentences("smollm2-135m")
    assert auto.shows_model_sentences("mistral-7b.Q4_K_M.gguf") and auto.shows_model_sentences("llama @ http://x")
    assert load_settings(env={"RAG_MODEL_SENTENCES": "on"}).shows_model_sentences("gemma3-270m")
    assert not load_settings(env={"RAG_MODEL_SENTENCES": "off"}).shows_model_sentences("mistral-7b.gguf")
    with pytest.raises(ConfigError, match="RAG_MODEL_SENTENCES"):
        load_settings(env={"RAG_MODEL_SENTENCES": "yes"})
