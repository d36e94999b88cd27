"""Issue 12's smaller defects, each on a real uvicorn serving a real index (loopback, free port): both
fusion weights 0, HEAD on GET routes, a parameter given twice, a dropped duplicate's id, absolute paths
in public answers, symlinks planted inside an allowed sibling build, and a reload that runs out of time."""
from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from core.settings import Settings
from index import store

KEY = "failure-modes-key-1c9e"
AUTH = {"X-API-Key": KEY}
ALIAS, KEPT = "item-passport-copy", "item-passport"


@pytest.fixture(scope="module")
def root(tmp_path_factory, make_test_build, tiny_st_model) -> Path:
    """``root/a``: the test build with a dense channel (the tiny ST model) and a dropped duplicate id
    (``item-passport-copy`` → ``item-passport``), sealed as ingest would seal it."""
    root = tmp_path_factory.mktemp("failure_modes")
    a = make_test_build(root / "a", encoder=f"st:{tiny_st_model}", cache_dir=root / "cache")
    lines = (a / "docs.jsonl").read_text("utf-8").splitlines()
    for i, line in enumerate(lines):
        doc = json.loads(line)
        if doc["doc_id"] == KEPT:
            doc["fields"]["duplicate_ids"] = [ALIAS]
            lines[i] = json.dumps(doc, ensure_ascii=False)
    (a / "docs.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    store.seal(a)
    from index import build_index

    build_index(a, encoder=f"st:{tiny_st_model}", cache_dir=root / "cache", progress=False)
    return root


@pytest.fixture(scope="module")
def api(root, live_server):
    with live_server(Settings(build=str(root / "a"), api_key=KEY)) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            yield client


def detail(r) -> str:
    return r.json()["detail"]


# -- fusion weights


@pytest.mark.parametrize("fusion", ["weighted", "rrf"])
def test_both_fusion_weights_zero_is_a_422_in_either_fusion(api, fusion):
    ok = api.get("/search", params={"q": "营业执照", "fusion": fusion})
    assert ok.status_code == 200 and ok.json()["mode"] == "hybrid" and ok.json()["hits"]
    r = api.get("/search", params={"q": "营业执照", "w_bm25": 0, "w_dense": 0, "fusion": fusion})
    assert r.status_code == 422, r.text
    assert "both 0" in detail(r)
    one = api.get("/search", params={"q": "营业执照", "w_bm25": 0, "w_dense": 1, "fusion": fusion})
    assert one.status_code == 200 and one.json()["hits"]


# -- HEAD like GET


HEAD_TARGETS = ["/health", "/search?q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7&k=2", f"/docs/{KEPT}", f"/items/{KEPT}",
                "/answer?q=%E5%8A%9E%E6%8A%A4%E7%85%A7", "/", "/docs", "/openapi.json", "/static/app.css",
                "/docs/no-such-document", "/search?q="]
VARYING = {"date", "content-length"}  # took_ms is in the /search body


@pytest.mark.parametrize("target", HEAD_TARGETS)
def test_head_answers_like_get_without_a_body(api, target):
    g = api.get(target)
    h = api.head(target)
    assert h.status_code == g.status_code, (target, h.status_code, g.status_code)
    assert {k: v for k, v in h.headers.items() if k not in VARYING} == \
           {k: v for k, v in g.headers.items() if k not in VARYING}
    if "search" not in target and "answer" not in target:
        assert h.headers.get("content-length") == g.headers.get("content-length")
    # on the wire: no body bytes follow the head, so a request pipelined after it is read intact
    u = urlsplit(str(api.base_url))
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(f"HEAD {target} HTTP/1.1\r\nHost: a\r\n\r\nGET /health HTTP/1.1\r\nHost: a\r\n"
                  "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % g.status_code), head[:100]
    assert rest.startswith(b"HTTP/1.1 200 "), rest[:100]


# -- a parameter given twice


@pytest.mark.parametrize("query", ["q=a&q=b", "q=x&k=1&k=2", "q=x&mode=bm25&mode=dense", "q=x&w_bm25=1&w_bm25=1"])
def test_a_repeated_parameter_is_a_422(api, query):
    r = api.get("/search?" + query)
    assert r.status_code == 422, (query, r.text)
    assert "more than once" in detail(r)
    assert api.get("/answer?q=a&q=b").status_code == 422


# -- a dropped duplicate's id


def test_docs_of_a_dropped_duplicate_id_gives_the_kept_document_with_its_chunks(api):
    kept = api.get(f"/docs/{KEPT}").json()
    r = api.get(f"/docs/{ALIAS}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["document"]["doc_id"] == KEPT and body["requested_id"] == ALIAS
    assert body["chunks"] and body["chunks"] == kept["chunks"]
    assert kept["requested_id"] is None
    text = body["document"]["text"]
    assert all(text[c["start"]:c["end"]] == c["text"] for c in body["chunks"])


# -- no absolute path in public answers


def test_health_shows_no_absolute_path(api, root, live_server, tmp_path):
    h = api.get("/health")
    assert h.status_code == 200 and h.json()["build"] == "a"
    assert str(root) not in h.text and str(root.resolve()) not in h.text
    missing = tmp_path / "builds" / "gone"
    with live_server(Settings(build=str(missing))) as base:
        for path in ("/health", "/search?q=x", "/docs/x"):
            r = httpx.get(base + path, timeout=30)
            assert r.status_code == 503, (path, r.text)
            assert str(tmp_path) not in r.text and str(tmp_path.resolve()) not in r.text, r.text
            assert "govsearch ingest" in detail(r)


# -- symlinks inside an allowed sibling build


def _sibling(root: Path, name: str) -> Path:
    dest = root / name
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(root / "a", dest, symlinks=True)
    return dest


PLANTS = {
    # name: how to make the sibling lead outside (given the sibling and a loadable copy of a outside)
    "index symlink to an index outside": lambda sib, out: (
        (sib / "index").unlink(), (sib / "index").symlink_to(store.current_version(out), target_is_directory=True)),
    "a file of the version folder": lambda sib, out: (
        (store.current_version(sib) / "docs.jsonl").unlink(),
        (store.current_version(sib) / "docs.jsonl").symlink_to(store.current_version(out) / "docs.jsonl")),
    "a folder of the version folder": lambda sib, out: (
        shutil.rmtree(store.current_version(sib) / "bm25"),
        (store.current_version(sib) / "bm25").symlink_to(store.current_version(out) / "bm25",
                                                          target_is_directory=True)),
    "the build's docs.jsonl": lambda sib, out: (
        (sib / "docs.jsonl").unlink(), (sib / "docs.jsonl").symlink_to(out / "docs.jsonl")),
}


@pytest.mark.parametrize("plant", list(PLANTS))
def test_reload_refuses_a_sibling_build_with_a_symlink_leading_outside(api, root, tmp_path, plant):
    out = tmp_path / "outside"
    shutil.copytree(root / "a", out, symlinks=True)
    sib = _sibling(root, "sib-" + plant.replace(" ", "-").replace("'", ""))
    try:
        PLANTS[plant](sib, out)
        from index import open_index

        open_index(sib)  # what is planted loads fine: only the confinement check can refuse it
        before = api.get("/health").json()
        r = api.post("/admin/reload", params={"build": sib.name}, headers=AUTH)
        assert r.status_code == 422, r.text
        assert "not allowed" in detail(r)
        assert api.get("/health").json() == before
    finally:
        shutil.rmtree(sib, ignore_errors=True)


def test_reload_of_an_untouched_sibling_copy_is_allowed(api, root):
    sib = _sibling(root, "sib-clean")
    try:
        r = api.post("/admin/reload", params={"build": sib.name}, headers=AUTH)
        assert r.status_code == 200, r.text
        r = api.post("/admin/reload", params={"build": "a"}, headers=AUTH)
        assert r.status_code == 200 and r.json()["index"] == "a"
    finally:
        shutil.rmtree(sib, ignore_errors=True)


# -- a reload that runs out of time


def test_a_reload_past_its_timeout_is_abandoned_and_a_later_one_succeeds(root, live_server):
    settings = Settings(build=str(root / "a"), api_key=KEY, reload_timeout=0.001)
    with live_server(settings) as base, httpx.Client(base_url=base, timeout=60) as client:
        before = client.get("/health").json()
        r = client.post("/admin/reload", headers=AUTH)
        assert r.status_code == 422, r.text
        assert "did not finish within 0.001 s" in detail(r) and "still serving index a" in detail(r)
        st = client.get("/admin/status", headers=AUTH).json()
        assert st["reloading"] is False and st["reload_failures"] == 1 and st["reload_count"] == 0
        assert "abandoned" in st["last_reload_error"]
        time.sleep(3)  # the abandoned load finishes in its own thread: it must not be swapped in
        assert client.get("/health").json() == before
        settings.reload_timeout = 300.0  # the same running server, a normal timeout again
        r = client.post("/admin/reload", headers=AUTH)
        assert r.status_code == 200, r.text
        assert r.json()["reload_count"] == 1 and r.json()["loaded_at"] != before["loaded_at"]
        assert client.get("/search", params={"q": "营业执照"}).json()["hits"]
