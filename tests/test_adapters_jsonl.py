"""Each JSONL/seed adapter on invented fixtures in the real formats (tests/data/jsonl,
tests/data/seeds), the bad-input paths, and the pipeline's accounting and output files."""
import json
from pathlib import Path

import pytest

from core.records import Chunk, Document
from ingest import run_ingest
from ingest.adapters import SOURCES, beijing_qa, climate, guangan, guangdong, industry, read_text, seeds
from ingest.chunk import check_tiling
from ingest.clean import to_simplified
from ingest.pipeline import ingest_sources

ROOT = Path(__file__).resolve().parent / "data" / "jsonl"
MINE = [s for s in SOURCES if s[0] not in ("govcn", "guangzhou")]


@pytest.fixture(scope="module")
def ingested():
    return ingest_sources(MINE, ROOT)


def by_id(docs):
    out = {}
    for d in docs:
        out.setdefault(d.doc_id, d)  # the first of a repeated id
    return out


def test_guangdong_fields_and_text():
    r = guangdong.load(ROOT)
    assert r.records == 5  # 5 non-blank lines
    docs = by_id(r.documents)
    assert set(docs) == {"T9900000000000001", "T9900000000000002", "T9900000000000003"}
    d = docs["T9900000000000001"]
    assert d.kind == "service_item" and d.source == "guangdong"
    assert d.title == "示例食品小作坊登记" and d.department == "示例省市场监督管理局" and d.region == "示例省"
    assert d.url == "https://example.gov.cn/guide/T9900000000000001"
    f = d.fields
    assert f["materials"] == [{"name": "食品小作坊登记申请书"}, {"name": "经营者身份证明"}, {"name": "场所平面图"}]
    assert f["time_limit_legal"] == "20个工作日" and f["time_limit_promised"] == "5个工作日"
    assert f["location"].startswith("示例市人民路1号")  # "办理地点：" stripped
    assert f["phone"] == "0999-12345678" and f["complaint_phone"] == "12345"
    assert f["audience"] == "自然人、个体工商户" and f["theme"] == "市场监管、食品"
    assert f["task_type"] == "行政许可" and f["raw"]["common_name"] == "小作坊证"
    assert "short_name" not in f["raw"]  # "无" dropped
    for section in ("【申请材料】", "【受理条件】", "【办理时限】", "【办理地点】", "【咨询电话】"):
        assert section in d.text
    assert "1. 食品小作坊登记申请书" in d.text
    # "无" materials, empty list, "无" phone: absent, not rendered
    for code in ("T9900000000000002", "T9900000000000003"):
        assert "materials" not in docs[code].fields and "【申请材料】" not in docs[code].text
    assert "conditions" not in docs["T9900000000000002"].fields
    assert "无" not in docs["T9900000000000002"].text.split("\n")


def test_guangdong_bad_lines_reported_with_line_numbers():
    r = guangdong.load(ROOT)
    where = {p.where: p.why for p in r.problems}
    assert "record has no TASK_CODE" in where["service-items/guangdong/items.jsonl:2"]
    assert "malformed JSON" in where["service-items/guangdong/items.jsonl:5"]
    assert len(r.problems) == 2


def test_guangan_catalogue():
    r = guangan.load(ROOT)
    assert r.records == 6
    ids = [d.doc_id for d in r.documents]
    assert ids[:2] == ["99A001-990000-000-1", "99A002-990000-000-1"]
    assert ids.count("99A003-990000-000-1") == 2  # repeated id: left to the pipeline
    d = r.documents[2]
    assert d.title == "示例劳务派遣经营许可（新办）" and d.department == "区示例局"
    assert d.fields["group"] == "示例劳务派遣经营许可" and "所属事项：示例劳务派遣经营许可" in d.text
    assert "未分类" not in r.documents[0].text
    assert [p.why for p in r.problems] == ["no itemCode in link ''; skipped"]


def test_beijing_qa_titles_and_bad_records():
    r = beijing_qa.load(ROOT)
    docs = by_id(r.documents)
    assert docs["qa-0001"].title == "在示例市办理居住证，需要携带身份证和居住证明"
    assert docs["qa-0002"].title == "可以"
    assert len(docs["qa-0008"].title) <= 40
    assert docs["qa-0001"].kind == "qa" and docs["qa-0001"].department == "示例局"
    whys = {p.where: p.why for p in r.problems}
    assert "no id" in whys["qa/beijing/answers.jsonl:4"]
    assert "no answer text" in whys["qa/beijing/answers.jsonl:5"]


def test_title_from_answer_cuts_long_sentences():
    t = beijing_qa.title_from_answer("根据" + "有关规定" * 20 + "，可以办理。")
    assert 0 < len(t) <= 40


