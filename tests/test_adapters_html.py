"""HTML adapters: generic page parsing, gov.cn, Guangzhou, and the demo-corpus guide pages.

Fixtures in tests/data/html are invented pages in the real sources' layouts; the tests
marked ``shared`` run the adapters on the real data in ../shared/data.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from core.records import Document
from ingest.adapters import SourceResult
from ingest.adapters import govcn, guangzhou, guide_pages
from ingest.html import (EmptyPage, decode_html, find_doc_number, iso_date, nav_link_texts,
                                       parse_page)

HTML = Path(__file__).parent / "data" / "html"
CHROME_WORDS = ("版权所有", "ICP备", "分享到", "主办单位", "上一篇", "下一篇", "打印", "关闭", "相关推荐", "猜你喜欢")


def _no_chrome(text: str) -> list[str]:
    return [w for w in CHROME_WORDS if w in text]


# --------------------------------------------------------------------------- parse_page

def test_portal_article_metadata_from_the_page_itself():
    page = parse_page((HTML / "portal-article.html").read_bytes(), "portal-article.html")
    assert page.title == "测试市灵活就业人员参保补贴申领指引"  # <h1>, not "<title> - site"
    assert page.date == "2023-04-07"  # 发布日期 line, 2023年4月7日
    assert page.source == "测试市人力资源和社会保障局"
    assert page.doc_number == "测人社规〔2023〕3号"


def test_portal_article_body_without_chrome():
    page = parse_page((HTML / "portal-article.html").read_bytes(), "portal-article.html")
    text = page.text
    assert page.blocks[0] == "为减轻灵活就业人员参保负担，现将参保补贴申领事项说明如下。"
    assert page.blocks[-1] == "三、申领方式：每季度首月通过测试市人社网上服务厅申报。"
    assert _no_chrome(text) == []
    for leaked in ("网站首页", "政务公开", "市情概况", "通知公告", "部门动态", "创业补贴申领指引",
                   "统计脚本", "font-size", "字体", "Copyright"):
        assert leaked not in text, leaked


def test_tables_become_rows_of_cells():
    page = parse_page((HTML / "portal-article.html").read_bytes())
    assert "险种 | 补贴比例 | 补贴期限" in page.blocks
    assert "基本养老保险 | 三分之二 | 最长三年" in page.blocks
    # a row follows its header row, in order
    i = page.blocks.index("险种 | 补贴比例 | 补贴期限")
    assert page.blocks[i + 1].startswith("基本养老保险")


def test_title_falls_back_to_title_tag_without_site_name():
    html = ("<html><head><title>小店备案须知 - 测试县人民政府门户网站</title></head><body>"
            "<div><p>小店备案须知的正文内容，说明怎么备案。</p></div></body></html>")
    assert parse_page(html).title == "小店备案须知"
    html2 = html.replace("小店备案须知 - 测试县人民政府门户网站", "测试县市场监督管理局网站-小店备案须知")
    assert parse_page(html2).title == "小店备案须知"


def test_meta_tags_win_and_self_source_is_dropped():
    html = ('<html><head><meta name="ArticleTitle" content="元数据标题"><meta name="PubDate" content="2022-3-9 10:00">'
            '<meta name="ContentSource" content="本网测试办公室"></head><body><h1>页面标题</h1>'
            '<div class="article-content"><p>这是一段足够长的正文内容。</p></div></body></html>')
    page = parse_page(html)
    assert (page.title, page.date, page.source) == ("元数据标题", "2022-03-09", "测试办公室")


def test_gbk_page_decoded_by_meta_charset():
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            '<title>测试县户籍迁入须知_测试县公安局</title></head><body><div class="nav"><a href="/">首页</a></div>'
            '<div id="zoom"><p>迁入户籍需要提交居民户口簿和身份证。</p><p>办理地点：测试县公安局户政窗口。</p></div></body></html>')
    raw = html.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    page = parse_page(raw, "gbk.html")
    assert page.blocks == ["迁入户籍需要提交居民户口簿和身份证。", "办理地点：测试县公安局户政窗口。"]


def test_undeclared_gb18030_page_decoded_by_detection():
    body = "".join(f"<p>第{i}条 小店经营者应当依法办理登记，遵守食品安全和消防安全的规定。</p>" for i in range(1, 8))
    raw = f"<html><body><div>{body}</div></body></html>".encode("gb18030")
    assert "小店经营者应当依法办理登记" in decode_html(raw)
    assert parse_page(raw).blocks[0].startswith("第1条 小店经营者")


def test_page_without_body_raises_empty_page():
    with pytest.raises(EmptyPage):
        parse_page((HTML / "empty" / "pages" / "policy-test-scan-only.html").read_bytes(), "scan.html")


def test_helpers_dates_and_doc_numbers():
    assert iso_date("2019年02月5日") == "2019-02-05"
    assert iso_date("2025-10-17 09:00:00") == "2025-10-17"
    assert iso_date("无") is None
    # a number cited inside a body sentence is another document's number
    assert find_doc_number("", ["根据《某办法》（国发〔2019〕5号）制定本通知。"]) is None
    assert find_doc_number("", ["穗府办规〔2024〕13号", "各区人民政府："]) == "穗府办规〔2024〕13号"
    assert find_doc_number("", ["广州市人民政府令", "第179号"]) == "广州市人民政府令第179号"
    assert find_doc_number("", ["（2021年7月27日中华人民共和国国务院令第746号公布）"]) == "中华人民共和国国务院令第746号"
    assert find_doc_number("文　　号：\n穗建规字〔2024〕5号", []) == "穗建规字〔2024〕5号"


# --------------------------------------------------------------------------- guide pages (demo corpus layout)

@pytest.fixture(scope="module")
def demo() -> SourceResult:
    return guide_pages.load(HTML / "demo")


def _doc(result: SourceResult, doc_id: str) -> Document:
    return next(d for d in result.documents if d.doc_id == doc_id)


def test_guide_pages_load_counts(demo):
    assert demo.records == 3 and len(demo.documents) == 3 and demo.problems == []
    assert {d.doc_id: d.kind for d in demo.documents} == {
        "item-test-cafe-permit": "service_item", "bundle-test-open-cafe": "bundle",
        "policy-test-coffee-subsidy": "policy"}


def test_item_basic_info_and_synonym_sections(demo):
    d = _doc(demo, "item-test-cafe-permit")
    assert d.title == "咖啡小店经营备案（测试）"
    assert d.department == "测试县市场监督管理局"
    assert d.region == "测试县" and d.date == "2024-11-05"
    assert d.url == "https://zwfw.shili.example/guide/item-test-cafe-permit.html".replace("shili", "ceshi")
    f = d.fields
    assert f["audience"] == "个体工商户；企业法人"
    assert f["task_type"] == "其他行政权力"
    assert f["conditions"] == "经营场所位于测试县行政区域内，面积不超过五十平方米。\n只售现制饮品，不做热食。"
    assert f["process"] == ["网上填报", "窗口核验", "领取备案回执"]
    assert f["time_limit_promised"] == "3个工作日" and "time_limit_legal" not in f
    assert f["fee"] == "不收费"
    assert f["location"] == "测试县政务服务中心二楼七号窗口"
    assert f["phone"] == "0000-1234567"
    assert f["complaint_phone"] == "0000-7654321"
    assert f["basis"] == "《测试县小店管理办法》第五条"


def test_material_table_shuffled_and_missing_columns(demo):
    mats = _doc(demo, "item-test-cafe-permit").fields["materials"]
    assert mats == [
        {"name": "咖啡小店备案登记表", "copies": None, "original_or_copy": "原件", "required": True, "condition": None},
        {"name": "场所平面示意图", "copies": None, "original_or_copy": "复印件", "required": False,
         "condition": "场所面积超过二十平方米的"},
        {"name": "委托书", "copies": None, "original_or_copy": None, "required": False, "condition": "委托他人办理的"},
        {"name": "健康证明", "copies": None, "original_or_copy": "电子版", "required": None, "condition": None},
    ]
    assert [m.name for m in _doc(demo, "item-test-cafe-permit").materials][0] == "咖啡小店备案登记表"


def test_item_text_rendered_by_sections_without_chrome(demo):
    d = _doc(demo, "item-test-cafe-permit")
    assert d.text.startswith("咖啡小店经营备案（测试）\n【申请材料】\n1. 咖啡小店备案登记表（原件；必需）")
    for header in ("【受理条件】", "【办理流程】", "【办理时限】", "【收费标准】", "【办理地点】", "【咨询电话】",
                   "【监督投诉电话】", "【设定依据】", "【常见问题】"):
        assert header in d.text, header
    assert "承诺办结时限：3个工作日" in d.text
    assert "预包装面包可以" in d.text  # unknown section kept, after the known ones
    assert _no_chrome(d.text) == []
    for leaked in ("首页", "个人办事", "当前位置", "奶茶小店", "脚本文字", "搜索", "登录", "网站标识码"):
        assert leaked not in d.text, leaked


def test_bundle_members_and_own_materials(demo):
    d = _doc(demo, "bundle-test-open-cafe")
    assert d.fields["members"] == ["item-test-cafe-permit", "item-test-signboard"]
    assert d.fields["member_titles"] == ["咖啡小店经营备案（测试）", "店招设置备案（测试）"]
    assert d.fields["materials"] == [{"name": "一件事联办申请表", "copies": "1份", "original_or_copy": None,
                                      "required": True, "condition": None}]
    assert d.fields["time_limit_legal"] == "20个工作日" and d.fields["time_limit_promised"] == "5个工作日"
    assert "【包含事项】\n1. 咖啡小店经营备案（测试）\n2. 店招设置备案（测试）" in d.text


def test_policy_page_meta_line_and_body(demo):
    d = _doc(demo, "policy-test-coffee-subsidy")
    assert d.title == "关于申报2024年度测试县小店数字化补贴的通知"
    assert d.doc_number == "测商〔2024〕7号"
    assert d.date == "2024-10-09"  # the meta line, not the <meta PubDate> tag
    assert d.department == "测试县商务局"
    assert d.text.split("\n")[:3] == ["各有关经营者：", "一、支持对象", "在测试县登记的小微餐饮店。"]
    assert d.text.endswith("2024年10月10日至11月10日。")
    assert _no_chrome(d.text) == [] and "首页" not in d.text


def test_page_without_body_is_a_problem_not_a_crash():
    r = guide_pages.load(HTML / "empty")
    assert r.records == 1 and r.documents == []
    assert len(r.problems) == 1 and r.problems[0].where.endswith("policy-test-scan-only.html")
    assert "no body text" in r.problems[0].why


def test_section_key_synonyms():
    k = guide_pages.section_key
    assert k("申请材料") == k("所需材料") == k("三、材料清单") == "materials"
    assert k("监督投诉电话") == k("投诉电话") == "complaint_phone"
    assert k("咨询电话") == "phone"
    assert k("办理地点") == k("窗口地址") == "location"
    assert k("特别程序") is None


# --------------------------------------------------------------------------- gov.cn and Guangzhou on fixtures

def test_govcn_fixture():
    r = govcn.load(HTML / "govcn")
    assert r.records == 5  # 4 index lines + 1 page not in the index
    assert [d.doc_id for d in r.documents] == ["govcn-901", "govcn-902"]
    d1, d2 = r.documents
    assert (d1.title, d1.doc_number, d1.department, d1.date) == ("测试院关于推进小店便利化的意见", "测发〔2020〕1号",
                                                                  "测试院", "2020-02-03")
    assert d1.fields["written_date"] == "2020-01-20" and d1.fields["subject"] == "商贸\\其他"
    assert d1.kind == "policy"
    assert d1.text.split("\n")[:2] == ["测发〔2020〕1号", "各有关部门："]  # title lines dropped, header table not in text
    assert "索引号" not in d1.text and "扫一扫" not in d1.text and "发文机关" not in d1.text
    # empty doc_number in the index → the header table's; empty 发布日期 → 成文日期
    assert (d2.doc_number, d2.date) == ("测办发〔2021〕12号", "2021-03-09")
    whys = sorted(p.why for p in r.problems)
    assert len(whys) == 3
    assert any("malformed JSON" in w for w in whys) and any("cannot be read" in w for w in whys)
    assert any("not listed" in w for w in whys)


def test_guangzhou_fixture_matching_and_kinds():
    r = guangzhou.load(HTML / "guangzhou")
    assert r.records == 4 and len(r.documents) == 3
    assert len(r.problems) == 1 and r.problems[0].where.endswith("03_小店细则_原文.txt")
    docs = {d.doc_id: d for d in r.documents}
    d1 = docs["01_测试办法_穗测规2024-1号"]  # no url on the page: matched by title
    assert (d1.title, d1.doc_number, d1.date, d1.department, d1.kind) == (
        "测试市小店管理办法", "穗测规〔2024〕1号", "2024-08-20", "测试市人民政府办公厅", "policy")
    d2 = docs["02_小店问答_2025"]  # matched by url; "（政务问答）" is not a 文号
    assert (d2.title, d2.doc_number, d2.date, d2.kind) == ("小店经营常见问题", None, "2025-03-01", "article")
    assert d2.text == "问：小店需要办理什么手续？\n答：先办理营业执照，再办理经营备案。"
    d4 = docs["04_夜市新闻稿"]  # the entry's text opens with this title, but its url names another page
    assert d4.title == "夜市细则公布！小店可延长营业到凌晨两点" and "metadata_id" not in d4.fields
    assert d4.kind == "article" and d4.department == "测试日报"
    for d in r.documents:
        assert _no_chrome(d.text) == [] and "首页" not in d.text


def test_guangzhou_kind_rule():
    k = guangzhou.kind_for
    assert k("广州市积分制入户管理办法", None) == "policy"
    assert k("关于开展2026年度参保缴费工作的通告", None) == "policy"
    assert k("2026年天河区幼儿园招生工作方案", None) == "policy"
    assert k("广州市失业保险常见问题解答（2025年11月版）", None) == "article"
    assert k("学历型人才引进入户申报指南", None) == "article"
    assert k("仲裁公告", None) == "article"  # a column (list page), not a notice
    assert k("广东多项医保新措1月1日起实施", "粤医保发〔2024〕1号") == "policy"


# --------------------------------------------------------------------------- the real data

@pytest.fixture(scope="module")
def govcn_real(shared_data) -> SourceResult:
    return govcn.load(shared_data)


@pytest.fixture(scope="module")
def gz_real(shared_data) -> SourceResult:
    return guangzhou.load(shared_data)


@pytest.mark.shared
def test_govcn_real_every_doc_has_metadata(govcn_real):
    r = govcn_real
    assert r.records == 60 and len(r.documents) == 60 and r.problems == []
    for d in r.documents:
        assert d.title and d.doc_number and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.date or ""), d.doc_id
        assert re.search(r"〔\d{4}〕\d+号|令第\d+号", d.doc_number), d.doc_number
        assert len(d.text) > 100 and "索 引 号" not in d.text and "扫一扫" not in d.text, d.doc_id
        assert not d.text.startswith(d.title[:8]), d.doc_id  # the title is not repeated as body


@pytest.mark.shared
def test_guangzhou_real_counts(gz_real):
    r = gz_real
    assert r.records == 48
    # one file is a scanned PDF's page markers only: reported, not invented
    assert len(r.documents) == 47
    assert [Path(p.where).name for p in r.problems] == ["01_招生细则_原文.txt"]
    assert len({d.doc_id for d in r.documents}) == 47
    matched = [d for d in r.documents if d.fields.get("metadata_id")]
    assert len(matched) >= 34  # documents.json describes 37 pages; its 招生细则 entry has no text page
    for d in r.documents:
        assert d.title and d.text and d.region == "广州"
        assert d.kind in ("policy", "article")


def _menu_leaks(text: str, menu: list[str]) -> list[str]:
    """A leaked menu shows up as menu entries standing alone on a line, or two entries of
    the menu next to each other."""
    lines = set(text.split("\n"))
    leaks = [m for m in menu if m in lines]
    flat = re.sub(r"\s+", "", text)
    for a, b in zip(menu, menu[1:]):
        if re.sub(r"\s+", "", a + b) in flat:
            leaks.append(a + "|" + b)
    return leaks


@pytest.mark.shared
def test_guangzhou_real_text_has_no_navigation_or_footer(gz_real, shared_data):
    pages = shared_data / "policies" / "guangzhou" / "pages"
    checked = 0
    for d in gz_real.documents:
        path = next(p for p in pages.iterdir() if p.stem == d.doc_id)
        for w in ("版权所有", "ICP备", "分享到"):
            assert w not in d.text, (d.doc_id, w)
        if path.suffix != ".html":
            continue
        raw = path.read_bytes()
        menu = nav_link_texts(raw)
        if not menu:
            continue
        # the check finds the menu in the page's full text (so it can fail) …
        soup = BeautifulSoup(decode_html(raw), "lxml")
        full = "\n".join(t.strip() for t in soup.body.get_text("\n").split("\n") if t.strip())
        assert _menu_leaks(full, menu), d.doc_id
        # … and not in the document's text
        assert _menu_leaks(d.text, menu) == [], d.doc_id
        checked += 1
    assert checked >= 40


def test_guide_sections_found_when_one_section_dominates_the_page():
    rows = "".join(f"<tr><td>{i}</td><td>第{i}号测试证明材料的原件或者经办人签字的复印件</td><td>必需</td></tr>"
                   for i in range(1, 40))
    html = ('<html><head><meta name="ArticleTitle" content="测试许可"></head><body>'
            '<div class="menu"><a href="/">首页</a><a href="/b">办事</a></div><div class="wrap">'
            '<div class="sec"><h2>申请条件</h2><p>在测试县经营。</p></div>'
            f'<div class="sec"><h2>申请材料</h2><table><tr><th>序号</th><th>材料名称</th><th>是否必需</th></tr>{rows}</table></div>'
            '<div class="sec"><h2>咨询电话</h2><p>0000-1111111</p></div></div></body></html>')
    d = guide_pages.parse_document(html, "item-test-long.html")
    assert d.kind == "service_item"
    assert len(d.fields["materials"]) == 39 and all(m["required"] is True for m in d.fields["materials"])
    assert d.fields["conditions"] == "在测试县经营。" and d.fields["phone"] == "0000-1111111"
    assert "首页" not in d.text


def test_chrome_lines_but_not_body_lines():
    from ingest.html import is_chrome_line
    for line in ("分享到：微信 微博", "分享", "上一篇：某通知", "【打印本页】【关闭窗口】", "【字体：大 中 小】",
                 "版权所有：某市人民政府 某ICP备00000000号", "主办单位：某市政务服务数据管理局", "当前位置：首页 > 政务公开"):
        assert is_chrome_line(line), line
    for line in ("分享经济平台企业应当依法办理登记。", "主办单位应当在活动开始前十日提交申请。", "打印纸质执照后签字确认。"):
        assert not is_chrome_line(line), line
