"""The HTTP API on a real uvicorn (loopback, free port): every endpoint and error path."""
from __future__ import annotations

import json

import httpx
import pytest

from core.settings import Settings


@pytest.fixture(scope="module")
def build(tmp_path_factory, make_test_build):
    return make_test_build(tmp_path_factory.mktemp("api_build"))


@pytest.fixture(scope="module")
def api(build, live_server):
    with live_server(Settings(build=str(build))) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client


@pytest.fixture(scope="module")
def no_index(tmp_path_factory, live_server):
    missing = tmp_path_factory.mktemp("empty") / "build" / "demo"
    with live_server(Settings(build=str(missing))) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client


@pytest.fixture(scope="module")
def raw_docs(build_api_dir):
    return [json.loads(l) for l in (build_api_dir / "docs.jsonl").read_text("utf-8").splitlines()]


def detail(r) -> str:
    d = r.json()["detail"]
    return d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)


# -- health and search


def test_health(api, build, build_api_dir, raw_docs):
    r = api.get("/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["index"] == build.name
    assert h["documents"] == len(raw_docs)
    assert h["chunks"] == len((build_api_dir / "chunks.jsonl").read_text("utf-8").splitlines())
    assert h["encoder"] == "none" and h["built_at"]


def test_search(api):
    # "新办" singles the application out of its near-twin 食品经营许可查询 (BM25 near-tie otherwise)
    r = api.get("/search", params={"q": "  食品经营许可 新办  ", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "食品经营许可 新办"
    assert body["mode"] == "bm25"  # hybrid on an index without vectors
    assert isinstance(body["took_ms"], float) and 0 <= body["took_ms"] < 5000
    hits = body["hits"]
    assert 1 <= len(hits) <= 3
    assert hits[0]["doc_id"] == "item-food-business-license"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    c = hits[0]["citation"]
    assert c["doc_id"] == hits[0]["doc_id"] and c["chunk_id"] == hits[0]["chunk_id"] and c["end"] > c["start"]


@pytest.mark.parametrize("facet,value", [("kind", "policy"), ("kind", "bundle"), ("source", "demo-qa"),
                                         ("department", "示例市市场监督管理局"), ("region", "示例市东区")])
def test_search_filters(api, facet, value, raw_docs):
    docs = {d["doc_id"]: d for d in raw_docs}
    r = api.get("/search", params={"q": "申请 材料 办理 开餐馆", facet: value, "k": 20})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert hits, f"no hit with {facet}={value}"
    assert all(docs[h["doc_id"]][facet] == value for h in hits)


def test_search_weights_and_fusion(api):
    for params in ({"w_bm25": 1, "w_dense": 0}, {"w_bm25": 0.3}, {"fusion": "rrf"}, {"fusion": "weighted"},
                   {"mode": "bm25"}):
        r = api.get("/search", params={"q": "营业执照", **params})
        assert r.status_code == 200, (params, r.text)
        assert r.json()["hits"]


@pytest.mark.parametrize("params,needle", [
    ({}, "q"),  # missing
    ({"q": ""}, "1-200"),
    ({"q": "   "}, "1-200"),
    ({"q": "字" * 201}, "1-200"),
    ({"q": "x", "k": 0}, "k"),
    ({"q": "x", "k": 101}, "k"),
    ({"q": "x", "k": "ten"}, "k"),
    ({"q": "x", "mode": "magic"}, "hybrid"),  # the allowed values are named
    ({"q": "x", "fusion": "max"}, "rrf"),
    ({"q": "x", "kind": "spaceship"}, "service_item"),
    ({"q": "x", "department": "火星局"}, "示例市市场监督管理局"),
    ({"q": "x", "region": "火星"}, "示例市"),
    ({"q": "x", "source": "nowhere"}, "demo"),
    ({"q": "x", "w_bm25": -1}, "w_bm25"),
    ({"q": "x", "w_dense": "nan"}, "w_dense"),
    ({"q": "x", "mode": "dense"}, "bm25"),  # no dense channel in this index: says what to use
])
def test_search_rejects_bad_input_with_422(api, params, needle):
    r = api.get("/search", params=params)
    assert r.status_code == 422, r.text
    assert needle in detail(r)


def test_query_of_200_characters_is_accepted(api):
    assert api.get("/search", params={"q": "营" * 200}).status_code == 200


def test_request_size_limits(api):
    assert api.get("/search", params={"q": "x" * 5000}).status_code == 414
    r = api.post("/search", content=b"x" * 100_000)
    assert r.status_code == 413
    assert "too large" in detail(r)


# -- answer, items, docs


def test_answer(api):
    r = api.get("/answer", params={"q": "开餐馆需要什么材料"})
    assert r.status_code == 200
    a = r.json()
    assert a["item"]["doc_id"] == "bundle-open-restaurant"
    assert a["materials"] and all(m["citations"] for m in a["materials"])
    off = api.get("/answer", params={"q": "火星移民签证怎么办"}).json()
    assert off["item"] is None and off["reason"]


@pytest.mark.parametrize("q", ["", "  ", "字" * 201])
def test_answer_rejects_bad_query(api, q):
    r = api.get("/answer", params={"q": q})
    assert r.status_code == 422 and "1-200" in detail(r)


def test_item(api, raw_docs):
    r = api.get("/items/item-food-business-license")
    assert r.status_code == 200
    it = r.json()
    raw = {d["doc_id"]: d for d in raw_docs}["item-food-business-license"]
    assert it["title"] == raw["title"] and it["department"] == raw["department"]
    assert [m["name"] for m in it["materials"]] == [m["name"] for m in raw["fields"]["materials"]]
    assert all(m["citations"] and m["citations"][0]["section"] == "申请材料" for m in it["materials"])
    assert it["time_limit"]["promised"] == raw["fields"]["time_limit_promised"]
    assert it["phone"] == raw["fields"]["phone"] and "phone" in it["field_citations"]
    assert "materials" not in it["fields"]
    b = api.get("/items/bundle-open-restaurant").json()
    bundle = {d["doc_id"]: d for d in raw_docs}["bundle-open-restaurant"]
    assert [m["doc_id"] for m in b["members"]] == bundle["fields"]["members"]


def test_item_errors(api):
    r = api.get("/items/policy-digital-transform")
    assert r.status_code == 404 and "not a service item" in detail(r)
    r = api.get("/items/no-such-item")
    assert r.status_code == 404 and "no-such-item" in detail(r)


def test_docs_route_and_swagger(api):
    r = api.get("/docs/item-passport")
    assert r.status_code == 200
    body = r.json()
    text = body["document"]["text"]
    assert body["document"]["doc_id"] == "item-passport" and body["chunks"]
    assert all(text[c["start"] : c["end"]] == c["text"] for c in body["chunks"])
    assert api.get("/docs/no-such-doc").status_code == 404
    sw = api.get("/docs")  # Swagger UI stays at the exact path, with local assets (no CDN)
    assert sw.status_code == 200 and "swagger" in sw.text.lower()
    assert "cdn." not in sw.text and "/static-docs/swagger-ui-bundle.js" in sw.text
    assert api.get("/static-docs/swagger-ui-bundle.js").status_code == 200
    schema = api.get("/openapi.json").json()
    assert {"/search", "/answer", "/items/{doc_id}", "/docs/{doc_id}", "/health"} <= set(schema["paths"])
    assert "422" in schema["paths"]["/search"]["get"]["responses"]


def test_page_and_static(api):
    r = api.get("/")
    assert r.status_code == 200 and "政务服务智能检索（示例）" in r.text
    assert "http://" not in r.text and "https://" not in r.text  # no CDN
    for f in ("app.js", "app.css"):
        assert api.get(f"/static/{f}").status_code == 200


def test_no_500_on_odd_input(api):
    for params in ({"q": "%00\x00"}, {"q": "' OR 1=1 --"}, {"q": "<script>alert(1)</script>"}, {"q": "🙂" * 50},
                   {"q": "x", "k": "1e3"}, {"q": "x", "w_bm25": "inf"}):
        r = api.get("/search", params=params)
        assert r.status_code < 500, (params, r.status_code, r.text)
    assert api.get("/docs/%2e%2e%2fetc%2fpasswd").status_code == 404
    assert api.get("/answer", params={"q": "\u3000\u3000"}).status_code == 422


# -- no index


def test_missing_index_still_starts_and_says_what_to_run(no_index):
    h = no_index.get("/health")
    assert h.status_code == 503 and h.json()["status"] == "unavailable"
    for path, params in (("/search", {"q": "营业执照"}), ("/answer", {"q": "开餐馆需要什么材料"}),
                         ("/items/item-passport", {}), ("/docs/item-passport", {})):
        r = no_index.get(path, params=params)
        assert r.status_code == 503, path
        d = detail(r)
        assert "govsearch ingest" in d and "govsearch index" in d
    assert no_index.get("/").status_code == 200
    assert no_index.get("/docs").status_code == 200


# -- the demo corpus, served


def test_demo_build_served(live_server, demo_build):
    with live_server(Settings(build=str(demo_build))) as base:
        a = httpx.get(base + "/answer", params={"q": "开餐馆需要什么材料"}, timeout=30).json()
        assert a["item"]["doc_id"] == "bundle-open-restaurant"
        assert len(a["materials"]) >= 10 and all(m["citations"] for m in a["materials"])
        s = httpx.get(base + "/search", params={"q": "食品经营许可", "kind": "service_item"}, timeout=30).json()
        assert s["hits"][0]["doc_id"].startswith("item-food-business-license")
        assert httpx.get(base + "/items/item-food-business-license-new", timeout=30).json()["materials"]


def test_every_hit_cites_a_passage_that_shows_the_match(api):
    # chunks are indexed with the title in front, so a bare phone-number chunk can score on
    # the title alone; the hit must cite a passage whose own text holds the query words
    hits = api.get("/search", params={"q": "食品经营许可", "k": 5}).json()["hits"]
    assert len(hits) >= 2
    for h in hits:
        assert h["highlights"], (h["doc_id"], h["section"], h["snippet"])
