"""Generic parsing of saved government web pages: metadata, then the article body only.

``parse_page(html, path)`` turns a full saved page (or an HTML fragment) into a
:class:`ParsedPage`: title, date, source (department), 发文字号, url and the body as
text blocks in reading order. Site chrome never reaches the blocks: scripts, styles,
navigation menus, headers, footers, forms, breadcrumbs, share bars (分享到),
related-article lists (相关推荐/相关链接/猜你喜欢/相关阅读), 上一篇/下一篇 links,
print/close/font-size controls and copyright/ICP/主办单位 lines are dropped.

How the body is found:
1. chrome is removed from the whole page (by tag, by ``class``/``id`` words such as
   ``nav``/``menu``/``share``/``footer``, by hidden style, by the heading words of
   related-article blocks), never removing an element that holds most of the page's text;
2. among the elements matching the content selectors gov sites use (``#zoomcon``,
   ``#UCAP-CONTENT``, ``.article-content``, ``#info_cont``, ``.TRS_Editor`` …) the
   smallest one holding at least half of the page's Chinese text wins;
3. otherwise the page is descended from ``<body>`` into the child that holds most of
   the Chinese text (outside links) as long as it holds 70% of its parent's.

Tables stay as text: one line per row, cells joined with `` | `` (a ``标签：`` cell is
joined to its value directly); layout tables (cells holding paragraphs or tables) are
read as blocks. Bytes are decoded by ``<meta charset>``, then by charset detection.
No network access.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag
from bs4.element import CData, Stylesheet, Script, TemplateString

from core.errors import GovsearchError

__all__ = ["ParsedPage", "PageError", "EmptyPage", "BinaryPage", "parse_page", "decode_html", "iso_date",
           "find_doc_number", "element_blocks", "label_values", "nav_link_texts", "clean_title", "strip_leading_title"]


class PageError(GovsearchError):
    """A saved page cannot be parsed."""

    hint = "check that the file is a saved HTML page"


class EmptyPage(PageError):
    """The page has no body text once site chrome is removed (e.g. a PDF-only page)."""

    hint = "the page holds no article text; save the document's text or skip the page"


class BinaryPage(EmptyPage):
    """The file is binary (or badly corrupted), not a text page: decoding it yields mostly
    replacement and control characters. An :class:`EmptyPage`, so every caller skips it."""

    hint = "the file is not a saved HTML page; remove it or save the page again"


_BINARY_CHARS = re.compile("[\ufffd\x00-\x08\x0e-\x1f\x7f]")
BINARY_SHARE = 0.05  # more than this share of replacement / control characters: binary


def _check_not_binary(text: str, path) -> None:
    if text and len(_BINARY_CHARS.findall(text)) > BINARY_SHARE * len(text):
        raise BinaryPage(f"{path}: binary or corrupted content, not a text page; skipped")


@dataclass
class ParsedPage:
    path: str
    title: str | None
    date: str | None  # ISO yyyy-mm-dd
    source: str | None  # ContentSource / 来源 / 发布机关
    doc_number: str | None  # 发文字号
    url: str | None
    blocks: list[str]  # body paragraphs / table rows, in reading order
    root: Tag  # the content element (chrome already removed from the page)
    meta: dict[str, str] = field(default_factory=dict)  # <meta name=…> values
    labels: dict[str, str] = field(default_factory=dict)  # "标签：值" pairs outside the body (文号, 发布日期 …)
    header_text: str = ""  # the text between the page title and the body (meta line, 文号 table …)

    @property
    def text(self) -> str:
        return "\n".join(self.blocks)


# --------------------------------------------------------------------------- decoding

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb18030", "hz", "x-gbk", "cp936", "euc-cn"}


def _norm_encoding(name: str) -> str:
    n = name.strip().lower()
    if n.replace("-", "").replace("_", "") in {g.replace("-", "") for g in _GB}:
        return "gb18030"  # decode the superset: GBK pages carry GB18030-only characters
    if n in ("big5", "big-5", "cp950"):
        return "big5hkscs"
    return n


def decode_html(raw: bytes) -> str:
    """Bytes → str: BOM, then ``<meta charset>`` (if it decodes cleanly), then detection."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    declared = [_norm_encoding(m.decode("ascii", "ignore")) for m in _META_CHARSET.findall(raw[:4096])]
    for enc in dict.fromkeys(declared):
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is not None and best.encoding:
        try:
            return raw.decode(_norm_encoding(best.encoding))
        except (UnicodeDecodeError, LookupError):
            return str(best)
    return raw.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- small helpers

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WS = re.compile(r"\s+")


