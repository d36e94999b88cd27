"""Situations (情形引导): conditions on materials, the questions they raise, answers applied to the
checklist, situations understood from the question, bundle routes — on hand-written material lists,
on the real ingest of the demo corpus, and on the real Guangdong export."""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

import ingest
from answer.checklist import checklist, parse_answers, score_situation_case
from answer.conditions import material_conditions
from answer.situations import BadSituation, build_situations
from answer.understand import age_range, understand

ROOT = Path(__file__).resolve().parent.parent


def _m(name, condition=None, required=None, source=None, title=None):
    m = {"name": name, "condition": condition, "required": required}
    if source:
        m["sources"], m["source_titles"] = [source], [title or source]
    return m


def _rows(materials, situations, answers=None):
    return {r["name"]: r for r in checklist(materials, situations, answers or {})}


# --------------------------------------------------------------------------- conditions


@pytest.mark.parametrize("name, condition, required, dims", [
    ("受托人的身份证件", "委托他人办理的", False, {"agent"}),
    ("代理人授权委托书", None, None, {"agent"}),
    ("单位授权委托书和营业执照", None, None, set()),  # the licence is needed either way
    ("申请材料目录（含营业执照、授权委托书等）", None, None, set()),  # brackets that list examples
    ("不满14周岁申请人的监护人身份证明", None, None, {"age"}),
    ("监护关系证明", None, None, {"age"}),
    ("现役军人交验部队出具的证明", None, None, {"identity"}),
    ("本省居住证", None, None, {"household"}),
    ("旧证件（换发）", None, None, {"reason"}),
    ("遗失声明（仅证书遗失时）", None, None, {"lost"}),
    ("设计图纸（深圳市）", None, None, {"place"}),
    ("交通影响评价（涉及城市主干道的）", None, None, {"generic"}),
    ("属于重点项目的，提交专家评审意见", None, None, {"generic"}),
    ("股东会决议", "由全体股东签署", True, set()),  # an instruction, not a condition
    ("营业执照", "系统已共享的免于提交", True, set()),  # an exemption: still on the list
    ("告知承诺书", "选择告知承诺方式的", False, {"commitment"}),
    ("身份证明", "经营者为个体工商户的，提交经营者身份证", True, set()),  # a variant of a required one
    ("消防检测报告", "设有自动消防设施的", False, {"generic"}),
    ("锅炉能效证明", "锅炉", False, {"generic"}),  # a bare case in the 适用情形 column of an optional one
])
def test_conditions_are_read_into_dimensions(name, condition, required, dims):
    got = {c.dim for c in material_conditions(name, condition, required, title="某某事项办理")}
    assert got == dims


def test_the_item_title_makes_its_own_audience_no_condition():
    assert material_conditions("港澳居民来往内地通行证", title="某资格认定（港澳居民）") == ()
    assert {c.dim for c in material_conditions("港澳居民来往内地通行证", title="个人信息报告")} == {"identity"}
    # a visa item is for foreigners: its own application form says so
    forms = "外国人签证证件申请表"
    assert material_conditions("外国人邀请函件", title="签证延期", forms=forms) == ()


def test_lost_certificate_note_means_needed_unless_lost():
    (c,) = material_conditions("许可证正副本", "正副本遗失的，提交遗失说明", False)
    assert c.dim == "lost" and c.options == {"no"}


# --------------------------------------------------------------------------- situations and the checklist


PASSPORT_LIKE = [
    _m("申请表"),
    _m("居民身份证"),
    _m("不满14周岁申请人的监护人身份证明"),
    _m("未满18周岁申请人的国籍声明"),
    _m("本省居住证"),
    _m("华侨交验定居国外证明"),
    _m("现役军人交验部队出具的证明"),
    _m("所持证件原件（换发、加注）"),
    _m("加注事项证明（加注需要）"),
    _m("受托人的身份证件", "委托他人办理的", False),
]


def test_questions_and_options_come_from_the_materials():
    ss = {s.id: s for s in build_situations(PASSPORT_LIKE, title="某证件办理")}
    assert set(ss) == {"agent", "identity", "age", "household", "reason", "endorse"}
    assert [o.id for o in ss["age"].options] == ["lt14", "14-18", "ge18"]
    assert [o.id for o in ss["identity"].options] == ["overseas_chinese", "military", "none"]
    assert "new" in [o.id for o in ss["reason"].options]  # 首次申请 is always an answer
    assert ss["age"].option("14-18").keeps == ("未满18周岁申请人的国籍声明",)


