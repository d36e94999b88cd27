"""Timing helpers: percentiles, repeated timing, query lists, folder sizes."""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

MAX_QUERY_CHARS = 200


def log(msg: str) -> None:
    """A progress line on stderr (stdout carries the table)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentiles(values_ms: list[float]) -> dict:
    """p50/p95/p99/mean (ms) of a list of latencies (nearest-rank on the sorted list)."""
    if not values_ms:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None}
    v = sorted(values_ms)
    n = len(v)

    def pick(p: float) -> float:
        return round(v[min(n - 1, max(0, int(round(p / 100 * n + 0.5)) - 1))], 3)

    return {"n": n, "p50": pick(50), "p95": pick(95), "p99": pick(99), "mean": round(statistics.fmean(v), 3)}


def median_of(runs: list[dict]) -> dict:
    """Per key, the median over repeated ``percentiles`` results (the machine is noisy)."""
    if len(runs) == 1:
        return dict(runs[0], repeats=1)
    out = {"n": runs[0]["n"], "repeats": len(runs)}
    for k in ("p50", "p95", "p99", "mean"):
        vals = [r[k] for r in runs if r[k] is not None]
        out[k] = round(statistics.median(vals), 3) if vals else None
    return out


def time_calls(fn: Callable[[str], object], items: Iterable[str], warmup: int = 5) -> list[float]:
    """Wall time (ms) of ``fn(item)`` for each item, after ``warmup`` untimed calls."""
    items = list(items)
    for it in items[:warmup]:
        fn(it)
    out = []
    for it in items:
        t = time.perf_counter()
        fn(it)
        out.append((time.perf_counter() - t) * 1000)
    return out


def ratio(a: float | None, b: float | None, nd: int = 2) -> float | None:
    """``a / b`` rounded, or None when either is missing (or ``b`` is 0)."""
    return round(a / b, nd) if a is not None and b else None


def time_floor(fn: Callable[[], object], n: int = 200, warmup: int = 5) -> float:
    """Median wall time (ms) of a no-argument call."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(ts), 4)


def load_queries(files: list[Path], n: int = 200) -> list[str]:
    """About ``n`` distinct query texts from JSONL query files (``{"query": ...}`` lines).

    Deterministic: small files are taken whole, the rest is spread evenly over the larger
    ones (every k-th query), so the list mixes every kind of question.
    """
    per_file: list[list[str]] = []
    for f in sorted(files):
        qs = []
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            try:
                q = json.loads(line).get("query")
            except (ValueError, AttributeError):
                continue
            if isinstance(q, str) and q.strip():
                qs.append(q.strip()[:MAX_QUERY_CHARS])
        if qs:
            per_file.append(qs)
    if not per_file:
        return []
    per_file.sort(key=len)
    out: list[str] = []
    for i, qs in enumerate(per_file):
        budget = max(1, (n - len(out)) // (len(per_file) - i))
        if len(qs) <= budget:
            out.extend(qs)
        else:
            step = len(qs) / budget
            out.extend(qs[int(j * step)] for j in range(budget))
    seen: set[str] = set()
    return [q for q in out if not (q in seen or seen.add(q))]


def folder_bytes(path: Path) -> int:
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def rss_mib(pid: int) -> dict:
    """VmRSS and VmHWM (peak) of a process, in MiB, from /proc/PID/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, val = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(val.split()[0]) / 1024, 1)
    return out


def tree_rss_mib(pid: int) -> float:
    """Summed VmRSS (MiB) of a process and its children (for a multi-worker server)."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            total += rss_mib(p).get("VmRSS", 0.0)
        except OSError:
            pass
    return round(total, 1)
