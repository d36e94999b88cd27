"""HTTP figures, against real servers (``govsearch serve`` subprocesses, see :mod:`bench.http`).

1. One worker, the prepared-query cache off (``GOVSEARCH_QUERY_CACHE=0``: every request pays its own
   tokenisation and encoding): startup time, RSS after warm-up, latency per mode one request at a time,
   /answer against hybrid /search on the same questions (interleaved);
2. beside it a second server with the cache on (the default size): the stream with repeats sent to both,
   interleaved request by request — hybrid p50/p95 and the hit rate from each server's ``/admin/status``;
3. the mixed load on the first server: BM25 p99 alone vs under 8 concurrent long /answer requests;
4. throughput: uvicorn with 2 workers (cache off), a bounded asyncio load per mode, every outcome counted.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from bench import http, measure
from bench.measure import log, percentiles, ratio
from bench.workload import WARMUP

MODES = ("bm25", "dense", "hybrid")


def _lat(r: dict) -> dict:
    return {**percentiles(r["wall"]), "errors": r["errors"]}


def _cache_counters(url: str, key: str) -> dict:
    return http.admin_status(url, key).get("query_cache") or {}


def cache_stream(url_off: str, url_on: str, key: str, stream: list[dict]) -> dict:
    """The stream sent to the cache-off and the cache-on server in turn; hit rates from their counters."""
    before = {"off": _cache_counters(url_off, key), "on": _cache_counters(url_on, key)}
    r = http.interleaved({"off": (url_off, "/search", {"mode": "hybrid", "k": 10}),
                          "on": (url_on, "/search", {"mode": "hybrid", "k": 10})},
                         [x["q"] for x in stream], warmup=0)
    out = {"requests": len(stream), "repeats": sum(x["repeat"] for x in stream),
           "distinct": len({x["q"] for x in stream})}
    for n, url in (("off", url_off), ("on", url_on)):
        after = _cache_counters(url, key)
        hits = after.get("hits", 0) - before[n].get("hits", 0)
        misses = after.get("misses", 0) - before[n].get("misses", 0)
        out[n] = {**_lat(r[n]), "hits": hits, "misses": misses,
                  "encodes": after.get("encodes", 0) - before[n].get("encodes", 0),
                  "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
                  "capacity": after.get("capacity")}
    return out


def mixed(base: Path, url: str, bm25_queries: list[str], long_questions: list[str], rounds: int, work: Path) -> dict:
    """The mixed load: :func:`bench.mixed_load.run` (issue 12's own probe: its own server, its own questions)
    where that module exists, else :func:`bench.load.mixed_load` against ``url``; one result shape."""
    try:
        from bench import mixed_load as ml
    except ImportError:
        ml = None
    if ml is not None and hasattr(ml, "run"):
        try:
            return _from_mixed_load(ml.run(base, searches=len(bm25_queries) * rounds, answers=8, rounds=rounds,
                                           log=work / "serve-mixed.log"))
        except (TypeError, KeyError) as e:  # another shape than this adapter knows: say so, measure anyway
            log(f"bench.mixed_load.run did not fit ({type(e).__name__}: {e}); using bench.load")
    from bench.load import mixed_load

    return mixed_load(url, bm25_queries, long_questions, clients=8, rounds=rounds)


def _from_mixed_load(r: dict) -> dict:
    def lat(d: dict) -> dict:
        return {"n": d["n"], "p50": d["p50_ms"], "p99": d["p99_ms"], "mean": d.get("mean_ms")}

    a, b, ld = lat(r["alone"]), lat(r["loaded"]), r["answer_load"]
    return {"source": "bench.mixed_load", "clients": r["answer_clients"], "rounds": r["rounds"],
            "bm25_requests": a["n"] // max(1, r["rounds"]), "answer_chars": None, "alone": a, "loaded": b,
            "bm25_errors": sum(n for k, n in {**r["alone"]["status"], **r["loaded"]["status"]}.items()
                               if str(k) != "200"),
            "answers": {"status": {str(k): v for k, v in ld["status"].items()}, "n": ld["answers"],
                        "p50": ld["p50_ms"], "p99": ld["p99_ms"]},
            "ratio_p99": ratio(b["p99"], a["p99"]), "ratio_p50": ratio(b["p50"], a["p50"])}


def bench_http(base: Path, queries: list[str], stream: list[dict], long_questions: list[str], work: Path,
               requests: int, concurrency: int, mixed_rounds: int = 3, answer_queries: list[str] | None = None) -> dict:
    out: dict = {"sequential": {}, "load": {}, "query_cache": 0}
    key = secrets.token_hex(16)  # the bench's own admin key, for /admin/status
    off = {"GOVSEARCH_QUERY_CACHE": "0", "GOVSEARCH_API_KEY": key}
    log("starting `govsearch serve` (1 worker, query cache off)")
    t = time.perf_counter()
    with http.serve(base, work / "serve.log", workers=1, env=off) as (url, proc):
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
        r = http.interleaved({"search": (url, "/search", {"mode": "hybrid", "k": 10}), "answer": (url, "/answer", {})},
                             answer_queries or queries)
        avs = out["answer_vs_search"] = {"search": _lat(r["search"]), "answer": _lat(r["answer"])}
        avs["ratio_p50"] = ratio(avs["answer"]["p50"], avs["search"]["p50"])
        log(f"HTTP /answer p50 {avs['answer']['p50']} ms vs hybrid /search {avs['search']['p50']} ms")
        log("starting a second server, query cache on")
        with http.serve(base, work / "serve-cache.log", workers=1, env={"GOVSEARCH_API_KEY": key}) as (url_on, _):
            http.httpx.get(url_on + "/search", params={"q": WARMUP, "mode": "hybrid"}, timeout=60)
            c = out["cache"] = cache_stream(url, url_on, key, stream)
        log(f"HTTP cache stream: hybrid p50 on {c['on']['p50']} / off {c['off']['p50']} ms, "
            f"hit rate {c['on']['hit_rate']}")
        log("mixed load: bm25 alone vs under 8 concurrent /answer requests")
        m = out["mixed"] = mixed(base, url, queries, long_questions, mixed_rounds, work)
        log(f"mixed load: bm25 p99 {m['alone']['p99']} ms alone, {m['loaded']['p99']} ms loaded = {m['ratio_p99']}x")
        out["limits"] = http.admin_status(url, key).get("limits")
    log("starting uvicorn with 2 workers (query cache off)")
    with http.serve(base, work / "serve2.log", workers=2, env=off) as (url, proc):
        for mode in modes:
            http.load(url, queries, mode, requests=min(100, requests), concurrency=concurrency)  # warm both workers
            r = http.load(url, queries, mode, requests=requests, concurrency=concurrency)
            lat = r.pop("lat")
            out["load"][mode] = {**r, **{k: v for k, v in percentiles(lat).items() if k != "n"}}
            log(f"load {mode}: {r['rps']} req/s, 5xx {r['status_5xx']}, lost {r['lost']}")
        out["rss_2_workers_mib"] = measure.tree_rss_mib(proc.pid)
    return out
