"""The index tokenizer: Chinese word segmentation, normalisation, stopwords, domain dictionary."""
import re
from pathlib import Path

import pytest

from index import store
from index.tokenize import (STOPWORDS, Tokenizer, build_dictionary, dictionary_hash, load_dictionary, normalize,
                            save_dictionary)

SMALL = Path(__file__).parent / "data" / "build_small"
SENTENCE = "在示例市办理个体工商户设立登记需要准备哪些材料？"


def test_chinese_sentence_yields_several_tokens():
    toks = Tokenizer()(SENTENCE)
    assert len(toks) >= 5, toks
    assert SENTENCE.rstrip("？") not in toks
    assert {"个体", "登记", "材料"} <= set(toks)


@pytest.mark.parametrize("bad", [str.split, lambda s: re.findall(r"\w+", s)])
def test_whitespace_and_word_regex_tokenizers_are_caught(bad):
    # the regression this suite exists for: both turn a Chinese sentence into one or two tokens
    assert len(bad(SENTENCE)) < 3
    assert len(Tokenizer()(SENTENCE)) >= 5


def test_normalize_width_traditional_case():
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("關於進一步優化營商環境") == "关于进一步优化营商环境"
    assert normalize("  营业  执照 ") == "营业 执照"


def test_traditional_query_tokenizes_like_simplified():
    tok = Tokenizer()
    assert tok("辦理營業執照") == tok("办理营业执照")


def test_stopwords_and_punctuation_removed():
    toks = Tokenizer()("请问，我们需要什么材料呢？！")
    assert "材料" in toks
    assert not set(toks) & STOPWORDS
    assert all(re.search(r"\w", t) for t in toks)


def test_dictionary_from_corpus_and_search_mode_subtokens():
    docs, _ = store.read_build(SMALL)
    words = build_dictionary(docs)
    assert "药师变更注册" in words  # a service item title
    assert "执业药师注册证" in words  # a material name
    assert all(2 <= len(w) <= 12 for w in words)
    search = Tokenizer(words, mode="search")("药师变更注册要多久")
    assert "药师变更注册" in search and {"药师", "变更", "注册"} <= set(search)
    plain = Tokenizer(words, mode="default")("药师变更注册要多久")
    assert "药师变更注册" in plain and "变更" not in plain


def test_dictionary_round_trip(tmp_path):
    words = ["食品经营许可", "示例市市场监督管理局"]
    save_dictionary(words, tmp_path / "d.txt")
    assert load_dictionary(tmp_path / "d.txt") == words
    assert dictionary_hash(words) != dictionary_hash(words[:1])


@pytest.mark.parametrize("mode", ["search", "default"])
def test_rjieba_matches_jieba_with_added_words(mode):
    pytest.importorskip("jieba")
    docs, chunks = store.read_build(SMALL)
    words = build_dictionary(docs)
    fast, ref = Tokenizer(words, mode=mode, backend="rjieba"), Tokenizer(words, mode=mode, backend="jieba")
    for c in chunks[:40]:
        assert fast(c.text) == ref(c.text)


def test_bad_mode_rejected():
    with pytest.raises(ValueError):
        Tokenizer(mode="fancy")


def test_han_bigrams_feed_bm25_without_touching_highlight_tokens():
    from index.passages import bm25_tokens
    from index.tokenize import BIGRAM_MARK, Tokenizer, han_bigrams

    assert han_bigrams("出省植物检疫") == [BIGRAM_MARK + b for b in ("出省", "省植", "植物", "物检", "检疫")]
    assert han_bigrams("ABC 1") == []
    tok = Tokenizer()
    words = tok("出省植物检疫证书")
    both = bm25_tokens(tok, "出省植物检疫证书")
    assert both[: len(words)] == words and BIGRAM_MARK + "检疫" in both
    assert not any(t.startswith(BIGRAM_MARK) for t in tok("出省植物检疫证书"))


def test_reloading_an_index_reuses_its_tokenizer(tmp_path):
    import shutil

    from index import build_index, open_index

    build = tmp_path / "b"
    shutil.copytree(SMALL, build)
    build_index(build, encoder="none", progress=False)
    a, b = open_index(build), open_index(build)
    assert a is not b and a.tokenizer is b.tokenizer
