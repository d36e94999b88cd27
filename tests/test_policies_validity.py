"""Validity: dates in their many written forms, status on a date, repeals across a corpus,
application windows — on hand-written documents and on the demo corpus as ingested."""
from datetime import date

import pytest

from answer.policies.dates import five_year_plan, parse_date, to_int
from answer.policies.scoring import score_validity
from answer.policies.validity import corpus_validity, extract_validity, is_current, link_repeals, validity
from core.records import Chunk, Document
from ingest.chunk import chunk


def make(text: str, title: str = "示例市测试办法", date_: str | None = "2021-06-01", doc_id: str = "t1",
         doc_number: str | None = None, kind: str = "policy") -> tuple[Document, list[Chunk]]:
    doc = Document(doc_id=doc_id, source="test", kind=kind, title=title, text=text, date=date_,
                   doc_number=doc_number, region="示例市")
    return doc, chunk(doc)


def facts_of(text: str, **kw):
    doc, chunks = make(text, **kw)
    return doc, extract_validity(doc, chunks)


def assert_cited(doc: Document, chunks: list[Chunk], statements) -> None:
    by_id = {c.chunk_id: c for c in chunks}
    for s in statements:
        if s.citation is None:
            assert s.source in ("title", "metadata")
            continue
        c = s.citation
        assert doc.text[c.start:c.end] == s.text, s
        assert c.doc_id == doc.doc_id and c.chunk_id in by_id
        ch = by_id[c.chunk_id]
        assert ch.start <= c.start < ch.end, (s, ch)


def test_numerals_and_dates():
    assert to_int("二〇二一") == 2021 and to_int("二○一一") == 2011 and to_int("三十一") == 31 and to_int("十二") == 12
    assert parse_date("二〇二一年十二月三十一日") == date(2021, 12, 31)
    assert parse_date("2021年1月") == date(2021, 1, 1)
    assert parse_date("5355年65月06日") is None  # scrambled digits are not a date
    assert parse_date("1991") is None
    assert five_year_plan(14) == (2021, 2025) and five_year_plan(7) == (1986, 1990)


def test_chinese_dates_and_duration_in_years():
    doc, f = facts_of("一、总则\n本办法自二〇二一年十二月三十一日起施行，有效期三年。")
    assert f.effective_from == date(2021, 12, 31) and f.until == date(2024, 12, 30)
    assert validity(f, date(2022, 1, 1)).status == "in_force"
    assert validity(f, date(2021, 12, 30)).status == "not_yet"
    v = validity(f, date(2025, 1, 1))
    assert v.status == "expired" and v.until == date(2024, 12, 30)
    assert {s.fact for s in v.statements} >= {"effective_from", "duration"}
    assert_cited(doc, chunk(doc), v.statements)


def test_effective_on_publication_with_an_end_date():
    doc, f = facts_of("为规范管理，制定本通知。\n本通知自发布之日起施行，有效期至2023年12月31日。")
    assert f.effective_from == date(2021, 6, 1) and f.until == date(2023, 12, 31)
    assert validity(f, date(2021, 5, 1)).status == "not_yet"
    assert validity(f, date(2023, 12, 31)).status == "in_force"
    assert validity(f, date(2024, 1, 1)).status == "expired"


def test_issued_on_date_in_text_is_the_publication_date():
    text = "第十八条 本实施细则自印发之日起施行，有效期5年。\n公开方式：主动公开\n示例市人民政府办公厅 2021年12月6日印发"
    doc, f = facts_of(text, date_="2021-12-09")
    assert f.published == date(2021, 12, 6)
    assert f.until == date(2026, 12, 5)


def test_signature_date_in_chinese_numerals_when_the_record_has_only_a_year():
    doc, f = facts_of("九、本通知自发出之日起施行。\n国务院\n一九九一年一月十五日", date_="1991")
    assert f.published == date(1991, 1, 15) and f.effective_from == date(1991, 1, 15)
    assert validity(f, date(2000, 1, 1)).status == "in_force"


def test_plan_periods_in_text_and_title():
    _, f = facts_of("为推进发展，制定本行动计划。行动计划的实施期为2021年1月至2023年12月。")
    assert (f.effective_from, f.until) == (date(2021, 1, 1), date(2023, 12, 31))
    doc, f = facts_of("一、总体要求\n到2023年，数字经济规模显著提升。", title="示例省数字经济行动计划（2021—2023年）")
    assert f.until == date(2023, 12, 31) and f.period == (2021, 2023)
    assert validity(f, date(2024, 3, 1)).status == "expired"
    st = next(s for s in f.statements if s.fact == "period")
    assert st.source == "title" and st.citation is None  # the title is not in the text here
    doc, f = facts_of("示例省“十四五”科技创新规划\n一、发展基础", title="示例省“十四五”科技创新规划")
    assert f.until == date(2025, 12, 31)
    st = next(s for s in f.statements if s.fact == "period")
    assert st.citation is not None and doc.text[st.citation.start:st.citation.end] == st.text


