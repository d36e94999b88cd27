"""The query path (index/engine.py): the query is prepared once per request and cached, the settings given to
the index are the ones it uses, and the HTTP service serves exactly what the engine ranks."""
from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from answer.item import answer
from core.query import Query
from core.settings import Settings
from index import build_index, open_index

SMALL = Path(__file__).parent / "data" / "build_small"


@pytest.fixture(scope="module")
def dense_build(tmp_path_factory, tiny_st_model) -> Path:
    root = tmp_path_factory.mktemp("engine")
    b = root / "b"
    shutil.copytree(SMALL, b, ignore=shutil.ignore_patterns("index", ".index*"))
    build_index(b, encoder=f"st:{tiny_st_model}", cache_dir=root / "cache", progress=False)
    return b


@pytest.fixture(scope="module")
def api_dense_build(tmp_path_factory, tiny_st_model, make_test_build) -> Path:
    root = tmp_path_factory.mktemp("engine_api")
    return make_test_build(root / "a", encoder=f"st:{tiny_st_model}", cache_dir=root / "cache")


def test_answer_encodes_the_query_once(api_dense_build):
    idx = open_index(api_dense_build, Settings(query_cache=0))  # no cache: every request prepares its query
    assert idx.preparer.encodes == 0
    r = answer(idx, "开餐馆需要什么材料")
    assert r["item"] is not None and idx.preparer.encodes == 1
    answer(idx, "食品经营许可需要什么材料")
    assert idx.preparer.encodes == 2


def test_repeated_questions_come_from_the_prepared_query_cache(api_dense_build):
    idx = open_index(api_dense_build, Settings(query_cache=8))
    first = idx.search("食品经营许可 新办", k=5)
    again = idx.search("  食品经营许可 新办 ", k=5)  # the same question, other spacing
    assert idx.preparer.encodes == 1 and idx.preparer.hits >= 1
    assert [h.model_dump() for h in first] == [h.model_dump() for h in again]
    answer(idx, "食品经营许可 新办")
    assert idx.preparer.encodes == 1
    for i in range(20):  # the cache keeps the 8 most recent
        idx.search(f"营业执照 {i}", k=3)
    assert idx.preparer.stats()["size"] == 8


def _rrf_scores(hits, weights, k=60) -> dict[str, float]:
    """RRF recomputed from the hits' per-channel scores (every candidate returned: each channel ranks them all)."""
    out = {h.doc_id: 0.0 for h in hits}
    for ch, w in weights.items():
        ranked = sorted((h for h in hits if h.scores[ch] is not None), key=lambda h: (-h.scores[ch], h.doc_id))
        for r, h in enumerate(ranked, 1):
            out[h.doc_id] += w / (k + r)
    return out


def test_settings_given_are_the_settings_used(dense_build):
    idx = open_index(dense_build, Settings(fusion="rrf", dense_weight=0.1))
    hits = idx.search("取水许可证延续", k=100)  # every candidate of this small build
    want = _rrf_scores(hits, {"bm25": 0.9, "dense": 0.1})
    assert len(hits) > 5 and all(h.score == pytest.approx(want[h.doc_id]) for h in hits)
    weighted = open_index(dense_build, Settings(fusion="weighted", dense_weight=0.1)).search("取水许可证延续", k=5)
    assert weighted[0].score > 0.5  # min-max weighted: the best document scores near 1, not ~1/61
    # a query can still ask for the other method
    q = Query.parse("取水许可证延续", k=5, fusion="weighted")
    assert [h.doc_id for h in idx.search(q)] == [h.doc_id for h in weighted]
    # configured() shares what is loaded and changes only the settings
    other = idx.configured(fusion="weighted")
    assert other.store is idx.store and other.preparer is idx.preparer
    assert [h.doc_id for h in other.search("取水许可证延续", k=5)] == [h.doc_id for h in weighted]
    assert idx.default_fusion == "rrf"


def test_the_service_serves_the_settings_it_is_given(api_dense_build, live_server):
    from core.settings import Settings as S

    with live_server(S(build=str(api_dense_build), fusion="rrf", dense_weight=0.1)) as base:
        body = httpx.get(base + "/search", params={"q": "食品经营许可", "k": 100}, timeout=30).json()
    assert body["mode"] == "hybrid" and len(body["hits"]) > 5
    from core.records import Hit

    hits = [Hit(**h) for h in body["hits"]]
    want = _rrf_scores(hits, {"bm25": 0.9, "dense": 0.1})
    assert all(h.score == pytest.approx(want[h.doc_id]) for h in hits)