def test_nothing_is_dropped_silently():
    ss = build_situations(PASSPORT_LIKE, title="某证件办理")
    rows = checklist(PASSPORT_LIKE, ss, {"age": "ge18", "identity": "none", "agent": "self"})
    assert [r["name"] for r in rows] == [m["name"] for m in PASSPORT_LIKE]
    by = {r["name"]: r for r in rows}
    assert by["申请表"]["applies"] is True and by["申请表"]["when"] == []
    assert by["不满14周岁申请人的监护人身份证明"]["applies"] is False
    assert by["不满14周岁申请人的监护人身份证明"]["excluded_by"] == ["age:ge18"]
    assert by["受托人的身份证件"]["excluded_by"] == ["agent:self"]
    assert by["本省居住证"]["applies"] is None and by["本省居住证"]["pending"] == ["household"]
    for r in rows:
        assert (r["applies"] is False) == bool(r["excluded_by"])
        assert (r["applies"] is None) == bool(r["pending"] and not r["excluded_by"])


def test_either_case_keeps_a_material_for_either_answer():
    ss = build_situations(PASSPORT_LIKE, title="某证件办理")
    held = "所持证件原件（换发、加注）"
    assert _rows(PASSPORT_LIKE, ss, {"reason": "renew"})[held]["applies"] is True
    assert _rows(PASSPORT_LIKE, ss, {"reason": "new", "endorse": "yes"})[held]["applies"] is True
    assert _rows(PASSPORT_LIKE, ss, {"reason": "new"})[held]["applies"] is None  # 加注 not answered yet
    row = _rows(PASSPORT_LIKE, ss, {"reason": "new", "endorse": "no"})[held]
    assert row["applies"] is False and set(row["excluded_by"]) == {"reason:new", "endorse:no"}
    assert sorted(map(sorted, row["when_all"])) == [["endorse:yes", "reason:renew"]]


@pytest.mark.parametrize("query, answers", [
    ("帮8岁的孩子办，要带什么", {"age": "lt14"}),
    ("我今年十六岁", {"age": "14-18"}),
    ("我是成年人，现役军人", {"age": "ge18", "identity": "military"}),
    ("我是华侨，证件过期了要换", {"identity": "overseas_chinese", "reason": "renew"}),
    ("外省户籍，第一次办，委托朋友去", {"household": "nonlocal", "reason": "new", "agent": "proxy"}),
    ("我不是军人，本人去办", {"agent": "self"}),
    ("需要加注", {"endorse": "yes"}),
])
def test_understand_reads_the_situation_by_dimension(query, answers):
    ss = build_situations(PASSPORT_LIKE, title="某证件办理")
    got = understand(query, ss, region="广东省广州市")
    assert got.answers == answers
    assert all(u["phrase"] in query for u in got.understood)


def test_understand_place_names_against_the_region_and_the_options():
    mats = [_m("申请书"), _m("电子照片（深圳市）"), _m("本省居住证")]
    ss = build_situations(mats)
    assert understand("我是湖南户籍，人在深圳", ss, region="广东省").answers == {"household": "nonlocal", "place": "深圳"}
    assert understand("广州户口，在珠海办", ss, region="广东省").answers == {"household": "local", "place": "other"}
    assert age_range("年满18周岁") == (18, 1000, "年满18周岁")


def test_generic_questions_pairs_and_variants():
    mats = [_m("车辆行驶证", "已购置车辆的", False), _m("拟购车辆承诺书", "尚未购置车辆的", False),
            _m("运输方案（多次运输的）"), _m("申请表（适用于制剂）"), _m("申请表（适用于原药）"),
            _m("补缴材料（因申请补缴的）"), _m("其他材料（因其他原因的）"),
            _m("专职改兼职的，提交单位同意书"), _m("兼职变专职，提交辞职证明")]
    ss = {s.dimension + ":" + s.question: s for s in build_situations(mats)}
    questions = sorted(ss)
    assert "generic:是否购置车辆？" in questions  # 已 / 尚未 are one question
    assert "generic:是否多次运输？" in questions
    assert any(q.startswith("variant:申请表") for q in questions)
    assert any(q.startswith("cause:") for q in questions)
    assert sum(q.startswith("generic:是否") and "职" in q for q in questions) == 1  # one change, two ways
    got = understand("我是兼职律师，要转为专职；只跑一次，不是多次运输；申请的是原药", list(ss.values()))
    rows = _rows(mats, list(ss.values()), got.answers)
    assert rows["兼职变专职，提交辞职证明"]["applies"] is True
    assert rows["专职改兼职的，提交单位同意书"]["applies"] is False
    assert rows["运输方案（多次运输的）"]["applies"] is False
    assert rows["申请表（适用于原药）"]["applies"] is True and rows["申请表（适用于制剂）"]["applies"] is False
    assert rows["车辆行驶证"]["applies"] is None


