"""Matching company profiles against the demo notices: the labelled cases (precision and recall),
criteria marked true / false / null with their citations, validity and relevance in the ranking."""
from datetime import date
from pathlib import Path

import pytest

from answer.policies import taxonomy as tx
from answer.policies.matching import analyse_policies, match
from answer.policies.records import CompanyProfile
from answer.policies.scoring import read_jsonl, score_matches

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "eval" / "sets" / "policy-match-demo.jsonl"
SOFTWARE = {"region": "示例市临江区", "industry": "软件和信息技术服务业", "entity_type": "企业法人",
            "qualifications": ["高新技术企业"], "employees": 80, "revenue_10k": 3000, "founded": 2016}


@pytest.fixture(scope="module")
def policies(demo_records):
    docs, chunks = demo_records
    return analyse_policies(list(docs.values()), chunks)


def test_labelled_cases_precision_and_recall(demo_records):
    cases, problems = read_jsonl(CASES)
    assert not problems and len(cases) >= 10
    r = score_matches(cases, *demo_records)
    assert r["n"] == len(cases) and not r["bad"]
    assert r["precision"] >= 0.9 and r["recall"] >= 0.9, r


def test_criteria_are_marked_and_cited(policies, demo_records):
    docs, _ = demo_records
    res = match(SOFTWARE, policies, date(2025, 6, 10))
    ids = [m.doc_id for m in res.matches]
    assert "policy-high-tech-enterprise-award-2025" in ids and "policy-specialized-sme-award-2025" not in ids
    ht = next(m for m in res.matches if m.doc_id == "policy-high-tech-enterprise-award-2025")
    quals = [c for c in ht.criteria if c.kind == "qualification"]
    assert quals and all(c.met is True for c in quals)
    assert [c.met for c in ht.criteria if c.kind == "region"] == [True]  # 示例市 covers 示例市临江区
    assert any(c.met is None for c in ht.criteria)  # 承诺5年内不迁出: the profile does not say
    for m in res.matches + res.not_eligible:
        for c in m.criteria:
            assert docs[m.doc_id].text[c.citation.start:c.citation.end] == c.text
    spec = next(m for m in res.not_eligible if m.doc_id == "policy-specialized-sme-award-2025")
    assert spec.reasons and "不符合" in spec.reasons[0]
    assert [c.met for c in spec.criteria if c.kind == "qualification"] == [False]
    dig = next(m for m in res.matches if m.doc_id == "policy-digital-transformation-subsidy-2025")
    assert {s.kind for s in dig.support} >= {"ratio", "max_amount"} and dig.window.until == date(2025, 4, 30)


def test_unknown_profile_fields_give_null_not_false(policies):
    res = match({"industry": "软件和信息技术服务业"}, policies, date(2025, 6, 10))
    dig = next(m for m in res.matches if m.doc_id == "policy-digital-transformation-subsidy-2025")
    assert [c.met for c in dig.criteria if c.kind == "region"] == [None]
    assert [c.met for c in dig.criteria if c.kind == "industry"] == [True]
    assert [c.met for c in dig.criteria if c.kind == "qualification"] == [None]  # size unknown
    assert not any(m.doc_id == "policy-first-set-equipment-2025" for m in res.matches)  # 装备制造 fails


def test_validity_excludes_expired_policies(policies):
    profile = dict(SOFTWARE, entity_type="企业法人")
    early = {m.doc_id for m in match(profile, policies, date(2025, 6, 10)).matches}
    late = match(profile, policies, date(2026, 1, 5))
    assert "policy-job-stabilization-refund-2025" in early
    job = next(m for m in late.not_eligible if m.doc_id == "policy-job-stabilization-refund-2025")
    assert job.validity.status == "expired" and any("已失效" in r for r in job.reasons)


def test_relevance_hook_orders_matches(policies):
    base = match(SOFTWARE, policies, date(2025, 6, 10))
    target = base.matches[-1].doc_id
    boosted = match(SOFTWARE, policies, date(2025, 6, 10), relevance={target: 12.0, base.matches[0].doc_id: 1.0})
    assert boosted.matches[0].doc_id == target and boosted.matches[0].relevance == 1.0
    assert {m.doc_id for m in boosted.matches} == {m.doc_id for m in base.matches}


def test_match_result_json_shape(policies):
    out = match(CompanyProfile(**SOFTWARE), policies, date(2025, 6, 10)).model_dump(mode="json", by_alias=True)
    m = out["matches"][0]
    assert set(m) >= {"doc_id", "title", "validity", "support", "window", "criteria"}
    assert set(m["criteria"][0]) >= {"text", "kind", "met", "citation"}
    assert "from" in m["validity"]


