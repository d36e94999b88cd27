"""Page metadata: title, date, issuing department, 发文字号, url, ``标签：值`` pairs.

Read from ``<meta>`` tags first (ArticleTitle, PubDate, ContentSource, Url …), then from the
page: the title heading, the text just before the body (a meta line ``发布日期：… 来源：…`` or a
文号 table), and label/value cells outside the body.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from ingest.html.walk import SKIP_STRINGS, Measure, cjk_count, iter_tags, measure, tick

_WS = re.compile(r"\s+")


def _norm_ws(s: str) -> str:
    return _WS.sub(" ", s).strip()


_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")


def iso_date(s: str | None) -> str | None:
    """First date in ``s`` as ``yyyy-mm-dd`` (accepts 2019-2-5, 2019年02月05日, 2019/2/5)."""
    if not s:
        return None
    m = _DATE.search(s)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


# 穗府办规〔2024〕13号, 国发[2019]5号, 粤人社规（2020）30号, 广州市人民政府令第179号, 国务院令第746号
DOC_NO = re.compile(
    r"((?![年月日号和及与、])[\u4e00-\u9fa5]{1,14}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,5}\s*号)"
    r"|((?![年月日号和及与、])[\u4e00-\u9fa5]{2,14}令\s*第\s*\d{1,4}\s*号)"
)
_DOC_NO_LABEL = re.compile(r"(?:发文字号|文\s*号)\s*[:：]\s*(\S[^\n]{0,40})")


def find_doc_number(header: str, top_lines: list[str] | tuple[str, ...] = ()) -> str | None:
    """A 发文字号: a ``文号：`` label in ``header`` or ``top_lines``, else the first 〔YYYY〕N号 /
    令第N号 pattern in ``header`` (the page area before the body), else a first body line that
    is nothing but a document number. A number cited inside a sentence of the body (《…》（国发〔2019〕5号）)
    is the number of another document and is not taken."""
    for text in (header, "\n".join(top_lines)):
        m = _DOC_NO_LABEL.search(text)
        if m:
            inner = DOC_NO.search(m.group(1))
            if inner:
                return _WS.sub("", inner.group(0))
    m = DOC_NO.search(header)
    if m:
        return _WS.sub("", m.group(0))
    lines = [_WS.sub("", x) for x in top_lines]
    for i, t in enumerate(lines):
        # the number alone on a line, or split over two (广州市人民政府令 / 第179号)
        for cand in (t, t + lines[i + 1] if i + 1 < len(lines) else ""):
            if cand and DOC_NO.fullmatch(cand):
                return cand
        # a law's promulgation line: （2021年7月27日中华人民共和国国务院令第746号公布）
        if t.startswith(("（", "(")) and t.endswith(("）", ")")) and re.search(r"公布|发布|印发", t):
            m = DOC_NO.search(t)
            if m:
                return _WS.sub("", m.group(0))
    return None


_SITE_PART = re.compile(r"(网站|门户网|门户|政府网|政务网|服务网|平台|官网|网)$")
_TITLE_SPLIT = re.compile(r"\s+[-_|–—]\s+|\s*[|_–—]\s*|(?<=[\u4e00-\u9fa5）)])-(?=[\u4e00-\u9fa5（(])")


def clean_title(title: str) -> str:
    """``<title>`` minus the site name (``标题 - 某某市人民政府门户网站`` / ``某某网站-标题``)."""
    t = _norm_ws(title)
    parts = [p.strip() for p in _TITLE_SPLIT.split(t) if p and p.strip()]
    if len(parts) <= 1:
        return t
    keep = [p for p in parts if not _SITE_PART.search(p)]
    if not keep or len(keep) == len(parts):
        return t
    return "-".join(keep)


def meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in soup.find_all("meta"):
        name = m.get("name") or m.get("property")
        content = m.get("content")
        if name and content is not None and name not in out:
            out[name] = _norm_ws(content)
    return out


def meta_get(meta: dict[str, str], *names: str) -> str | None:
    low = {k.lower(): v for k, v in meta.items()}
    for n in names:
        v = low.get(n.lower())
        if v:
            return v
    return None


SOURCE_LINE = re.compile(r"(?:信息来源|来源|发布机关|发文机关|发布机构|发布单位)\s*[:：]\s*([^\s|│]{2,60})")
DATE_LINE = re.compile(r"(?:发布日期|发布时间|发表时间|成文日期|印发日期|日期|时间)\s*[:：]\s*((?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})")
_SELF_SOURCE = re.compile(r"^(本网|本站|本网站)")


def clean_source(s: str | None) -> str | None:
    """``本网`` (the site itself) says nothing; ``本网广州市住房保障办公室`` → the office."""
    if not s:
        return None
    s = _norm_ws(s)
    s = _SELF_SOURCE.sub("", s).strip(" ：:")
    return s or None


_TITLE_SELECTORS = ("h1", ".article-title", ".guide-title", ".content_title", ".xl-title", ".title", "ucaptitle")


def title_heading(soup: BeautifulSoup) -> str | None:
    """The page's title heading (``h1``, ``.article-title`` …), 2+ Chinese characters, ≤ 200 long."""
    found: dict[str, Tag] = {}
    for el in iter_tags(soup):
        classes = el.get("class") or ()
        for sel in _TITLE_SELECTORS:
            if sel not in found and ((sel[0] == "." and sel[1:] in classes) or (sel[0] != "." and el.name == sel)):
                found[sel] = el
    for sel in _TITLE_SELECTORS:
        el = found.get(sel)
        if el is not None:
            t = _norm_ws(el.get_text(" ", strip=True))
            if cjk_count(t) >= 2 and len(t) <= 200:
                return t
    return None


