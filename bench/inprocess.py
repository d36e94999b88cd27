"""In-process figures, on the engine itself (no HTTP).

- latency p50/p95/p99 per mode (``idx.search``), and the floors: one tokenisation, one bm25s scoring
  call, one faiss search, one query encoding;
- hybrid /search against its floor (one query encode + one faiss search over the candidate pool),
  interleaved query by query, and the breakdown of a hybrid search into the engine's public steps
  (resolve, tokenize, encode, bm25 channel, dense channel, rank = fusion, rerank, hits);
- /answer against hybrid /search on the same questions, interleaved;
- the prepared-query cache on a stream with repeats (:func:`bench.workload.repeat_stream`): hybrid
  p50/p95 and hit rate with the cache on and off, interleaved request by request.

Unless a figure says otherwise the index is opened with ``Settings(query_cache=0)``: every query pays
its own tokenisation and encoding, as a first-time question does (the cache has its own figure).
Interleaving gives both sides of a ratio the same noise on a shared machine; the figures are medians
of per-pass percentiles.
"""
from __future__ import annotations

import gc
import time
from typing import Callable

import numpy as np

from bench.measure import log, median_of, percentiles, ratio, time_calls, time_floor
from bench.workload import WARMUP
from core.settings import Settings

MODES = ("bm25", "dense", "hybrid")
STAGES = ("resolve", "tokenize", "encode", "bm25", "dense", "rank", "rerank", "hits")


def open_cold(base, **changes):
    """The index with no prepared-query cache (and ``changes`` to the settings)."""
    from index import open_index

    return open_index(base, Settings(**{"query_cache": 0, **changes}))


