"""Admin endpoints on a real uvicorn (loopback, free port): the API key, atomic reload to a changed
build, reloads of broken builds that leave the old index serving, concurrent reloads, and a swap
under concurrent /search + /answer load. Builds are the tiny invented ones of tests/data/build_api."""
from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import httpx
import pytest

from core.records import Document
from core.settings import Settings
from index import store

KEY = "reload-test-key-7f3a"
AUTH = {"X-API-Key": KEY}
NEW_ID = "item-drone-flight-filing"
NEW_QUERY = "无人机飞行备案"


# -- builds (invented content, written with the real ingest renderer/chunker and indexed for real)


def new_document() -> Document:
    from ingest.structure import render_service_item

    fields = {"summary": "在示例市空域内进行轻小型无人机飞行活动前，应当办理无人机飞行备案登记。",
              "materials": [{"name": "无人机飞行备案申请表", "copies": "1", "original_or_copy": "原件",
                             "required": True, "condition": None},
                            {"name": "无人机实名登记证明", "copies": "1", "original_or_copy": "复印件",
                             "required": True, "condition": None}],
              "time_limit_legal": "10个工作日", "time_limit_promised": "3个工作日", "fee": "不收费",
              "location": "示例市政务服务中心三楼综合窗口", "phone": "0000-12345699"}
    title = "无人机飞行备案登记"
    return Document(doc_id=NEW_ID, source="demo", kind="service_item", title=title,
                    text=render_service_item(title, fields), url=f"https://example.invalid/{NEW_ID}",
                    department="示例市交通运输局", region="示例市", fields=fields)


@pytest.fixture(scope="module")
def write_build(build_api_dir):
    """``write_build(dest, extra, version)``: tests/data/build_api (+ the new document) in ``dest`` with a
    report.json sealing it as corpus version ``version`` (as ingest writes it), then indexed (BM25 only)."""
    from index import build_index

    def write(dest: Path, extra: bool, version: int) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("docs.jsonl", "chunks.jsonl"):
            shutil.copy(build_api_dir / name, dest / name)
        if extra:
            add_document(dest, version)
        else:
            store.seal(dest, number=version)
        build_index(dest, encoder="none", cache_dir=dest / "cache")
        return dest

    return write


def add_document(build: Path, version: int) -> None:
    """Append the new document to the build and seal it as corpus ``version`` (what an ingest does)."""
    from ingest.chunk import chunk

    doc = new_document()
    with open(build / "docs.jsonl", "a", encoding="utf-8") as f:
        f.write(doc.model_dump_json() + "\n")
    with open(build / "chunks.jsonl", "a", encoding="utf-8") as f:
        for c in chunk(doc):
            f.write(c.model_dump_json() + "\n")
    store.seal(build, number=version)


def lines(path: Path) -> int:
    return len(path.read_text("utf-8").splitlines())


@pytest.fixture(scope="module")
def builds(tmp_path_factory, write_build):
    """``root/a`` (the test build, corpus version 1) and ``root/b`` beside it (one more document, version 2)."""
    root = tmp_path_factory.mktemp("reload_builds")
    return root, write_build(root / "a", extra=False, version=1), write_build(root / "b", extra=True, version=2)


