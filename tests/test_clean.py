"""Cleaning rules: NFKC without losing Chinese punctuation, t2s, pinyin glosses, whitespace,
idempotence, placeholders."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.records import Document
from ingest.clean import clean, clean_document, clean_value, is_placeholder, to_simplified


def test_nfkc_full_width_ascii_and_digits_become_half_width():
    assert clean("ＡＢＣ１２３ｘｙｚ") == "ABC123xyz"
    assert clean("到２０２７年产业规模达到１００亿元") == "到2027年产业规模达到100亿元"


def test_chinese_punctuation_survives_nfkc():
    s = "（一）基本原则：坚持创新；“引号”《书名》【括号】、顿号，句号。问号？叹号！～…"
    assert clean(s) == s


def test_odd_spaces_normalised_or_removed():
    assert clean("第一章\u3000总则") == "第一章 总则"
    assert clean("不\xa0间断") == "不 间断"
    assert clean("零\u200b宽\ufeff字符") == "零宽字符"
    assert clean("多个   空格\t\t制表") == "多个 空格 制表"


def test_paragraph_lines_kept_blank_lines_and_indentation_dropped():
    s = "\u3000第一章\u3000总则\u3000\n\n\n    \u3000\u3000一、总体要求\r\n（一）基本原则。"
    assert clean(s) == "第一章 总则\n一、总体要求\n（一）基本原则。"


def test_traditional_to_simplified():
    assert clean("政務服務中心為企業開辦提供幫辦代辦") == "政务服务中心为企业开办提供帮办代办"
    simplified = "乾隆年间 显著 干部 著作 头发 理发 里面"  # t2s must not touch simplified text
    assert clean(simplified) == simplified


def test_pinyin_glosses_removed_after_han_characters():
    assert clean("中心城區(qū)產(chǎn)業(yè)發(fā)展") == "中心城区产业发展"
    assert clean("政（zhèng）府") == "政府"
    assert clean("区(qu1)域") == "区域"
    # not a gloss: no Han character before it, or no tone
    assert clean("version (v2) test") == "version (v2) test"
    assert clean("公司(ABC)") == "公司(ABC)"


def test_ascii_punctuation_inside_chinese_becomes_full_width():
    assert clean("来源:文汇 服务,科创种子") == "来源：文汇 服务，科创种子"
    assert clean("环上大科技园。(受访者供图)") == "环上大科技园。（受访者供图）"
    # URLs, times and numbers keep their ASCII punctuation
    assert clean("http://a.gov.cn/x?y=1 2023-01-09 06:47:30 1,000") == "http://a.gov.cn/x?y=1 2023-01-09 06:47:30 1,000"


@pytest.mark.parametrize("s", [
    "區(qū)政府（國際生命科學城）\u3000１２３,ＡＢＣ\n\n 第二行",
    "来源:文汇 发布时间:2023-01-09",
    "（一）基本原则：“创新”。\t\t",
    "①营业执照②身份证…",
])
def test_idempotent_examples(s):
    once = clean(s)
    assert clean(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(
    "區区產产业(qū)（）()，,：:；;！!？?“”《》【】、。 \u3000\xa0\u200b\nＡA１1éāzhèng政府服务國際\t-"
)), max_size=40))
def test_idempotent_property(s):
    once = clean(s)
    assert clean(once) == once


def test_placeholders():
    for v in ("无", "无。", "暂无", "/", "", "  ", None, [], ["无", ""], {}):
        assert is_placeholder(v), v
    for v in ("无条件受理", "无线下办理窗口", "0", 0, False, ["身份证"]):
        assert not is_placeholder(v), v
    assert clean_value("无") is None
    assert clean_value(["身份证", "无", "", "户口簿"]) == ["身份证", "户口簿"]
    assert clean_value({"name": "营业执照", "copies": "无"}) == {"name": "营业执照"}
    assert clean_value([{"name": "无"}]) is None


def test_clean_document_cleans_text_title_and_fields():
    doc = Document(doc_id="d", source="s", kind="service_item", title="食品經營許可（新辦）\n",
                   text="食品經營許可\u3000【申請材料】", department="市場監管局",
                   fields={"phone": "０７６０－１２３４５", "fee": "无", "materials": [{"name": "營業執照"}, {"name": "无"}]})
    out = clean_document(doc)
    assert out.title == "食品经营许可（新办）"
    assert out.text == "食品经营许可 【申请材料】"
    assert out.department == "市场监管局"
    assert out.fields == {"phone": "0760-12345", "materials": [{"name": "营业执照"}]}


def test_to_simplified_passes_empty():
    assert to_simplified("") == ""
