"""Eligibility criteria, support standards and materials: on the 24 demo notices as ingested (every
condition line covered and cited) and on hand-written lines for the forms a threshold takes."""
import json
import re
from pathlib import Path

import pytest

from answer.policies.eligibility import extract_eligibility
from answer.policies.sections import find_sections
from core.records import Document
from ingest.chunk import chunk

ROOT = Path(__file__).resolve().parent.parent
POLICIES = json.loads((ROOT / "corpus" / "src" / "policies.json").read_text(encoding="utf-8"))
CONDITION_HEADING = re.compile(r"条件|对象")


def condition_lines(pid: str) -> list[str]:
    """The 申报条件 lines as the notice's source lists them (independent of the parser)."""
    p = next(p for p in POLICIES if p["id"] == pid)
    return [line for heading, lines in p["sections"] if CONDITION_HEADING.search(heading) for line in lines]


@pytest.fixture(scope="module")
def demo_eligibility(demo_records):
    docs, chunks = demo_records
    return {p["id"]: (docs[p["id"]], chunks[p["id"]], extract_eligibility(docs[p["id"]], chunks[p["id"]]))
            for p in POLICIES}


def facets(el, kind):
    return [c for c in el.criteria if c.kind == kind]


@pytest.mark.parametrize("pid", [p["id"] for p in POLICIES])
def test_every_condition_line_is_covered_and_cited(demo_eligibility, pid):
    doc, chunks, el = demo_eligibility[pid]
    by_id = {c.chunk_id: c for c in chunks}
    lines = condition_lines(pid)
    assert lines, pid
    assert len(el.condition_lines) == len(lines)
    for line in lines:
        start = doc.text.find(line)
        assert start >= 0
        end = start + len(line)
        covering = [c for c in el.criteria if start <= c.citation.start and c.citation.end <= end]
        assert covering, f"{pid}: no criterion for {line}"
    for c in el.criteria + el.support + el.materials:
        cit = c.citation
        text = getattr(c, "text", None) or getattr(c, "name")
        assert doc.text[cit.start:cit.end] == text
        ch = by_id[cit.chunk_id]
        assert ch.start <= cit.start < ch.end and cit.doc_id == pid and cit.url == doc.url


def test_facets_of_the_digital_transformation_notice(demo_eligibility):
    doc, _, el = demo_eligibility["policy-digital-transformation-subsidy-2025"]
    assert [c.values for c in facets(el, "region")] == [["示例市"]]
    assert facets(el, "industry")[0].values == ["工业", "软件和信息技术服务业"]
    assert facets(el, "qualification")[0].values == ["中小企业"]  # not the 《中小企业划型标准规定》 title
    assert set(facets(el, "entity_type")[0].values) == {"独立法人", "企业"}
    (inv,) = [c for c in facets(el, "threshold")]
    assert (inv.field, inv.op, inv.value, inv.unit) == ("investment_10k", ">=", 30.0, "万元")
    ratio = [s for s in el.support if s.kind == "ratio"]
    top = [s for s in el.support if s.kind == "max_amount"]
    assert ratio[0].value == 30.0 and top[0].value == 50.0 and top[0].unit == "万元"
    assert el.materials[0].name == "示例市中小企业数字化转型项目资金申请表"
    assert any(c.conditional for c in el.criteria if "不得重复申报" in c.text)


def test_remarks_relax_thresholds_without_requiring_titles(demo_eligibility):
    _, _, el = demo_eligibility["policy-technical-renovation-2025"]
    assert "专精特新中小企业" not in {v for c in facets(el, "qualification") for v in c.values}
    assert {"规上企业"} == {v for c in facets(el, "qualification") for v in c.values}
    inv = [c for c in facets(el, "threshold") if c.field == "investment_10k"]
    assert inv and inv[0].value == 500.0
    _, _, el = demo_eligibility["policy-rd-expense-subsidy-2025"]
    assert not facets(el, "qualification")
    assert [c.value for c in facets(el, "threshold") if c.field == "rd_expense_10k"] == [100.0]
    _, _, el = demo_eligibility["policy-small-to-scale-award-2025"]  # a remark that is a quantity is read
    assert [(c.field, c.value) for c in facets(el, "threshold")] == [("revenue_10k", 2000.0)]