@pytest.fixture
def server(builds, live_server):
    """A fresh server on build a, with an API key: every test starts from reload count 0."""
    _, a, _ = builds
    with live_server(Settings(build=str(a), api_key=KEY)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client


@pytest.fixture(scope="module")
def server_a(builds, live_server):
    """One server on build a for the tests whose reloads are all refused (its index never changes)."""
    _, a, _ = builds
    with live_server(Settings(build=str(a), api_key=KEY)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client


def detail(r) -> str:
    d = r.json()["detail"]
    return d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)


def status(client) -> dict:
    r = client.get("/admin/status", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


# -- the key


@pytest.mark.parametrize("api_key", [None, "", "   "])
def test_admin_disabled_without_a_configured_key(builds, api_key, live_server):
    _, a, _ = builds
    with live_server(Settings(build=str(a), api_key=api_key)) as base:
        for headers in ({}, AUTH, {"Authorization": f"Bearer {KEY}"}, {"X-API-Key": ""}):
            r = httpx.post(base + "/admin/reload", headers=headers, timeout=30)
            assert r.status_code == 403, (headers, r.text)
            assert "GOVSEARCH_API_KEY" in detail(r)
            r = httpx.get(base + "/admin/status", headers=headers, timeout=30)
            assert r.status_code == 403 and "GOVSEARCH_API_KEY" in detail(r)
        assert httpx.get(base + "/search", params={"q": "营业执照"}, timeout=30).status_code == 200


def test_api_key_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("GOVSEARCH_API_KEY", "from-env")
    assert Settings().api_key == "from-env"


@pytest.mark.parametrize("headers", [
    {},
    {"X-API-Key": "wrong"},
    {"X-API-Key": KEY + "x"},
    {"X-API-Key": KEY[:-1]},
    {"X-API-Key": KEY.upper()},
    {"Authorization": "Bearer wrong"},
    {"Authorization": f"Basic {KEY}"},  # only the Bearer scheme carries the key
    {"Authorization": KEY},
    {"X-Api-Token": KEY},
], ids=lambda h: "+".join(f"{k}:{v[:12]}" for k, v in h.items()) or "none")
def test_missing_or_wrong_key_is_401_and_changes_nothing(server_a, headers):
    server = server_a
    before = status(server)
    for method, path in (("POST", "/admin/reload"), ("GET", "/admin/status"), ("POST", "/admin/reload?build=b")):
        r = server.request(method, path, headers=headers)
        assert r.status_code == 401, (method, path, r.text)
        assert "X-API-Key" in detail(r) and r.headers.get("www-authenticate") == "Bearer"
    after = status(server)
    assert after["reload_count"] == before["reload_count"] == 0 and after["index"] == "a"
    assert after["loaded_at"] == before["loaded_at"] and after["last_reload"] == before["last_reload"]


def test_right_key_by_header_or_bearer(server):
    assert server.get("/admin/status", headers=AUTH).status_code == 200
    assert server.get("/admin/status", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert server.get("/admin/status", headers={"Authorization": f"bearer {KEY}"}).status_code == 200
    r = server.post("/admin/reload", headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and r.json()["reload_count"] == 1


# -- status and health


def test_status_and_health_describe_the_index(server, builds):
    root, a, _ = builds
    s = status(server)
    assert s["status"] == "ok" and s["index"] == "a" and Path(s["build"]).resolve() == a.resolve()
    assert s["allowed_root"] == str(root.resolve()) and s["configured_build"] == str(a)
    manifest = json.loads((a / "index" / "manifest.json").read_text("utf-8"))
    assert s["corpus_hash"] == manifest["corpus_hash"] and s["corpus_version"] == 1
    assert s["documents"] == lines(a / "docs.jsonl") and s["chunks"] == lines(a / "chunks.jsonl")
    assert s["reload_count"] == 0 and s["reload_failures"] == 0 and s["reloading"] is False
    assert s["last_reload"] is None and s["last_reload_error"] is None
    h = server.get("/health").json()
    assert h["loaded_at"] == s["loaded_at"] and h["corpus_version"] == 1 and h["corpus_hash"] == s["corpus_hash"]
    assert time.time() - _epoch(h["loaded_at"]) < 120


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


# -- reloads that succeed


def test_reload_to_a_changed_build_and_back(server, builds):
    root, a, b = builds
    assert server.get(f"/docs/{NEW_ID}").status_code == 404
    h0 = server.get("/health").json()
    r = server.post("/admin/reload", params={"build": "b"}, headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "reloaded" and body["index"] == "b" and body["reload_count"] == 1
    assert body["documents"] == h0["documents"] + 1 and body["corpus_version"] == 2
    assert body["previous"]["index"] == "a" and body["previous"]["loaded_at"] == h0["loaded_at"]
    assert body["took_ms"] > 0
    doc = server.get(f"/docs/{NEW_ID}")
    assert doc.status_code == 200 and doc.json()["document"]["title"] == "无人机飞行备案登记"
    h1 = server.get("/health").json()
    assert h1["index"] == "b" and h1["documents"] == lines(b / "docs.jsonl") == h0["documents"] + 1
    assert h1["chunks"] == lines(b / "chunks.jsonl") > h0["chunks"]
    assert h1["corpus_version"] == 2 and h1["corpus_hash"] != h0["corpus_hash"]
    assert _epoch(h1["loaded_at"]) > _epoch(h0["loaded_at"]) and h1["build"] == "b"  # the folder name: no absolute path in a public answer
    hits = server.get("/search", params={"q": NEW_QUERY}).json()["hits"]
    assert hits[0]["doc_id"] == NEW_ID
    ans = server.get("/answer", params={"q": "无人机飞行备案需要什么材料"}).json()
    assert ans["item"]["doc_id"] == NEW_ID
    assert [m["name"] for m in ans["materials"]] == ["无人机飞行备案申请表", "无人机实名登记证明"]

    # back to the configured build by absolute path, then a plain reload of the build being served
    r = server.post("/admin/reload", params={"build": str(a)}, headers=AUTH)
    assert r.status_code == 200 and r.json()["index"] == "a" and r.json()["previous"]["index"] == "b"
    assert server.get(f"/docs/{NEW_ID}").status_code == 404
    assert server.get("/health").json()["documents"] == h0["documents"]
    loaded = server.get("/health").json()["loaded_at"]
    r = server.post("/admin/reload", headers=AUTH)
    assert r.status_code == 200 and r.json()["index"] == "a" and r.json()["loaded_at"] > loaded
    s = status(server)
    assert s["reload_count"] == 3 and s["reload_failures"] == 0
    assert s["last_reload"]["ok"] is True and s["last_reload"]["build"] == str(a.resolve())


def test_reload_in_place_after_reindex(builds, live_server, write_build):
    """The everyday case: ``govsearch index`` rebuilt the served build; a reload picks it up. Between a new
    ingest and the re-index, the build's index is still the previous one, complete: a reload serves it as
    it was (never the new documents with the old index)."""
    from index import build_index

    root, a, _ = builds
    c = write_build(root / "c", extra=False, version=1)
    with live_server(Settings(build=str(c), api_key=KEY)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        n0 = client.get("/health").json()["documents"]
        add_document(c, 2)  # a new ingest: the build changed, its index is the previous one
        r = client.post("/admin/reload", headers=AUTH)
        assert r.status_code == 200 and r.json()["documents"] == n0 and r.json()["corpus_version"] == 1, r.text
        assert client.get(f"/docs/{NEW_ID}").status_code == 404
        assert client.get("/search", params={"q": "营业执照"}).status_code == 200
        build_index(c, encoder="none", cache_dir=c / "cache")
        r = client.post("/admin/reload", headers=AUTH)
        assert r.status_code == 200, r.text
        assert r.json()["documents"] == n0 + 1 and client.get(f"/docs/{NEW_ID}").status_code == 200
        s = status(client)
        assert s["reload_count"] == 2 and s["reload_failures"] == 0 and s["last_reload_error"] is None


def test_reload_brings_up_a_server_that_started_without_an_index(builds, live_server, make_test_build):

    root, _, _ = builds
    late = root / "late"
    with live_server(Settings(build=str(late), api_key=KEY)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        h = client.get("/health")
        assert h.status_code == 503 and "POST /admin/reload" in h.json()["detail"]
        assert client.get("/search", params={"q": "营业执照"}).status_code == 503
        r = client.post("/admin/reload", headers=AUTH)
        assert r.status_code == 422 and "no index is served" in detail(r) and "govsearch ingest" in detail(r)
        assert status(client)["status"] == "unavailable"
        make_test_build(late)
        r = client.post("/admin/reload", headers=AUTH)
        assert r.status_code == 200 and r.json()["previous"] is None
        assert client.get("/health").status_code == 200
        assert client.get("/search", params={"q": "营业执照"}).json()["hits"]


# -- reloads that must be refused, leaving the old index serving


@pytest.mark.parametrize("build", [
    "/etc", "/tmp", "..", ".", "../..", "a/index", "a/../../x", "", "   ", ".hidden", "a\x00b",
])
def test_reload_refuses_folders_outside_the_allowed_root(server_a, builds, build):
    root, a, _ = builds
    server = server_a
    before = server.get("/health").json()
    r = server.post("/admin/reload", params={"build": build}, headers=AUTH)
    assert r.status_code == 422, (build, r.text)
    assert "not allowed" in detail(r) and str(root.resolve()) in detail(r)
    assert server.get("/health").json() == before


def test_reload_refuses_a_sibling_symlink_leading_elsewhere(server_a, builds, tmp_path):
    root, a, _ = builds
    server = server_a
    outside = tmp_path / "outside"
    shutil.copytree(a, outside)
    link = root / "link-out"
    link.symlink_to(outside, target_is_directory=True)
    try:
        r = server.post("/admin/reload", params={"build": "link-out"}, headers=AUTH)
        assert r.status_code == 422 and "not allowed" in detail(r)
    finally:
        link.unlink()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _fifo(path: Path) -> None:
    """Replace a file by a named pipe: reading it would block for ever."""
    import os

    path.unlink()
    os.mkfifo(path)


CORRUPTIONS = {
    # name: (how to break a copy of build a, a word the error must contain)
    "bm25 arrays truncated": (lambda d: [_truncate(p) for p in (d / "index" / "bm25").glob("*.npy")], "BM25"),
    "bm25 vocabulary truncated": (lambda d: _truncate(d / "index" / "bm25" / "vocab.index.json"), "BM25"),
    "bm25 file deleted": (lambda d: (d / "index" / "bm25" / "data.csc.index.npy").unlink(), "lacks"),
    "chunk ids deleted": (lambda d: (d / "index" / "chunk_ids.json").unlink(), "chunk_ids.json"),
    "chunk ids garbage": (lambda d: (d / "index" / "chunk_ids.json").write_text("[\"x\", ", "utf-8"), "chunk_ids"),
    "dictionary edited": (lambda d: (d / "index" / "dictionary.txt").write_text("乱码\n", "utf-8"), "dictionary"),
    "manifest garbage": (lambda d: (d / "index" / "manifest.json").write_bytes(b"\x00\xffnot json{"), "JSON"),
    "manifest empty object": (lambda d: (d / "index" / "manifest.json").write_text("{}", "utf-8"), "lacks"),
    "manifest deleted (half-written)": (lambda d: (d / "index" / "manifest.json").unlink(), "incomplete"),
    "index folder missing": (lambda d: shutil.rmtree(d / "index"), "govsearch index"),
    # the index serves its own copy of the documents and chunks it was built from
    "index's docs truncated": (lambda d: _truncate(d / "index" / "docs.jsonl"), "not the ones it was indexed from"),
    "index's chunks edited": (lambda d: (d / "index" / "chunks.jsonl").write_text(
        (d / "index" / "chunks.jsonl").read_text("utf-8").replace("营业执照", "营业证照"), "utf-8"), "corpus hash"),
    "index's docs a FIFO": (lambda d: _fifo(d / "index" / "docs.jsonl"), "not a regular file"),
    "build folder missing": (lambda d: shutil.rmtree(d), "ingest"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_reload_of_a_broken_build_keeps_the_old_index(server_a, builds, name):
    root, a, _ = builds
    breaker, needle = CORRUPTIONS[name]
    bad = root / ("bad-" + name.replace(" ", "-").replace("(", "").replace(")", ""))
    shutil.copytree(a, bad)
    breaker(bad)
    search = {"q": "营业执照 食品经营", "k": 5}
    before_hits = server_a.get("/search", params=search).json()["hits"]
    before_health = server_a.get("/health").json()
    before = status(server_a)

    r = server_a.post("/admin/reload", params={"build": bad.name}, headers=AUTH)
    assert r.status_code == 422, r.text
    d = detail(r)
    assert f"still serving index a from {a.name}" in d and needle in d, d

    assert server_a.get("/search", params=search).json()["hits"] == before_hits
    assert server_a.get("/health").json() == before_health
    assert server_a.get("/answer", params={"q": "开餐馆需要什么材料"}).json()["item"]["doc_id"] == "bundle-open-restaurant"
    after = status(server_a)
    assert after["reload_count"] == before["reload_count"] == 0
    assert after["reload_failures"] == before["reload_failures"] + 1
    assert after["last_reload"]["ok"] is False and after["last_reload"]["build"] == str(bad.resolve())
    assert needle in after["last_reload_error"] and after["loaded_at"] == before["loaded_at"]


def test_request_limits_hold_for_admin_endpoints(server_a):
    for headers in (AUTH, {}):
        assert server_a.post("/admin/reload", params={"build": "b" * 5000}, headers=headers).status_code == 414
        assert server_a.get("/admin/status", params={"x": "y" * 5000}, headers=headers).status_code == 414
        assert server_a.get("/admin/" + "s" * 3000, headers=headers).status_code == 414
        r = server_a.post("/admin/reload", content=b"x" * 100_000, headers=headers)
        assert r.status_code == 413 and "too large" in detail(r)
    assert status(server_a)["index"] == "a"


def test_openapi_documents_the_admin_endpoints(server_a):
    schema = server_a.get("/openapi.json").json()
    post = schema["paths"]["/admin/reload"]["post"]
    assert {"200", "401", "403", "409", "422"} <= set(post["responses"])
    assert {"200", "401", "403"} <= set(schema["paths"]["/admin/status"]["get"]["responses"])
    assert {"APIKey", "Bearer"} <= set(schema["components"]["securitySchemes"])


# -- concurrency


def test_concurrent_reloads_are_refused_with_409(server, builds):
    """Four reloads at once: one loads, the others, arriving while it loads, get 409. (This also
    shows the event loop keeps answering while an index loads: were the load run on the loop,
    the requests would be handled one after the other and all four would succeed.)"""
    async def go():
        async with httpx.AsyncClient(base_url=str(server.base_url), timeout=30, headers=AUTH) as ac:
            return await asyncio.gather(*(ac.post("/admin/reload", params={"build": name})
                                          for name in ("b", "a", "b", "a")))

    responses = asyncio.run(go())
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409} and codes.count(200) >= 1 and codes.count(409) >= 1, codes
    assert all("already running" in detail(r) for r in responses if r.status_code == 409)
    s = status(server)
    assert s["reload_count"] == codes.count(200) and s["reload_failures"] == 0 and s["reloading"] is False
    served = server.get("/health").json()["index"]
    assert served in ("a", "b") and (server.get(f"/docs/{NEW_ID}").status_code == 200) == (served == "b")


SEARCHES = ["营业执照", NEW_QUERY, "食品经营许可", "开餐馆", "护照 办理", "无人机 材料", "数字化转型 政策"]
ANSWERS = ["开餐馆需要什么材料", "无人机飞行备案需要什么材料", "办护照要带什么"]


def _requests():
    out = []
    for i in range(480):
        if i % 3 == 2:
            out.append(("/answer", {"q": ANSWERS[(i // 3) % len(ANSWERS)]}))
        else:
            out.append(("/search", {"q": SEARCHES[i % len(SEARCHES)], "k": 5}))
    return out


def _key(path, params) -> str:
    return path + "?" + json.dumps(params, ensure_ascii=False, sort_keys=True)


def _comparable(path, body: dict) -> str:
    body = dict(body)
    if path == "/search":
        assert isinstance(body.pop("took_ms"), float)
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def test_swap_under_load(server):
    """480 mixed /search and /answer requests at concurrency 8 while the index is swapped a→b→a→b:
    no 5xx, no failed or lost request, and each response is exactly what index a or index b
    answers for that request (scores included: BM25 idf differs between the two), never a mix."""
    reqs = _requests()
    distinct = {_key(p, q): (p, q) for p, q in reqs}

    def reference(build: str) -> dict[str, str]:
        r = server.post("/admin/reload", params={"build": build}, headers=AUTH)
        assert r.status_code == 200, r.text
        return {k: _comparable(p, server.get(p, params=q).raise_for_status().json()) for k, (p, q) in distinct.items()}

    ref_b, ref_a = reference("b"), reference("a")
    # every search tells the two indexes apart (scores differ); an answer may be the same from both
    assert all(ref_a[k] != ref_b[k] for k, (p, _) in distinct.items() if p == "/search")
    assert any(ref_a[k] != ref_b[k] for k, (p, _) in distinct.items() if p == "/answer")
    count0 = status(server)["reload_count"]

    async def run():
        results: list = [None] * len(reqs)
        sent_at: list[float] = [0.0] * len(reqs)
        done_at: list[float] = [0.0] * len(reqs)
        windows: list[tuple[float, float, int]] = []
        queue: asyncio.Queue = asyncio.Queue()
        for i in range(len(reqs)):
            queue.put_nowait(i)
        completed = 0
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=str(server.base_url), timeout=30, limits=limits) as ac:
            async def worker():
                nonlocal completed
                while True:
                    try:
                        i = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    path, params = reqs[i]
                    sent_at[i] = time.perf_counter()
                    try:
                        results[i] = await ac.get(path, params=params)
                    except httpx.HTTPError as e:  # counted as failed below
                        results[i] = e
                    done_at[i] = time.perf_counter()
                    completed += 1

            async def reloader():
                for at, build in ((80, "b"), (200, "a"), (320, "b")):
                    while completed < at:
                        await asyncio.sleep(0.002)
                    t0 = time.perf_counter()
                    r = await ac.post("/admin/reload", params={"build": build}, headers=AUTH)
                    windows.append((t0, time.perf_counter(), r.status_code))

            t0 = time.perf_counter()
            await asyncio.gather(reloader(), *(worker() for _ in range(8)))
            return results, sent_at, done_at, windows, time.perf_counter() - t0

    results, sent_at, done_at, windows, elapsed = asyncio.run(run())
    failed = [(i, r) for i, r in enumerate(results) if not isinstance(r, httpx.Response)]
    assert not failed, failed[:3]
    codes = [r.status_code for r in results]
    assert codes.count(200) == len(reqs), {c: codes.count(c) for c in set(codes)}
    assert [w[2] for w in windows] == [200, 200, 200]
    served = {"a": 0, "b": 0, "either": 0}
    for (path, params), r in zip(reqs, results):
        k, got = _key(path, params), _comparable(path, r.json())
        if got == ref_a[k] == ref_b[k]:
            served["either"] += 1
        elif got == ref_a[k]:
            served["a"] += 1
        elif got == ref_b[k]:
            served["b"] += 1
        else:
            pytest.fail(f"{k} answered by neither index: {got[:300]}")
    assert served["a"] > 0 and served["b"] > 0, served
    # requests sent after a reload began and answered before it finished (reported, not asserted:
    # ~90 of a reload's ~100 ms go to rjieba building its dictionary, a native call that holds the
    # GIL; that the event loop keeps serving during a load is asserted by the 409 test above)
    during = [sum(1 for s0, s1 in zip(sent_at, done_at) if w0 < s0 and s1 < w1) for w0, w1, _ in windows]
    lat = sorted((s1 - s0) * 1000 for s0, s1 in zip(sent_at, done_at))
    s = status(server)
    assert s["reload_count"] == count0 + 3 and s["index"] == "b" and s["reload_failures"] == 0
    assert elapsed < 30
    print(f"\n{len(reqs)} requests in {elapsed:.2f} s at concurrency 8, served {served}, latency p50 "
          f"{lat[len(lat) // 2]:.0f} ms, max {lat[-1]:.0f} ms; sent and answered during the reloads {during}; "
          f"reloads took {[round((w1 - w0) * 1000) for w0, w1, _ in windows]} ms")
