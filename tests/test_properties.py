"""Property-based tests (hypothesis) of cleaning, chunking and tokenizing.

- clean: never raises on arbitrary (surrogate-free) unicode, is idempotent, keeps Chinese
  punctuation, leaves no control characters, blank lines or padded lines;
- chunk: for random documents of every kind (【…】 section headers, 第X条 headings, paragraphs,
  long runs without punctuation) the chunks tile the clean text (ingest/chunk.py's invariant,
  checked by ``check_tiling`` and independently here) and respect the size bound;
- Tokenizer: never raises, no empty / whitespace tokens, a Chinese sentence gives several tokens.
"""
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.records import Document
from index.tokenize import Tokenizer
from ingest.chunk import check_tiling, chunk
from ingest.clean import clean
from ingest.structure import SECTION_HEADER

SETTINGS = settings(max_examples=int(__import__("os").environ.get("PROP_EXAMPLES", 150)), deadline=None, suppress_health_check=[HealthCheck.too_slow])

HAN = "政府服务事项办理申请材料营业执照身份证明户口登记社会保险住房公积金提取受理条件法定时限承诺窗口电话地址区县市省"
TRAD = "區國際產業開發證書號碼說明機關單位網絡學習"
CN_PUNCT = "，。、；：？！（）《》【】“”…"
FULL_WIDTH = "ＡＢＣａｂｃ０１２３　！？（）"
CONTROL = "\x00\x01\x07\x0b\x0c\x1b\x7f\x85\x9f\u200b\u200d\ufeff\u00ad\t\r"
MIXED = st.sampled_from(list(HAN + TRAD + CN_PUNCT + FULL_WIDTH + CONTROL + " \n,.;:!?()abcxyz0123456789āǎ-/"))

# any unicode (hypothesis excludes surrogates by default), and a Chinese-heavy mix
any_text = st.text(max_size=300)
cjk_text = st.text(alphabet=MIXED, max_size=300)
texts = st.one_of(any_text, cjk_text)


# --- cleaning ---------------------------------------------------------------------------------


@SETTINGS
@given(texts)
def test_clean_never_raises_and_is_idempotent(s):
    once = clean(s)
    assert isinstance(once, str)
    assert clean(once) == once


@SETTINGS
@given(texts)
def test_clean_output_shape(s):
    out = clean(s)
    assert "\r" not in out
    for line in out.split("\n") if out else []:
        assert line and line == line.strip(), repr(line)  # no blank or padded lines
        assert "  " not in line
    # no control characters (tab and newline are whitespace, handled above) and no zero-width ones
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200c\u200d\u2060\ufeff\u00ad]", out)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list(HAN + CN_PUNCT + "0123456789 \n")), max_size=200))
def test_clean_keeps_chinese_punctuation(s):
    out = clean(s)
    for ch in CN_PUNCT:
        assert out.count(ch) == s.count(ch), (ch, s, out)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list(FULL_WIDTH.strip("　") + HAN)), min_size=1, max_size=60))
def test_clean_full_width_letters_and_digits_become_ascii(s):
    out = clean(s)
    assert not re.search("[Ａ-Ｚａ-ｚ０-９]", out)
    assert "！" in out or "！" not in s  # Chinese punctuation is not folded


# --- chunking ---------------------------------------------------------------------------------

CN_NUM = "一二三四五六七八九十"
word = st.text(alphabet=st.sampled_from(list(HAN + TRAD)), min_size=1, max_size=12)
sentence = st.builds(lambda ws, p: "".join(ws) + p, st.lists(word, min_size=1, max_size=8),
                     st.sampled_from(["。", "；", "，", "！", "？", "", "："]))
paragraph = st.builds("".join, st.lists(sentence, min_size=1, max_size=12))
run_without_punct = st.text(alphabet=st.sampled_from(list(HAN)), min_size=200, max_size=1500)
header = st.builds(lambda w: f"【{w[:18]}】", word)
article_heading = st.builds(lambda n, w: f"第{n}条 {w}", st.sampled_from([*CN_NUM, "十一", "二十三", "12"]), word)
chapter_heading = st.builds(lambda n, w: f"第{n}章 {w}", st.sampled_from(list(CN_NUM)), word)
list_heading = st.builds(lambda n, w: f"{n}、{w}", st.sampled_from(list(CN_NUM)), word)
soft_heading = st.builds(lambda n, w: f"（{n}）{w}", st.sampled_from(list(CN_NUM)), word)
blank = st.sampled_from(["", " ", "\u3000", "\t"])

LINES = {
    "service_item": st.one_of(header, paragraph, run_without_punct, word, blank),
    "bundle": st.one_of(header, paragraph, word, blank),
    "policy": st.one_of(article_heading, chapter_heading, list_heading, soft_heading, paragraph,
                        run_without_punct, blank, st.just("附件：")),
    "qa": st.one_of(paragraph, run_without_punct, list_heading, blank),
    "article": st.one_of(word, paragraph, run_without_punct, blank),
}


@st.composite
def documents(draw):
    kind = draw(st.sampled_from(sorted(LINES)))
    lines = draw(st.lists(LINES[kind], min_size=1, max_size=25))
    if kind in ("service_item", "bundle") and draw(st.booleans()):
        lines.insert(0, draw(word))  # a short title line before the first header
    text = clean("\n".join(lines))
    max_chars = draw(st.sampled_from([20, 50, 120, 400]))
    return Document(doc_id="p1", source="prop", kind=kind, title=draw(word), text=text), max_chars


