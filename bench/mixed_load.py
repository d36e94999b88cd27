"""Do expensive requests starve cheap ones? (issue 12, defect 4)

Starts ``govsearch serve`` on a build (the real server process, :func:`bench.http.serve`), measures BM25
``/search`` latency (client wall time, one request at a time) alone, then again while ``--answers``
concurrent clients call ``/answer`` in a loop (a separate process, so the measuring client shares no
GIL with the load), and prints both, the ratio of the p99s (target: loaded p99 ≤ 5× unloaded p99) and
what the answer clients got (200s, 503s with Retry-After, their latency).

    python -m bench.mixed_load --build build/demo [--searches 300] [--answers 8] [--json]

Extra server settings go through the environment (``GOVSEARCH_LIMIT_ANSWER=1 python -m bench.mixed_load …``).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

import httpx

from bench.http import REPO, serve

TARGET = 5.0
# invented everyday questions (not the evaluation's): cheap BM25 searches and answers that retrieve,
# rank and assemble an item's materials
SEARCHES = ["营业执照", "食品经营许可", "护照", "社保卡补办", "公积金提取", "出生医学证明", "户口迁移", "驾驶证换证",
            "残疾人证", "居住证", "税务登记", "排水许可", "消防安全检查", "医保报销", "结婚登记", "不动产登记"]
ANSWERS = ["开餐馆需要什么材料", "注册一家公司要准备哪些东西", "宝宝上户口要带什么", "办理护照需要带哪些证件",
           "个体工商户登记需要什么材料", "申请食品经营许可要准备什么", "新生儿参加医保怎么办理", "公积金提取要什么材料"]


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[i]


def measure(url: str, n: int, lat: list[float], status: dict, warmup: int = 5) -> None:
    """``n`` BM25 searches one after another: client wall times (ms) appended to ``lat``."""
    with httpx.Client(base_url=url, timeout=120) as client:
        for i in range(warmup):
            client.get("/search", params={"q": SEARCHES[i % len(SEARCHES)], "mode": "bm25", "k": 10})
        for i in range(n):
            t = time.perf_counter()
            r = client.get("/search", params={"q": SEARCHES[i % len(SEARCHES)], "mode": "bm25", "k": 10})
            lat.append((time.perf_counter() - t) * 1000)
            status[r.status_code] = status.get(r.status_code, 0) + 1


def summary(lat: list[float], status: dict) -> dict:
    return {"n": len(lat), "p50_ms": round(percentile(lat, 50), 2), "p99_ms": round(percentile(lat, 99), 2),
            "mean_ms": round(statistics.fmean(lat), 2), "max_ms": round(max(lat), 2), "status": status}


async def _answer_loops(url: str, clients: int, stop, started) -> dict:
    lat: list[float] = []
    status: dict = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        async def loop(c: int) -> None:
            i = c
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    r = await client.get("/answer", params={"q": ANSWERS[i % len(ANSWERS)]})
                    status[r.status_code] = status.get(r.status_code, 0) + 1
                    if r.status_code == 503:  # refused after queue_timeout: honour Retry-After, as a client should
                        await asyncio.sleep(min(float(r.headers.get("retry-after", "1")), 1.0))
                        continue
                except httpx.HTTPError as e:
                    status[type(e).__name__] = status.get(type(e).__name__, 0) + 1
                    continue
                lat.append((time.perf_counter() - t) * 1000)
                i += clients

        started.set()
        await asyncio.gather(*(loop(c) for c in range(clients)))
    return {"lat": lat, "status": status}


def _answer_process(url: str, clients: int, stop, started, out) -> None:
    out.put(asyncio.run(_answer_loops(url, clients, stop, started)))


def run(build: Path, searches: int = 300, answers: int = 8, rounds: int = 3, log: Path | None = None) -> dict:
    """``rounds`` times: ``searches / rounds`` BM25 searches alone, then as many under the answer load
    (alternating, so a machine whose other load drifts affects both sides alike)."""
    log = log or REPO / "build" / "bench" / f"mixed_load-{build.name}.log"
    alone_lat, alone_status, loaded_lat, loaded_status = [], {}, [], {}
    ans_lat, ans_status = [], {}
    per = max(1, searches // rounds)
    with serve(build, log) as (url, _proc):
        health = httpx.get(url + "/health", timeout=30).json()
        ctx = mp.get_context("spawn")
        for _ in range(rounds):
            measure(url, per, alone_lat, alone_status)
            stop, started, out = ctx.Event(), ctx.Event(), ctx.Queue()
            p = ctx.Process(target=_answer_process, args=(url, answers, stop, started, out), daemon=True)
            p.start()
            started.wait(60)
            time.sleep(2.0)  # let the answer load settle
            measure(url, per, loaded_lat, loaded_status, warmup=0)
            stop.set()
            got = out.get(timeout=300)
            p.join(timeout=60)
            ans_lat += got["lat"]
            for k, v in got["status"].items():
                ans_status[k] = ans_status.get(k, 0) + v
    alone, loaded = summary(alone_lat, alone_status), summary(loaded_lat, loaded_status)
    ratio = loaded["p99_ms"] / alone["p99_ms"] if alone["p99_ms"] else float("nan")
    load = {"answers": len(ans_lat), "status": ans_status,
            "p50_ms": round(percentile(ans_lat, 50), 1) if ans_lat else None,
            "p99_ms": round(percentile(ans_lat, 99), 1) if ans_lat else None}
    return {"build": str(build), "encoder": health.get("encoder"), "documents": health.get("documents"),
            "chunks": health.get("chunks"), "answer_clients": answers, "rounds": rounds, "alone": alone,
            "loaded": loaded, "answer_load": load,
            "p99_ratio": round(ratio, 2), "p50_ratio": round(loaded["p50_ms"] / alone["p50_ms"], 2),
            "target": f"loaded p99 <= {TARGET:g}x unloaded p99", "ok": bool(ratio <= TARGET)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="a build folder with its index")
    ap.add_argument("--searches", type=int, default=300, help="BM25 searches per measurement")
    ap.add_argument("--answers", type=int, default=8, help="concurrent /answer clients")
    ap.add_argument("--rounds", type=int, default=3, help="alternations of alone / loaded measurements")
    ap.add_argument("--log", help="the server's log file")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    res = run(Path(args.build), args.searches, args.answers, args.rounds, Path(args.log) if args.log else None)
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        a, l, ld = res["alone"], res["loaded"], res["answer_load"]
        print(f"build {res['build']} (encoder {res['encoder']}, {res['chunks']} chunks)")
        print(f"  BM25 /search alone:              p50 {a['p50_ms']:8.2f} ms   p99 {a['p99_ms']:8.2f} ms")
        print(f"  BM25 /search with {res['answer_clients']} /answer loops: p50 {l['p50_ms']:8.2f} ms   "
              f"p99 {l['p99_ms']:8.2f} ms   (status {l['status']})")
        print(f"  ratio: p50 {res['p50_ratio']:.2f}x, p99 {res['p99_ratio']:.2f}x "
              f"({res['target']}: {'met' if res['ok'] else 'MISSED'})")
        print(f"  /answer meanwhile: {ld['answers']} answered, p50 {ld['p50_ms']} ms, p99 {ld['p99_ms']} ms, "
              f"status {ld['status']}")
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
