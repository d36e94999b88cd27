"""Evaluation: metrics (hand-computed and against pytrec_eval), query files, answers, run_eval, TREC files."""
import json
import math
import random
import shutil
from pathlib import Path

import pytest

from eval import answer_correct, format_report, read_queries, run_eval
from eval.metrics import mrr_at, ndcg_at, query_metrics, recall_at
from index import build_index, open_index

DATA = Path(__file__).parent / "data"


def test_metrics_hand_computed():
    ranked = ["a", "b", "c"]
    qrels = {"b": 2, "d": 1}
    dcg = 2 / math.log2(3)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at(ranked, qrels) == pytest.approx(dcg / idcg)  # 0.4796
    assert ndcg_at(["b", "d"], qrels) == pytest.approx(1.0)
    assert mrr_at(ranked, qrels) == 0.5
    assert recall_at(ranked, qrels, 10) == 0.5
    assert recall_at(["x"] * 10 + ["d"], qrels, 10) == 0.0 and recall_at(["x"] * 10 + ["d"], qrels, 100) == 0.5
    assert query_metrics([], qrels) == {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@10": 0.0, "recall@100": 0.0}
    assert mrr_at(["x"] * 10 + ["b"], qrels) == 0.0  # beyond the cut-off


def test_metrics_match_pytrec_eval():
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(40)]
    qrels, runs = {}, {}
    for q in range(30):
        qid = f"q{q}"
        qrels[qid] = {d: rng.choice([1, 2]) for d in rng.sample(docs, rng.randint(1, 6))}
        ranked = rng.sample(docs, 10)
        runs[qid] = {d: float(100 - i) for i, d in enumerate(ranked)}
    ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recip_rank", "recall.10"})
    ref = ev.evaluate(runs)
    for qid, run in runs.items():
        ranked = sorted(run, key=lambda d: -run[d])
        ours = query_metrics(ranked, qrels[qid])
        assert ours["ndcg@10"] == pytest.approx(ref[qid]["ndcg_cut_10"], abs=1e-9)
        assert ours["mrr@10"] == pytest.approx(ref[qid]["recip_rank"], abs=1e-9)
        assert ours["recall@10"] == pytest.approx(ref[qid]["recall_10"], abs=1e-9)