def _body_len(chunk_text: str) -> int:
    """Length once leading short heading-like lines (≤ 30 characters) are set aside: a heading
    is glued to the body that follows it, so only the body is bounded by ``max_chars``."""
    lines = chunk_text.split("\n")
    while len(lines) > 1 and len(lines[0]) <= 30:
        lines.pop(0)
    # a section header with no body at the very end is glued to the chunk before it
    while len(lines) > 1 and SECTION_HEADER.fullmatch(lines[-1]):
        lines.pop()
    return len("\n".join(lines))


def _check_invariant(d: Document, chunks, max_chars: int) -> None:
    text = d.text
    check_tiling(text, chunks)  # the module's own statement of the invariant
    # and independently: spans ordered, disjoint, non-empty, only whitespace outside them
    covered = [False] * len(text)
    prev_end = 0
    for n, c in enumerate(chunks):
        assert c.chunk_id == f"{d.doc_id}#{n}" and c.doc_id == d.doc_id
        assert 0 <= c.start < c.end <= len(text)
        assert c.start >= prev_end
        assert c.text == text[c.start:c.end] and c.text.strip() == c.text != ""
        assert c.section and c.section.strip()
        for i in range(c.start, c.end):
            covered[i] = True
        prev_end = c.end
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))
    for c in chunks:
        if d.kind == "qa" and len(chunks) == 1 and len(text.strip()) <= 1.5 * max_chars:
            continue  # a short answer stays whole
        assert _body_len(c.text) <= max_chars, (d.kind, max_chars, len(c.text), c.text[:80])


@SETTINGS
@given(documents())
def test_chunks_tile_structured_documents(dm):
    d, max_chars = dm
    assume(d.text.strip())
    chunks = chunk(d, max_chars=max_chars)
    assert chunks
    _check_invariant(d, chunks, max_chars)


@SETTINGS
@given(st.sampled_from(sorted(LINES)), texts, st.sampled_from([20, 64, 400]))
def test_chunks_tile_arbitrary_clean_text(kind, s, max_chars):
    text = clean(s)
    d = Document(doc_id="a1", source="prop", kind=kind, title="标题", text=text)
    chunks = chunk(d, max_chars=max_chars)
    assert bool(chunks) == bool(text.strip())
    _check_invariant(d, chunks, max_chars)


@SETTINGS
@given(run_without_punct, st.sampled_from([20, 100, 400]), st.sampled_from(["article", "policy", "service_item"]))
def test_long_run_without_punctuation_is_cut_at_the_bound(run, max_chars, kind):
    d = Document(doc_id="r1", source="prop", kind=kind, title="长文", text=run)
    chunks = chunk(d, max_chars=max_chars)
    check_tiling(run, chunks)
    assert all(len(c.text) <= max_chars for c in chunks)
    assert "".join(c.text for c in chunks) == run  # nothing lost, nothing added


@SETTINGS
@given(st.lists(st.tuples(header, paragraph), min_size=1, max_size=6))
def test_service_item_sections_follow_headers(sections):
    text = clean("\n".join(f"{h}\n{p}" for h, p in sections))
    d = Document(doc_id="s1", source="prop", kind="service_item", title="事项", text=text)
    chunks = chunk(d, max_chars=120)
    _check_invariant(d, chunks, 120)
    headers = [m.group(1) for m in re.finditer(r"^【([^】\n]{1,20})】$", text, re.M)]
    # every header starts a chunk named after it, and every chunk's section is one of the headers
    starts = {c.start for c in chunks}
    for m in re.finditer(r"^【([^】\n]{1,20})】$", text, re.M):
        assert m.start() in starts or any(c.start < m.start() < c.end and c.text.startswith("【") for c in chunks)
    assert {c.section for c in chunks} <= set(headers)


# --- tokenizing -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tok():
    return Tokenizer(["营业执照", "住房公积金", "社会保险登记"])


@SETTINGS
@given(texts)
def test_tokenizer_never_raises_no_empty_or_whitespace_tokens(tok, s):
    tokens = tok(s)
    assert isinstance(tokens, list)
    for t in tokens:
        assert isinstance(t, str) and t and t == t.strip() and not any(ch.isspace() for ch in t), repr(t)
        assert re.search(r"\w", t)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list(" \t\n\u3000\xa0" + CN_PUNCT + ",.;:!?")), max_size=50))
def test_tokenizer_gives_nothing_for_whitespace_and_punctuation(tok, s):
    assert tok(s) == []


WORDS = ["营业执照", "申请", "材料", "办理", "社会保险", "住房公积金", "提取", "户口", "迁移", "身份证", "补办",
         "护照", "出生", "医学证明", "退休", "养老金", "领取", "驾驶证", "换证", "企业", "注销", "登记", "公证"]


@SETTINGS
@given(st.lists(st.sampled_from(WORDS), min_size=2, max_size=6, unique=True),
       st.sampled_from(["", "？", "。", "需要什么", "怎么办"]))
def test_chinese_sentence_gives_several_tokens(tok, words, tail):
    sentence = "".join(words) + tail
    tokens = tok(sentence)
    assert len(tokens) > 1, (sentence, tokens)
    # every content word is found (whole or, in search mode, as its parts)
    joined = "".join(tokens)
    for w in words:
        assert w in tokens or all(ch in joined for ch in w), (w, tokens)


@SETTINGS
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
def test_tokenizer_width_and_script_insensitive(tok, words):
    s = "".join(words)
    full = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s + "ABC123")
    assert tok(full) == tok(unicodedata.normalize("NFKC", full))