_LABEL = re.compile(r"^([\u4e00-\u9fa5A-Za-z]{1,10})[:：]$")
_LABEL_MAX_CHARS = 40  # an element with more text than this is not a label
_LABEL_MAX_NODES = 20  # … nor one with more nodes under it
MAX_LABELS = 100


def label_values(scope: Tag, skip: Tag | None = None, m: Measure | None = None) -> dict[str, str]:
    """``标签：值`` pairs of metadata tables and lists: a cell/span whose whole text is a short
    label ending in a colon, its value the next sibling cell or the rest of its parent's
    text. Labels lose inner spaces (``索 引 号`` → ``索引号``). Pairs inside ``skip`` are ignored.
    ``m``: measures of ``scope`` already taken (else one pass takes them)."""
    m = m if m is not None else measure(scope)
    skipped = {id(skip)} | {id(d) for d in skip.descendants} if skip is not None else set()
    out: dict[str, str] = {}
    for el in iter_tags(scope):
        if el.name not in ("td", "th", "span", "b", "strong", "label", "dt", "em") or id(el) in skipped:
            continue
        if m.chars.get(id(el), 0) > _LABEL_MAX_CHARS or m.size.get(id(el), 0) > _LABEL_MAX_NODES:
            continue
        raw = el.get_text("", strip=True)
        mt = _LABEL.match(_WS.sub("", raw))
        if not mt:
            continue
        label = mt.group(1)
        if label in out:
            continue
        value = ""
        cell = el if el.name in ("td", "th", "dt") else el.find_parent(["td", "th", "dt"])
        if cell is not None and _WS.sub("", cell.get_text("", strip=True)) == _WS.sub("", raw):
            nxt = cell.find_next_sibling(["td", "th", "dd"])
            value = _norm_ws(nxt.get_text(" ", strip=True)) if nxt is not None else ""
        elif el.parent is not None:
            whole = _norm_ws(el.parent.get_text(" ", strip=True))
            value = _norm_ws(whole.split(raw.strip(), 1)[-1]) if raw.strip() in whole else ""
        if value and len(value) <= 200:
            out[label] = value
            if len(out) >= MAX_LABELS:
                break
    return out


def header_text(root: Tag, limit: int = 40) -> str:
    """Strings just before the content root (meta lines, 文号 tables), nearest last."""
    got: list[str] = []
    for s in root.find_all_previous(string=True):
        tick()
        if isinstance(s, SKIP_STRINGS):
            continue
        t = _norm_ws(s)
        if not t or s.find_parent(["head", "title"]) is not None:
            continue
        got.append(t)
        if len(got) >= limit:
            break
    return "\n".join(reversed(got))