def test_read_queries(tmp_path):
    qs = read_queries(DATA / "queries_small.jsonl")
    assert qs[6]["qrels"] == {"QA-003": 1}  # a list means grade 1 each
    assert qs[5]["qrels"] == {"POL-002": 2, "POL-001": 1}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "x", "query": "q", "relevant": ["a"]}\n{"qid": "y", "query": "q"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        read_queries(bad)


def test_answer_correct_rules():
    q = {"qid": "m", "kind": "materials", "qrels": {"A": 2, "B": 1}, "expect": ["居民身份证", "申请人相片"]}
    good = {"item": {"doc_id": "A"}, "materials": [{"name": "申请人相片。"}, {"name": "居民 身份证"}]}
    assert answer_correct(q, good)
    assert not answer_correct(q, {**good, "item": {"doc_id": "B"}})  # grade 1 is not the answer
    assert not answer_correct(q, {**good, "materials": [{"name": "居民身份证"}]})
    assert not answer_correct(q, {"item": None})
    t = {"kind": "time", "qrels": {"A": 2}, "expect": {"handle_time_limit": "5(工作日)", "handle_time": "20(工作日)"}}
    assert answer_correct(t, {"item": {"doc_id": "A"}, "time_limit": {"legal": "20个工作日", "promised": "5个工作日"}})
    assert not answer_correct(t, {"item": {"doc_id": "A"}, "time_limit": {"legal": "20个工作日", "promised": "7个工作日"}})
    p = {"kind": "phone", "qrels": {"A": 2}, "expect": "020-12338"}
    assert answer_correct(p, {"item": {"doc_id": "A"}, "phone": "电话：020-12338"})
    assert not answer_correct(p, {"item": {"doc_id": "A"}, "phone": "020-12339"})
    loc = {"kind": "location", "qrels": {"A": 2}, "expect": "办理地点：示例市东风路723号"}
    assert answer_correct(loc, {"item": {"doc_id": "A"}, "location": "示例市东风路723号"})


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    b = tmp_path_factory.mktemp("ev") / "b"
    shutil.copytree(DATA / "build_small", b, ignore=shutil.ignore_patterns("index", ".index*"))
    build_index(b, encoder="none", progress=False)
    return open_index(b)


def test_run_eval_small(small_index, tmp_path):
    trec = tmp_path / "run.txt"
    r = run_eval(small_index, DATA / "queries_small.jsonl", mode="bm25", trec_out=trec)
    assert r["n"] == 8 and r["mode"] == "bm25"
    for m in ("ndcg@10", "mrr@10", "recall@10", "recall@100"):
        assert 0.0 <= r[m] <= 1.0
    assert r["ndcg@10"] > 0.7  # the tiny set is easy for BM25
    assert set(r["by_kind"]) == {"materials", "time", "phone", "location", "hard", "lookup"}
    # the run file: qid Q0 docid rank score run, ranks 1.. per query
    lines = [ln.split() for ln in trec.read_text().splitlines()]
    assert all(len(x) == 6 and x[1] == "Q0" and x[5] == "govsearch-bm25" for x in lines)
    first = [x for x in lines if x[0] == "s-07"]
    assert [int(x[3]) for x in first] == list(range(1, len(first) + 1)) and first[0][2] == "QA-003"
    qrels = (tmp_path / "run.txt.qrels").read_text().splitlines()
    assert "s-06 0 POL-001 1" in qrels
    if r["answer"] is not None:
        assert r["answer"]["n"] == 4 and 0 <= r["answer"]["accuracy"] <= 1
    text = format_report(r)
    assert "bm25" in text and "ndcg@10" in text
    json.dumps(r)


def test_run_eval_all_modes_on_bm25_index(small_index):
    r = run_eval(small_index, DATA / "queries_small.jsonl", mode="all")
    assert list(r["modes"]) == ["bm25"]  # no dense channel in this index
    assert r["modes"]["bm25"]["ndcg@10"] == run_eval(small_index, DATA / "queries_small.jsonl",
                                                     mode="bm25")["ndcg@10"]


# BM25 quality on the real data; the figures are what this BM25 reached (see the helper report)
# minus a 0.02 margin. The published baselines were 0.665 / 0.804 / 0.757.
# measured BM25 nDCG@10 (words + Han bigrams): 0.690 / 0.864 / 0.875; floors leave ~0.02 for noise-free drift
# measured on the dev sets as they are now (guangdong-items grew from 40 to 119 questions: 0.8163)
SHARED_FLOORS = {"beijing-qa": 0.67, "guangdong-items": 0.80, "policies": 0.88}


@pytest.mark.shared
@pytest.mark.slow
def test_bm25_quality_on_real_data(shared_data, tmp_path):
    import ingest

    build = tmp_path / "shared"
    ingest.run_ingest(shared_data, build)
    build_index(build, encoder="none", progress=False)
    idx = open_index(build)
    got = {}
    for name, floor in SHARED_FLOORS.items():
        r = run_eval(idx, shared_data / "eval" / "dev" / f"{name}.jsonl", mode="bm25", k=100)
        got[name] = r["ndcg@10"]
        assert r["latency_ms"]["median"] < 50
    assert all(got[n] >= f for n, f in SHARED_FLOORS.items()), got


def test_sweep_on_a_dense_index(tmp_path, st_model_factory):

    from eval.sweep import sweep

    model = st_model_factory(tmp_path / "tiny")
    b = tmp_path / "b"
    shutil.copytree(DATA / "build_small", b, ignore=shutil.ignore_patterns("index", ".index*"))
    build_index(b, encoder=f"st:{model}", cache_dir=tmp_path / "cache", progress=False)
    rows = sweep(open_index(b), [DATA / "queries_small.jsonl"], pools=(50,), fills=(True,))
    assert rows[0]["setting"] == "bm25" and rows[1]["setting"] == "dense" and len(rows) == 2 + 7
    assert all(0 <= r["queries_small"] <= 1 for r in rows)
    best_single = max(rows[0]["queries_small"], rows[1]["queries_small"])
    assert all(r["never_loses"] == (r["queries_small"] >= best_single) for r in rows[2:])