def test_questions_are_asked_once_across_the_members_of_a_bundle():
    mats = [_m("授权委托书及受托人身份证", "委托他人办理的", False, "item-a", "甲事项"),
            _m("代办人身份证", None, None, "item-b", "乙事项"),
            _m("委托书", "委托他人办理的（境外委托须经公证）", False, "item-c", "丙事项"),
            _m("营业执照", None, True, "item-c", "丙事项")]
    ss = build_situations(mats)
    assert [s.id for s in ss] == ["agent"]
    assert set(ss[0].affects) == {"授权委托书及受托人身份证", "代办人身份证", "委托书"}
    assert {e["source"] for e in ss[0].evidence} == {"item-a", "item-b", "item-c"}
    rows = _rows(mats, ss, understand("我自己去办", ss).answers)
    assert [n for n, r in rows.items() if r["applies"] is True] == ["营业执照"]


def test_either_or_documents_are_one_row_not_a_question():
    mats = [_m("居民身份证或户口簿"), _m("学历证书、职称证书或职业资格证书"), _m("申请单位或个人出具的申请函")]
    assert build_situations(mats) == []
    rows = _rows(mats, [])
    assert rows["居民身份证或户口簿"]["one_of"] == ["居民身份证", "户口簿"]
    assert rows["学历证书、职称证书或职业资格证书"]["one_of"] == ["学历证书", "职称证书", "职业资格证书"]
    assert "one_of" not in rows["申请单位或个人出具的申请函"] and rows["申请单位或个人出具的申请函"]["applies"] is True


def test_parse_answers_checks_ids_and_options():
    ss = build_situations(PASSPORT_LIKE, title="某证件办理")
    assert parse_answers("agent:self, age:lt14", ss) == {"agent": "self", "age": "lt14"}
    with pytest.raises(BadSituation, match="unknown situation"):
        parse_answers("nosuch:yes", ss)
    with pytest.raises(BadSituation, match="no option"):
        parse_answers("agent:maybe", ss)
    with pytest.raises(BadSituation, match="ID:OPTION"):
        parse_answers("agent", ss)


def test_situations_serialise_for_the_api():
    ss = build_situations(PASSPORT_LIKE, title="某证件办理")
    d = json.loads(json.dumps([s.to_dict() for s in ss], ensure_ascii=False))
    assert {"id", "question", "options", "affects", "evidence", "citation"} <= set(d[0])
    assert all({"id", "label", "keeps"} <= set(o) for s in d for o in s["options"])


def test_score_situation_case():
    case = {"qid": "t1", "query": "我30岁，本人去办", "situation_expect": {
        "keep": ["申请表", "居民身份证"], "drop": ["受托人的身份证件", "不满14周岁申请人的监护人身份证明", "本省居住证"]}}
    r = score_situation_case(case, PASSPORT_LIKE, title="某证件办理")
    assert r["n"] == 5 and r["correct"] == 4 and r["dropped_wrong"] == ["本省居住证"]
    assert r["wrong_drops"] == ["未满18周岁申请人的国籍声明"]  # dropped, but the case does not say so


# --------------------------------------------------------------------------- the demo corpus (real ingest)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    ingest.run_ingest(None, out)
    with open(out / "docs.jsonl", encoding="utf-8") as f:
        return {d["doc_id"]: d for d in map(json.loads, f)}


def _bundle_materials(docs, bundle):
    """The bundle's own list and its members' lists, merged by name, each row with its sources."""
    rows, seen = [], {}
    for src in [bundle] + [docs[m] for m in bundle["fields"]["members"]]:
        for m in src["fields"].get("materials") or []:
            if m["name"] in seen:
                seen[m["name"]]["sources"].append(src["doc_id"])
                seen[m["name"]]["source_titles"].append(src["title"])
                continue
            seen[m["name"]] = dict(m, sources=[src["doc_id"]], source_titles=[src["title"]])
            rows.append(seen[m["name"]])
    return rows


def _situations(docs, bundle):
    mats = _bundle_materials(docs, bundle)
    return mats, build_situations(mats, title=bundle["title"], routes=bundle["fields"].get("routes"),
                                  members=bundle["fields"]["members"])


def test_every_demo_bundle_with_routes_asks_and_answering_removes_the_other_route(demo):
    bundles = [d for d in demo.values() if d["kind"] == "bundle" and d["fields"].get("routes")]
    assert len(bundles) >= 5
    for b in bundles:
        mats, ss = _situations(demo, b)
        for route in b["fields"]["routes"]:
            (s,) = [s for s in ss if s.question == route["question"]]
            assert [o.label for o in s.options] == [o["label"] for o in route["options"]], b["doc_id"]
            members = set(b["fields"]["members"])
            for opt, r_opt in zip(s.options, route["options"]):
                mine = set(r_opt.get("members") or [])
                others = {m for o in route["options"] for m in o.get("members") or []} - mine
                rows = checklist(mats, ss, {s.id: opt.id})
                assert len(rows) == len(mats)
                for r in rows:
                    srcs = set(r["sources"]) & members
                    if srcs and srcs <= others:  # only the other route's items need it: removed
                        assert r["applies"] is False and f"{s.id}:{opt.id}" in r["excluded_by"], (b["doc_id"], r["name"])
                    elif srcs & mine or srcs - others:  # this route's items or a common one: not removed
                        assert r["applies"] is not False or r["excluded_by"] != [f"{s.id}:{opt.id}"]