def test_industry_chinese_title_from_first_line_else_english():
    docs = by_id(industry.load(ROOT).documents)
    d = docs["industry-x-001"]
    assert d.title == "示例市人工智能产业发展行动方案（2025-2027年）"
    assert d.fields["title_en"] == "AI Industry Action Plan of Example City"
    assert d.department == "Example Bureau of Industry" and d.date == "2025-03-10"
    assert d.url == "https://example.gov.cn/policy/1" and d.kind == "policy"
    assert docs["industry-x-002"].title == "Notice on Digital Transformation Subsidies"
    assert industry.chinese_title("一、总体要求\n") is None
    assert industry.chinese_title("各省、自治区工业和信息化主管部门：\n") is None


def test_climate_gb18030_file_doc_number_and_structure():
    r = climate.load(ROOT)  # the fixture is GB18030-encoded
    assert r.problems == [] and r.records == 3
    docs = by_id(r.documents)
    d = docs["climate-x01"]
    assert d.doc_number == "示政发〔2010〕12号" and d.date == "2010"
    assert d.text.split("\n")[:2] == ["示例省人民政府关于加强节能工作的通知", "示政发〔2010〕12号"]
    assert "\n二、落实责任。" in d.text  # inline headings got their own lines
    assert docs["climate-x02"].doc_number == "示例省人民政府令第８８号" or \
        docs["climate-x02"].doc_number == "示例省人民政府令第88号"
    # a 发文字号 cited in brackets is a reference, not the document's own
    assert docs["climate-x03"].doc_number is None


def test_seeds_boilerplate_removed():
    r = seeds.load(ROOT)
    docs = by_id(r.documents)
    news = docs["s2_news"].text
    assert news.startswith("示例市推出“企业服务专员”制度\n示例市日前推出")
    assert docs["s2_news"].date == "2024-05-06" and docs["s2_news"].kind == "article"
    for noise in ("今日东城", "正文", "来源", "资料图", "责任编辑", "分享到", "相关推荐", "猜你喜欢",
                  "优化营商环境新举措", "版权所有", "ICP"):
        assert noise not in news, noise
    assert "累计解决问题一千余件。" in news
    # traditional + pinyin glosses + stray "?" + 版權聲明 tail
    trad = docs["s1_traditional"]
    assert to_simplified(trad.text) == trad.text and "(fā)" not in trad.text and "(qū)" not in trad.text
    assert trad.text.startswith("按照示例市") and "版权声明" not in trad.text and "联系客服" not in trad.text
    # GBK file decoded; related list at its end dropped
    assert docs["s3_gbk"].text.endswith("发放政策宣传资料一百余份。")
    # a share bar at the top goes, the headline after it stays
    assert docs["s5_top_share"].title == "示例镇便民服务中心实现“就近办”"
    assert "微信" not in docs["s5_top_share"].text
    # undecodable file: reported and skipped
    assert [p.where for p in r.problems] == ["seeds/s4_undecodable.txt"]
    assert r.records == 5


