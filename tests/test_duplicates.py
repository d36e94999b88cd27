"""Exact duplicates dropped at ingestion stay reachable under their own ids."""
import json
from pathlib import Path
import shutil

from eval import run_eval
from index import build_index, open_index, store

TEST_DATA = Path(__file__).resolve().parent / "data"


def _build_with_alias(tmp_path):
    build = tmp_path / "b"
    shutil.copytree(TEST_DATA / "build_small", build)
    lines = (build / "docs.jsonl").read_text(encoding="utf-8").splitlines()
    doc = json.loads(lines[0])
    assert doc["doc_id"] == "SI-001"
    doc["fields"]["duplicate_ids"] = ["SI-001-copy"]
    lines[0] = json.dumps(doc, ensure_ascii=False)
    (build / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store.seal(build)  # as ingest would
    build_index(build, encoder="none", progress=False)
    return open_index(build)


def test_duplicate_id_resolves_to_kept_copy(tmp_path):
    idx = _build_with_alias(tmp_path)
    assert idx.canonical("SI-001-copy") == "SI-001"
    assert idx.canonical("SI-002") == "SI-002"
    assert idx.doc("SI-001-copy").doc_id == "SI-001"


def test_eval_credits_judgment_of_a_dropped_duplicate(tmp_path):
    idx = _build_with_alias(tmp_path)
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"qid": "d1", "query": "办普通护照要带哪些材料", "relevant": {"SI-001-copy": 2}},
                            ensure_ascii=False) + "\n", encoding="utf-8")
    res = run_eval(idx, q, mode="bm25")
    assert res["mrr@10"] == 1.0