def test_restaurant_route_is_the_entity_question_understood_from_the_query(demo):
    b = demo["bundle-open-restaurant"]
    mats, ss = _situations(demo, b)
    (s,) = [s for s in ss if s.question.startswith("营业执照以何种形式办理")]
    assert s.id == "entity" and [o.id for o in s.options] == ["individual", "company"]
    got = understand("开个小饭馆，注册个体户，要准备什么", ss)
    assert got.answers["entity"] == "individual"
    assert got.understood[0]["phrase"] == "个体户"
    rows = {r["name"]: r for r in checklist(mats, ss, got.answers)}
    company_only = [m["name"] for m in demo["item-company-establishment-registration"]["fields"]["materials"]
                    if m["name"] not in {x["name"] for x in demo["item-individual-business-registration"]["fields"]["materials"]}
                    and set(rows[m["name"]]["sources"]) & set(b["fields"]["members"]) == {"item-company-establishment-registration"}]
    assert company_only and all(rows[n]["applies"] is False for n in company_only)
    assert rows["个体工商户登记（备案）申请书"]["applies"] is True
    # 委托他人办理？ is asked once for the whole bundle although several member items name it
    agent = [s for s in ss if s.id == "agent"]
    assert len(agent) == 1 and len({e["source"] for e in agent[0].evidence}) >= 3


def test_route_section_is_in_the_clean_text_for_citations(demo):
    d = demo["bundle-company-deregistration"]
    assert "【情形引导】" in d["text"] and "选择哪种注销程序？（二者择一）" in d["text"]
    assert [o["members"] for o in d["fields"]["routes"][0]["options"]] == [
        ["item-simplified-deregistration"], ["item-general-deregistration"]]


def test_demo_item_questions_read_from_the_conditions_column(demo):
    d = demo["item-residence-permit"]
    ss = {s.dimension: s for s in build_situations(d["fields"]["materials"], title=d["title"])}
    assert {"age", "cause"} <= set(ss)
    assert sorted(o.label for o in ss["cause"].options) == ["住所", "就业", "就读"]
    got = understand("以就业申领居住证，要带什么", list(ss.values()))
    assert got.answers == {ss["cause"].id: [o.id for o in ss["cause"].options if o.label == "就业"][0]}


def test_corpus_builder_rejects_a_route_to_a_non_member(tmp_path):
    spec = importlib.util.spec_from_file_location("bp", ROOT / "corpus" / "build_pages.py")
    bp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bp)
    src = tmp_path / "src"
    shutil.copytree(ROOT / "corpus" / "src", src)
    path = src / "bundles.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    with_routes = next(r for r in records if r.get("routes"))
    with_routes["routes"][0]["options"][0]["members"] = ["item-marriage-registration"]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(bp.CorpusError, match="is not a member"):
        bp.load_source(src)


# --------------------------------------------------------------------------- the real Guangdong export


@pytest.mark.shared
def test_guangdong_export_conditions_and_labelled_cases(shared_data):
    from eval.situations import census, load_cases, load_items, run

    docs = load_items(shared_data)
    c = census(docs)
    assert c["material_rows"] == 3434
    assert c["conditional_rows"] >= 300 and c["by_kind"]["dimension"] > c["by_kind"]["generic"]
    assert {"agent", "age", "identity", "household", "place"} <= set(c["by_dimension"])
    report = run(load_cases(ROOT / "eval" / "sets" / "situations-guangdong.jsonl"), docs)
    assert report["n_cases"] >= 40 and not report["missing_items"]
    assert report["materials_correct"] >= 0.9
    # no material the guide says to keep for the stated situation is ever dropped
    for r in report["cases"]:
        assert not (set(r["kept_wrong"]) & set(r["wrong_drops"])), r["qid"]

    passport = docs["11440100007483172Q3440106042001"]
    mats = passport.fields["materials"]
    ss = build_situations(mats, title=passport.title)
    assert {"identity", "age", "household", "reason", "endorse"} <= {s.id for s in ss}
    got = understand("我是外省户籍，在广州上班，办护照", ss, region=passport.region)
    assert got.answers["household"] == "nonlocal"
    rows = {r["name"]: r for r in checklist(mats, ss, got.answers)}
    assert rows["广东省居住证"]["applies"] is True and rows["居民身份证"]["applies"] is True
