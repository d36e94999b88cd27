"""BM25 channel: parity with rank-bm25 (Okapi idf), persistence without pickle."""
import json
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.passages import bm25_text
from index.channels.bm25 import bm25_scores, build_bm25, load_bm25, okapi_idf, save_bm25
from index.tokenize import Tokenizer, build_dictionary

SMALL = Path(__file__).parent / "data" / "build_small"
QUERIES = ["办护照需要什么材料", "药师变更注册几个工作日", "取水许可证延续", "手机预装软件可以卸载吗",
           "示例市政务服务中心", "食品经营许可证 营业执照", "不存在的词语组合xyz"]


@pytest.fixture(scope="module")
def corpus():
    docs, chunks = store.read_build(SMALL)
    tok = Tokenizer(build_dictionary(docs))
    return tok, [tok(bm25_text(c, 1)) for c in chunks]


@pytest.mark.parametrize("level", ["chunks", "documents"])
def test_parity_with_rank_bm25_okapi(corpus, level):
    rank_bm25 = pytest.importorskip("rank_bm25")
    tok, tokens = corpus
    if level == "documents":  # whole documents: here common words occur in over half of them
        docs, _ = store.read_build(SMALL)
        tokens = [tok(d.title + "\n" + d.text) for d in docs]
    ref = rank_bm25.BM25Okapi(tokens, k1=1.5, b=0.75, epsilon=0.25)
    # bm25s's "atire" term-frequency part is rank-bm25's; the idf is patched to Okapi's
    model = build_bm25(tokens, k1=1.5, b=0.75, method="atire")
    okapi_idf(model, epsilon=0.25)
    if level == "documents":  # the negative-idf floor must be exercised, or the patch is untested
        assert any(sum(t in doc for doc in tokens) > len(tokens) / 2 for t in tok("示例市 工作日 居民身份证"))
    for q in QUERIES:
        qt = tok(q)
        ours = bm25_scores(model, qt)
        theirs = ref.get_scores(qt)
        np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-6)
        assert list(np.argsort(-ours, kind="stable")[:5]) == list(np.argsort(-theirs, kind="stable")[:5]) \
            or np.allclose(np.sort(ours)[-5:], np.sort(theirs)[-5:], atol=1e-5)


def test_default_lucene_differs_from_okapi_on_common_terms(corpus):
    rank_bm25 = pytest.importorskip("rank_bm25")
    tok, tokens = corpus
    model = build_bm25(tokens, k1=1.5, b=0.75, method="lucene")
    ref = rank_bm25.BM25Okapi(tokens, k1=1.5, b=0.75)
    qt = tok("办理时限 工作日 材料")
    assert not np.allclose(bm25_scores(model, qt), ref.get_scores(qt), atol=1e-3)


def test_unknown_and_empty_queries_score_zero(corpus):
    _, tokens = corpus
    model = build_bm25(tokens)
    assert not bm25_scores(model, ["完全不存在的词"]).any()
    assert not bm25_scores(model, []).any()
    assert bm25_scores(model, ["护照"]).shape == (len(tokens),)


def test_save_load_round_trip_without_pickle(corpus, tmp_path):
    tok, tokens = corpus
    model = build_bm25(tokens)
    save_bm25(model, tmp_path / "bm25")
    files = sorted(p.name for p in (tmp_path / "bm25").iterdir())
    assert all(f.endswith((".npy", ".json")) for f in files), files
    for f in files:  # every array loads with pickling disabled
        if f.endswith(".npy"):
            np.load(tmp_path / "bm25" / f, allow_pickle=False)
        else:
            json.loads((tmp_path / "bm25" / f).read_text())
    loaded = load_bm25(tmp_path / "bm25")
    for q in QUERIES:
        np.testing.assert_array_equal(bm25_scores(model, tok(q)), bm25_scores(loaded, tok(q)))