@pytest.mark.parametrize("have,need,want", [
    ("示例市临江区", "示例市", True), ("示例市", "示例市临江区", None), ("广州市天河区", "示例市", False),
    ("临江区", "示例市", None), ("广州", "广州市", True), ("广东省广州市", "示例省", False), (None, "示例市", None),
])
def test_region_hierarchy(have, need, want):
    assert tx.region_covers(have, need) is want


def test_entity_types_industries_and_sizes():
    assert tx.entity_admits("个体工商户", ["企业"]) is False
    assert tx.entity_admits("个体工商户", ["企业", "个体工商户"]) is True
    assert tx.entity_admits("社会组织", ["社会团体"]) is None
    assert tx.entity_admits("有限责任公司", ["独立法人"]) is True
    assert tx.industry_in("专用设备制造业", ["装备制造"]) is True
    assert tx.industry_in("制造业", ["装备制造"]) is None
    assert tx.industry_in("餐饮业", ["工业"]) is False
    assert tx.industry_in("宠物美容", ["工业"]) is None  # not in the vocabulary: cannot tell
    assert tx.size_class("食品制造业", 45, 1500) == "小型"
    assert tx.size_class("批发业", 40, 15000) == "中型"
    assert tx.size_class("计算机、通信和其他电子设备制造业", 2500, 180000) == "大型"
    assert tx.size_class("装备制造", 500, None) is None  # 中型 or 小型/微型 depending on revenue
    assert tx.size_classes("装备制造", 200, None) == {"小型", "微型"}
    assert tx.size_qualifies("小微企业", {"小型", "微型"}) is True
    assert tx.size_qualifies("小微企业", {"中型", "小型", "微型"}) is None
    assert tx.size_qualifies("中小企业", "大型") is False
    assert tx.size_class("软件和信息技术服务业", 80, 3000) == "小型"


def test_bad_cases_are_reported_and_the_rest_scored(demo_records):
    cases, _ = read_jsonl(CASES)
    broken = [{"id": "bad-date", "as_of": "2025-13-01", "profile": {}, "expect_match": []},
              {"id": "bad-profile", "profile": {"employees": "many"}, "expect_match": []}] + cases[:2]
    r = score_matches(broken, *demo_records)
    assert [b["case"] for b in r["bad"]] == ["bad-date", "bad-profile"] and r["n"] == 2


def test_documents_without_conditions_are_not_listed():
    from core.records import Document
    from ingest.chunk import chunk
    from answer.policies.matching import analyse_policy

    doc = Document(doc_id="plain", source="test", kind="policy", title="示例市关于做好防汛工作的通知",
                   text="各区：\n请做好防汛工作。\n示例市应急管理局\n2025年5月1日", region="示例市")
    p = analyse_policy(doc, chunk(doc))
    assert p.eligibility.criteria == [] and p.facts.published.isoformat() == "2025-05-01"
    res = match({"region": "示例市"}, [p], date(2025, 6, 1))
    assert res.matches == [] and res.not_eligible == []
    empty = Document(doc_id="empty", source="test", kind="article", title="空", text="无")
    assert analyse_policy(empty, []).facts.statements == []


def test_conditions_of_which_one_suffices():
    from core.records import Document
    from ingest.chunk import chunk
    from answer.policies.matching import analyse_policy

    text = ("一、申请条件\n申请企业应在示例市依法注册，并符合下列条件之一：\n（一）纳入规模以上统计的国家高新技术企业；\n"
            "（二）国家科技型中小企业；\n（三）获批企业技术中心、工程技术研究中心。\n二、支持标准\n一次性奖励10万元。")
    doc = Document(doc_id="anyof", source="test", kind="policy", title="示例市科技企业人才公寓申请指引", text=text,
                   region="示例市")
    p = analyse_policy(doc, chunk(doc))
    assert {c.any_of for c in p.eligibility.criteria if c.kind == "qualification"} == {0}  # the intro line
    assert [c.any_of for c in p.eligibility.criteria if c.kind == "region"] == [None]
    ok = match({"region": "示例市", "qualifications": ["科技型中小企业"]}, [p], date(2025, 6, 1))
    assert [m.doc_id for m in ok.matches] == ["anyof"]
    no = match({"region": "示例市", "qualifications": ["专精特新中小企业"]}, [p], date(2025, 6, 1))
    assert no.matches == [] and "任何一项" in no.not_eligible[0].reasons[0]