def test_read_text_encodings(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufeff政务服务".encode("utf-8"))
    assert read_text(p) == ("政务服务", None)
    p.write_bytes("广东省政务服务网办事指南：申请材料与办理时限".encode("gbk"))
    assert read_text(p)[0] == "广东省政务服务网办事指南：申请材料与办理时限"
    p.write_bytes(bytes(range(128, 256)) * 4)
    text, why = read_text(p)
    assert text is None and "skipped" in why
    assert read_text(tmp_path / "missing.txt")[0] is None


def test_pipeline_accounting_and_dedup(ingested):
    docs, chunks, report = ingested
    for name, s in report["sources"].items():
        assert s["records"] == s["documents"] + s["skipped"] + s["duplicates"], name
    g = report["sources"]["guangdong"]
    assert (g["records"], g["documents"], g["skipped"], g["duplicates"]) == (5, 3, 2, 0)
    ga = report["sources"]["guangan"]
    assert (ga["documents"], ga["skipped"], ga["duplicates"]) == (4, 1, 1)
    bj = report["sources"]["beijing_qa"]
    assert (bj["records"], bj["documents"], bj["skipped"], bj["duplicates"]) == (8, 4, 2, 2)
    whys = {p["where"]: p["why"] for p in bj["problems"]}
    assert whys["beijing_qa:qa-0006"] == "duplicate of qa-0001"  # same text after cleaning
    assert by_id(docs)["qa-0001"].fields["duplicate_ids"] == ["qa-0006"]
    assert "duplicate document id" in whys["beijing_qa:qa-0001"]
    ids = [d.doc_id for d in docs]
    assert len(ids) == len(set(ids))
    assert by_id(docs)["qa-0001"].department == "示例局"  # the first one kept
    assert report["sources"]["industry"]["duplicates"] == 1
    # same text in two sources would be kept; here no such case, and guangan's two
    # "示例学生资助政策咨询" differ by department, so both stay
    assert {"99A002-990000-000-1", "99A009-990000-000-1"} <= set(ids)
    assert report["documents"] == len(docs) and report["chunks"] == len(chunks)


def test_pipeline_cleans_every_document(ingested):
    docs, chunks, _ = ingested
    by_doc = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    for d in docs:
        assert d.text == d.text.strip() and "\u3000" not in d.text and "\n\n" not in d.text
        assert to_simplified(d.text) == d.text
        check_tiling(d.text, by_doc[d.doc_id])


def test_missing_adapter_is_a_problem_of_its_source():
    docs, chunks, report = ingest_sources([("ghost", "ingest.adapters.no_such_module:load"),
                                           ("beijing_qa", "ingest.adapters.beijing_qa:load")], ROOT)
    ghost = report["sources"]["ghost"]
    assert ghost["documents"] == 0 and ghost["skipped"] == 1
    assert "unavailable" in ghost["problems"][0]["why"]
    assert report["sources"]["beijing_qa"]["documents"] == 4


def test_adapter_crash_does_not_lose_other_sources(tmp_path):
    docs, _, report = ingest_sources([("guangdong", "ingest.adapters.guangdong:load"),
                                      ("broken", "ingest.clean:clean")], ROOT)
    assert report["sources"]["broken"]["skipped"] == 1
    assert "failed" in report["sources"]["broken"]["problems"][0]["why"]
    assert report["sources"]["guangdong"]["documents"] == 3


def test_cross_source_same_text_kept_and_reported():
    docs, _, report = ingest_sources([("a", "ingest.adapters.beijing_qa:load"),
                                      ("b", "ingest.adapters.beijing_qa:load")], ROOT)
    b = report["sources"]["b"]
    whys = {p["where"]: p["why"] for p in b["problems"]}
    # ids already used by source a: dropped as duplicates
    assert whys["b:qa-0002"] == "document id already used by source 'a'; kept the first"
    # qa-0006 (dropped in a as a duplicate of qa-0001) is new in b: same text as a's
    # qa-0001, but a different source, so it is kept and only reported
    assert whys["b:qa-0006"] == "same text as qa-0001 in source 'a'; kept both"
    assert b["documents"] == 1 and b["duplicates"] == 5  # qa-0001 (twice), 0002, 0003, 0008
    assert b["records"] == b["documents"] + b["skipped"] + b["duplicates"]


def test_run_ingest_writes_files_atomically(tmp_path):
    out = tmp_path / "build"
    report = run_ingest(ROOT, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == [".lock", "chunks.jsonl", "docs.jsonl", "report.json"]  # no temp files left (.lock: one writer)
    on_disk = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert on_disk["documents"] == report["documents"]
    docs = [Document.model_validate_json(line) for line in (out / "docs.jsonl").read_text().splitlines()]
    chunks = [Chunk.model_validate_json(line) for line in (out / "chunks.jsonl").read_text().splitlines()]
    assert len(docs) == report["documents"] and len(chunks) == report["chunks"]
    text = {d.doc_id: d.text for d in docs}
    assert all(text[c.doc_id][c.start:c.end] == c.text for c in chunks)
    for s in report["sources"].values():
        assert set(s) >= {"documents", "skipped", "duplicates", "records", "problems"}
        assert s["records"] == s["documents"] + s["skipped"] + s["duplicates"]


def test_duplicate_key_ignores_greeting_punctuation_and_spacing():
    from ingest.pipeline import _text_key

    def doc(text, kind="qa", doc_id="x"):
        return Document(doc_id=doc_id, source="beijing_qa", kind=kind, title="t", text=text)

    base = _text_key(doc("进京证提交申请后，审核期间不可修改、取消。"))
    assert _text_key(doc("您好，进京证提交申请后，审核期间不可修改、取消。")) == base
    assert _text_key(doc("你好！进京证提交申请后 审核期间不可修改取消")) == base
    # a different answer, or the same text as another kind of document, is not a duplicate
    assert _text_key(doc("不可以。进京证提交申请后，审核期间不可修改、取消。")) != base
    assert _text_key(doc("进京证提交申请后，审核期间不可修改、取消。", kind="policy")) != base
    # texts of punctuation only do not all collapse into one key
    assert _text_key(doc("……")) != _text_key(doc("——"))
