"""/answer in worker processes of their own (GOVSEARCH_ANSWER_PROCESSES): the same answers as in threads,
errors translated the same, and a reload that swaps the workers with the index (real uvicorn, real
processes)."""
from __future__ import annotations

import json
import os
import time

import httpx
import pytest

from core.settings import Settings
from index import build_index, store

KEY = "answer-processes-key-5b2d"
AUTH = {"X-API-Key": KEY}
QUESTIONS = ["开餐馆需要什么材料", "办护照要带什么", "食品经营许可新办需要哪些材料", "注册公司"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def builds(tmp_path_factory, make_test_build):
    """``root/a`` (the test build) and ``root/b`` beside it without the passport item."""
    root = tmp_path_factory.mktemp("answer_processes")
    a = make_test_build(root / "a")
    b = root / "b"
    b.mkdir()
    for name in (store.DOCS, store.CHUNKS):
        keep = [line for line in (a / name).read_text("utf-8").splitlines()
                if json.loads(line)["doc_id"] != "item-passport"]
        (b / name).write_text("\n".join(keep) + "\n", "utf-8")
    store.seal(b)
    build_index(b, encoder="none", cache_dir=root / "cache", progress=False)
    return root, a, b


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_answers_in_processes_equal_answers_in_threads_and_follow_a_reload(builds, live_server):
    _, a, _ = builds
    with live_server(Settings(build=str(a))) as base:
        threads = {q: httpx.get(base + "/answer", params={"q": q}, timeout=60).json() for q in QUESTIONS}
        chosen = [(q, f"{s['id']}:{s['options'][0]['id']}") for q in QUESTIONS
                  for s in (threads[q].get("situations") or [])[:1] if s.get("options")]
        with_situation = {c: httpx.get(base + "/answer", params={"q": c[0], "situation": c[1]}, timeout=60).json()
                          for c in chosen}
        bad_thread = httpx.get(base + "/answer", params={"q": "\u3000"}, timeout=60)
    with live_server(Settings(build=str(a), api_key=KEY, answer_processes=2)) as base, \
            httpx.Client(base_url=base, timeout=120) as client:
        st = client.get("/admin/status", headers=AUTH).json()
        pids = st["answer_workers"]
        assert len(pids) == 2 and os.getpid() not in pids and all(_alive(p) for p in pids)
        for q in QUESTIONS:
            assert client.get("/answer", params={"q": q}).json() == threads[q], q
        for (q, sit), want in with_situation.items():
            assert client.get("/answer", params={"q": q, "situation": sit}).json() == want, (q, sit)
        bad = client.get("/answer", params={"q": "\u3000"})
        assert bad.status_code == bad_thread.status_code == 422 and bad.json() == bad_thread.json()

        passport = client.get("/answer", params={"q": "办护照要带什么"}).json()
        assert passport["item"]["doc_id"] == "item-passport"
        r = client.post("/admin/reload", params={"build": "b"}, headers=AUTH)
        assert r.status_code == 200, r.text
        new_pids = client.get("/admin/status", headers=AUTH).json()["answer_workers"]
        assert len(new_pids) == 2 and not set(new_pids) & set(pids)
        after = client.get("/answer", params={"q": "办护照要带什么"}).json()
        assert (after["item"] or {}).get("doc_id") != "item-passport"  # the new index's workers answer
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in pids), "the old index's workers did not exit"
    assert not any(_alive(p) for p in new_pids), "the workers outlived the server"


def test_a_killed_answer_worker_is_replaced_and_the_request_still_answered(builds, live_server):
    import signal

    _, a, _ = builds
    with live_server(Settings(build=str(a), api_key=KEY, answer_processes=1)) as base, \
            httpx.Client(base_url=base, timeout=120) as client:
        want = client.get("/answer", params={"q": QUESTIONS[0]}).json()
        (pid,) = client.get("/admin/status", headers=AUTH).json()["answer_workers"]
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        r = client.get("/answer", params={"q": QUESTIONS[0]})
        assert r.status_code == 200, r.text
        assert r.json() == want
        (new_pid,) = client.get("/admin/status", headers=AUTH).json()["answer_workers"]
        assert new_pid != pid and _alive(new_pid)
        assert client.get("/search", params={"q": "营业执照"}).status_code == 200
