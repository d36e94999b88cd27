"""Benchmarks: ``python -m bench.run --build build/shared --data ../shared/data [--out bench/out] [--skip-10x] [--quick]``.

Measures, over an indexed build folder:

- ingest time of the data folder (``run_ingest`` into a scratch folder);
- index build time split into read / tokenize / bm25 / encode / faiss: the build's own manifest
  (the cold build) and a forced rebuild of a copy through the embedding cache (``cached``),
  plus the "second build" of unchanged data (``build_index`` again: the manifest check);
- index size on disk; RSS of ``govsearch serve`` after warm-up (/proc/PID/status VmRSS);
- query latency p50/p95/p99 per mode in-process and over HTTP (one request at a time);
- throughput under concurrent load: uvicorn with 2 workers, an asyncio httpx generator with a
  fixed request count and bounded concurrency, counting 5xx and lost requests;
- floors: one bm25s scoring call, one faiss exact search, one query encoding;
- a 10x corpus (documents and chunks repeated with distinct ids, vectors from the cache):
  build time ratio and BM25 latency growth.

Writes ``OUT/results.json``, ``OUT/results.png`` and ``OUT/results.md`` and prints that Markdown table. Figures are
medians where repeated; the machine has 2 shared cores, so expect noise.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench import measure
from index import store
from bench.measure import folder_bytes, median_of, percentiles, time_calls, time_floor

REPO = Path(__file__).resolve().parent.parent
MODES = ("bm25", "dense", "hybrid")
STEPS = ("read", "tokenize", "bm25", "encode", "faiss")
QUICK_CHUNKS = 1500  # --quick: a subset of at most this many chunks

TARGETS = {  # name: (comparison, value, what)
    "second_build_speedup": (">=", 20, "second build of unchanged data vs cold build"),
    "serve_rss_mib": ("<=", 1536, "RSS of `govsearch serve` after warm-up"),
    "http_p50_ms.bm25": ("<=", 10, "BM25 HTTP p50"),
    "load_rps.bm25": (">=", 150, "BM25 throughput, 2 workers, concurrency 16"),
    "http_p50_ms.hybrid": ("<=", 40, "hybrid HTTP p50"),
    "load_5xx": ("==", 0, "5xx responses under load (all modes)"),
    "load_lost": ("==", 0, "lost requests under load (all modes)"),
    "scale10x_build_ratio": ("<=", 12, "10x corpus build time / 1x"),
    "scale10x_bm25_growth": ("<", 10, "10x corpus BM25 p50 / 1x (sub-linear: < 10)"),
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- inputs -------------------------------------------------------------------------------


def query_list(data: Path | None, n: int) -> list[str]:
    files = sorted((data / "eval" / "dev").glob("*.jsonl")) if data else []
    if not files:
        files = [REPO / "corpus" / "queries.jsonl"]
    qs = measure.load_queries([f for f in files if f.exists()], n)
    if not qs:
        raise SystemExit(f"no queries found in {', '.join(map(str, files))}")
    return qs


def cache_missing(build: Path, encoder: str, dim: int, cache: str) -> int:
    """How many of the build's passages the embedding cache lacks for ``encoder``."""
    import index
    from index import passage_text
    from index.cache import EmbeddingCache, text_key
    from index.store import read_build

    if encoder == "none":
        return 0
    _, chunks = read_build(build)
    encoded = getattr(index, "dense_worthy", lambda c: True)  # the chunks the dense channel encodes
    c = EmbeddingCache(cache, encoder, dim)
    return sum(1 for ch in chunks if encoded(ch) and text_key(passage_text(ch)) not in c)