def cjk_count(s: str) -> int:
    return len(_CJK.findall(s))


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
_DOC_NO = re.compile(
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
            inner = _DOC_NO.search(m.group(1))
            if inner:
                return _WS.sub("", inner.group(0))
    m = _DOC_NO.search(header)
    if m:
        return _WS.sub("", m.group(0))
    lines = [_WS.sub("", x) for x in top_lines]
    for i, t in enumerate(lines):
        # the number alone on a line, or split over two (广州市人民政府令 / 第179号)
        for cand in (t, t + lines[i + 1] if i + 1 < len(lines) else ""):
            if cand and _DOC_NO.fullmatch(cand):
                return cand
        # a law's promulgation line: （2021年7月27日中华人民共和国国务院令第746号公布）
        if t.startswith(("（", "(")) and t.endswith(("）", ")")) and re.search(r"公布|发布|印发", t):
            m = _DOC_NO.search(t)
            if m:
                return _WS.sub("", m.group(0))
    return None


# --------------------------------------------------------------------------- chrome

_ALWAYS_DROP = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "button",
                "select", "input", "textarea", "object", "embed", "link", "meta", "map", "audio", "video")
_STRUCTURAL = ("nav", "header", "footer", "form", "aside")
# class / id words (split on spaces, -, _ and camelCase) that mark chrome
_CHROME_WORD = re.compile(
    r"^(nav|navs|navbar|navigation|navigator|mainnav|subnav|topnav|headnav|menu|menus|submenu|"
    r"breadcrumb|breadcrumbs|crumb|crumbs|position|dqwz|"
    r"share|sharebtn|bshare|fenxiang|footer|foot|header|topbar|toolbar|sidebar|aside|"
    r"related|relate|xgxw|xgwz|xglj|recommend|tuijian|copyright|banquan|print|qrcode|ewm|"
    r"search|login|pager|pagination|paging|sxp|prevnext|bottom|backtop|gotop|fontsize|setfont|skip|"
    r"fixed|float|modal|popup|dialog|wza|barrier)$"
)
_FOOTER_MARK = re.compile(r"版权所有|ICP\s*备|公网安备|网站标识码|Copyright\s*©?", re.I)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_RELATED_HEAD = re.compile(r"^[【\[]?\s*(相关推荐|相关链接|猜你喜欢|相关阅读|相关文章|相关新闻|相关稿件|相关信息|推荐阅读|延伸阅读|热点推荐)\s*[】\]]?\s*[:：]?$")

# whole lines that are chrome
_LINE_DROP = [
    re.compile(r"^(分享到|分享文章到|分享至)|^分享\s*([:：]|$)"),
    re.compile(r"^(上一篇|下一篇|上一条|下一条)\s*[:：]?"),
    re.compile(r"^(当前位置|您的位置|你的位置|您现在的位置)\s*[:：]"),
    re.compile(r"版权所有|ICP\s*备|ICP证|网站标识码|公网安备|京公网|粤公网|Copyright|©", re.I),
    re.compile(r"^(主办单位|承办单位|主办|承办|技术支持|运维单位|网站维护|联系我们|网站地图)\s*[:：]"),
    re.compile(r"^扫一扫在手机打开当前页$|^(浏览次数|浏览量|阅读次数|访问量)\s*[:：]"),
]
_CONTROL_WORDS = re.compile(
    r"打印本页|打印页面|打印正文|打印|关闭本页|关闭窗口|关闭|返回顶部|回到顶部|收藏本页|收藏|加入收藏|"
    r"字体|字号|浏览字号|大|中|小|默认|A\+|A-|【|】|\[|\]|[:：|/\s]"
)


