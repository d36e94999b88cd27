"""Fusion math: hand-computed RRF, min-max weighted fusion, chunk → document aggregation."""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.fusion import aggregate, fuse, minmax, ranked, rrf, weighted


def test_rrf_hand_computed():
    out = rrf({"bm25": ["a", "b", "c"], "dense": ["b", "d"]}, {"bm25": 1.0, "dense": 2.0}, k=60)
    assert out["a"] == pytest.approx(1 / 61)
    assert out["b"] == pytest.approx(1 / 62 + 2 / 61)
    assert out["c"] == pytest.approx(1 / 63)
    assert out["d"] == pytest.approx(2 / 62)
    assert ranked(out) == ["b", "d", "a", "c"]


def test_rrf_zero_weight_ignores_channel():
    out = rrf({"bm25": ["a"], "dense": ["b"]}, {"bm25": 1.0, "dense": 0.0})
    assert set(out) == {"a"}


def test_minmax():
    assert minmax({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert minmax({"a": 0.9, "b": 0.9}) == {"a": 1.0, "b": 1.0}
    assert minmax({}) == {}


def test_weighted_hand_computed():
    bm25 = {"a": 10.0, "b": 5.0, "c": 0.0}
    dense = {"b": 0.92, "c": 0.90, "d": 0.86}
    out = weighted({"bm25": bm25, "dense": dense}, {"bm25": 0.2, "dense": 0.8})
    # bm25 norm: a 1, b .5, c 0; dense norm: b 1, c 4/6, d 0
    assert out["a"] == pytest.approx(0.2)
    assert out["b"] == pytest.approx(0.2 * 0.5 + 0.8)
    assert out["c"] == pytest.approx(0.8 * (0.04 / 0.06))
    assert out["d"] == pytest.approx(0.0)
    assert ranked(out)[0] == "b"


def test_fuse_dispatch_and_errors():
    lists = {"bm25": {"a": 2.0, "b": 1.0}, "dense": {"b": 0.9, "a": 0.1}}
    assert fuse("rrf", lists, {"bm25": 1, "dense": 1}) == rrf({"bm25": ["a", "b"], "dense": ["b", "a"]},
                                                               {"bm25": 1, "dense": 1})
    with pytest.raises(ValueError):
        fuse("borda", lists)


def test_aggregate_max_and_bonus():
    doc_of = {"d1#0": "d1", "d1#1": "d1", "d2#0": "d2"}
    assert aggregate({"d1#0": 0.5, "d1#1": 0.7, "d2#0": 0.6}, doc_of) == {"d1": (0.7, "d1#1"), "d2": (0.6, "d2#0")}
    out = aggregate({"d1#0": 0.5, "d1#1": 0.7, "d2#0": 0.6}, doc_of, bonus=0.1)
    assert out["d1"] == (pytest.approx(0.75), "d1#1") and out["d2"] == (0.6, "d2#0")


scores = st.dictionaries(st.sampled_from("abcdefgh"), st.floats(0, 100, allow_nan=False), min_size=1)


@given(scores, scores)
def test_weighted_with_one_channel_keeps_its_order(a, b):
    out = weighted({"bm25": a, "dense": b}, {"bm25": 1.0, "dense": 0.0})
    for x in a:
        for y in a:
            if a[x] > a[y]:
                assert out[x] >= out[y]
    assert all(0.0 <= v <= 1.0 + 1e-9 for v in out.values())


@given(scores, scores, st.floats(0, 1))
def test_weighted_is_bounded_by_weights(a, b, w):
    out = weighted({"bm25": a, "dense": b}, {"bm25": 1 - w, "dense": w})
    assert all(-1e-9 <= v <= 1.0 + 1e-9 for v in out.values())
    assert set(out) == set(a) | set(b)


@given(st.lists(st.sampled_from("abcdef"), unique=True), st.lists(st.sampled_from("abcdef"), unique=True))
def test_rrf_is_positive_and_rank_monotone(x, y):
    out = rrf({"bm25": x, "dense": y}, {"bm25": 1, "dense": 1})
    assert set(out) == set(x) | set(y) and all(v > 0 for v in out.values())
    for i in range(len(x) - 1):  # within one list and absent from the other, earlier ranks score higher
        if x[i] not in y and x[i + 1] not in y:
            assert out[x[i]] > out[x[i + 1]] or math.isclose(out[x[i]], out[x[i + 1]])
