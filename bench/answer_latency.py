"""/answer against hybrid /search, in-process, on the same questions: the answering stage must cost
little beyond one search (one query encoding, one retrieval, the decision).

The query cache is off (``query_cache=0``), so each call encodes its query; the two calls alternate per
question, so both see the same machine load. Prints p50 / p95 of each and their ratio. With ``--warm``
the query cache is on and filled first, so both calls skip the encoder: the figures are then the work
beyond the (shared, one-per-request) query encoding, which on a loaded machine dominates both.

    python -m bench.answer_latency --build build/shared --queries ../shared/data/eval/dev/guangdong-items.jsonl [--warm]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def measure(build: Path, questions: list[str], passes: int = 2, warm: bool = False) -> dict:
    from answer.item import answer
    from core.settings import Settings
    from index import open_index

    idx = open_index(build, Settings() if warm else Settings(query_cache=0))
    answer(idx, questions[0])  # load the lexicon and the models once, outside the timing
    if warm:
        for q in questions:
            idx.search(q, k=10, mode="hybrid")
    search_ms, answer_ms = [], []
    for _ in range(passes):
        for q in questions:
            t = time.perf_counter()
            idx.search(q, k=10, mode="hybrid")
            search_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            answer(idx, q)
            answer_ms.append((time.perf_counter() - t) * 1000)

    def pct(xs, p):
        return round(sorted(xs)[int(p * (len(xs) - 1))], 2)

    out = {"n": len(questions), "passes": passes, "warm": warm,
           "search_ms": {"p50": round(statistics.median(search_ms), 2), "p95": pct(search_ms, 0.95)},
           "answer_ms": {"p50": round(statistics.median(answer_ms), 2), "p95": pct(answer_ms, 0.95)}}
    out["ratio_p50"] = round(out["answer_ms"]["p50"] / out["search_ms"]["p50"], 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.answer_latency", description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, required=True)
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--warm", action="store_true", help="query cache on and filled first (no encoding timed)")
    args = ap.parse_args(argv)
    qs = [json.loads(line)["query"] for f in args.queries for line in f.read_text(encoding="utf-8").splitlines()
          if line.strip()]
    print(json.dumps(measure(args.build, qs, args.passes, args.warm), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
