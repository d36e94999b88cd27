"""The bench's in-process side-by-side figures on a real index with a dense channel (the invented test
build, encoded by the tiny offline sentence-transformers model): hybrid vs its floor and the stage
breakdown, /answer beside /search, the query cache on a stream with repeats."""
import pytest

from bench import inprocess, workload

QUESTIONS = ["开餐馆需要什么材料", "食品经营许可怎么办", "个体工商户设立登记要带什么", "护照怎么办理",
             "社保卡申领", "消防安全检查需要什么", "港澳通行证换发", "污水排入排水管网许可",
             "中小企业数字化转型补贴", "住宅楼里能开餐馆吗", "个体户变更登记", "食品经营许可查询"]


@pytest.fixture(scope="module")
def dense_build(tmp_path_factory, make_test_build, tiny_st_model):
    return make_test_build(tmp_path_factory.mktemp("bench-dense") / "build", encoder=f"st:{tiny_st_model}")


@pytest.fixture(scope="module")
def cold(dense_build):
    idx = inprocess.open_cold(dense_build)
    assert idx.has_dense and idx.preparer.size == 0
    return idx


def test_staged_search_is_the_search(cold):
    times: dict = {}
    for q in QUESTIONS:
        staged = inprocess.staged_search(cold, q, times=times)
        hits = cold.search(q, k=10, mode="hybrid")
        assert [(h.doc_id, h.chunk_id, round(h.score, 6)) for h in staged] == \
               [(h.doc_id, h.chunk_id, round(h.score, 6)) for h in hits]
    assert list(times) == list(inprocess.STAGES)
    assert all(len(v) == len(QUESTIONS) and min(v) >= 0 for v in times.values())
    assert all(v > 0 for v in times["encode"])  # a cold cache: every staged search encoded its query


def test_hybrid_vs_floor(cold):
    before = cold.preparer.stats()["encodes"]
    r = inprocess.hybrid_vs_floor(cold, QUESTIONS, repeats=2)
    assert r["has_dense"] and r["pool"] == cold.settings.pool
    assert r["staged_matches_search"] == f"{len(QUESTIONS)}/{len(QUESTIONS)}"
    for side in ("floor", "search", "staged"):
        assert r[side]["n"] == len(QUESTIONS) and r[side]["repeats"] == 2 and r[side]["p50"] > 0
    assert set(r["stages"]) == set(inprocess.STAGES)
    assert r["ratio_p50"] == round(r["search"]["p50"] / r["floor"]["p50"], 2)
    # floor, search and staged each encode every question (warm-up 3 + 2 passes), plus the 2×12 checks
    n = len(QUESTIONS)
    assert cold.preparer.stats()["encodes"] - before == 3 * (3 + 2 * n) + 2 * n


def test_answer_vs_search(cold):
    r = inprocess.answer_vs_search(cold, QUESTIONS[:6], repeats=1)
    assert r["answer"]["n"] == r["search"]["n"] == 6
    assert r["ratio_p50"] == round(r["answer"]["p50"] / r["search"]["p50"], 2)


def test_cache_stream_encodes_each_question_once(dense_build):
    stream = workload.repeat_stream(QUESTIONS * 3, 40, common=6)
    assert all(r["q"] != workload.WARMUP for r in stream)
    r = inprocess.cache_stream(dense_build, stream)
    distinct = len({x["q"] for x in stream})
    assert r["distinct"] == distinct and r["requests"] == 40
    assert r["on"]["misses"] == r["on"]["encodes"] == distinct  # the cache on: one encode per question
    assert r["on"]["hits"] == 40 - distinct and r["on"]["hit_rate"] == round((40 - distinct) / 40, 3)
    assert r["off"]["encodes"] == 40 and r["off"]["hits"] == 0  # off: every request encodes


def test_repeat_stream_is_seeded_and_zipf_like():
    qs = [f"问题{i}" for i in range(1000)]
    a, b = workload.repeat_stream(qs, 1600), workload.repeat_stream(qs, 1600)
    assert a == b  # fixed seed
    reps = [r for r in a if r["repeat"]]
    assert 0.45 < len(reps) / len(a) < 0.55
    uniques = [r["q"] for r in a if not r["repeat"]]
    assert len(uniques) == len(set(uniques))  # the rest are asked once
    common = {r["q"] for r in reps}
    assert len(common) <= 50 and not common & set(uniques)
    counts = [sum(r["rank"] == k for r in reps) for k in (1, 2, 10, 50)]
    assert counts[0] > counts[1] > counts[2] > counts[3]  # ∝ 1/rank


def test_long_questions():
    qs = workload.long_questions([f"{q}（第{i}问）" for i in range(4) for q in QUESTIONS])
    assert len(qs) == 8 and len(set(qs)) == 8
    assert all(150 < len(q) <= 190 for q in qs)
