"""`rag bench` on a tiny corpus: every field of the report is there and sane (no timing asserts)."""

from __future__ import annotations

import json

import pytest
from conftest import make_settings

from rag.bench import _headings, format_report, heading_queries, run_bench
from rag.config import load_settings
from rag.errors import ConfigError
from rag.index.embedding import make_embedder
from rag.index.indexer import Indexer
from rag.serve.cli import main
from rag.types import SyncReport

RST = """:mod:`os.path` --- Common pathname manipulations
================================================

This module implements some useful functions on pathnames.

Joining paths together
----------------------

Use :func:`os.path.join` to join one or more path segments intelligently.
"""


@pytest.fixture
def syncs(monkeypatch) -> list[SyncReport]:
    """The report of every ``Indexer.sync`` the test runs, in order."""
    reports: list[SyncReport] = []
    original = Indexer.sync

    def sync(self, *args, **kwargs):
        reports.append(original(self, *args, **kwargs))
        return reports[-1]

    monkeypatch.setattr(Indexer, "sync", sync)
    return reports


def _check_report(report: dict, big: int, syncs: list[SyncReport]) -> None:
    ix = report["indexing"]
    assert ix["chunks"] == report["corpus"]["chunks"] > 0
    assert ix["chunks_per_s"] > 0 and ix["embedder_alone_chunks_per_s"] > 0 and ix["ratio"] > 0
    re_ = report["reindex"]
    # The re-index times are the ones the two re-index syncs measured (no bound on what they are).
    assert re_["unchanged_embedded"] == 0
    assert [re_["unchanged_seconds"]] == [round(s.seconds, 3) for s in syncs if not s.chunks_embedded]
    assert re_["one_file_changed_embedded"] > 0
    assert [re_["one_file_changed_seconds"]] == [round(s.seconds, 3) for s in syncs if s.updated]
    assert report["lexical_index_small"]["build"]["action"] == "built"
    assert report["lexical_index_small"]["load_saved"]["action"] == "loaded"
    assert report["lexical_index_small"]["file_added"]["action"] == "updated"
    assert report["lexical_index_small"]["file_added"]["tokenised"] > 0
    assert report["lexical_index_small"]["file_removed"]["tokenised"] == 0
    sizes = ["latency_small"] + (["latency_big"] if big else [])
    for size in sizes:
        for mode in ("query_embedding", "dense", "lexical", "hybrid"):
            figures = report[size][mode]
            assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    if big:
        assert report["latency_big"]["chunks"] == report["big"]["chunks"] == big
        assert 0.9 < report["big"]["cosine_to_original_mean"] < 1.0
    assert set(report["heading_file_hit"]) == {"dense", "lexical", "hybrid"}
    assert all(0.0 <= v <= 1.0 for v in report["heading_file_hit"].values())
    assert {"indexing", "serving_small"} <= set(report["peak_rss_mb"])
    assert all(mb > 10 for mb in report["peak_rss_mb"].values())


def test_bench_report_on_a_tiny_corpus(tmp_path, docs_copy, hash_embedder, syncs):
    (docs_copy / "os.path.rst.txt").write_text(RST, encoding="utf-8")
    report = run_bench(make_settings(tmp_path), tmp_path / "work", corpus=docs_copy, chunks=1000, big=300,
                       queries=5, embedder=hash_embedder)
    _check_report(report, big=300, syncs=syncs)
    assert report["corpus"]["files"] == 6
    assert report["queries"]["count"] <= 5
    table = format_report(report)
    for words in ("indexing throughput", "re-index, nothing changed", "hybrid", "p50 @300", "peak RSS"):
        assert words in table
    json.dumps(report)  # what --out writes


def test_corpus_size_is_capped_by_whole_files(tmp_path, docs_copy, hash_embedder, syncs):
    report = run_bench(make_settings(tmp_path), tmp_path / "work", corpus=docs_copy, chunks=5, big=0, queries=3,
                       embedder=hash_embedder)
    assert report["corpus"]["files"] < 5 and report["corpus"]["chunks"] >= 5
    assert "latency_big" not in report
    _check_report(report, big=0, syncs=syncs)


def test_headings_are_cleaned_rest_titles():
    assert _headings(RST) == ["os.path - Common pathname manipulations", "Joining paths together"]


def test_heading_queries_remember_their_files(tmp_path):
    (tmp_path / "a.txt").write_text(RST, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Joining paths together\n======================\n\ntext\n", encoding="utf-8")
    owners = heading_queries(tmp_path, 10)
    assert owners["Joining paths together"] == {tmp_path / "a.txt", tmp_path / "b.txt"}


def test_missing_corpus_says_how_to_install_it(tmp_path, hash_embedder):
    with pytest.raises(ConfigError, match="python3-doc"):
        run_bench(make_settings(tmp_path), tmp_path / "work", corpus=tmp_path / "nope", embedder=hash_embedder)


@pytest.mark.slow
def test_cli_bench_with_the_real_embedder(tmp_path, docs_copy, capsys, syncs):
    out = tmp_path / "bench.json"
    code = main(["--docs", str(docs_copy), "--index", str(tmp_path / "unused"), "bench", "--corpus", str(docs_copy),
                 "--chunks", "10", "--big", "200", "--queries", "3", "--work", str(tmp_path / "work"),
                 "--out", str(out)])
    assert code == 0
    assert "embedder alone" in capsys.readouterr().out
    report = json.loads(out.read_text())
    _check_report(report, big=200, syncs=syncs)
    assert report["embedder"] == make_embedder(load_settings()).name  # all-MiniLM-L6-v2[+backend]
    assert not (tmp_path / "unused").exists()  # the bench works in --work only
    assert main(["bench", "--corpus", str(docs_copy), "--work", str(tmp_path / "work")]) == 1  # not empty