def _clock(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def interleaved(fns: dict[str, Callable[[str], object]], items: list, repeats: int, warmup: int = 3) -> dict:
    """Per name, latency percentiles of ``fn(item)``: every item runs every fn back to back, the order
    rotating item by item, so each fn sees the same moments of a noisy machine. Medians over passes."""
    names = list(fns)
    for it in items[:warmup]:
        for n in names:
            fns[n](it)
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for _ in range(repeats):
        lat: dict[str, list[float]] = {n: [] for n in names}
        for i, it in enumerate(items):
            for j in range(len(names)):
                n = names[(i + j) % len(names)]
                lat[n].append(_clock(lambda: fns[n](it)))
        for n in names:
            runs[n].append(percentiles(lat[n]))
    return {n: median_of(runs[n]) for n in names}


def staged_search(idx, text: str, k: int = 10, times: dict[str, list[float]] | None = None) -> list:
    """``idx.search(text, k=k, mode="hybrid")`` step by step through the engine's public steps, timing
    each into ``times`` (ms per stage). Returns the hits (the caller checks they are the search's)."""
    from index.prepare import PreparedQuery

    c = time.perf_counter
    t0 = c()
    q = idx.resolve(text, k=k, mode="hybrid")
    t1 = c()
    pq = idx.preparer.prepare(q.text, dense=False)  # words + BM25 tokens
    t2 = c()
    dense = q.mode in ("dense", "hybrid") and idx.has_dense
    if dense:
        pq = PreparedQuery(pq.text, pq.tokens, pq.bm25_tokens, idx.preparer.encode(q.text))
    t3 = c()
    chans = dict(idx.retrieve(q.with_(mode="bm25"), pq)) if q.mode in ("bm25", "hybrid") else {}
    t4 = c()
    if dense:
        chans.update(idx.retrieve(q.with_(mode="dense"), pq))
    t5 = c()
    ranked = idx.rank(q, chans)
    t6 = c()
    if idx.reranker.depth:
        depth = max(idx.reranker.depth, q.k)
        ranked = idx.reranker.rerank(pq, ranked[:depth], idx) + ranked[depth:]
    t7 = c()
    hits = idx.hits(q, pq, ranked)
    t8 = c()
    if times is not None:
        marks = (t0, t1, t2, t3, t4, t5, t6, t7, t8)
        for stage, a, b in zip(STAGES, marks, marks[1:]):
            times.setdefault(stage, []).append((b - a) * 1000)
    return hits


def hybrid_vs_floor(idx, queries: list[str], repeats: int) -> dict:
    """Hybrid search p50 against one query encode + one faiss search (pool rows), interleaved; and the
    per-stage breakdown of the same searches."""
    if not idx.has_dense:
        return {"has_dense": False}
    pool = idx.settings.pool
    stage_ms: dict[str, list[float]] = {}

    def floor(q):
        return idx.dense.nearest(idx.preparer.encode(q), pool)

    lat = interleaved({"floor": floor, "search": lambda q: idx.search(q, k=10, mode="hybrid"),
                       "staged": lambda q: staged_search(idx, q, times=stage_ms)}, queries, repeats)
    same = sum([h.doc_id for h in staged_search(idx, q)] == [h.doc_id for h in idx.search(q, k=10, mode="hybrid")]
               for q in queries[:20])  # the staged path is the search's: the same hits
    stages = {s: {"p50": round(float(np.median(v)), 3), "mean": round(float(np.mean(v)), 3)}
              for s, v in stage_ms.items()}
    return {"has_dense": True, "pool": pool, "floor": lat["floor"], "search": lat["search"],
            "staged": lat["staged"], "stages": stages,
            "stages_sum_p50": round(sum(v["p50"] for v in stages.values()), 3),
            "staged_matches_search": f"{same}/{min(20, len(queries))}",
            "ratio_p50": ratio(lat["search"]["p50"], lat["floor"]["p50"])}


def answer_vs_search(idx, queries: list[str], repeats: int) -> dict:
    """/answer (``answer.item.answer``) against hybrid /search, the same questions, interleaved."""
    from answer.item import answer

    lat = interleaved({"search": lambda q: idx.search(q, k=10, mode="hybrid"),
                       "answer": lambda q: answer(idx, q)}, queries, repeats)
    return {**lat, "ratio_p50": ratio(lat["answer"]["p50"], lat["search"]["p50"])}


def cache_stream(base, stream: list[dict]) -> dict:
    """Hybrid searches over a stream with repeats: the cache on (the default size) and off, interleaved
    request by request, each index starting empty. Hit rate from the preparer's own counters."""
    on, off = open_cold(base, query_cache=Settings().query_cache), open_cold(base)
    idxs = {"on": on, "off": off}
    for idx in idxs.values():  # load the encoder, tokenizer and faiss pages with questions not in the stream
        idx.search(WARMUP, k=10, mode="hybrid")
    before = {n: idx.preparer.stats() for n, idx in idxs.items()}
    lat: dict[str, list[float]] = {"on": [], "off": []}
    for i, r in enumerate(stream):
        for n in (("on", "off") if i % 2 else ("off", "on")):
            lat[n].append(_clock(lambda: idxs[n].search(r["q"], k=10, mode="hybrid")))
    out = {"requests": len(stream), "repeats": sum(r["repeat"] for r in stream),
           "distinct": len({r["q"] for r in stream}), "capacity": on.preparer.size}
    for n, idx in idxs.items():
        s = idx.preparer.stats()
        hits, misses = s["hits"] - before[n]["hits"], s["misses"] - before[n]["misses"]
        out[n] = {**percentiles(lat[n]), "hits": hits, "misses": misses,
                  "encodes": s["encodes"] - before[n]["encodes"],
                  "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None}
    return out


def floors(idx, queries: list[str]) -> dict:
    """One tokenisation, one bm25s scoring call, one faiss search (k=10 and the pool), one encoding."""
    import faiss

    toks = [idx.tokenizer(q) for q in queries]
    i = iter(range(10**9))
    fl = {
        "tokenize_ms": time_floor(lambda: idx.tokenizer(queries[next(i) % len(queries)]), n=200),
        "bm25_score_ms": time_floor(lambda: idx.bm25.scores(toks[next(i) % len(toks)]), n=200),
    }
    if idx.has_dense:
        qv = idx.encoder.encode_queries(queries[:20])
        fi = idx.dense.faiss
        fl["faiss_vectors"] = "index"
        fl["query_encode_ms"] = time_floor(lambda: idx.preparer.encode(queries[next(i) % len(queries)]),
                                           n=min(100, len(queries)))
    else:  # no dense channel: the same search over random unit vectors of the same shape
        rng = np.random.default_rng(0)
        x = rng.standard_normal((idx.store.rows, 384)).astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        fi = faiss.IndexFlatIP(384)
        fi.add(x)
        qv = x[:20].copy()
        fl["faiss_vectors"] = "synthetic (index has no dense channel)"
        fl["query_encode_ms"] = None
    fl["faiss_search_ms"] = time_floor(lambda: fi.search(qv[next(i) % len(qv)][None, :], 10), n=200)
    fl["faiss_search_pool_ms"] = time_floor(lambda: fi.search(qv[next(i) % len(qv)][None, :], 200), n=200)
    return fl


def bench_inprocess(base, queries: list[str], stream: list[dict], repeats: int,
                    answer_queries: list[str] | None = None) -> dict:
    res = _cold_figures(base, queries, repeats, answer_queries)
    gc.collect()  # the cold index goes before the stream opens two more
    res["cache"] = c = cache_stream(base, stream)
    gc.collect()
    log(f"in-process cache stream: hybrid p50 on {c['on']['p50']} / off {c['off']['p50']} ms, "
        f"hit rate {c['on']['hit_rate']}")
    return res


def _cold_figures(base, queries: list[str], repeats: int, answer_queries: list[str] | None) -> dict:
    idx = open_cold(base)
    modes = [m for m in MODES if m == "bm25" or idx.has_dense]
    lat = {}
    for mode in modes:
        runs = [percentiles(time_calls(lambda q, m=mode: idx.search(q, k=10, mode=m), queries))
                for _ in range(repeats)]
        lat[mode] = median_of(runs)
        log(f"in-process {mode}: p50 {lat[mode]['p50']} ms")
    res = {"modes": lat, "floor": floors(idx, queries), "has_dense": idx.has_dense, "query_cache": 0}
    res["hybrid_floor"] = hf = hybrid_vs_floor(idx, queries, repeats)
    if hf.get("has_dense"):
        log(f"in-process hybrid p50 {hf['search']['p50']} ms vs floor {hf['floor']['p50']} ms = {hf['ratio_p50']}x")
    res["answer_vs_search"] = avs = answer_vs_search(idx, answer_queries or queries, repeats)
    log(f"in-process /answer p50 {avs['answer']['p50']} ms vs hybrid /search {avs['search']['p50']} ms")
    return res
