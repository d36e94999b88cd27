"""The Milvus backend on milvus-lite: the same hits, ranks and scores as the local backend (BM25 to
float rounding, dense within float tolerance), filters pushed down, the HTTP API through a real uvicorn,
incremental updates touching only changed documents, and an alias swap under concurrent load against a
`milvus-lite server` process. Builds: tests/data/build_small plus two invented FAQ answers long enough for
sentence windows, with the tiny offline sentence-transformers model; tests/data/build_api for the swap.

Skipped when the `milvus` extra is absent (pip install 'govsearch[milvus]'); `make` installs it."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("pymilvus", reason="the milvus extra is not installed: pip install 'govsearch[milvus]'")
pytest.importorskip("milvus_lite", reason="the milvus extra is not installed: pip install 'govsearch[milvus]'")

from core.records import Document  # noqa: E402
from core.settings import Settings  # noqa: E402
from index import build_index, open_index, store  # noqa: E402
from index.backends import milvus_client as mc  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "build_small"
QUERIES = [json.loads(line)["query"] for line in open(ROOT / "tests" / "data" / "queries_small.jsonl", encoding="utf-8")]
QUERIES += ["护照", "公积金提取", "居住证签注", "退休提取公积金", "出境定居销户", "义务教育 权利", "办理时限"]
FILTERS = [None, {"kind": "qa"}, {"region": "示例市"}, {"region": "示例市东区"}, {"source": "testqa", "kind": "qa"},
           {"kind": ["service_item", "policy"]}, {"department": "示例市公安局"}]
LONG_QA = [  # invented FAQ answers, long enough for sentence windows (index.passages.WINDOWS)
    ("QA-W01", "居住证办理有哪些要求？",
     "问：居住证办理有哪些要求？答：1、申请人应在本市居住满半年，并有合法稳定就业、合法稳定住所或连续就读条件之一。"
     "2、申请时需提交居民身份证、近期免冠照片以及居住地住址证明。3、居住证每年签注一次，逾期未签注的暂停使用。"
     "4、居住证持有人可以享受义务教育、公共就业服务和基本公共卫生服务等权利。"),
    ("QA-W02", "公积金提取需要什么条件？",
     "问：公积金提取需要什么条件？答：（1）购买、建造、翻建、大修自住住房的，可以提取住房公积金。"
     "（2）离休、退休的职工可以一次性提取本人账户余额。（3）完全丧失劳动能力并与单位终止劳动关系的可以提取。"
     "（4）出境定居的职工销户提取，需提交出境定居证明材料。"),
]
pytestmark = pytest.mark.slow


def _append(build: Path, docs: list[Document]) -> None:
    """Append documents (chunked for real) to a build and seal it, as an ingest does."""
    from ingest.chunk import chunk

    with open(build / "docs.jsonl", "a", encoding="utf-8") as fd, open(build / "chunks.jsonl", "a", encoding="utf-8") as fc:
        for d in docs:
            fd.write(d.model_dump_json() + "\n")
            for c in chunk(d):
                fc.write(c.model_dump_json() + "\n")
    store.seal(build)


def _long_qa() -> list[Document]:
    return [Document(doc_id=i, source="testqa", kind="qa", title=t, text=x, region="示例市东区",
                     department="示例市政务服务管理局", date="2024-01-02") for i, t, x in LONG_QA]


def _small_copy(dest: Path) -> Path:
    shutil.copytree(SMALL, dest, ignore=shutil.ignore_patterns("index", ".index*", "milvus.db"))
    _append(dest, _long_qa())
    return dest


@pytest.fixture(scope="module")
def builds(tmp_path_factory, tiny_st_model):
    """The same corpus indexed by both backends (one embedding cache), opened; closed afterwards."""
    root = tmp_path_factory.mktemp("milvus")
    enc = f"st:{tiny_st_model}"
    local, milvus = _small_copy(root / "local"), _small_copy(root / "milvus")
    build_index(local, encoder=enc, cache_dir=root / "cache", progress=False)
    manifest = build_index(milvus, encoder=enc, cache_dir=root / "cache", progress=False, backend="milvus")
    a, b = open_index(local), open_index(milvus)
    yield {"root": root, "enc": enc, "local": local, "milvus": milvus, "manifest": manifest, "a": a, "b": b}
    b.close()


def _rounded(obj):
    """JSON-like data with floats rounded to 5 significant digits (the backends' sums differ in the last bits)."""
    if isinstance(obj, float):
        return float(f"{obj:.5g}")
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    if hasattr(obj, "model_dump"):
        return _rounded(obj.model_dump())
    return obj


def _same_hits(ha, hb, where: str) -> None:
    assert [(h.doc_id, h.chunk_id, h.ranks) for h in ha] == [(h.doc_id, h.chunk_id, h.ranks) for h in hb], where
    for x, y in zip(ha, hb):
        assert y.score == pytest.approx(x.score, rel=1e-5, abs=1e-6), where
        for ch, s in x.scores.items():
            if s is None:
                assert y.scores[ch] is None, where
            else:  # bm25: the same sums in another order; dense: dot products in float32
                assert y.scores[ch] == pytest.approx(s, rel=1e-5, abs=1e-6), (where, ch)
        assert (y.section, y.snippet, y.citation) == (x.section, x.snippet, x.citation), where


# --- the index in Milvus ---------------------------------------------------------------------


def test_manifest_collection_and_rows(builds):
    m, b = builds["manifest"], builds["b"]
    mm = m["milvus"]
    assert m["backend"] == "milvus" and mm["update"] == "full" and mm["uri"] == "milvus.db"
    assert (builds["milvus"] / "milvus.db").is_dir()
    assert mm["dense_index"]["index_type"] == "FLAT" and mm["windows_collection"] == mm["collection"] + "_w"
    assert m["windows"]["count"] > 0  # the long FAQ answers have sentence windows
    assert set(m["lex"]) >= {"k1", "b", "avgdl", "vocab", "vocab_hash", "n_docs"}
    assert m["lex"]["n_docs"] == m["chunks"] and m["dim"] == 256
    assert mc.alias_target(b.client, mm["alias"]) == mm["collection"]
    assert mc.row_count(b.client, mm["collection"]) == m["chunks"]
    assert mc.row_count(b.client, mm["windows_collection"]) == m["windows"]["count"]
    row = mc.fetch(b.client, mm["collection"], "chunk_id", ["QA-W01#0"],
                   ["doc_id", "kind", "region", "source", "department", "date", "valid_from", "valid_until",
                    "passage", "lex"])[0]
    assert row["doc_id"] == "QA-W01" and row["kind"] == "qa" and row["region"] == "示例市东区"
    assert row["date"] == "2024-01-02" and row["valid_from"] is None and row["valid_until"] is None
    assert "居住证" in row["passage"] and all(w > 0 for w in row["lex"].values())
    assert b.stats()["backend"] == "milvus" and b.stats()["milvus"]["collection"] == mm["collection"]


def test_unchanged_build_is_reused(builds):
    m = build_index(builds["milvus"], encoder=builds["enc"], cache_dir=builds["root"] / "cache", progress=False,
                    backend="milvus", settings=Settings())
    assert m["reused"] and m["milvus"]["collection"] == builds["manifest"]["milvus"]["collection"]


# --- same results as the local backend -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_same_hits_ranks_and_scores_as_local(builds, mode):
    a, b = builds["a"], builds["b"]
    for q in QUERIES:
        for flt in FILTERS:
            ha, hb = a.search(q, k=10, mode=mode, filters=flt), b.search(q, k=10, mode=mode, filters=flt)
            _same_hits(ha, hb, f"{q} {mode} {flt}")
            for h in hb:  # filters pushed down: every hit satisfies them
                d = b.doc(h.doc_id)
                for f, want in (flt or {}).items():
                    want = [want] if isinstance(want, str) else want
                    got = getattr(d, f)
                    assert any(got == w or (f == "region" and got.startswith(w)) for w in want), (q, flt, h.doc_id)


@pytest.mark.parametrize("pool", [3, 8])
def test_small_pools_fill_other_channels_like_local(builds, pool):
    """With few candidates per channel, a document one channel did not return gets that channel's score
    read back from Milvus (vectors by id, scored here): the same as the local backend's."""
    a, b = builds["a"].configured(pool=pool), builds["b"].configured(pool=pool)
    for q in QUERIES:
        _same_hits(a.search(q, k=8), b.search(q, k=8), f"{q} pool {pool}")
        # (k small: the tiny model gives fact-only chunks' zero vectors exact ties at 0, which each engine
        # breaks its own way when they reach the cut-off)
        ca, cb = a.search_chunks(q, k=pool), b.search_chunks(q, k=pool)
        _same_hits(ca, cb, f"{q} chunks pool {pool}")
        assert any(None not in h.scores.values() for h in cb)


def test_eval_and_answers_equal(builds):
    from answer.item import answer
    from eval import run_eval

    qfile = ROOT / "tests" / "data" / "queries_small.jsonl"
    ra, rb = run_eval(builds["a"], qfile, mode="all"), run_eval(builds["b"], qfile, mode="all")
    for mode in ("bm25", "dense", "hybrid"):
        assert rb["modes"][mode]["ndcg@10"] == pytest.approx(ra["modes"][mode]["ndcg@10"], abs=1e-9)
    assert rb["answer"] == ra["answer"]
    for q in QUERIES[:6]:
        assert _rounded(answer(builds["b"], q)) == _rounded(answer(builds["a"], q)), q


def test_cli_eval_backend_check(builds, capsys):
    from govsearch.cli import main

    qfile = str(ROOT / "tests" / "data" / "queries_small.jsonl")
    assert main(["eval", "--queries", qfile, "--build", str(builds["milvus"]), "--backend", "milvus", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == len(open(qfile, encoding="utf-8").read().splitlines()) and out["ndcg@10"] > 0.5
    assert main(["eval", "--queries", qfile, "--build", str(builds["milvus"]), "--backend", "local"]) == 1
    assert "uses the milvus backend, not local" in capsys.readouterr().err


# --- expressions ---------------------------------------------------------------------------


def test_expressions_escape_and_refuse():
    assert mc.literal('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    with pytest.raises(ValueError, match="control character"):
        mc.literal("a\x01b")
    assert mc.filter_expr(None, {}) == ""
    e = mc.filter_expr({"kind": ("qa", "policy"), "region": ("示例市",)}, {"region": ["示例市", "示例市东区"]})
    assert e == '(kind is not null and kind in ["qa", "policy"]) and (region is not null and (region like "示例市%"))'
    # `like` cannot escape % and _: such a region becomes the list of known regions it covers
    e = mc.filter_expr({"region": ("A_1",)}, {"region": ["A_1", "A_1b", "AX1"]})
    assert e == '(region is not null and (region in ["A_1", "A_1b"]))'


def test_expressions_milvus_accepts(builds):
    b = builds["b"]
    coll = builds["manifest"]["milvus"]["collection"]
    for ids in (['x"y', "a\\b", "c\nd", "示例"], ["SI-001#0"]):
        got = mc.fetch(b.client, coll, "chunk_id", ids, ["doc_id"])
        assert [g["chunk_id"] for g in got] == [i for i in ids if i == "SI-001#0"]
    hits = b.search("居住证", k=5, mode="bm25", filters={"region": "示例市东"})
    assert [h.doc_id for h in hits] == ["QA-W01"]


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(ImportError, match=r"pip install 'govsearch\[milvus\]'"):
        mc.pymilvus()


def test_lite_file_is_locked_for_other_processes(builds):
    """milvus-lite in this process locks build/NAME/milvus.db: another process gets a clear error."""
    r = subprocess.run([sys.executable, "-m", "govsearch", "search", "护照", "--build", str(builds["milvus"])],
                       capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "cannot open the milvus-lite file" in r.stderr and "milvus-lite server" in r.stderr


# --- the HTTP API ------------------------------------------------------------------------------


def _strip(body):
    body = dict(body)
    body.pop("took_ms", None)
    return body


def test_http_search_answer_docs_like_local(builds, live_server):
    paths = [("/search", {"q": q, "k": 5, "mode": m}) for q in QUERIES[:6] for m in ("bm25", "hybrid")]
    paths += [("/search", {"q": "公积金", "kind": "qa", "region": "示例市"}), ("/answer", {"q": QUERIES[0]}),
              ("/answer", {"q": "公积金提取需要什么条件"}), ("/docs/QA-W01", {}), ("/docs/SI-001", {})]
    with live_server(Settings(build=str(builds["local"]))) as la, live_server(Settings(build=str(builds["milvus"]))) as lb:
        for path, params in paths:
            ra, rb = httpx.get(la + path, params=params, timeout=60), httpx.get(lb + path, params=params, timeout=60)
            assert ra.status_code == rb.status_code == 200, (path, rb.text)
            ba, bb = _strip(ra.json()), _strip(rb.json())
            if path == "/search":
                assert [(h["doc_id"], h["chunk_id"], h["ranks"]) for h in bb["hits"]] == \
                       [(h["doc_id"], h["chunk_id"], h["ranks"]) for h in ba["hits"]], params
                for x, y in zip(ba["hits"], bb["hits"]):
                    assert y["score"] == pytest.approx(x["score"], rel=1e-5, abs=1e-6)
            else:
                assert _rounded(ba) == _rounded(bb), path
        health = httpx.get(lb + "/health", timeout=30).json()
        assert health["status"] == "ok" and health["backend"] == "milvus"
        assert httpx.get(lb + "/search", params={"q": "护照", "kind": "nope"}, timeout=30).status_code == 422


# --- incremental updates -----------------------------------------------------------------------


def test_incremental_update_touches_only_changed_documents(builds, tmp_path):
    enc, cache = builds["enc"], builds["root"] / "cache"
    b = tmp_path / "inc"
    shutil.copytree(builds["milvus"], b, symlinks=True, ignore=shutil.ignore_patterns("milvus.db"))
    first = build_index(b, encoder=enc, cache_dir=cache, progress=False, backend="milvus")
    assert first["milvus"]["update"] == "full" and first["encoded"] == 0  # every vector from the cache
    coll = first["milvus"]["collection"]
    docs = [json.loads(x) for x in open(b / "docs.jsonl", encoding="utf-8")]
    chunks = [json.loads(x) for x in open(b / "chunks.jsonl", encoding="utf-8")]
    docs = [d for d in docs if d["doc_id"] != "QA-003"]  # removed
    chunks = [c for c in chunks if c["doc_id"] != "QA-003"]
    n_si2 = sum(c["doc_id"] == "SI-002" for c in chunks)
    for c in chunks:  # changed: one chunk of SI-002 gains a material
        if c["chunk_id"] == "SI-002#0":
            c["text"] += "\n5. 执业药师继续教育学分证明（原件；1份；必需）"
    for name, rows in (("docs.jsonl", docs), ("chunks.jsonl", chunks)):
        (b / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    store.seal(b)
    m = build_index(b, encoder=enc, cache_dir=cache, progress=False, backend="milvus")
    ch = m["milvus"]["changes"]
    assert m["milvus"]["update"] == "incremental" and m["milvus"]["collection"] == coll
    assert ch["changed"] == ["SI-002"] and ch["removed"] == ["QA-003"], ch
    assert ch["chunks_written"] == n_si2 and ch["chunks_deleted"] == 1
    assert m["encoded"] == 1  # only the changed text was encoded; the rest of SI-002 came from the cache
    # the served result equals a fresh local build of the new corpus (BM25 within the frozen-avgdl drift)
    ref = tmp_path / "ref"
    shutil.copytree(b, ref, ignore=shutil.ignore_patterns("index", ".index*", "milvus.db"))
    build_index(ref, encoder=enc, cache_dir=cache, progress=False)
    ia, ib = open_index(ref), open_index(b)
    try:
        assert mc.row_count(ib.client, coll) == m["chunks"]
        for q in QUERIES + ["执业药师继续教育学分证明"]:
            for mode in ("bm25", "dense", "hybrid"):
                ha, hb = ia.search(q, k=10, mode=mode), ib.search(q, k=10, mode=mode)
                assert [h.doc_id for h in hb] == [h.doc_id for h in ha], (q, mode)
                for x, y in zip(ha, hb):
                    for chn, s in x.scores.items():
                        assert (y.scores[chn] is None) == (s is None)
                        if s is not None:
                            assert y.scores[chn] == pytest.approx(s, rel=0.02, abs=1e-6), (q, mode, chn)
        assert ib.search("执业药师继续教育学分证明", k=1, mode="bm25")[0].doc_id == "SI-002"
        assert "QA-003" not in {h.doc_id for q in QUERIES for h in ib.search(q, k=20, mode="bm25")}
    finally:
        ib.close()


# --- alias swap under load (a milvus-lite server process, as a deployment would run it) ----------

KEY = "milvus-swap-key"
NEW_ID = "item-drone-flight-filing"


def _new_document() -> Document:
    from ingest.structure import render_service_item

    fields = {"materials": [{"name": "无人机飞行备案申请表", "copies": "1", "original_or_copy": "原件",
                             "required": True, "condition": None}],
              "time_limit_legal": "10个工作日", "phone": "0000-12345699"}
    title = "无人机飞行备案登记"
    return Document(doc_id=NEW_ID, source="demo", kind="service_item", title=title,
                    text=render_service_item(title, fields), url="https://example.invalid/drone",
                    department="示例市交通运输局", region="示例市", fields=fields)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lite_server(tmp_path_factory):
    """`milvus-lite server` in a process of its own; yields its URI."""
    exe = Path(sys.executable).parent / "milvus-lite"
    if not exe.exists():
        pytest.skip("the milvus-lite command is not installed")
    port = _free_port()
    data = tmp_path_factory.mktemp("srv") / "server.db"
    proc = subprocess.Popen([str(exe), "server", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("milvus-lite server did not start")
            time.sleep(0.2)
    yield uri
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a busy server may ignore SIGTERM; SIGINT stops it
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _fingerprint(path: str, body: dict):
    if path == "/search":
        return tuple((h["doc_id"], h["chunk_id"]) for h in body["hits"])
    item = body.get("item") or {}
    return item.get("doc_id"), tuple(m["name"] for m in body.get("materials", []))


SEARCHES = ["营业执照", "无人机飞行备案", "食品经营许可", "开餐馆", "护照 办理", "无人机 材料", "数字化转型 政策"]
ANSWERS = ["开餐馆需要什么材料", "无人机飞行备案需要什么材料", "办护照要带什么"]


def test_alias_swap_under_load(tmp_path, build_api_dir, live_server, lite_server):
    """Mixed /search and /answer at concurrency 8 while the build is rebuilt twice into new collections
    (once by `govsearch index` in another process), the alias switched and the service reloaded: no 5xx,
    no lost request, every answer is the old or the new index's, and the replaced collections are dropped."""
    uri = lite_server
    a = tmp_path / "a"
    a.mkdir()
    for name in ("docs.jsonl", "chunks.jsonl"):
        shutil.copy(build_api_dir / name, a / name)
    store.seal(a)
    settings = Settings(build=str(a), milvus_uri=uri, api_key=KEY, milvus_drop_delay=1.0)
    m1 = build_index(a, encoder="none", progress=False, backend="milvus", settings=settings)
    c1, alias = m1["milvus"]["collection"], m1["milvus"]["alias"]
    # references: the same two corpora indexed locally
    refs = {}
    for version, extra in (("v1", False), ("v2", True)):
        r = tmp_path / f"ref-{version}"
        r.mkdir()
        for name in ("docs.jsonl", "chunks.jsonl"):
            shutil.copy(build_api_dir / name, r / name)
        _append(r, [_new_document()]) if extra else store.seal(r)
        build_index(r, encoder="none", progress=False)
        refs[version] = open_index(r)
    reqs = [("/search", {"q": q, "k": 5}) for q in SEARCHES] + [("/answer", {"q": q}) for q in ANSWERS]

    def expected(version):
        from answer.item import answer

        idx = refs[version]
        out = {}
        for path, p in reqs:
            body = ({"hits": [h.model_dump() for h in idx.search(p["q"], k=5)]} if path == "/search"
                    else answer(idx, p["q"]))
            out[json.dumps([path, p], ensure_ascii=False)] = _fingerprint(path, body)
        return out

    exp = {v: expected(v) for v in refs}
    assert exp["v1"] != exp["v2"]
    events: list = []

    def reindex(with_new: bool, cli: bool):
        docs_before = (a / "docs.jsonl").read_text(encoding="utf-8")
        if with_new:
            _append(a, [_new_document()])
        else:
            for name in ("docs.jsonl", "chunks.jsonl"):
                shutil.copy(build_api_dir / name, a / name)
            store.seal(a)
        assert docs_before != (a / "docs.jsonl").read_text(encoding="utf-8")
        if cli:
            r = subprocess.run([sys.executable, "-m", "govsearch", "index", "--build", str(a), "--backend", "milvus",
                                "--milvus-uri", uri, "--encoder", "none", "--full", "--json"],
                               capture_output=True, text=True, cwd=ROOT, timeout=300,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
            assert r.returncode == 0, r.stderr[-2000:]
            return json.loads(r.stdout)
        return build_index(a, encoder="none", progress=False, backend="milvus", settings=settings, force=True)

    with live_server(settings) as base:
        async def run():
            results, done = [], threading.Event()
            limits = httpx.Limits(max_connections=16)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as ac:
                async def worker(w):
                    i = w
                    while not done.is_set() or i < 160:
                        path, p = reqs[i % len(reqs)]
                        i += 8
                        try:
                            r = await ac.get(path, params=p)
                            results.append((path, p, r.status_code, r.json() if r.status_code == 200 else r.text))
                        except httpx.HTTPError as e:
                            results.append((path, p, None, repr(e)))

                async def swapper():
                    for with_new, cli in ((True, True), (False, False)):
                        await asyncio.sleep(0.5)
                        m = await asyncio.to_thread(reindex, with_new, cli)
                        r = await ac.post("/admin/reload", headers={"X-API-Key": KEY})
                        events.append((m["milvus"]["collection"], m["milvus"]["update"], r.status_code, r.text[:300]))
                    await asyncio.sleep(0.5)
                    done.set()

                await asyncio.gather(swapper(), *(worker(w) for w in range(8)))
            return results

        results = asyncio.run(run())
        after = httpx.get(base + f"/docs/{NEW_ID}", timeout=30).status_code
    assert [e[1:3] for e in events] == [("full", 200), ("full", 200)], events
    failed = [r for r in results if r[2] != 200]
    assert not failed, failed[:3]
    served = {"v1": 0, "v2": 0, "either": 0}
    for path, p, _, body in results:
        k, got = json.dumps([path, p], ensure_ascii=False), _fingerprint(path, body)
        if got == exp["v1"][k] == exp["v2"][k]:
            served["either"] += 1
        elif got in (exp["v1"][k], exp["v2"][k]):
            served["v1" if got == exp["v1"][k] else "v2"] += 1
        else:
            pytest.fail(f"{k} answered by neither index: {got}")
    assert served["v1"] and served["v2"], served
    assert after == 404  # the last build removed the new document again
    c2, c3 = events[0][0], events[1][0]
    client = mc.connect(uri)
    try:
        assert mc.alias_target(client, alias) == c3
        deadline = time.monotonic() + 30
        while {c1, c2} & set(client.list_collections()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not {c1, c2} & set(client.list_collections())  # the replaced collections were dropped
    finally:
        mc.disconnect(uri)
    print(f"\n{len(results)} requests during two rebuilds + reloads, served {served}")
