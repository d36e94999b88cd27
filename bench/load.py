"""Mixed load: do expensive requests starve cheap ones? (issue 12, defect 4; issue 11's done-when)

BM25 /search latency one request at a time, alone and while ``clients`` concurrent long /answer requests
run (each client sends its next question as soon as the previous one is answered). Alone and loaded
blocks alternate ``rounds`` times over the same BM25 questions, so both see the same machine; the p99s
are over the pooled latencies of each condition. Every /answer outcome is counted (200, 503 with
Retry-After when its admission queue is full, lost).
"""
from __future__ import annotations

import threading
import time

import httpx

from bench.measure import percentiles, ratio


def _answer_client(url: str, questions: list[str], start: int, stop: threading.Event, out: dict,
                   lock: threading.Lock, timeout: float) -> None:
    i = start
    with httpx.Client(base_url=url, timeout=timeout) as client:
        while not stop.is_set():
            q = questions[i % len(questions)]
            i += 1
            t = time.perf_counter()
            try:
                r = client.get("/answer", params={"q": q})
                code = r.status_code
            except httpx.HTTPError:
                code = "lost"
            ms = (time.perf_counter() - t) * 1000
            with lock:
                out["status"][str(code)] = out["status"].get(str(code), 0) + 1
                if code == 200:
                    out["lat"].append(ms)


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
    answers: dict = {"status": {}, "lat": []}
    errors = 0
    lock = threading.Lock()
    with httpx.Client(base_url=url, timeout=timeout) as client:
        for q in bm25_queries[:5]:  # warm the BM25 path
            client.get("/search", params={"q": q, "k": 10, "mode": "bm25"})
        for _ in range(rounds):
            a, e1 = _bm25_block(client, bm25_queries)
            stop = threading.Event()
            threads = [threading.Thread(target=_answer_client, daemon=True,
                                        args=(url, long_questions, j, stop, answers, lock, timeout))
                       for j in range(clients)]
            for t in threads:
                t.start()
            time.sleep(settle)  # every client has its first /answer in flight
            b, e2 = _bm25_block(client, bm25_queries)
            stop.set()
            for t in threads:
                t.join(timeout)
            alone += a
            loaded += b
            errors += e1 + e2
            per_round.append({"alone_p99": percentiles(a)["p99"], "loaded_p99": percentiles(b)["p99"]})
    pa, pb = percentiles(alone), percentiles(loaded)
    return {
        "clients": clients, "rounds": rounds, "bm25_requests": len(bm25_queries),
        "answer_chars": round(sum(map(len, long_questions)) / max(1, len(long_questions))),
        "alone": pa, "loaded": pb, "per_round": per_round, "bm25_errors": errors,
        "answers": {"status": answers["status"], **{k: v for k, v in percentiles(answers["lat"]).items()
                                                    if k in ("n", "p50", "p99")}},
        "ratio_p99": ratio(pb["p99"], pa["p99"]),
        "ratio_p50": ratio(pb["p50"], pa["p50"]),
    }