def copy_build(src: Path, dst: Path, max_chunks: int | None = None) -> None:
    """docs.jsonl + chunks.jsonl of ``src`` into ``dst`` (whole documents up to ``max_chunks`` chunks)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    if max_chunks is None:
        for f in ("docs.jsonl", "chunks.jsonl"):
            shutil.copyfile(src / f, dst / f)
        store.seal(dst)
        return
    keep: list[str] = []
    n = 0
    per_doc: dict[str, int] = {}
    with open(src / "chunks.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)["doc_id"]
                per_doc[d] = per_doc.get(d, 0) + 1
    # every source: take documents round-robin over sources so the subset mixes kinds
    by_source: dict[str, list[str]] = {}
    with open(src / "docs.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                by_source.setdefault(d["source"], []).append(d["doc_id"])
    iters = [iter(v) for v in by_source.values()]
    while iters and n < max_chunks:
        for it in list(iters):
            d = next(it, None)
            if d is None:
                iters.remove(it)
                continue
            if n + per_doc.get(d, 0) > max_chunks:
                continue
            keep.append(d)
            n += per_doc.get(d, 0)
    wanted = set(keep)
    for name in ("docs.jsonl", "chunks.jsonl"):
        with open(src / name, encoding="utf-8") as fi, open(dst / name, "w", encoding="utf-8") as fo:
            for line in fi:
                if line.strip() and json.loads(line)["doc_id"] in wanted:
                    fo.write(line)
    store.seal(dst)  # what ingest writes last: the pair is complete


# --- steps ----------------------------------------------------------------------------------


def bench_ingest(data: Path | None, work: Path) -> dict:
    from ingest import run_ingest

    out = work / "ingest"
    t = time.perf_counter()
    report = run_ingest(data, out)
    secs = time.perf_counter() - t
    skipped = sum(s.get("skipped", 0) for s in report["sources"].values())
    shutil.rmtree(out, ignore_errors=True)
    return {"data": str(data) if data else "corpus (demo)", "seconds": round(secs, 3),
            "documents": report["documents"], "chunks": report["chunks"], "skipped": skipped}


def _total(timings: dict) -> float:
    return round(sum(v for k, v in timings.items() if k in STEPS and v is not None), 3)


def sample_encode_seconds(build: Path, encoder: str, n: int) -> float:
    """Seconds per passage of a cold encode (no cache), over ``n`` passages spread over the build."""
    import index
    from index import passage_text
    from index.encoders import get_encoder
    from index.store import read_build

    from core.settings import get_settings

    _, chunks = read_build(build)
    worthy = [c for c in chunks if getattr(index, "dense_worthy", lambda c: True)(c)]
    step = max(1, len(worthy) // n)
    texts = [passage_text(c) for c in worthy[::step][:n]]
    enc = get_encoder(encoder, threads=get_settings().threads)
    enc.encode_passages(texts[:2])  # load the model outside the timing
    t = time.perf_counter()
    for i in range(0, len(texts), 32):
        enc.encode_passages(texts[i:i + 32])
    return (time.perf_counter() - t) / len(texts)


def bench_build(base: Path, work: Path, cache: str, cold_sample: int = 64) -> dict:
    """Cold figures from the base manifest; a cached forced rebuild of a copy; the second build."""
    from index import build_index
    from index.store import read_manifest

    m = read_manifest(base)
    cold = {k: m["timings"].get(k) for k in STEPS}
    encoder = m["encoder"]
    n_dense = int(m.get("encoded", 0)) + int(m.get("cached", 0) or 0)
    if encoder != "none" and n_dense and m.get("encoded", 0) < 0.5 * n_dense and cold_sample:
        # the build's vectors came from the cache, so its manifest holds no cold encode: time the
        # encoder on a sample of the build's passages (no cache) and scale to every encoded passage
        per = sample_encode_seconds(base, encoder, cold_sample)
        cold["encode"] = round(per * n_dense, 1)
        cold["encode_estimated_from"] = cold_sample
        cold["encode_s_per_passage"] = round(per, 4)
    missing = cache_missing(base, encoder, int(m.get("dim") or 0), cache)
    note = None
    if missing:
        note = (f"the embedding cache {cache} lacks {missing} of the build's passages: the rebuild used "
                f"encoder none rather than encode them again")
        encoder = "none"
    copy = work / "rebuild"
    copy_build(base, copy)
    t = time.perf_counter()
    m2 = build_index(copy, encoder=encoder, cache_dir=cache, force=True, progress=False)
    wall2 = time.perf_counter() - t
    t = time.perf_counter()
    m3 = build_index(copy, encoder=encoder, cache_dir=cache, progress=False)
    wall3 = time.perf_counter() - t
    cold_total, cached_total = _total(cold), _total(m2["timings"])
    return {
        "encoder": m["encoder"],
        "chunks": m["chunks"],
        "documents": m["documents"],
        "cold": {**cold, "total": cold_total, "encoded": m.get("encoded", 0)},
        "dense_passages": n_dense,
        "cached": {**{k: m2["timings"].get(k) for k in STEPS}, "total": cached_total,
                   "wall": round(wall2, 3), "encoder": m2["encoder"], "encoded": m2.get("encoded", 0)},
        "second_build": {"wall": round(wall3, 3), "reused": bool(m3.get("reused"))},
        "speedup_cached_rebuild": round(cold_total / cached_total, 1) if cached_total else None,
        "speedup_second_build": round(cold_total / wall3, 1) if wall3 else None,
        "rebuild_encoder": encoder,
        "note": note,
        "copy": str(copy),
    }


def bench_size(base: Path) -> dict:
    from index import store

    folder = store.index_dir(base)
    files = {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}
    return {
        "index_bytes": folder_bytes(folder),
        "bm25_bytes": folder_bytes(folder / store.BM25_DIR),
        "vectors_bytes": files.get(store.VECTORS, 0),
        "faiss_bytes": files.get(store.FAISS, 0),
        "build_jsonl_bytes": folder_bytes(base / "docs.jsonl") + folder_bytes(base / "chunks.jsonl"),
    }


def bench_inprocess(base: Path, queries: list[str], repeats: int) -> dict:
    from index import open_index
    idx = open_index(base)
    modes = [m for m in MODES if m == "bm25" or idx.has_dense]
    lat = {}
    for mode in modes:
        runs = [percentiles(time_calls(lambda q, m=mode: idx.search(q, k=10, mode=m), queries))
                for _ in range(repeats)]
        lat[mode] = median_of(runs)
        log(f"in-process {mode}: p50 {lat[mode]['p50']} ms")
    toks = [idx.tokenizer(q) for q in queries]
    i = iter(range(10**9))
    floor = {
        "tokenize_ms": time_floor(lambda: idx.tokenizer(queries[next(i) % len(queries)]), n=200),
        "bm25_score_ms": time_floor(lambda: idx.bm25.scores(toks[next(i) % len(toks)]), n=200),
    }
    import faiss

    if idx.has_dense:
        qv = idx.encoder.encode_queries(queries[:20])
        fi = idx.dense.faiss
        floor["faiss_vectors"] = "index"
        floor["query_encode_ms"] = time_floor(lambda: idx.encoder.encode_queries([queries[next(i) % len(queries)]]),
                                              n=min(100, len(queries)))
    else:  # no dense channel: the same search over random unit vectors of the same shape
        rng = np.random.default_rng(0)
        x = rng.standard_normal((idx.store.rows, 384)).astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        fi = faiss.IndexFlatIP(384)
        fi.add(x)
        qv = x[:20].copy()
        floor["faiss_vectors"] = "synthetic (index has no dense channel)"
        floor["query_encode_ms"] = None
    floor["faiss_search_ms"] = time_floor(lambda: fi.search(qv[next(i) % len(qv)][None, :], 10), n=200)
    floor["faiss_search_pool_ms"] = time_floor(lambda: fi.search(qv[next(i) % len(qv)][None, :], 200), n=200)
    res = {"modes": lat, "floor": floor, "has_dense": idx.has_dense}
    del idx
    gc.collect()
    return res


def bench_http(base: Path, queries: list[str], work: Path, requests: int, concurrency: int) -> dict:
    from bench import http

    out: dict = {"sequential": {}, "load": {}}
    log("starting `govsearch serve` (1 worker)")
    t = time.perf_counter()
    with http.serve(base, work / "serve.log", workers=1) as (url, proc):
        out["startup_seconds"] = round(time.perf_counter() - t, 2)
        health = http.httpx.get(url + "/health").json()
        modes = [m for m in MODES if m == "bm25" or health.get("encoder", "none") != "none"]
        for mode in modes:  # warm every path (encoder, tokenizer, faiss)
            for q in queries[:20]:
                http.httpx.get(url + "/search", params={"q": q, "mode": mode}, timeout=60)
        out["rss"] = measure.rss_mib(proc.pid)
        log(f"serve RSS {out['rss']}")
        for mode in modes:
            r = http.sequential(url, queries, mode)
            out["sequential"][mode] = {**percentiles(r["wall"]), "server_took_p50": percentiles(r["took"])["p50"],
                                       "errors": r["errors"]}
            log(f"HTTP {mode}: p50 {out['sequential'][mode]['p50']} ms")
    log("starting uvicorn with 2 workers")
    with http.serve(base, work / "serve2.log", workers=2) as (url, proc):
        for mode in modes:
            http.load(url, queries, mode, requests=min(100, requests), concurrency=concurrency)  # warm both workers
            r = http.load(url, queries, mode, requests=requests, concurrency=concurrency)
            lat = r.pop("lat")
            out["load"][mode] = {**r, **{k: v for k, v in percentiles(lat).items() if k != "n"}}
            log(f"load {mode}: {r['rps']} req/s, 5xx {r['status_5xx']}, lost {r['lost']}")
        out["rss_2_workers_mib"] = measure.tree_rss_mib(proc.pid)
    return out


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


# --- results ----------------------------------------------------------------------------------


def _get(d: dict, path: str):
    for part in path.split("/"):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def figures(res: dict) -> dict:
    """The headline figures the targets are checked against."""
    load = res.get("http", {}).get("load", {})
    f = {
        "second_build_speedup": _get(res, "build/speedup_second_build"),
        "cached_rebuild_speedup": _get(res, "build/speedup_cached_rebuild"),
        "serve_rss_mib": _get(res, "http/rss/VmRSS"),
        "load_5xx": sum(v["status_5xx"] for v in load.values()) if load else None,
        "load_lost": sum(v["lost"] for v in load.values()) if load else None,
        "scale10x_build_ratio": None,
        "scale10x_bm25_growth": None,
    }
    for mode in MODES:
        f[f"http_p50_ms.{mode}"] = _get(res, f"http/sequential/{mode}/p50")
        f[f"inproc_p50_ms.{mode}"] = _get(res, f"inprocess/modes/{mode}/p50")
        f[f"load_rps.{mode}"] = _get(load, f"{mode}/rps")
    s = res.get("scale10x")
    if s:
        base_wall = _get(res, "build/cached/wall")
        if s.get("build_seconds") and base_wall:
            f["scale10x_build_ratio"] = round(s["build_seconds"] / base_wall, 2)
        if s["bm25_1x"]["p50"] and s["bm25_10x"]["p50"]:
            f["scale10x_bm25_growth"] = round(s["bm25_10x"]["p50"] / s["bm25_1x"]["p50"], 2)
    return f


def check_targets(f: dict, res: dict) -> dict:
    out = {}
    dense = res.get("build", {}).get("encoder", "none") != "none"
    for name, (op, target, what) in TARGETS.items():
        v = f.get(name)
        if name == "second_build_speedup" and not dense:
            ok = None  # without a dense encoder there is no encoding to save
        elif v is None:
            ok = None
        else:
            ok = {">=": v >= target, "<=": v <= target, "<": v < target, "==": v == target}[op]
        out[name] = {"value": v, "target": f"{op} {target}", "ok": ok, "what": what}
    return out


def _fmt(v, unit: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        v = f"{v:,.1f}" if abs(v) >= 100 else (f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}")
    return f"{v}{unit}"


def _lat(d: dict | None) -> str:
    if not d or d.get("p50") is None:
        return "–"
    return f"{_fmt(d['p50'])} / {_fmt(d['p95'])} / {_fmt(d['p99'])} ms"


def markdown(res: dict) -> str:
    b, t, f = res.get("build", {}), res.get("targets", {}), res.get("figures", {})
    rows: list[tuple[str, str, str]] = []

    def tgt(name):
        x = t.get(name)
        if not x:
            return ""
        mark = {True: "✓", False: "✗", None: "n/a"}[x["ok"]]
        return f"{x['target']} {mark}"

    ing = res.get("ingest", {})
    rows.append((f"Ingest ({ing.get('data')})", f"{_fmt(ing.get('seconds'))} s → {ing.get('documents')} docs, "
                                         f"{ing.get('chunks')} chunks", ""))
    cold, cached = b.get("cold", {}), b.get("cached", {})
    for step in STEPS[1:]:
        label = f"Index: {step}" + (" (cold / cached)" if step == "encode" else " (build / rebuild)")
        val = f"{_fmt(cold.get(step))} s / {_fmt(cached.get(step))} s"
        if step == "encode" and cold.get(step) is not None:
            val += f" ({cold.get('encoded')} / {cached.get('encoded')} passages encoded)"
        if step == "encode" and cold.get("encode_estimated_from"):
            val = f"{_fmt(cold.get(step))} s (estimated) / {_fmt(cached.get(step))} s"
            val += (f"; cold = {cold['encode_s_per_passage'] * 1000:.0f} ms/passage timed on "
                    f"{cold['encode_estimated_from']} passages × {b.get('dense_passages')}")
        rows.append((label, val, ""))
    rows.append((f"Index build total, encoder {b.get('encoder')}, {b.get('chunks')} chunks (cold / cached)",
                 f"{_fmt(cold.get('total'))} s / {_fmt(cached.get('total'))} s", ""))
    rows.append(("Second build of unchanged data (manifest check)",
                 f"{_fmt(_get(b, 'second_build/wall'))} s, speed-up {_fmt(f.get('second_build_speedup'))}x "
                 f"(cached rebuild {_fmt(f.get('cached_rebuild_speedup'))}x)", tgt("second_build_speedup")))
    size = res.get("size", {})
    rows.append(("Index size on disk", f"{_fmt(size.get('index_bytes', 0) / 2**20)} MiB (vectors "
                                       f"{_fmt(size.get('vectors_bytes', 0) / 2**20)}, faiss "
                                       f"{_fmt(size.get('faiss_bytes', 0) / 2**20)}, bm25 "
                                       f"{_fmt(size.get('bm25_bytes', 0) / 2**20)} MiB)", ""))
    rows.append(("RSS serving (`govsearch serve`, warm)", f"{_fmt(f.get('serve_rss_mib'))} MiB",
                 tgt("serve_rss_mib")))
    for mode in MODES:
        rows.append((f"{mode} in-process p50 / p95 / p99", _lat(_get(res, f"inprocess/modes/{mode}")), ""))
    for mode in MODES:
        name = f"http_p50_ms.{mode}"
        rows.append((f"{mode} HTTP p50 / p95 / p99", _lat(_get(res, f"http/sequential/{mode}")),
                     tgt(name) if name in t else ""))
    for mode in MODES:
        ld = _get(res, f"http/load/{mode}")
        if ld:
            rows.append((f"{mode} load: {ld['requests']} req, concurrency {ld['concurrency']}, 2 workers",
                         f"{_fmt(ld['rps'])} req/s, p50 {_fmt(ld['p50'])} ms, p99 {_fmt(ld['p99'])} ms, "
                         f"5xx {ld['status_5xx']}, lost {ld['lost']}",
                         tgt(f"load_rps.{mode}") if f"load_rps.{mode}" in t else ""))
    rows.append(("5xx / lost under load (all modes)", f"{f.get('load_5xx')} / {f.get('load_lost')}",
                 f"{tgt('load_5xx')} {tgt('load_lost')}".strip()))
    fl = _get(res, "inprocess/floor") or {}
    rows.append(("Floor: one bm25s scoring call", f"{_fmt(fl.get('bm25_score_ms'))} ms", ""))
    rows.append(("Floor: one faiss exact search (k=10 / k=200)",
                 f"{_fmt(fl.get('faiss_search_ms'))} / {_fmt(fl.get('faiss_search_pool_ms'))} ms", ""))
    rows.append(("Floor: query tokenisation / query encoding",
                 f"{_fmt(fl.get('tokenize_ms'))} / {_fmt(fl.get('query_encode_ms'))} ms", ""))
    s = res.get("scale10x")
    if s:
        rows.append((f"10x corpus ({s['chunks']} chunks): build time / 1x",
                     f"{_fmt(s['build_seconds'])} s / {_fmt(_get(b, 'cached/wall'))} s = "
                     f"{_fmt(f.get('scale10x_build_ratio'))}x", tgt("scale10x_build_ratio")))
        rows.append(("10x corpus: BM25 p50 in-process (10x vs 1x)",
                     f"{_fmt(s['bm25_10x']['p50'])} vs {_fmt(s['bm25_1x']['p50'])} ms = "
                     f"{_fmt(f.get('scale10x_bm25_growth'))}x", tgt("scale10x_bm25_growth")))
    lines = ["| Figure | Measured | Target |", "|---|---|---|"]
    lines += [f"| {a} | {v} | {c} |" for a, v, c in rows]
    m = res.get("machine", {})
    lines.append("")
    lines.append(f"Measured {m.get('date')} on {m.get('cpus')} shared cores (load average {m.get('loadavg_start')} → "
                 f"{m.get('loadavg_end')}), {len(res.get('queries', []))} dev queries, medians of "
                 f"{res.get('repeats')} passes in-process{'; quick mode' if res.get('quick') else ''}.")
    return "\n".join(lines)


def plot(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    ax = axes[0][0]
    modes = [m for m in MODES if _get(res, f"inprocess/modes/{m}")]
    x = np.arange(len(modes))
    for j, (where, label) in enumerate((("inprocess/modes", "in-process"), ("http/sequential", "HTTP"))):
        for k, p in enumerate(("p50", "p95", "p99")):
            vals = [(_get(res, f"{where}/{m}/{p}") or 0) for m in modes]
            ax.bar(x + (j * 3 + k) * 0.13 - 0.33, vals, 0.12, label=f"{label} {p}")
    ax.set_xticks(x, modes)
    ax.set_ylabel("ms")
    ax.set_title("Query latency")
    ax.legend(fontsize=7)

    ax = axes[0][1]
    b = res.get("build", {})
    cols = [("cold", b.get("cold", {})), ("cached", b.get("cached", {}))]
    if res.get("scale10x"):
        cols.append(("10x", res["scale10x"]["timings"]))
    bottom = np.zeros(len(cols))
    for step in STEPS:
        vals = np.array([c.get(step) or 0 for _, c in cols], dtype=float)
        ax.bar([c for c, _ in cols], vals, bottom=bottom, label=step)
        bottom += vals
    if bottom.max() > 60:  # a cold dense encode dwarfs the rest
        ax.set_yscale("symlog", linthresh=1)
    ax.set_ylabel("s")
    ax.set_title(f"Index build ({b.get('encoder')}, {b.get('chunks')} chunks)")
    ax.legend(fontsize=7)

    ax = axes[1][0]
    load = _get(res, "http/load") or {}
    ax.bar(list(load), [v["rps"] or 0 for v in load.values()], color="tab:green")
    ax.axhline(150, color="grey", ls="--", lw=1)
    ax.set_ylabel("req/s")
    ax.set_title("Throughput, 2 workers, concurrency 16")

    ax = axes[1][1]
    s = res.get("scale10x")
    if s:
        ax.bar(["1x", "10x"], [s["bm25_1x"]["p50"] or 0, s["bm25_10x"]["p50"] or 0], color="tab:purple")
        ax.set_title(f"BM25 p50 in-process, {s['chunks'] // s['times']} vs {s['chunks']} chunks")
        ax.set_ylabel("ms")
    else:
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main -------------------------------------------------------------------------------------


def prepare_base(build: Path, work: Path, quick: bool, encoder: str, cache: str) -> Path:
    """The indexed build to measure: ``build`` itself, or (``--quick``) a small subset of it."""
    from index import build_index
    from index.store import read_manifest

    from core.errors import IndexCorrupt, IndexNotFound

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
    a = p.parse_args(argv)
    nq = a.queries or (30 if a.quick else 200)
    requests = a.requests or (200 if a.quick else 2000)
    repeats = a.repeats or (1 if a.quick else 3)
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
    queries = query_list(data, nq)
    res["queries"] = queries
    log(f"{len(queries)} queries")
    base = prepare_base(build, work, a.quick, a.encoder, a.cache)
    res["base"] = str(base)
    log("ingest")
    res["ingest"] = bench_ingest(data, work)
    log(f"ingest {res['ingest']['seconds']} s; index rebuilds")
    res["build"] = bench_build(base, work, a.cache, cold_sample=a.cold_sample)
    res["size"] = bench_size(base)
    log("in-process latency")
    res["inprocess"] = bench_inprocess(base, queries, repeats)
    res["http"] = bench_http(base, queries, work, requests, a.concurrency)
    if not a.skip_10x:
        log("10x corpus")
        res["scale10x"] = bench_scale(base, work, res["build"]["rebuild_encoder"], a.cache, queries, repeats)
    shutil.rmtree(work / "rebuild", ignore_errors=True)
    shutil.rmtree(work / "subset", ignore_errors=True)
    res["machine"]["loadavg_end"] = round(os.getloadavg()[0], 2)
    res["seconds"] = round(time.perf_counter() - t_all, 1)
    res["figures"] = figures(res)
    res["targets"] = check_targets(res["figures"], res)
    res["table"] = markdown(res)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "results.md").write_text(res["table"] + "\n", encoding="utf-8")
    plot(res, out / "results.png")
    print(res["table"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
