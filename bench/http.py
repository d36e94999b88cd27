"""A real server as a subprocess, sequential HTTP latency (one endpoint, or several interleaved), the
service's own counters (``/admin/status``), and a bounded asyncio load generator."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _govsearch_cmd() -> list[str]:
    script = Path(sys.executable).with_name("govsearch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "govsearch.cli"]


def _die_with_parent() -> None:
    """In the server's process before exec (Linux): SIGTERM it when the bench dies, even by SIGKILL (a
    timed-out run must not leave servers behind)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float, ready_lines: int = 1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        started = log.read_text(errors="replace").count("Application startup complete") if log.exists() else 0
        if started >= ready_lines:
            try:
                r = httpx.get(url + "/health", timeout=5)
                if r.status_code == 200:
                    return
                raise RuntimeError(f"/health answered {r.status_code}: {r.text[:500]}")
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout:.0f} s: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def serve(build: Path, log: Path, workers: int = 1, timeout: float = 600, env: dict | None = None):
    """Run the service on 127.0.0.1 over ``build``; yields (base url, process).

    One worker: ``govsearch serve`` (what users run). More: ``uvicorn --factory --workers N``
    with ``GOVSEARCH_BUILD`` (``create_app()`` reads its settings from the environment). ``env`` adds
    settings (``GOVSEARCH_QUERY_CACHE``, ``GOVSEARCH_API_KEY`` …).
    """
    port = free_port()
    env = dict(os.environ, GOVSEARCH_BUILD=str(Path(build).resolve()), PYTHONUNBUFFERED="1", **(env or {}))
    if workers == 1:
        cmd = _govsearch_cmd() + ["serve", "--build", str(Path(build).resolve()), "--host", "127.0.0.1",
                                  "--port", str(port)]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "info", "--no-access-log"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as logf:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=logf, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url, proc, log, timeout, ready_lines=workers)
            yield url, proc
        finally:
            _stop(proc)


def sequential(url: str, queries: list[str], mode: str, k: int = 10, warmup: int = 5) -> dict:
    """One request at a time: client-side wall time (ms) and the server's ``took_ms``."""
    wall, took, errors = [], [], 0
    with httpx.Client(base_url=url, timeout=60) as client:
        for q in queries[:warmup]:
            client.get("/search", params={"q": q, "k": k, "mode": mode})
        for q in queries:
            t = time.perf_counter()
            r = client.get("/search", params={"q": q, "k": k, "mode": mode})
            wall.append((time.perf_counter() - t) * 1000)
            if r.status_code == 200:
                took.append(r.json().get("took_ms", 0.0))
            else:
                errors += 1
    return {"wall": wall, "took": took, "errors": errors}


def interleaved(targets: dict[str, tuple[str, str, dict]], queries: list[str], warmup: int = 3) -> dict:
    """One request at a time: each query is sent to every named target ``(base url, path, params)`` in
    turn (``q`` joins the params), the order rotating from one query to the next, so every target sees the
    same moments of a noisy machine. Per name: client-side wall times (ms) and non-200 answers."""
    names = list(targets)
    clients = {n: httpx.Client(base_url=b, timeout=120) for n, (b, _, _) in targets.items()}
    wall: dict[str, list[float]] = {n: [] for n in names}
    errors = {n: 0 for n in names}
    try:
        for q in queries[:warmup]:
            for n in names:
                clients[n].get(targets[n][1], params={"q": q, **targets[n][2]})
        for i, q in enumerate(queries):
            for j in range(len(names)):
                n = names[(i + j) % len(names)]
                t = time.perf_counter()
                r = clients[n].get(targets[n][1], params={"q": q, **targets[n][2]})
                wall[n].append((time.perf_counter() - t) * 1000)
                errors[n] += r.status_code != 200
    finally:
        for c in clients.values():
            c.close()
    return {n: {"wall": wall[n], "errors": errors[n]} for n in names}


def admin_status(url: str, key: str) -> dict:
    """``GET /admin/status`` (the limits and the prepared-query cache's counters)."""
    r = httpx.get(url + "/admin/status", headers={"X-API-Key": key}, timeout=30)
    r.raise_for_status()
    return r.json()


async def _load(url: str, queries: list[str], mode: str, requests: int, concurrency: int, timeout: float) -> dict:
    sem = asyncio.Semaphore(concurrency)
    lat: list[float] = []
    status: dict[int, int] = {}
    lost: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        async def one(i: int) -> None:
            q = queries[i % len(queries)]
            async with sem:
                t = time.perf_counter()
                try:
                    r = await client.get("/search", params={"q": q, "k": 10, "mode": mode})
                except httpx.HTTPError as e:
                    lost.append(type(e).__name__)
                    return
                lat.append((time.perf_counter() - t) * 1000)
                status[r.status_code] = status.get(r.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        secs = time.perf_counter() - t0
    return {"lat": lat, "status": status, "lost": len(lost), "lost_kinds": sorted(set(lost)), "seconds": secs}


def load(url: str, queries: list[str], mode: str, requests: int = 2000, concurrency: int = 16,
         timeout: float = 60) -> dict:
    """Fire ``requests`` searches with at most ``concurrency`` in flight; count every outcome."""
    r = asyncio.run(_load(url, queries, mode, requests, concurrency, timeout))
    ok = r["status"].get(200, 0)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(r["seconds"], 3),
        "rps": round(requests / r["seconds"], 1) if r["seconds"] > 0 else None,
        "ok": ok,
        "status_5xx": sum(n for s, n in r["status"].items() if s >= 500),
        "other_non200": sum(n for s, n in r["status"].items() if s != 200 and s < 500),
        "lost": requests - sum(r["status"].values()),  # transport errors, timeouts, or never sent
        "lost_kinds": r["lost_kinds"],
        "lat": r["lat"],
    }
