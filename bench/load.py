"""Mixed load: do expensive requests starve cheap ones? (issue 12, defect 4; issue 11's done-when)

BM25 /search latency one request at a time, alone and while ``clients`` concurrent long /answer requests
run (each client sends its next question as soon as the previous one is answered; a 503 is honoured by
waiting its Retry-After, at most a second). The answer clients run in a separate process, so the
measuring client shares no interpreter lock with them. Alone and loaded blocks alternate ``rounds``
times over the same BM25 questions, so both see the same machine; the p99s are over the pooled
latencies of each condition. Every /answer outcome is counted (200, 503, lost).
"""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time

import httpx

from bench.measure import percentiles, ratio


async def _answer_loops(url: str, questions: list[str], clients: int, stop, started, timeout: float,
                        parent: int) -> dict:
    lat: list[float] = []
    status: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        async def loop(c: int) -> None:
            i = c
            while not stop.is_set() and os.getppid() == parent:  # the bench gone (killed): stop too
                q = questions[i % len(questions)]
                i += clients
                t = time.perf_counter()
                try:
                    r = await client.get("/answer", params={"q": q})
                    code = str(r.status_code)
                except httpx.HTTPError:
                    code = "lost"
                status[code] = status.get(code, 0) + 1
                if code == "200":
                    lat.append((time.perf_counter() - t) * 1000)
                elif code == "503":
                    await asyncio.sleep(min(float(r.headers.get("retry-after", "1")), 1.0))

        started.set()
        await asyncio.gather(*(loop(c) for c in range(clients)))
    return {"lat": lat, "status": status}


def _answer_process(url: str, questions: list[str], clients: int, stop, started, out, timeout: float,
                    parent: int) -> None:
    out.put(asyncio.run(_answer_loops(url, questions, clients, stop, started, timeout, parent)))


def _bm25_block(client: httpx.Client, queries: list[str]) -> tuple[list[float], int]:
    lat, errors = [], 0
    for q in queries:
        t = time.perf_counter()
        r = client.get("/search", params={"q": q, "k": 10, "mode": "bm25"})
        lat.append((time.perf_counter() - t) * 1000)
        errors += r.status_code != 200
    return lat, errors


def mixed_load(url: str, bm25_queries: list[str], long_questions: list[str], *, clients: int = 8,
               rounds: int = 3, settle: float = 0.5, timeout: float = 120) -> dict:
    """BM25 p50/p95/p99 alone vs under ``clients`` concurrent /answer requests (``long_questions``)."""
    alone: list[float] = []
    loaded: list[float] = []
    per_round: list[dict] = []
    ans_lat: list[float] = []
    ans_status: dict[str, int] = {}
    errors = 0
    ctx = mp.get_context("spawn")
    with httpx.Client(base_url=url, timeout=timeout) as client:
        for q in bm25_queries[:5]:  # warm the BM25 path
            client.get("/search", params={"q": q, "k": 10, "mode": "bm25"})
        for _ in range(rounds):
            a, e1 = _bm25_block(client, bm25_queries)
            stop, started, out = ctx.Event(), ctx.Event(), ctx.Queue()
            p = ctx.Process(target=_answer_process, daemon=True,
                            args=(url, long_questions, clients, stop, started, out, timeout, os.getpid()))
            p.start()
            started.wait(60)
            time.sleep(settle)  # every client has its first /answer in flight
            b, e2 = _bm25_block(client, bm25_queries)
            stop.set()
            got = out.get(timeout=timeout + 60)
            p.join(60)
            ans_lat += got["lat"]
            for k, v in got["status"].items():
                ans_status[k] = ans_status.get(k, 0) + v
            alone += a
            loaded += b
            errors += e1 + e2
            per_round.append({"alone_p99": percentiles(a)["p99"], "loaded_p99": percentiles(b)["p99"]})
    pa, pb = percentiles(alone), percentiles(loaded)
    pans = percentiles(ans_lat)
    return {
        "source": "bench.load", "clients": clients, "rounds": rounds, "bm25_requests": len(bm25_queries),
        "answer_chars": round(sum(map(len, long_questions)) / max(1, len(long_questions))),
        "alone": pa, "loaded": pb, "per_round": per_round, "bm25_errors": errors,
        "answers": {"status": ans_status, "n": pans["n"], "p50": pans["p50"], "p99": pans["p99"]},
        "ratio_p99": ratio(pb["p99"], pa["p99"]),
        "ratio_p50": ratio(pb["p50"], pa["p50"]),
    }
