"""Both search backends side by side, at 1× and 10× the corpus:
``python -m bench.backends --build build/shared [--data ../shared/data] [--out bench/out] [--skip-10x]``.

For each scale (the build itself; ten copies of its documents with distinct ids, :func:`bench.scale.repeated_build`)
and each backend (``local``: files served in-process; ``milvus``: milvus-lite, a file beside the build), in
processes of their own so each figure is that backend's alone:

- build time from the embedding cache (nothing is encoded: the base build's vectors must be cached), its
  steps, and the builder's peak RSS;
- open time and RSS of a process serving the index (after opening it and one pass of warm-up queries);
- query latency p50 / p95 per mode (in-process, one query at a time), and throughput (hybrid queries
  from ``--threads`` threads);
- disk: the index folder (+ the milvus-lite file).

Writes ``OUT/backends.json`` and ``OUT/backends.md`` and prints the Markdown table. 2 shared cores: noisy.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODES = ("bm25", "dense", "hybrid")
BACKENDS = ("local", "milvus")


def log(msg: str) -> None:
    print(f"[backends {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- one measurement, in its own process -----------------------------------------------------


def _disk(build: Path) -> dict:
    from bench.measure import folder_bytes

    out = {"index_mib": round(folder_bytes(build / "index") / 2**20, 1)}
    if (build / "milvus.db").exists():
        out["milvus_db_mib"] = round(folder_bytes(build / "milvus.db") / 2**20, 1)
    out["total_mib"] = round(sum(out.values()), 1)
    return out


def do_build(build: Path, backend: str, encoder: str, cache: str) -> dict:
    from index import build_index

    t = time.perf_counter()
    m = build_index(build, encoder=encoder, cache_dir=cache, force=True, progress=False, backend=backend)
    return {"build_s": round(time.perf_counter() - t, 2), "timings": m.get("timings"), "encoded": m.get("encoded"),
            "chunks": m["chunks"], "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **({"dense_index": m["milvus"]["dense_index"]} if m.get("milvus") else {}), "disk": _disk(build)}


def do_query(build: Path, queries: list[str], threads: int) -> dict:
    from bench.measure import percentiles, rss_mib, time_calls
    from index import open_index

    t = time.perf_counter()
    idx = open_index(build)
    open_s = time.perf_counter() - t
    modes = [m for m in MODES if m == "bm25" or idx.has_dense]
    for m in modes:  # warm-up: query vectors cached, code paths loaded
        for q in queries:
            idx.search(q, k=10, mode=m)
    lat = {m: percentiles(time_calls(lambda q, m=m: idx.search(q, k=10, mode=m), queries, warmup=0)) for m in modes}
    mode = "hybrid" if idx.has_dense else "bm25"
    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(lambda q: idx.search(q, k=10, mode=mode), queries * 2))
    qps = 2 * len(queries) / (time.perf_counter() - t)
    rss = rss_mib(__import__("os").getpid())
    idx.close()
    return {"open_s": round(open_s, 2), "latency_ms": lat, "throughput_qps": round(qps, 2), "throughput_mode": mode,
            "threads": threads, "serve_rss_mib": rss.get("VmRSS"), "serve_peak_rss_mib": rss.get("VmHWM"),
            "queries": len(queries)}


def _child(args: list[str]) -> dict:
    r = subprocess.run([sys.executable, "-m", "bench.backends", *args], capture_output=True, text=True, cwd=REPO)
    if r.returncode != 0:
        raise RuntimeError(f"bench.backends {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# --- the run --------------------------------------------------------------------------------


def copy_for(src: Path, dst: Path) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for f in ("docs.jsonl", "chunks.jsonl", "report.json"):
        shutil.copyfile(src / f, dst / f)
    return dst


def run(build: Path, work: Path, queries: list[str], queries_10x: int, encoder: str, cache: str, threads: int,
        skip_10x: bool) -> dict:
    from bench.scale import repeated_build

    res: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "build": str(build), "encoder": encoder,
                 "loadavg_start": open("/proc/loadavg").read().split()[0], "scales": {}}
    scales = {"1x": build} if skip_10x else {"1x": build, "10x": None}
    qfile = work / "queries.json"
    for scale in scales:
        qs = queries if scale == "1x" else queries[:queries_10x]
        qfile.write_text(json.dumps(qs, ensure_ascii=False), encoding="utf-8")
        base = work / f"base-{scale}"
        if scale == "1x":
            copy_for(build, base)
        else:
            log("writing the 10x corpus")
            repeated_build(build, base, 10)
        res["scales"][scale] = {}
        for backend in BACKENDS:
            folder = copy_for(base, work / f"{backend}-{scale}")
            log(f"{scale} {backend}: build")
            b = _child(["--one-build", str(folder), "--backend", backend, "--encoder", encoder, "--cache", cache])
            log(f"{scale} {backend}: built in {b['build_s']} s; queries")
            q = _child(["--one-query", str(folder), "--queries-file", str(qfile), "--threads", str(threads)])
            res["scales"][scale][backend] = {**b, **q}
            log(f"{scale} {backend}: {json.dumps(q['latency_ms'].get('hybrid') or q['latency_ms']['bm25'])}")
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
    res["loadavg_end"] = open("/proc/loadavg").read().split()[0]
    return res


def markdown(res: dict) -> str:
    cols = [(s, b) for s in res["scales"] for b in res["scales"][s]]
    head = "| | " + " | ".join(f"{b} {s}" for s, b in cols) + " |"
    rows = [head, "|---" * (len(cols) + 1) + "|"]

    def row(name, fn):
        vals = []
        for s, b in cols:
            try:
                vals.append(fn(res["scales"][s][b]))
            except (KeyError, TypeError):
                vals.append("–")
        rows.append(f"| {name} | " + " | ".join(str(v) for v in vals) + " |")

    row("chunks", lambda r: f"{r['chunks']:,}")
    row("build from the cache (s)", lambda r: r["build_s"])
    row("builder peak RSS (MiB)", lambda r: r["peak_rss_mib"])
    for m in MODES:
        row(f"{m} p50 / p95 (ms)", lambda r, m=m: f"{r['latency_ms'][m]['p50']:.1f} / {r['latency_ms'][m]['p95']:.1f}")
    row("throughput (queries/s)", lambda r: f"{r['throughput_qps']} ({r['throughput_mode']}, {r['threads']} threads)")
    row("open (s)", lambda r: r["open_s"])
    row("serving RSS / peak (MiB)", lambda r: f"{r['serve_rss_mib']} / {r['serve_peak_rss_mib']}")
    row("disk (MiB)", lambda r: r["disk"]["total_mib"])
    n = {s: next(iter(v.values()))["queries"] for s, v in res["scales"].items()}
    return "\n".join(rows) + (f"\n\nMeasured {res['date']}, encoder {res['encoder']}, queries per mode "
                              f"{', '.join(f'{k}: {v}' for k, v in n.items())}; load average {res['loadavg_start']} → "
                              f"{res.get('loadavg_end')}. milvus = milvus-lite (FLAT dense index) in the same process.")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default="build/shared", help="an indexed build folder (its vectors in the cache)")
    p.add_argument("--data", default="../shared/data", help="for the dev queries (eval/dev/*.jsonl)")
    p.add_argument("--out", default="bench/out")
    p.add_argument("--work", default=None, help="scratch folder (default OUT/backends-work)")
    p.add_argument("--cache", default="build/cache")
    p.add_argument("--encoder", default=None, help="default: the build's")
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--queries-10x", type=int, default=40)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--skip-10x", action="store_true")
    p.add_argument("--one-build", help=argparse.SUPPRESS)
    p.add_argument("--one-query", help=argparse.SUPPRESS)
    p.add_argument("--backend", help=argparse.SUPPRESS)
    p.add_argument("--queries-file", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one_build:
        print(json.dumps(do_build(Path(a.one_build), a.backend, a.encoder, a.cache)))
        return 0
    if a.one_query:
        qs = json.loads(Path(a.queries_file).read_text(encoding="utf-8"))
        print(json.dumps(do_query(Path(a.one_query), qs, a.threads)))
        return 0
    from bench.measure import load_queries
    from index import store

    build = Path(a.build)
    encoder = a.encoder or store.read_manifest(build)["encoder"]
    files = sorted((Path(a.data) / "eval" / "dev").glob("*.jsonl")) or [REPO / "corpus" / "queries.jsonl"]
    queries = load_queries(files, a.queries)
    out = Path(a.out)
    work = Path(a.work) if a.work else out / "backends-work"
    work.mkdir(parents=True, exist_ok=True)
    res = run(build, work, queries, a.queries_10x, encoder, a.cache, a.threads, a.skip_10x)
    out.mkdir(parents=True, exist_ok=True)
    (out / "backends.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    md = markdown(res)
    (out / "backends.md").write_text(md + "\n", encoding="utf-8")
    print(md)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