def _class_words(el: Tag) -> list[str]:
    raw = " ".join(el.get("class") or []) + " " + (el.get("id") or "")
    words: list[str] = []
    for tok in raw.split():
        for part in re.split(r"[-_]+", _CAMEL.sub("_", tok)):
            if part:
                words.append(part.lower())
    return words


def _is_chrome_by_class(el: Tag) -> bool:
    return any(_CHROME_WORD.match(w) for w in _class_words(el))


def _text(el: Tag) -> str:
    return el.get_text(" ", strip=True)


def _link_cjk(el: Tag) -> int:
    return sum(cjk_count(a.get_text("", strip=True)) for a in el.find_all("a"))


def _own_cjk(el: Tag) -> int:
    """Chinese characters outside links."""
    return max(0, cjk_count(el.get_text("", strip=True)) - _link_cjk(el))


def _alive(el: Tag) -> bool:
    """False for elements already detached by an earlier decompose() of an ancestor."""
    # decompose() empties a tag's __dict__; plain attribute access on it would fall back to
    # Tag.__getattr__ (a find() over the tree), so look in __dict__ directly
    d = el.__dict__
    return not d.get("_decomposed") and d.get("parent") is not None


def _remove_chrome(soup: BeautifulSoup) -> None:
    for el in soup.find_all(_ALWAYS_DROP):
        if _alive(el):
            el.decompose()
    for el in soup.find_all(string=lambda s: isinstance(s, (Comment, Doctype, Declaration, ProcessingInstruction, CData))):
        el.extract()
    body = soup.body or soup
    total = max(1, cjk_count(body.get_text("", strip=True)))

    def big(el: Tag) -> bool:  # never drop the element that is (or wraps) the page's text
        return cjk_count(el.get_text("", strip=True)) >= 0.5 * total

    for el in list(body.find_all(True)):
        if not _alive(el) or el.name in ("html", "body"):
            continue
        style = el.get("style") or ""
        if _HIDDEN.search(style) or el.has_attr("hidden"):
            if not big(el):
                el.decompose()
            continue
        if el.name in _STRUCTURAL or _is_chrome_by_class(el):
            if not big(el):
                el.decompose()
    # footers recognised by their content: the small block around a copyright / ICP line
    for s in list(body.find_all(string=_FOOTER_MARK)):
        node = getattr(s, "parent", None)
        if node is None or not _alive(node) or node.name in ("body", "html"):
            continue
        while node.parent is not None and node.parent.name not in ("body", "html", "[document]") \
                and cjk_count(node.parent.get_text("", strip=True)) <= 200 and not big(node.parent):
            node = node.parent
        if not big(node) and cjk_count(node.get_text("", strip=True)) <= 200:
            node.decompose()
    # related-article blocks announced by a heading word
    for s in list(body.find_all(string=True)):
        if not isinstance(s, NavigableString) or getattr(s, "parent", None) is None:
            continue
        if not _RELATED_HEAD.match(s.strip()):
            continue
        node: Tag = s.parent
        if not _alive(node):
            continue
        while node.parent is not None and node.parent.name not in ("body", "html", "[document]"):
            p = node.parent
            rest = _own_cjk(p) - cjk_count(s)
            if (_link_cjk(p) >= 0.5 * max(1, cjk_count(p.get_text("", strip=True))) or rest < 10) and not big(p):
                node = p
            else:
                break
        sib = node.find_next_sibling()
        node.decompose()
        while sib is not None and isinstance(sib, Tag) and sib.find("a") is not None \
                and _link_cjk(sib) >= 0.5 * max(1, cjk_count(sib.get_text("", strip=True))) and not big(sib):
            nxt = sib.find_next_sibling()
            sib.decompose()
            sib = nxt


# --------------------------------------------------------------------------- content root

# explicit article-body containers of gov CMSs: taken when they hold a quarter of the text
_STRONG_SELECTORS = (
    "#zoomcon", "#UCAP-CONTENT", "#info_cont", "#detailCon", "#Zoom", "#zoom", "#fontzoom",
    ".article-content", ".article_content", ".TRS_Editor", ".TRS_UEDITOR", ".Custom_UnionStyle",
    ".content_article", ".newsMain", ".pages_content", ".news_content", ".detail-content", "ucapcontent",
)
# generic wrappers: taken when they hold half of the text (the smallest such one)
_WEAK_SELECTORS = (
    ".guide-main", ".guide-content", ".article-body", ".art-content", ".view",
    "article", ".article", "#content", ".content", "main", ".main-content",
)


