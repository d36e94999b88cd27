"""Benchmarks: ``python -m bench.run --build build/shared --data ../shared/data [--out bench/out] [--skip-10x] [--quick]``.

Measures, over an indexed build folder:

- ingest time of the data folder; index build time split into read / tokenize / bm25 / encode / faiss —
  the build's own manifest (the cold build), a forced rebuild of a copy through the embedding cache
  (``cached``), the "second build" of unchanged data (the manifest check); index size on disk
  (:mod:`bench.build`);
- in-process (:mod:`bench.inprocess`): latency p50/p95/p99 per mode; floors (one bm25s scoring call, one
  faiss search, one query encoding); hybrid search against its floor (one encode + one faiss search) with
  the breakdown of a hybrid search by stage; /answer against hybrid /search; the prepared-query cache on a
  stream where half the requests repeat one of the 50 most common questions (:mod:`bench.workload`);
- over HTTP (:mod:`bench.serving`): RSS of ``govsearch serve`` after warm-up, latency per mode one request at
  a time, /answer against hybrid /search, the cache stream against a cache-on and a cache-off server, the
  mixed load (BM25 p99 alone vs under 8 concurrent long /answer requests, :mod:`bench.load`), and
  throughput under concurrent load (uvicorn, 2 workers, a bounded asyncio generator, 5xx and lost counted);
- a 10x corpus (documents and chunks repeated with distinct ids, vectors from the cache): build time
  ratio and BM25 latency growth (:mod:`bench.scale`, its own process).

Ratios compare figures measured side by side in this run, interleaved query by query. Writes
``OUT/results.json``, ``OUT/results.png`` and ``OUT/results.md`` (:mod:`bench.report`) and prints that
Markdown table. Figures are medians where repeated; the machine has 2 shared cores, so expect noise.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import report, workload
from bench.build import bench_build, bench_ingest, bench_size, copy_build
from bench.inprocess import bench_inprocess
from bench.measure import log
from bench.serving import bench_http

REPO = Path(__file__).resolve().parent.parent
QUICK_CHUNKS = 1500  # --quick: a subset of at most this many chunks


def bench_scale(base: Path, work: Path, encoder: str, cache: str, queries: list[str], repeats: int) -> dict:
    qfile = work / "queries.json"
    qfile.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    out = work / "scale10x"
    cmd = [sys.executable, "-m", "bench.scale", "--base", str(base), "--out", str(out), "--encoder", encoder,
           "--cache", cache, "--queries", str(qfile), "--repeats", str(repeats)]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    shutil.rmtree(out, ignore_errors=True)
    if r.returncode != 0:
        raise RuntimeError(f"bench.scale failed: {r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# --- main -------------------------------------------------------------------------------------


def prepare_base(build: Path, work: Path, quick: bool, encoder: str, cache: str) -> Path:
    """The indexed build to measure: ``build`` itself, or (``--quick``) a small subset of it."""
    from core.errors import IndexCorrupt, IndexNotFound
    from index import build_index
    from index.store import read_manifest

    if quick:
        n = sum(1 for line in open(build / "chunks.jsonl", encoding="utf-8") if line.strip())
        if n > QUICK_CHUNKS:
            sub = work / "subset"
            copy_build(build, sub, max_chunks=QUICK_CHUNKS)
            log(f"quick: subset of {build} → {sub}, encoder none")
            build_index(sub, encoder="none", cache_dir=cache, progress=False)
            return sub
    try:
        read_manifest(build)
    except (IndexNotFound, IndexCorrupt):
        log(f"{build} has no index: building it with encoder {encoder}")
        build_index(build, encoder=encoder, cache_dir=cache, progress=False)
    return build


def main(argv: list[str] | None = None) -> int:
    from core.settings import get_settings

    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--build", default="build/shared", help="indexed build folder to measure")
    p.add_argument("--data", default=None, help="data folder (../shared/data): ingest time and dev queries")
    p.add_argument("--out", default="bench/out", help="results folder (results.json, results.png)")
    p.add_argument("--cache", default=s.cache_dir, help="embedding cache (vectors are never encoded twice)")
    p.add_argument("--encoder", default="none", help="encoder for a build that has no index yet")
    p.add_argument("--quick", action="store_true", help="small build, few queries and requests: a smoke run")
    p.add_argument("--skip-10x", action="store_true", help="skip the 10x corpus")
    p.add_argument("--queries", type=int, help="number of queries (default 200, quick 30)")
    p.add_argument("--requests", type=int, help="requests per mode under load (default 2000, quick 200)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--cold-sample", type=int, default=64,
                   help="passages to encode (no cache) when the build's own manifest has no cold encode")
    p.add_argument("--repeats", type=int, help="in-process passes; medians reported (default 3, quick 1)")
    p.add_argument("--stream", type=int, help="requests in the query-cache stream (default 400, quick 60)")
    p.add_argument("--answers", type=int,
                   help="questions for /answer vs /search (default: the first 100 of the queries, quick 20)")
    p.add_argument("--mixed-rounds", type=int, help="alone/loaded rounds of the mixed load (default 3, quick 1)")
    a = p.parse_args(argv)
    nq = a.queries or (30 if a.quick else 200)
    requests = a.requests or (200 if a.quick else 2000)
    repeats = a.repeats or (1 if a.quick else 3)
    n_stream = a.stream or (60 if a.quick else 400)
    n_answers = a.answers or (20 if a.quick else 100)
    mixed_rounds = a.mixed_rounds or (1 if a.quick else 3)
    build, out = Path(a.build), Path(a.out)
    data = Path(a.data) if a.data else None
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.setdefault("OMP_NUM_THREADS", str(s.threads))

    res: dict = {
        "machine": {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_start": round(os.getloadavg()[0], 2)},
        "build": {}, "quick": a.quick, "repeats": repeats,
    }
    t_all = time.perf_counter()
    queries = workload.query_list(data, nq)
    res["queries"] = queries
    dev = workload.dev_questions(data)
    stream = workload.repeat_stream(dev, n_stream)
    long_qs = workload.long_questions(dev)
    answer_qs = queries[:n_answers]
    res["workload"] = {"stream": stream, "stream_seed": workload.STREAM_SEED, "dev_questions": len(dev),
                       "common": workload.common_count(dev), "repeat": workload.REPEAT,
                       "long_questions": long_qs, "answer_questions": len(answer_qs)}
    log(f"{len(queries)} queries; a stream of {len(stream)} ({sum(r['repeat'] for r in stream)} repeats)")
    base = prepare_base(build, work, a.quick, a.encoder, a.cache)
    res["base"] = str(base)
    log("ingest")
    res["ingest"] = bench_ingest(data, work)
    log(f"ingest {res['ingest']['seconds']} s; index rebuilds")
    res["build"] = bench_build(base, work, a.cache, cold_sample=a.cold_sample)
    res["size"] = bench_size(base)
    log("in-process latency")
    res["inprocess"] = bench_inprocess(base, queries, stream, repeats, answer_queries=answer_qs)
    res["http"] = bench_http(base, queries, stream, long_qs, work, requests, a.concurrency,
                             mixed_rounds=mixed_rounds, answer_queries=answer_qs)
    if not a.skip_10x:
        log("10x corpus")
        res["scale10x"] = bench_scale(base, work, res["build"]["rebuild_encoder"], a.cache, queries, repeats)
    shutil.rmtree(work / "rebuild", ignore_errors=True)
    shutil.rmtree(work / "subset", ignore_errors=True)
    res["machine"]["loadavg_end"] = round(os.getloadavg()[0], 2)
    res["seconds"] = round(time.perf_counter() - t_all, 1)
    res["figures"] = report.figures(res)
    res["targets"] = report.check_targets(res["figures"], res)
    res["table"] = report.markdown(res)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "results.md").write_text(res["table"] + "\n", encoding="utf-8")
    report.plot(res, out / "results.png")
    print(res["table"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
