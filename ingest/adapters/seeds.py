"""Scraped news articles: ``<data>/../seeds/*.txt`` (one article a file, id = file stem).

The text is cleaned first (so traditional-character pages look like the rest), then
site boilerplate is removed by general rules, not by rules for particular files:

- the *tail*: from the first "related content" / disclaimer marker line
  (相关推荐, 猜你喜欢, 相关阅读, 新闻推荐, 推荐内容, 上一篇, 版权声明, 免责声明, ``…声明:`` …) to the end,
  once the article body is behind it (a marker near the top only drops its own
  block: the marker line and the short list lines after it);
- lines anywhere that are site chrome: navigation menus (many short items separated by
  spaces), breadcrumbs (``A > B > 正文``), share / scan bars (分享到, 扫一扫), bylines
  (责任编辑, 编辑：, 作者：), copyright / ICP lines (版权所有, Copyright, ©, ICP备, 公网安备),
  contact lines, picture captions (【资料图】, （资料图片仅供参考）) and lines that are
  only stray punctuation;
- a ``来源：… 发布时间：…`` line is dropped and its date kept as the document's date.
"""
from __future__ import annotations

import re
from pathlib import Path

from core.records import Document
from ingest.adapters import Problem, SourceResult, read_text, rel
from ingest.clean import clean

SOURCE = "seeds"

TAIL_MARKERS = (
    "相关推荐", "猜你喜欢", "相关阅读", "相关新闻", "相关文章", "相关链接", "新闻推荐", "推荐内容", "推荐阅读",
    "阅读推荐", "延伸阅读", "热点阅读", "热门推荐", "热门文章", "热点排行", "频道推荐", "精彩推荐", "为你推荐",
    "上一篇", "下一篇", "版权声明", "免责声明", "网友评论", "发表评论", "评论：", "热门评论",
)
# share / scan bars: the marker line and the very short items after it (微信, 微博, QQ空间)
BAR_MARKERS = ("分享到", "分享至", "扫一扫", "扫码", "字号")
# lines dropped wherever they appear
_DROP_LINE = re.compile(
    r"(版权所有|copyright|©|ⓒ|icp备|icp证|公网安备|备案号|分享到|扫一扫|责任编辑|转载请注明|"
    r"联系邮箱|联系我们|网站地图|^【?资料图】?$|资料图片仅供参考|^[（(]?图片来源|^关键词[:：]?$|"
    r"^(?:作者|编辑|记者|通讯员|校对|审核|来源)[:：][^。！？]{0,30}$|"
    r"^(?:微信订阅号|联系客服|新闻爆料|返回顶部|打印本页|关闭窗口|【?字号|字体[:：]))",
    re.I,
)
_SOURCE_LINE = re.compile(r"^(?:来源|发布时间|发布日期|时间)[:：].{0,80}$")
_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_BREADCRUMB = re.compile(r"^(?:当前位置[:：]|您的位置[:：])|(?:\S{1,12}\s*[>›»]\s*){2,}\S{1,12}$")
_PUNCT_ONLY = re.compile(r"^[\W_]{1,3}$")
_STRAY_LEAD = re.compile(r"^[?？]+(?=\S)")
_DISCLAIMER = re.compile(r"(声明[:：]?$|本文仅代表作者|不代表本(站|网)观点|如有侵权)")


def _is_nav(line: str) -> bool:
    """A menu line: 4+ short items separated by spaces, no sentence punctuation."""
    items = line.split()
    return (len(items) >= 4 and all(len(i) <= 8 for i in items)
            and not re.search(r"[。！？，；]", line))


def _is_tail_marker(line: str) -> bool:
    head = line.strip("：: 　")
    return (any(head.startswith(m.rstrip("：")) and len(head) <= len(m) + 24 for m in TAIL_MARKERS)
            or bool(_DISCLAIMER.search(line)) and len(line) <= 120)


def _is_short_item(line: str, limit: int = 40) -> bool:
    return len(line) <= limit and not line.endswith("。")


def strip_boilerplate(text: str) -> tuple[str, str | None]:
    """Remove site chrome from a cleaned article; returns (text, date found in its header)."""
    lines = [_STRAY_LEAD.sub("", ln).strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    total = sum(len(ln) for ln in lines) or 1
    date = None
    out: list[str] = []
    body_chars = 0
    skip_block = 0  # length limit of the list items still being skipped
    for i, line in enumerate(lines):
        if _is_tail_marker(line):
            if body_chars >= 0.4 * total or body_chars >= 1500:
                break  # everything after a related-articles list / disclaimer is chrome
            skip_block = 40  # a marker near the top: drop it and its short list
            continue
        if line.startswith(BAR_MARKERS) and len(line) <= 40:
            skip_block = 8
            continue
        if skip_block:
            if _is_short_item(line, skip_block):
                continue
            skip_block = 0
        if i < 8 and _SOURCE_LINE.match(line) or (i < 8 and line.startswith("来源") and _DATE.search(line)):
            m = _DATE.search(line)
            if m and date is None:
                y, mo, d = (int(x) for x in m.groups())
                date = f"{y:04d}-{mo:02d}-{d:02d}"
            continue
        if _DROP_LINE.search(line) or _PUNCT_ONLY.match(line):
            continue
        if _BREADCRUMB.search(line) or _is_nav(line):
            continue
        out.append(line)
        body_chars += len(line)
    return "\n".join(out), date


def title_of(text: str, limit: int = 40) -> str:
    """The first line when it is short (a headline); else the first sentence, or its
    longest run of whole clauses within ``limit`` characters."""
    first = text.split("\n", 1)[0].strip()
    if len(first) <= 60 and not first.endswith("。"):
        return first
    sentence = re.match(r"[^。！？]+", first)
    sentence = sentence.group(0) if sentence else first
    if len(sentence) <= limit:
        return sentence
    cuts = [m.start() for m in re.finditer(r"[，,；;：:]", sentence[: limit + 1]) if m.start() >= 10]
    return sentence[: cuts[-1]] if cuts else sentence[:limit]


def load(root: Path) -> SourceResult:
    result = SourceResult()
    folder = root.parent / "seeds"
    if not folder.is_dir():
        result.records += 1
        result.problems.append(Problem(str(folder), "seeds folder not found"))
        return result
    for path in sorted(folder.glob("*.txt")):
        result.records += 1
        where = rel(path, root.parent)
        raw, why = read_text(path)
        if raw is None:
            result.problems.append(Problem(where, why or "cannot decode"))
            continue
        text, date = strip_boilerplate(clean(raw))
        if not text.strip():
            result.problems.append(Problem(where, "no article text left after removing boilerplate; skipped"))
            continue
        result.documents.append(Document(
            doc_id=path.stem, source=SOURCE, kind="article", title=title_of(text), text=text, date=date,
        ))
    return result
