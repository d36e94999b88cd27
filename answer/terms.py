"""What a materials question is about, and how well a title or a text covers it.

- :func:`content_terms`: the query's tokens minus the scaffolding of a materials question
  (:data:`GENERIC_TERMS`: 材料 / 需要 / 办理 / 哪些 …) and minus search-mode sub-tokens of a longer token,
  plus the words that name a kind of guide (:data:`KIND_TERMS`: 一件事) however the tokenizer split them.
- :func:`coverage`: weighted share of the terms found in a text. A term found whole counts 1; an
  abbreviation (its characters in order in a short window: 社保卡 → 社会保障卡) counts 0.8; otherwise the
  longest piece of it (at least 2 characters) found counts ``len(piece) / len(term)``.
- :func:`title_weights`: each term's length (capped at 4) times its idf over the item titles, so 经营 /
  许可 (in hundreds of titles) weigh little and 药品 decides.
- :func:`title_precision`: share of a title's characters that are query terms.
"""
from __future__ import annotations

import math
import unicodedata

from answer.materials import squash

GENERIC_TERMS: frozenset[str] = frozenset(
    """
    材料 资料 手续 证件 证明材料 申请材料 所需材料 办理材料 申报材料 材料清单 文件 清单 要件 需要 需 要 要求 准备 提交 提供 带 携带 拿 交 办理 办 申请 申办 去
    哪些 什么 怎么 怎样 如何 怎么办 咋办 咋 怎么弄 怎么样 流程 步骤 程序 所需 必须 必需 一件 事 事项 东西 份 个人 想 我 一下 具体
    都 还 得 得要 呢 吗 了 的 在 到 哪里 办事 指南 问 请问 咨询
    """.split()
)
# Words that name a kind of guide rather than a matter: a question that says 一件事 asks for the bundle
# (开办餐馆“一件事”), not for one of its member items. The tokenizer splits them (一件 / 事), so they are
# found in the joined tokens and kept as one content term.
KIND_TERMS: tuple[str, ...] = ("一件事",)
ABBREVIATION_CREDIT = 0.8


def content_terms(tokens) -> list[str]:
    """The query's topical terms from its tokens, in query order (see the module docstring)."""
    squashed = [squash(t) for t in tokens]
    toks: list[str] = []
    for t in squashed:
        if t and t not in GENERIC_TERMS and t not in toks and not all(ch in "0123456789" for ch in t):
            toks.append(t)
    joined = "".join(squashed)
    toks += [w for w in KIND_TERMS if w in joined and w not in toks]
    return [t for t in toks if not any(t != o and t in o for o in toks)]


def abbreviates(term: str, text: str) -> bool:
    """``term`` is an abbreviation of a word in ``text``: its characters appear in order, the first one
    included, within a window of ``2*len(term)+1`` (社保卡 → 社会保障卡, 医保 → 医疗保险)."""
    n = len(term)
    if n < 2:
        return False
    start = text.find(term[0])
    while start >= 0:
        pos, ok = start, True
        for ch in term[1:]:
            pos = text.find(ch, pos + 1, start + 2 * n + 1)
            if pos < 0:
                ok = False
                break
        if ok:
            return True
        start = text.find(term[0], start + 1)
    return False


def term_cover(term: str, text: str) -> float:
    """How much of ``term`` a squashed ``text`` covers (see the module docstring)."""
    if term in text:
        return 1.0
    if abbreviates(term, text):
        return ABBREVIATION_CREDIT
    n = len(term)
    for size in range(n - 1, 1, -1):  # longest piece of at least 2 characters
        for i in range(0, n - size + 1):
            if term[i: i + size] in text:
                return size / n
    return 0.0


def coverage(terms: list[str], text: str, weights: list[float] | None = None, squashed: bool = False) -> float:
    """Weighted share of ``terms`` found in ``text``; weights default to the term lengths capped at 4."""
    if not terms:
        return 0.0
    text = text if squashed else squash(text)
    weights = weights or [min(len(t), 4) for t in terms]
    return sum(w * term_cover(t, text) for t, w in zip(terms, weights)) / sum(weights)


def title_weights(terms: list[str], titles: list[str], n: int | None = None,
                  df: dict[str, int] | None = None) -> list[float]:
    """Each term's weight: its length (capped at 4) times its idf over the (squashed) item titles
    (``log((N + 1) / (df + 0.5))``, df = titles containing it; at least 0.1). ``n`` and ``df`` (term →
    count) may be given instead of the titles, when a caller keeps the counts."""
    n = len(titles) if n is None else n
    if not n:
        return [min(len(t), 4) for t in terms]
    out = []
    for t in terms:
        c = df[t] if df is not None and t in df else sum(1 for title in titles if t in title)
        out.append(min(len(t), 4) * max(0.1, math.log((n + 1) / (c + 0.5))))
    return out


def title_precision(terms: list[str], title: str) -> float:
    """Share of the title's characters that belong to a content term found in it: among titles that
    cover the query equally, the one with the least else in it fits best."""
    return covered_share(terms, squash(title))


def covered_share(terms: list[str], text: str) -> float:
    """Share of ``text``'s word characters (punctuation, symbols and spaces left out) inside an
    occurrence of one of ``terms``."""
    t = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZ")
    if not t:
        return 0.0
    covered = [False] * len(t)
    for term in terms:
        start = t.find(term)
        while start >= 0:
            for i in range(start, start + len(term)):
                covered[i] = True
            start = t.find(term, start + 1)
    return sum(covered) / len(t)
