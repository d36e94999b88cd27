"""Helpers for the service tests: build the tiny test index, run a real uvicorn on loopback."""
from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

BUILD_API = Path(__file__).resolve().parent / "data" / "build_api"


def make_test_build(dest: Path, encoder: str = "none", cache_dir: Path | None = None) -> Path:
    """Copy tests/data/build_api (docs.jsonl + chunks.jsonl) to ``dest`` and index it there."""
    from index import build_index

    dest.mkdir(parents=True, exist_ok=True)
    for name in ("docs.jsonl", "chunks.jsonl"):
        shutil.copy(BUILD_API / name, dest / name)
    build_index(dest, encoder=encoder, cache_dir=cache_dir or dest / "cache")
    return dest


@contextmanager
def live_server(settings, timeout: float = 60.0):
    """A real uvicorn serving ``create_app(settings)`` on 127.0.0.1 (a free port), in a thread.
    Yields the base URL once /health answers (200 or 503)."""
    import uvicorn

    from service.app import create_app
    from service.server import uvicorn_config

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn_config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                r = httpx.get(base + "/health", timeout=5)
                if r.status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"uvicorn did not come up on {base}")
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def make_demo_build(dest: Path) -> Path:
    """Ingest the project's demo corpus (corpus/pages) into ``dest`` and index it (BM25 only)."""
    from index import build_index
    from ingest import run_ingest

    run_ingest(None, dest)
    build_index(dest, encoder="none", cache_dir=dest / "cache")
    return dest


@contextmanager
def loopback_site(handler_class):
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) serving ``handler_class`` in a thread;
    yields its base URL and shuts it down afterwards."""
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
