"""The learned item decision (answer.decision, answer.decision_train, answer.lexicon, answer.features) and
the absolute confidence of search hits (index.confidence): real indexes, the shipped models, and the
fitting code on data whose answer is known."""
from __future__ import annotations

import json

import numpy as np
import pytest

from answer import decision_train as dt
from answer.candidates import ItemCandidate, Retrieved
from answer.decision import load_model, probabilities
from answer.item import answer
from answer.lexicon import learn_synonyms, learn_variants


@pytest.fixture(scope="module")
def demo(demo_build):
    from index import open_index

    return open_index(demo_build)


# -- the search confidence ------------------------------------------------------------------------


def test_no_good_match_on_the_demo_build(demo):
    off = demo.search("火星移民补贴", k=10)
    assert all(h.confidence is not None and 0 <= h.confidence <= 1 for h in off)
    assert demo.no_good_match(off, "bm25")
    on = demo.search("食品经营许可", k=10)
    assert not demo.no_good_match(on, "bm25")
    # absolute, not min-max within a list: the best off-topic hit is far below the best on-topic one
    assert max(h.confidence for h in off) < max(h.confidence for h in on) / 5
    assert off[0].score > 0.9  # while the min-max fused score still says "best"


def test_search_response_says_no_good_match(demo_build):
    from fastapi.testclient import TestClient

    from core.settings import Settings
    from service.app import create_app

    with TestClient(create_app(Settings(build=str(demo_build)))) as client:
        r = client.get("/search", params={"q": "火星移民补贴"}).json()
        assert r["no_good_match"] is True and r["hits"][0]["confidence"] is not None
        assert client.get("/search", params={"q": "食品经营许可"}).json()["no_good_match"] is False


def test_without_a_model_confidence_is_none(demo):
    bare = demo.configured()
    bare._confidence_model = None  # as if neither the build nor the package had a model file
    hits = bare.search("火星移民补贴", k=5)
    assert all(h.confidence is None for h in hits)
    assert bare.no_good_match(hits) is False


def test_idf_mass_bounds_every_score(demo):
    q = demo.resolve("食品经营许可需要什么材料", mode="bm25")
    pq = demo.prepare(q)
    res = demo.retrieve(q, pq)["bm25"]
    assert res.norm and max(res.scores.values()) <= res.norm
    # a word no chunk holds raises the mass: the same matches are a smaller share of it
    q2 = demo.resolve("食品经营许可需要什么材料火星", mode="bm25")
    assert demo.retrieve(q2, demo.prepare(q2))["bm25"].norm > res.norm


# -- the lexicon learned from the corpus ------------------------------------------------------------


def test_variant_words_are_the_ones_that_tell_siblings_apart():
    words = {"a": ("食品", "经营", "许可", "新办"), "b": ("食品", "经营", "许可", "注销"),
             "c": ("药品", "经营", "许可", "注销"), "d": ("药品", "经营", "许可", "变更"), "e": ("食品", "安全", "抽检")}
    v = learn_variants(words, [["a", "b"], ["c", "d"], ["a", "e"]])
    assert v["注销"] == 1.0 and v["新办"] == 1.0
    assert v.get("经营", 0.0) == 0.0 and v.get("许可", 0.0) == 0.0


def test_synonyms_need_two_items_and_a_shared_character():
    pairs = [(("驾照", "到期"), ("机动车", "驾驶证", "换证")), (("换", "驾照"), ("驾驶证", "有效期")),
             (("低保",), ("最低", "生活", "保障")), (("公司",), ("企业", "设立"))]
    syn = learn_synonyms(pairs)
    assert syn["驾照"] == ("驾驶证",)
    assert "低保" not in syn  # one item only
    assert "公司" not in syn  # no shared character


# -- fitting and the threshold rule ------------------------------------------------------------------


def _groups(rng, n, sep):
    out = []
    for i in range(n):
        k = 6
        x = rng.normal(size=(k, 2))
        y = np.zeros(k)
        if i % 3:  # an answer exists: it stands out on feature 0
            j = rng.integers(k)
            x[j, 0] += sep
            y[j] = 1
        out.append(dt.Group(f"q{i}", "labelled" if i % 3 else "absent", x, y))
    return out


def test_fit_learns_which_feature_decides_and_when_none_fits():
    rng = np.random.default_rng(0)
    groups = _groups(rng, 300, 4.0)
    mean, scale = dt.standardise(groups)
    w, none = dt.fit(groups, 0.1, mean, scale)
    assert w[0] > 2 and abs(w[1]) < 0.5
    conf = dt.confidences(groups, w, none, mean, scale)
    top1 = np.mean([right for _, right, has in conf if has])
    assert top1 > 0.9
    # confident where there is an answer, not where there is none
    assert np.mean([c for c, _, has in conf if has]) > 0.7 > 0.3 > np.mean([c for c, _, has in conf if not has])


def test_threshold_is_the_lowest_with_enough_precision():
    conf = [(0.99, True, True)] * 20 + [(0.9, False, True)] + [(0.8, True, True)] * 19 + [(0.5, False, True)] * 10
    # answering down to 0.8: 39 right of 40 (0.975); down to 0.5: 39 of 50
    assert dt.choose_threshold(conf, 0.95) == 0.8
    assert dt.choose_threshold([(0.9, False, True)] * 12, 0.95) == 1.0  # never precise enough: never answer


def test_leave_out_moves_the_ranks_up():
    a = ItemCandidate("a", 0, 1.0, 1, {"bm25": 1, "dense": 2})
    b = ItemCandidate("b", 1, 0.9, 2, {"bm25": 2, "dense": 1})
    c = ItemCandidate("c", 2, 0.8, 3, {"bm25": 3, "dense": None})
    got = dt.leave_out(Retrieved([a, b, c], 10.0, True), {"a"})
    assert [x.doc_id for x in got.cands] == ["b", "c"]
    assert got.cands[0].ranks == {"bm25": 1, "dense": 1} and got.cands[0].best_rank == 1
    assert got.cands[1].ranks == {"bm25": 2, "dense": None} and got.cands[1].best_rank == 2
    assert a.ranks == {"bm25": 1, "dense": 2}  # the original is untouched


def test_probabilities_leave_room_for_none():
    p = probabilities([2.0, 2.0, -1.0], none=0.0)
    assert sum(p) < 1 and p[0] == pytest.approx(p[1]) and p[0] > p[2]


def test_shipped_model_is_plain_json_with_a_bm25_variant():
    from answer.decision import MODEL_PATH

    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert model == load_model()
    v = model["variants"]["bm25"]
    assert len(v["coef"]) == len(model["features"]) and 0 < v["threshold"] <= 1


# -- the answer: an item, or a question -----------------------------------------------------------------


def test_unsure_answer_is_a_question_with_the_right_item_among_the_choices(demo):
    r = answer(demo, "火星移民签证怎么办")
    assert r["item"] is None and r["confidence"] is not None and r["confidence"] < 0.5
    r = answer(demo, "营业执照怎么办")  # only a change of it (变更) is in the corpus
    if r["item"] is None:
        assert 2 <= len(r["alternatives"]) <= 5
        assert r["question"].startswith("您要办理的是") and r["alternatives"][0]["title"] in r["question"]
    else:
        assert r["item"]["doc_id"] != "item-business-license-change"


def test_an_answered_item_carries_its_confidence(demo):
    r = answer(demo, "结婚登记要带什么")
    assert r["item"]["doc_id"] == "item-marriage-registration"
    assert r["confidence"] >= load_model()["variants"]["bm25"]["threshold"]
    assert r["question"] is None and "置信度" in r["reason"]