def test_measure_periods_and_certificates_are_not_the_documents_validity():
    for text in ("智能制造示范工厂有效期为3年（自示范工厂名单发布起）。",
                 "持有在有效期内的居住证的，可以申请。星级评定结果有效期三年。",
                 "上网电价及补贴的执行期限原则上为20年。",
                 "为落实《示例市数字经济发展规划（2018—2022年）》，制定本方案。",
                 "本通知规定的标准均从2025年1月1日起执行。"):
        _, f = facts_of(text)
        assert validity(f, date(2026, 1, 1)).status == "unknown", text
    _, f = facts_of("第十五条 本细则自5355年6月6日起实施，有效期至5355年65月06日。")
    assert validity(f, date(2026, 1, 1)).status == "unknown"  # scrambled dates state nothing usable


def test_trial_period_and_measures_with_end():
    _, f = facts_of("第十五条 本规定自印发之日起执行，试行期一年，期满后根据实际情况适时调整。", date_="2021-03-11")
    assert f.until == date(2022, 3, 10)
    _, f = facts_of("（三）政策执行至2025年12月31日。", date_="2025-05-20")
    assert validity(f, date(2025, 6, 1)).status == "in_force" and f.until == date(2025, 12, 31)


def test_repeals_and_linking_across_a_corpus():
    new, new_chunks = make("第二十条 本办法自2022年1月1日起施行。《示例市创业担保贷款管理办法》（示人社规〔2019〕3号）、"
                           "《示例市就业补助办法》同时废止。", doc_id="new", date_="2021-12-01")
    old, old_chunks = make("第一条 为规范创业担保贷款，制定本办法。", title="示例市创业担保贷款管理办法", doc_id="old",
                           date_="2019-03-01", doc_number="示人社规〔2019〕3号")
    other, other_chunks = make("第一条 为做好就业补助，制定本办法。", title="示例市人力资源和社会保障局关于印发示例市就业补助办法的通知",
                               doc_id="other", date_="2018-01-01")
    fn = extract_validity(new, new_chunks)
    assert [(r.title, r.doc_number) for r in fn.repeals] == [
        ("示例市创业担保贷款管理办法", "示人社规〔2019〕3号"), ("示例市就业补助办法", None)]
    facts = {"new": fn, "old": extract_validity(old, old_chunks), "other": extract_validity(other, other_chunks)}
    links = link_repeals(facts)
    assert set(links) == {"old", "other"} and links["old"].doc_id == "new" and links["old"].on == date(2022, 1, 1)
    v = validity(facts["old"], date(2022, 6, 1), links["old"])
    assert v.status == "expired" and v.repealed_by.doc_id == "new"
    assert new.text[v.repealed_by.citation.start:v.repealed_by.citation.end].startswith("《示例市创业担保贷款管理办法》")
    assert validity(facts["old"], date(2021, 6, 1), links["old"]).status == "unknown"  # not yet repealed
    assert corpus_validity([new, old, other], {"new": new_chunks, "old": old_chunks, "other": other_chunks},
                           date(2023, 1, 1))["old"].status == "expired"


def test_a_title_mentioned_earlier_is_not_repealed():
    _, f = facts_of("据《内部情况通报》第7期指出：“各地不得用提高电价的办法集资，已经加价的应停止执行”。")
    assert f.repeals == []


def test_application_windows():
    text = ("四、申报时间和方式\n（一）申报时间：2025年3月15日至4月30日，逾期不予受理；\n"
            "（二）第一批2025年5月1日至5月31日（2024年10月至2025年3月参展的），第二批2025年10月8日至10月31日。")
    doc, f = facts_of(text, date_="2025-03-10")
    assert [(w.start, w.end) for w in f.windows] == [
        (date(2025, 3, 15), date(2025, 4, 30)), (date(2025, 5, 1), date(2025, 5, 31)), (date(2025, 10, 8), date(2025, 10, 31))]
    assert f.windows[2].label == "第二批"
    v = validity(f, date(2025, 4, 1))
    assert v.status == "unknown" and v.window.open and v.window.until == date(2025, 4, 30)
    assert is_current(v)
    v = validity(f, date(2025, 6, 15))
    assert v.window.from_ == date(2025, 10, 8) and v.window.open is False and not is_current(v)
    _, f = facts_of("五、申报时间\n每年6月1日至6月30日集中受理。", date_="2025-01-01")
    w = validity(f, date(2026, 6, 10)).window
    assert (w.from_, w.until, w.open) == (date(2026, 6, 1), date(2026, 6, 30), True)
    _, f = facts_of("四、申报时间和方式\n即日起至2025年5月15日，企业在平台在线申报。", date_="2025-04-02")
    assert (f.windows[0].start, f.windows[0].end) == (date(2025, 4, 2), date(2025, 5, 15))
    _, f = facts_of("四、申请时间和方式\n常年受理。\n五、附则\n本办法自2025年2月1日起施行，有效期至2027年12月31日。")
    v = validity(f, date(2026, 1, 1))
    assert v.window.ongoing and v.window.open and v.status == "in_force"
    assert validity(f, date(2028, 1, 1)).window.open is False


