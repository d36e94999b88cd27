"""Chunk spans: text == doc.text[start:end], chunks tile the text (only whitespace between
them), no empty chunks, sections per kind, size bounds."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.records import Document
from ingest.chunk import check_tiling, chunk
from ingest.clean import clean
from ingest.structure import render_service_item


def doc(kind, text, doc_id="d1", title="标题"):
    return Document(doc_id=doc_id, source="test", kind=kind, title=title, text=text)


def assert_tiles(d, chunks, max_chars):
    check_tiling(d.text, chunks)
    assert [c.chunk_id for c in chunks] == [f"{d.doc_id}#{n}" for n in range(len(chunks))]
    for c in chunks:
        assert c.doc_id == d.doc_id and c.title == d.title and c.section
        # only a heading glued to its body may exceed the bound
        assert len(c.text) <= max_chars + 80, (c.chunk_id, len(c.text))
    # concatenating the spans and the skipped whitespace gives the text back
    rebuilt, pos = "", 0
    for c in chunks:
        rebuilt += d.text[pos:c.start] + c.text
        pos = c.end
    assert rebuilt + d.text[pos:] == d.text


def test_check_tiling_catches_gaps_and_overlaps():
    d = doc("article", "第一段。\n第二段。")
    good = chunk(d)
    check_tiling(d.text, good)
    bad = [good[0].model_copy(update={"end": 2, "text": d.text[:2]})]
    with pytest.raises(AssertionError):
        check_tiling(d.text, bad)


def test_service_item_splits_at_section_headers():
    fields = {
        "summary": "实施主体：示例市市场监督管理局",
        "materials": [{"name": f"申请材料名称{i}"} for i in range(1, 41)],
        "conditions": "申请人应当具备与经营项目相适应的场所。" * 5,
        "time_limit_legal": "20个工作日",
        "phone": "0760-12345678",
    }
    text = render_service_item("食品经营许可（新办）", fields)
    d = doc("service_item", text, title="食品经营许可（新办）")
    chunks = chunk(d, max_chars=200)
    assert_tiles(d, chunks, 200)
    sections = [c.section for c in chunks]
    assert sections[0] == "事项概况" and chunks[0].text.startswith("食品经营许可（新办）\n【事项概况】")
    assert sections.count("申请材料") >= 2  # 40 materials do not fit in 200 chars
    assert {"受理条件", "办理时限", "咨询电话"} <= set(sections)
    # every chunk lies inside one section: no chunk holds two header lines
    for c in chunks:
        assert len(re.findall(r"^【[^】]+】$", c.text, re.M)) <= 1
    # a section's chunks start at line boundaries (materials are not cut mid-item)
    for c in chunks:
        if c.section == "申请材料" and not c.text.startswith("【"):
            assert re.match(r"\d+\. ", c.text)


def test_service_item_long_preamble_is_its_own_section():
    text = "示例一件事\n" + "这是一段较长的事项说明，介绍办理这件事的背景和适用范围。" * 3 + "\n【申请材料】\n1. 身份证"
    d = doc("bundle", text)
    chunks = chunk(d)
    assert_tiles(d, chunks, 400)
    assert [c.section for c in chunks] == ["事项概况", "申请材料"]


def test_policy_splits_by_article_headings():
    text = clean(
        "示例市促进数字经济发展的若干措施\n为加快数字经济发展，制定本措施。\n"
        "第一章 总则\n第一条 为了规范管理，制定本办法。\n第二条 本办法适用于本市。\n"
        "一、支持对象\n（一）在本市注册的企业。\n（二）" + "符合产业方向的项目，按规定给予补助。" * 30 + "\n"
        "二、申报材料\n申报单位应提交申请书。\n附件：申报表"
    )
    d = doc("policy", text)
    chunks = chunk(d, max_chars=200)
    assert_tiles(d, chunks, 200)
    sections = [c.section for c in chunks]
    assert sections[0] == "正文"
    assert "第一条" in sections or "第一章 总则" in sections
    assert "第二条" in sections and "一、支持对象" in sections and "二、申报材料" in sections
    assert any(s.startswith("附件") for s in sections)
    # the chapter heading line is never a chunk on its own
    assert all(c.text != "第一章 总则" for c in chunks)
    # hard headings start chunks
    assert any(c.text.startswith("第二条") for c in chunks)
    assert any(c.text.startswith("二、申报材料") for c in chunks)
    assert all(len(s) <= 20 for s in sections)


def test_qa_whole_when_short_else_split():
    short = doc("qa", "可以。需要携带身份证原件。" * 10)  # 130 chars
    chunks = chunk(short, max_chars=100)
    assert len(chunks) == 1 and chunks[0].text == short.text and chunks[0].section == "答复"
    long = doc("qa", "第一段回答内容，说明办理流程。" * 20 + "\n" + "第二段回答内容。" * 30)
    chunks = chunk(long, max_chars=100)
    assert len(chunks) > 2
    assert_tiles(long, chunks, 100)


def test_article_paragraphs_and_sentence_split():
    text = "示例标题\n" + "很长的一段话没有换行。" * 60 + "\n短小标题\n最后一段。"
    d = doc("article", text)
    chunks = chunk(d, max_chars=150)
    assert_tiles(d, chunks, 150)
    # the overlong paragraph was cut at sentence ends
    assert all(c.text.endswith(("。", "题")) for c in chunks)
    assert chunks[-1].section == "短小标题"


def test_unpunctuated_overlong_line_is_cut_hard():
    d = doc("article", "无" * 1000)
    chunks = chunk(d, max_chars=300)
    assert_tiles(d, chunks, 300)
    assert max(len(c.text) for c in chunks) <= 300


def test_blank_text_gives_no_chunks_and_bad_max():
    assert chunk(doc("article", " \n ")) == []
    with pytest.raises(ValueError):
        chunk(doc("article", "x"), max_chars=5)


_ALPHABET = list("一二三四五六七八九十第条章、（）。，；：\n 【】申请材料受理条件附件abc12")


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["service_item", "policy", "qa", "article", "bundle"]),
       body=st.text(alphabet=st.sampled_from(_ALPHABET), min_size=1, max_size=600),
       max_chars=st.integers(min_value=20, max_value=200))
def test_tiling_property(kind, body, max_chars):
    text = clean(body)
    if not text:
        return
    d = doc(kind, text)
    chunks = chunk(d, max_chars=max_chars)
    assert chunks
    assert_tiles(d, chunks, max_chars)
