"""What the bench asks: the query list, a stream with realistic repeats, long questions.

- :func:`query_list`: about ``n`` distinct dev questions (every set mixed) — latency per mode, /answer vs
  /search; the demo queries when there is no data folder.
- :func:`repeat_stream`: a service window's stream — half the requests repeat one of the 50 most common
  questions (drawn once with a fixed seed, then Zipf-like: the r-th most common is asked ∝ 1/r), the rest
  are asked once. What the prepared-query cache is measured on.
- :func:`long_questions`: questions near the length limit, for the long /answer requests of the mixed load.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from bench import measure

REPO = Path(__file__).resolve().parent.parent
STREAM_SEED = 20261123
COMMON = 50  # the most common questions a stream repeats
REPEAT = 0.5  # share of requests that repeat one of them
WARMUP = "基准测试预热：营业执照怎么办理"  # loads the encoder before a stream; not a dev question


def common_count(questions: list[str], common: int = COMMON) -> int:
    """How many common questions :func:`repeat_stream` draws from ``questions``."""
    return max(1, min(common, len(dict.fromkeys(questions)) // 2))


def query_files(data: Path | None) -> list[Path]:
    files = sorted((data / "eval" / "dev").glob("*.jsonl")) if data else []
    return [f for f in (files or [REPO / "corpus" / "queries.jsonl"]) if f.exists()]


def query_list(data: Path | None, n: int) -> list[str]:
    """About ``n`` distinct questions spread over every dev set (see :func:`bench.measure.load_queries`)."""
    files = query_files(data)
    qs = measure.load_queries(files, n)
    if not qs:
        raise SystemExit(f"no queries found in {', '.join(map(str, files)) or data}")
    return qs


def dev_questions(data: Path | None) -> list[str]:
    """Every distinct dev question (in file order)."""
    return measure.load_queries(query_files(data), 10**9)


def repeat_stream(questions: list[str], n: int, *, common: int = COMMON, repeat: float = REPEAT,
                  seed: int = STREAM_SEED) -> list[dict]:
    """``n`` requests ``{"q", "repeat", "rank"}``: with probability ``repeat`` one of the ``common`` most
    common questions (Zipf-like, weight 1/rank), otherwise a question asked only once in the stream.

    The common questions and the order are drawn with ``seed`` (deterministic). With fewer questions than
    needed, ``common`` shrinks to half of them and the unique ones are as many as are left.
    """
    rng = np.random.default_rng(seed)
    pool = list(dict.fromkeys(questions))
    order = rng.permutation(len(pool))
    common = common_count(pool, common)
    top = [pool[i] for i in order[:common]]
    rest = iter(pool[i] for i in order[common:])
    p = 1.0 / np.arange(1, common + 1)
    p /= p.sum()
    out: list[dict] = []
    for _ in range(n):
        if rng.random() >= repeat:
            q = next(rest, None)
            if q is not None:
                out.append({"q": q, "repeat": False, "rank": None})
                continue
        r = int(rng.choice(common, p=p))
        out.append({"q": top[r], "repeat": True, "rank": r + 1})
    return out


def long_questions(questions: list[str], n: int = 8, chars: int = 190) -> list[str]:
    """``n`` distinct questions of about ``chars`` characters (under the 200-character limit): dev
    questions joined with "；" — what a citizen pasting a whole situation into the box sends."""
    pool = sorted(dict.fromkeys(questions), key=len, reverse=True)
    out: list[str] = []
    i = 0
    for _ in range(n):
        parts: list[str] = []
        while pool and len("；".join(parts)) < chars - 10 and len(parts) < len(pool):
            parts.append(pool[i % len(pool)])
            i += 1
        out.append("；".join(parts)[:chars])
    return out