def test_json_shape_uses_from():
    _, f = facts_of("本办法自2022年1月1日起施行，有效期至2023年12月31日。")
    out = validity(f, date(2022, 6, 1)).model_dump(mode="json", by_alias=True)
    assert out["status"] == "in_force" and out["from"] == "2022-01-01" and out["until"] == "2023-12-31"
    assert set(out) >= {"status", "from", "until", "repeals", "repealed_by", "evidence", "window"}
    assert out["evidence"] and {"doc_id", "chunk_id", "section", "start", "end"} <= set(out["evidence"][0])


# ---- the demo corpus, ingested for real -------------------------------------------------------

def test_demo_notices_validity(demo_records):
    docs, chunks = demo_records
    vals = corpus_validity(list(docs.values()), chunks, date(2025, 6, 10))
    rd = vals["policy-rd-expense-subsidy-2025"]
    assert (rd.status, rd.from_, rd.until) == ("in_force", date(2025, 3, 1), date(2028, 2, 29))
    loan = vals["policy-startup-loan-interest-2025"]
    assert loan.until == date(2027, 12, 31) and loan.repeals[0].doc_number == "示人社规〔2021〕3号"
    assert loan.window.ongoing
    assert vals["policy-digital-transformation-subsidy-2025"].status == "unknown"  # states no validity
    assert vals["policy-digital-transformation-subsidy-2025"].window.until == date(2025, 4, 30)
    later = corpus_validity(list(docs.values()), chunks, date(2026, 1, 1))
    assert later["policy-job-stabilization-refund-2025"].status == "expired"
    for doc_id, v in vals.items():
        assert_cited(docs[doc_id], chunks[doc_id], v.statements)


def test_score_validity_on_demo_labels(demo_records):
    docs, chunks = demo_records
    labels = [
        {"doc_id": "policy-rd-expense-subsidy-2025", "as_of": "2026-12-01", "status": "in_force",
         "effective_until": "2028-02-29"},
        {"doc_id": "policy-startup-loan-interest-2025", "as_of": "2028-01-02", "status": "expired",
         "effective_until": "2027-12-31"},
        {"doc_id": "policy-job-stabilization-refund-2025", "as_of": "2025-06-01", "status": "in_force",
         "effective_until": "2025-12-31"},
        {"doc_id": "policy-rd-expense-subsidy-2025", "as_of": "2025-02-01", "status": "not_yet",
         "effective_until": "2028-02-29"},
        {"doc_id": "policy-talent-housing-2025", "as_of": "2026-12-01", "status": "unknown", "effective_until": None},
        {"doc_id": "policy-digital-transformation-subsidy-2025", "as_of": "2026-12-01", "status": "unknown",
         "effective_until": None},
    ]
    r = score_validity(labels, docs, chunks)
    assert r["stated"] == {"n": 4, "correct": 4, "accuracy": 1.0}
    assert r["unstated"]["accuracy"] == 1.0 and r["until"]["accuracy"] == 1.0 and not r["errors"]
    wrong = labels + [{"doc_id": "policy-listing-award-2025", "as_of": "2026-12-01", "status": "in_force",
                       "effective_until": None}, {"doc_id": "no-such-doc", "as_of": "2026-12-01", "status": "unknown"},
                      {"doc_id": "policy-listing-award-2025", "as_of": "2026-13-01", "status": "unknown"}]
    r = score_validity(wrong, docs, chunks)
    assert r["stated"]["accuracy"] == pytest.approx(0.8) and r["missing"] == ["no-such-doc"] and len(r["bad"]) == 1
    assert r["errors"][0]["doc_id"] == "policy-listing-award-2025" and r["errors"][0]["got"] == "unknown"


@pytest.mark.shared
@pytest.mark.slow
def test_real_policies_against_the_dev_labels(shared_data, tmp_path_factory):
    """eval/sets/validity-dev.jsonl: labels written by reading the real texts (ids, statuses, dates)."""
    from pathlib import Path

    from answer.policies.scoring import read_build, read_jsonl
    from ingest import run_ingest

    build = tmp_path_factory.mktemp("shared-build")
    run_ingest(shared_data, build)
    docs, chunks = read_build(build)
    labels, problems = read_jsonl(Path(__file__).resolve().parent.parent / "eval" / "sets" / "validity-dev.jsonl")
    assert not problems and len({x["doc_id"] for x in labels}) >= 60
    r = score_validity(labels, docs, chunks)
    assert not r["missing"] and not r["bad"]
    assert r["stated"]["n"] >= 40 and r["unstated"]["n"] >= 20
    assert r["stated"]["accuracy"] >= 0.9 and r["unstated"]["accuracy"] >= 0.9, r["errors"]
