"""The benchmark in quick mode on a tiny build (encoder none): every figure is there and sane.

Runs ``python -m bench.run --quick`` for real: ingest of the demo corpus, index rebuilds, a
`govsearch serve` subprocess, uvicorn with 2 workers under load, the 10x corpus.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the bench extra draws the plot: pip install 'govsearch[bench]'")

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    build = tmp / "build"
    build.mkdir()
    for f in ("docs.jsonl", "chunks.jsonl", "report.json"):
        shutil.copyfile(TEST_DATA / "build_small" / f, build / f)
    out = tmp / "out"
    r = subprocess.run([sys.executable, "-m", "bench.run", "--build", str(build), "--out", str(out), "--quick",
                        "--requests", "120", "--cache", str(tmp / "cache")],
                       cwd=ROOT, capture_output=True, text=True, timeout=110)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return res, r.stdout, out, build


def test_every_figure_is_measured(results):
    res, _, _, build = results
    n_chunks = sum(1 for _ in open(build / "chunks.jsonl", encoding="utf-8"))
    assert res["ingest"]["seconds"] > 0 and res["ingest"]["documents"] > 0 and res["ingest"]["chunks"] > 0
    b = res["build"]
    assert b["encoder"] == "none" and b["chunks"] == n_chunks
    for step in ("read", "tokenize", "bm25"):
        assert b["cold"][step] is not None and b["cached"][step] is not None
    assert b["second_build"]["reused"] is True and b["second_build"]["wall"] > 0
    assert b["speedup_second_build"] > 1  # a manifest check beats a rebuild
    assert res["size"]["index_bytes"] > res["size"]["bm25_bytes"] > 0
    assert 30 < res["http"]["rss"]["VmRSS"] < 1536
    lat = res["inprocess"]["modes"]["bm25"]
    assert lat["n"] == len(res["queries"]) > 0
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    http = res["http"]["sequential"]["bm25"]
    assert 0 < http["p50"] <= http["p95"] <= http["p99"] and http["errors"] == 0
    floor = res["inprocess"]["floor"]
    for k in ("tokenize_ms", "bm25_score_ms", "faiss_search_ms", "faiss_search_pool_ms"):
        assert floor[k] > 0, k
    s = res["scale10x"]
    assert s["chunks"] == 10 * n_chunks and s["documents"] > 0 and s["encoded"] == 0
    assert s["build_seconds"] > 0 and s["bm25_10x"]["p50"] > 0 and s["bm25_1x"]["p50"] > 0


def test_load_accounts_for_every_request(results):
    res = results[0]
    ld = res["http"]["load"]["bm25"]
    assert ld["requests"] == 120 and ld["concurrency"] == 16
    assert ld["ok"] + ld["status_5xx"] + ld["other_non200"] + ld["lost"] == ld["requests"]
    assert ld["status_5xx"] == 0 and ld["lost"] == 0 and ld["rps"] > 0
    assert 0 < ld["p50"] <= ld["p99"]


def test_dense_figures_absent_without_encoder_and_targets_listed(results):
    res = results[0]
    assert res["inprocess"]["has_dense"] is False
    assert set(res["inprocess"]["modes"]) == {"bm25"}
    f = res["figures"]
    assert f["http_p50_ms.hybrid"] is None and f["inproc_p50_ms.dense"] is None
    for name in ("second_build_speedup", "serve_rss_mib", "http_p50_ms.bm25", "load_rps.bm25", "load_5xx",
                 "load_lost", "scale10x_build_ratio", "scale10x_bm25_growth"):
        assert name in res["targets"]
        if name != "second_build_speedup":
            assert f[name] is not None, name
    assert res["targets"]["second_build_speedup"]["ok"] is None  # nothing to encode, nothing to save
    assert res["targets"]["load_5xx"]["ok"] is True


def test_table_and_plot_written(results):
    res, stdout, out, _ = results
    assert stdout.strip() == res["table"]
    assert stdout.startswith("| Figure | Measured | Target |")
    for label in ("Ingest", "Index size on disk", "RSS serving", "bm25 HTTP p50", "10x corpus"):
        assert label in stdout
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "work" / "rebuild").exists()  # scratch copies cleaned up