def test_units_and_operators(demo_eligibility):
    _, _, el = demo_eligibility["policy-export-credit-insurance-2025"]
    (t,) = facets(el, "threshold")
    assert (t.field, t.op, t.value, t.unit) == ("export_usd_10k", "<=", 10000.0, "万美元")  # 1亿美元以下
    _, _, el = demo_eligibility["policy-smart-factory-2025"]
    rev = [c for c in facets(el, "threshold") if c.field == "revenue_10k"]
    assert rev[0].value == 5000.0 and not rev[0].branch
    assert {c.branch for c in el.criteria if c.branch} == {"数字化车间", "智能工厂"}
    _, _, el = demo_eligibility["policy-job-stabilization-refund-2025"]
    small = [c for c in facets(el, "threshold") if c.field == "employees"]
    assert small and small[0].conditional and small[0].op == "<="  # 参保职工30人（含）以下的企业，…
    assert set(facets(el, "entity_type")[0].values) == {"企业", "个体工商户", "社会组织"}
    _, _, el = demo_eligibility["policy-hiring-subsidy-2025"]
    assert not [c for c in facets(el, "threshold") if c.field == "employees"]  # 3个月 is not a head count
    amounts = {(s.kind, s.value) for s in el.support}
    assert ("amount", 0.15) in amounts and ("max_amount", 30.0) in amounts


def test_branches_and_implicit_region(demo_eligibility):
    _, _, el = demo_eligibility["policy-startup-loan-interest-2025"]
    assert {c.branch for c in el.criteria if c.branch} == {"个人", "小微企业"}
    person = [c for c in facets(el, "entity_type") if c.branch == "个人"][0]
    assert "个人" in person.values
    _, _, el = demo_eligibility["policy-hiring-subsidy-2025"]
    (region,) = facets(el, "region")
    assert region.implicit and region.values == ["示例市"] and region.text == "示例市人力资源和社会保障局"
    _, _, el = demo_eligibility["policy-specialized-sme-award-2025"]
    assert facets(el, "qualification")[0].values == ["专精特新“小巨人”", "专精特新中小企业", "创新型中小企业"]
    _, _, el = demo_eligibility["policy-talent-housing-2025"]
    assert facets(el, "entity_type")[0].values == ["个人"]


def test_hand_written_thresholds_and_headings():
    text = ("第三章 申报\n第八条 申报条件\n（一）注册地在示例市临江区，成立满2年；\n"
            "（二）上年度营业收入不低于1亿元，从业人员100人以上；\n（三）研发投入占营业收入比例不低于3%；\n"
            "（四）上年度纳税额达到500万元。\n第九条 支持标准\n按实际投入的20%给予补助，最高不超过200万元。\n"
            "第十条 其他\n本办法由示例市科技局负责解释。")
    doc = Document(doc_id="h1", source="test", kind="policy", title="示例市临江区科技企业扶持办法", text=text,
                   region="示例市临江区")
    el = extract_eligibility(doc, chunk(doc))
    assert [s.title for s in find_sections(text) if s.kind == "criteria"] == ["申报条件"]
    assert facets(el, "region")[0].values == ["示例市临江区"]
    th = {c.field: (c.op, c.value, c.unit) for c in facets(el, "threshold")}
    assert th["years_founded"] == (">=", 2.0, "年")
    assert th["revenue_10k"] == (">=", 10000.0, "万元")
    assert th["employees"] == (">=", 100.0, "人")
    assert th["rd_ratio"] == (">=", 3.0, "%")
    assert th["tax_10k"] == (">=", 500.0, "万元")
    assert {(s.kind, s.value) for s in el.support} == {("ratio", 20.0), ("max_amount", 200.0)}
    assert len(el.condition_lines) == 4