def _selector_sets(selectors: tuple[str, ...]) -> tuple[set[str], set[str], set[str]]:
    ids = {x[1:] for x in selectors if x.startswith("#")}
    classes = {x[1:] for x in selectors if x.startswith(".")}
    tags = {x for x in selectors if x[0] not in "#."}
    return ids, classes, tags


_STRONG_SETS = _selector_sets(_STRONG_SELECTORS)
_WEAK_SETS = _selector_sets(_WEAK_SELECTORS)


def _select_all(body: Tag) -> tuple[list[Tag], list[Tag]]:
    """Elements matching the strong / weak content selectors, in one pass (soupsieve is slow here)."""
    strong: list[Tag] = []
    weak: list[Tag] = []
    for el in body.find_all(True):
        el_id = el.get("id")
        classes = el.get("class") or ()
        for (ids, cls, tags), out in ((_STRONG_SETS, strong), (_WEAK_SETS, weak)):
            if el.name in tags or (el_id and el_id in ids) or any(c in cls for c in classes):
                out.append(el)
                break
    return strong, weak


def find_content_root(soup: BeautifulSoup) -> Tag:
    """The element holding the article body (call after chrome removal)."""
    body = soup.body or soup
    total_all = cjk_count(body.get_text("", strip=True))
    own_total = _own_cjk(body)
    use_links = own_total < 20  # a list page (目录): its links are its content
    measure = (lambda el: cjk_count(el.get_text("", strip=True))) if use_links else _own_cjk
    total = total_all if use_links else own_total
    if total == 0:
        return body
    strong, weak = _select_all(body)
    scored = [(measure(el), el) for el in strong]
    scored = [(m, el) for m, el in scored if m >= 0.25 * total and m > 0]
    if scored:
        top = max(m for m, _ in scored)
        # the largest share wins; among equal shares the innermost element
        best = [el for m, el in scored if m == top]
        return min(best, key=lambda el: len(list(el.descendants)))
    best: Tag | None = None
    best_size = None
    for el in weak:
        if measure(el) >= 0.5 * total:
            size = cjk_count(el.get_text("", strip=True))
            if best is None or size < best_size:
                best, best_size = el, size
    if best is not None:
        return best
    node: Tag = body
    while True:
        here = measure(node)
        kids = [c for c in node.children if isinstance(c, Tag)]
        if not kids:
            return node
        top = max(kids, key=measure)
        if measure(top) >= 0.7 * here and top.name not in ("p", "li", "tr", "td", "span", "a", "table"):
            node = top
        else:
            return node


# --------------------------------------------------------------------------- blocks

_BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section",
          "article", "blockquote", "pre", "center", "tr", "table", "tbody", "thead", "tfoot", "hr",
          "address", "figure", "figcaption", "caption", "main", "ucapcontent", "ucaptitle", "form", "fieldset"}
_SKIP_STRINGS = (Comment, Doctype, Declaration, ProcessingInstruction, CData, Stylesheet, Script, TemplateString)


def _cells(tr: Tag) -> list[Tag]:
    return [c for c in tr.find_all(["td", "th"], recursive=False)]


def _rows(table: Tag) -> list[Tag]:
    rows = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is table:
            rows.append(tr)
    return rows


def _is_layout_cell(cell: Tag) -> bool:
    if cell.find("table") is not None:
        return True
    blocks = [b for b in cell.find_all(["p", "div", "ul", "ol", "h1", "h2", "h3", "h4"]) if b.get_text(strip=True)]
    return len(blocks) >= 2


def _cell_text(cell: Tag) -> str:
    lines = element_blocks(cell)
    return " ".join(lines)


