"""The benchmark in quick mode on a tiny build (encoder none): every figure is there and sane.

Runs ``python -m bench.run --quick`` for real: ingest of the demo corpus, index rebuilds, a
`govsearch serve` subprocess (and a second one with the query cache on), /answer beside /search, the
stream with repeats, the mixed load, uvicorn with 2 workers under load, the 10x corpus.
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
                 "load_lost", "scale10x_build_ratio", "scale10x_bm25_growth", "answer_search_ratio.inprocess",
                 "answer_search_ratio.http", "mixed_bm25_p99_ratio"):
        assert name in res["targets"]
        if name != "second_build_speedup":
            assert f[name] is not None, name
    assert res["targets"]["second_build_speedup"]["ok"] is None  # nothing to encode, nothing to save
    # no dense channel: no floor to compare hybrid with, and the target says n/a rather than pass
    assert res["inprocess"]["hybrid_floor"] == {"has_dense": False}
    assert f["hybrid_floor_ratio"] is None and res["targets"]["hybrid_floor_ratio"]["ok"] is None
    assert res["targets"]["load_5xx"]["ok"] is True


def test_table_and_plot_written(results):
    res, stdout, out, _ = results
    assert stdout.strip() == res["table"]
    assert stdout.startswith("| Figure | Measured | Target |")
    for label in ("Ingest", "Index size on disk", "RSS serving", "bm25 HTTP p50", "10x corpus",
                  "Hybrid in-process p50 vs floor", "/answer p50 vs hybrid /search p50, in-process",
                  "/answer p50 vs hybrid /search p50, HTTP", "Query cache, in-process", "Query cache, HTTP",
                  "Mixed load: BM25 HTTP p99"):
        assert label in stdout
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "work" / "rebuild").exists()  # scratch copies cleaned up


def test_answer_beside_search(results):
    res = results[0]
    n = res["workload"]["answer_questions"]
    assert n == 20
    for where in ("inprocess", "http"):
        a = res[where]["answer_vs_search"]
        for side in ("answer", "search"):
            assert a[side]["n"] == n and 0 < a[side]["p50"] <= a[side]["p99"], (where, side)
        if where == "http":
            assert a["answer"]["errors"] == 0 and a["search"]["errors"] == 0
        assert a["ratio_p50"] == round(a["answer"]["p50"] / a["search"]["p50"], 2)
        assert res["figures"][f"answer_search_ratio.{where}"] == a["ratio_p50"]


def _expected_hits(stream):
    seen, hits = set(), 0
    for r in stream:
        hits += r["q"] in seen
        seen.add(r["q"])
    return hits


def test_query_cache_stream(results):
    res = results[0]
    w = res["workload"]
    stream = w["stream"]
    assert len(stream) == 60 and w["common"] == 43  # 86 demo questions: half of them are the common ones
    repeats = [r for r in stream if r["repeat"]]
    assert 0.3 < len(repeats) / len(stream) < 0.7
    assert {r["rank"] for r in repeats} <= set(range(1, w["common"] + 1))
    ranks = [r["rank"] for r in repeats]
    assert ranks.count(1) >= ranks.count(w["common"])  # Zipf-like: the most common is asked most
    for where in ("inprocess", "http"):
        c = res[where]["cache"]
        assert c["requests"] == len(stream) and c["repeats"] == len(repeats)
        # the cache-on index hits exactly on questions asked before in the stream; the cache-off one never
        assert c["on"]["hits"] == _expected_hits(stream) > 0, where
        assert c["on"]["hits"] + c["on"]["misses"] == len(stream)
        assert c["off"]["hits"] == 0 and c["off"]["misses"] == len(stream) and c["off"]["hit_rate"] == 0
        assert c["on"]["hit_rate"] == round(c["on"]["hits"] / len(stream), 3)
        for side in ("on", "off"):
            assert c[side]["n"] == len(stream) and 0 < c[side]["p50"] <= c[side]["p95"]
            assert c[side]["encodes"] == 0  # no encoder in the tiny build
        assert res["figures"][f"cache_hit_rate.{where}"] == c["on"]["hit_rate"]


def test_mixed_load(results):
    res = results[0]
    m = res["http"]["mixed"]
    assert m["clients"] == 8 and m["bm25_errors"] == 0
    n = m["rounds"] * m["bm25_requests"]
    assert m["alone"]["n"] == m["loaded"]["n"] == n > 0
    assert 0 < m["alone"]["p50"] <= m["alone"]["p99"] and 0 < m["loaded"]["p50"] <= m["loaded"]["p99"]
    assert m["answers"]["status"].get("200", 0) > 0  # the /answer load really ran
    assert set(m["answers"]["status"]) <= {"200", "503"}  # refused with 503, never lost or 5xx otherwise
    if m["source"] == "bench.load":  # long questions; bench.mixed_load (when present) asks its own
        assert 150 < m["answer_chars"] <= 200
    assert m["ratio_p99"] == round(m["loaded"]["p99"] / m["alone"]["p99"], 2)
    assert res["targets"]["mixed_bm25_p99_ratio"]["value"] == m["ratio_p99"]
    assert res["targets"]["mixed_bm25_p99_ratio"]["ok"] is (m["ratio_p99"] <= 5)