def _table_lines(table: Tag) -> list[str]:
    out: list[str] = []
    for tr in _rows(table):
        cells = _cells(tr)
        if any(_is_layout_cell(c) for c in cells):
            for c in cells:
                out.extend(element_blocks(c))
            continue
        texts = [_cell_text(c) for c in cells]
        texts = [t for t in texts if t]
        if not texts:
            continue
        line = texts[0]
        for prev, t in zip(texts, texts[1:]):
            line += t if prev.endswith(("：", ":")) else " | " + t
        out.append(line)
    return out


def _walk(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if isinstance(child, _SKIP_STRINGS):
                continue
            out[-1] += str(child)
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "br":
            out.append("")
        elif name == "table":
            out.append("")
            out.extend(_table_lines(child))
            out.append("")
        elif name in _BLOCK:
            out.append("")
            _walk(child, out)
            out.append("")
        else:
            _walk(child, out)


def element_blocks(el: Tag) -> list[str]:
    """The element's text as non-empty lines (paragraphs, list items, table rows)."""
    if el.name == "table":
        return _table_lines(el)
    out = [""]
    _walk(el, out)
    return [t for t in (_norm_ws(x) for x in out) if t]


def is_chrome_line(line: str) -> bool:
    if any(p.search(line) for p in _LINE_DROP[3:4]) and len(line) <= 120:
        return True
    if any(p.search(line) for p in _LINE_DROP[:3] + _LINE_DROP[4:]) and len(line) <= 80:
        return True
    if len(line) <= 40 and not _CONTROL_WORDS.sub("", line):
        return True
    return False


# --------------------------------------------------------------------------- metadata

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


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in soup.find_all("meta"):
        name = m.get("name") or m.get("property")
        content = m.get("content")
        if name and content is not None and name not in out:
            out[name] = _norm_ws(content)
    return out


def _meta_get(meta: dict[str, str], *names: str) -> str | None:
    low = {k.lower(): v for k, v in meta.items()}
    for n in names:
        v = low.get(n.lower())
        if v:
            return v
    return None


_SOURCE_LINE = re.compile(r"(?:信息来源|来源|发布机关|发文机关|发布机构|发布单位)\s*[:：]\s*([^\s|│]{2,60})")
_DATE_LINE = re.compile(r"(?:发布日期|发布时间|发表时间|成文日期|印发日期|日期|时间)\s*[:：]\s*((?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})")
_SELF_SOURCE = re.compile(r"^(本网|本站|本网站)")


def clean_source(s: str | None) -> str | None:
    """``本网`` (the site itself) says nothing; ``本网广州市住房保障办公室`` → the office."""
    if not s:
        return None
    s = _norm_ws(s)
    s = _SELF_SOURCE.sub("", s).strip(" ：:")
    return s or None


_TITLE_SELECTORS = ("h1", ".article-title", ".guide-title", ".content_title", ".xl-title", ".title", "ucaptitle")


def _title_heading(soup: BeautifulSoup) -> str | None:
    found: dict[str, list[Tag]] = {sel: [] for sel in _TITLE_SELECTORS}
    for el in soup.find_all(True):
        classes = el.get("class") or ()
        for sel in _TITLE_SELECTORS:
            if (sel[0] == "." and sel[1:] in classes) or (sel[0] != "." and el.name == sel):
                found[sel].append(el)
    for sel in _TITLE_SELECTORS:
        for el in found[sel][:1]:
            t = _norm_ws(el.get_text(" ", strip=True))
            if cjk_count(t) >= 2 and len(t) <= 200:
                return t
    return None


_LABEL = re.compile(r"^([\u4e00-\u9fa5A-Za-z]{1,10})[:：]$")


def label_values(scope: Tag, skip: Tag | None = None) -> dict[str, str]:
    """``标签：值`` pairs of metadata tables and lists: a cell/span whose whole text is a short
    label ending in a colon, its value the next sibling cell or the rest of its parent's
    text. Labels lose inner spaces (``索 引 号`` → ``索引号``). Pairs inside ``skip`` are ignored."""
    out: dict[str, str] = {}
    for el in scope.find_all(["td", "th", "span", "b", "strong", "label", "dt", "em"]):
        if skip is not None and (el is skip or skip in el.parents):
            continue
        raw = el.get_text("", strip=True)
        m = _LABEL.match(_WS.sub("", raw))
        if not m:
            continue
        label = m.group(1)
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
    return out


def _header_text(root: Tag, limit: int = 40) -> str:
    """Strings just before the content root (meta lines, 文号 tables), nearest last."""
    got: list[str] = []
    for s in root.find_all_previous(string=True):
        if isinstance(s, _SKIP_STRINGS) or s.find_parent(["head", "title"]) is not None:
            continue
        t = _norm_ws(s)
        if t:
            got.append(t)
        if len(got) >= limit:
            break
    return "\n".join(reversed(got))


# --------------------------------------------------------------------------- entry point

def strip_leading_title(blocks: list[str], title: str) -> list[str]:
    """Drop the title the page repeats at the top of its body (maybe broken over lines)."""
    want = _WS.sub("", title)
    acc = ""
    for k, b in enumerate(blocks[:4], 1):
        acc += _WS.sub("", b)
        if acc == want:
            return blocks[k:]
        if not want.startswith(acc):
            break
    return blocks


def parse_page(html: str | bytes, path: str | Path = "<page>") -> ParsedPage:
    """Parse one saved page. Raises :class:`EmptyPage` when no body text is left
    (:class:`BinaryPage`, a kind of it, when the file is binary rather than text)."""
    text = decode_html(html) if isinstance(html, bytes) else html
    _check_not_binary(text, path)
    soup = BeautifulSoup(text, "lxml")
    meta = _meta(soup)
    title_tag = soup.title.get_text(" ", strip=True) if soup.title else ""
    heading = _title_heading(soup)

    title = _meta_get(meta, "ArticleTitle", "og:title") or heading or (clean_title(title_tag) if title_tag else None)
    url = _meta_get(meta, "Url", "og:url")
    if url is None:
        canon = soup.find("link", rel="canonical")
        url = canon.get("href") if canon is not None and canon.get("href") else None

    _remove_chrome(soup)
    root = find_content_root(soup)
    blocks = [b for b in element_blocks(root) if not is_chrome_line(b)]
    if title:
        blocks = strip_leading_title(blocks, title)
    if cjk_count("".join(blocks)) < 5 and sum(len(b) for b in blocks) < 20:
        raise EmptyPage(f"{path}: no body text once site chrome is removed")

    header = _header_text(root)
    labels = label_values(soup.body or soup, skip=root)

    date = iso_date(_meta_get(meta, "PubDate", "publishdate", "firstpublishedtime", "article:published_time"))
    if date is None:
        m = _DATE_LINE.search(header) or _DATE_LINE.search("\n".join(blocks[:6]))
        date = iso_date(m.group(1)) if m else iso_date(header)

    source = clean_source(_meta_get(meta, "ContentSource", "source"))
    if source is None:
        m = _SOURCE_LINE.search(header)
        source = clean_source(m.group(1)) if m else None

    doc_number = _meta_get(meta, "DocNumber", "文号", "发文字号", "fwzh")
    if doc_number is None and (labels.get("文号") or labels.get("发文字号")):
        doc_number = find_doc_number("文号：" + (labels.get("文号") or labels.get("发文字号") or ""))
    if doc_number is None:
        doc_number = find_doc_number(header, blocks[:4])

    return ParsedPage(path=str(path), title=title, date=date, source=source, doc_number=doc_number,
                      url=url, blocks=blocks, root=root, meta=meta, labels=labels, header_text=header)


def nav_link_texts(html: str | bytes) -> list[str]:
    """Link texts of a page's navigation menus (``<nav>`` or an element whose class/id says
    nav/menu), read from the untouched page. Tests use it to prove no menu reaches a body."""
    text = decode_html(html) if isinstance(html, bytes) else html
    soup = BeautifulSoup(text, "lxml")
    out: list[str] = []
    for el in soup.find_all(True):
        words = _class_words(el)
        if el.name == "nav" or any(re.match(r"^(nav|navs|navbar|navigation|navigator|mainnav|subnav|topnav|headnav|menu|menus|submenu)$", w) for w in words):
            for a in el.find_all("a"):
                t = _norm_ws(a.get_text(" ", strip=True))
                if t and t not in out:
                    out.append(t)
    return out
