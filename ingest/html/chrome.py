"""Site chrome: what is removed from a page before its body is looked for.

Scripts, styles, forms and other non-text tags always go. Then, never removing an element
that holds half of the page's Chinese text: ``nav``/``header``/``footer``/``form``/``aside``,
elements whose ``class``/``id`` words say nav/menu/share/footer/related/…, hidden elements,
the small block around a copyright/ICP line, and related-article blocks announced by a heading
word (相关推荐/相关链接/猜你喜欢/相关阅读 …) with the link lists after them. Lines that are
chrome wherever they stand (分享到, 上一篇, 当前位置, copyright, print/close controls) are
recognised by :func:`is_chrome_line`.

Linear: every measure comes from :func:`ingest.html.walk.measure` (one pass, recomputed after
each removal step); walks up the tree stop after :data:`MAX_CLIMB` levels.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag
from bs4.element import CData

from ingest.html.walk import alive, cjk_count, iter_tags, measure, tick

ALWAYS_DROP = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "button",
               "select", "input", "textarea", "object", "embed", "link", "meta", "map", "audio", "video")
STRUCTURAL = ("nav", "header", "footer", "form", "aside")
MAX_CLIMB = 40  # levels a footer / related block may extend above the string that marks it
# class / id words (split on spaces, -, _ and camelCase) that mark chrome
_CHROME_WORD = re.compile(
    r"^(nav|navs|navbar|navigation|navigator|mainnav|subnav|topnav|headnav|menu|menus|submenu|"
    r"breadcrumb|breadcrumbs|crumb|crumbs|position|dqwz|"
    r"share|sharebtn|bshare|fenxiang|footer|foot|header|topbar|toolbar|sidebar|aside|"
    r"related|relate|xgxw|xgwz|xglj|recommend|tuijian|copyright|banquan|print|qrcode|ewm|"
    r"search|login|pager|pagination|paging|sxp|prevnext|bottom|backtop|gotop|fontsize|setfont|skip|"
    r"fixed|float|modal|popup|dialog|wza|barrier)$"
)
NAV_WORD = re.compile(r"^(nav|navs|navbar|navigation|navigator|mainnav|subnav|topnav|headnav|menu|menus|submenu)$")
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


def class_words(el: Tag) -> list[str]:
    raw = " ".join(el.get("class") or []) + " " + (el.get("id") or "")
    words: list[str] = []
    for tok in raw.split():
        for part in re.split(r"[-_]+", _CAMEL.sub("_", tok)):
            if part:
                words.append(part.lower())
    return words


def is_chrome_by_class(el: Tag) -> bool:
    return any(_CHROME_WORD.match(w) for w in class_words(el))


def is_chrome_line(line: str) -> bool:
    if any(p.search(line) for p in _LINE_DROP[3:4]) and len(line) <= 120:
        return True
    if any(p.search(line) for p in _LINE_DROP[:3] + _LINE_DROP[4:]) and len(line) <= 80:
        return True
    if len(line) <= 40 and not _CONTROL_WORDS.sub("", line):
        return True
    return False


_TOP = ("body", "html", "[document]")


def _strings(body: Tag) -> tuple[list[NavigableString], list[NavigableString]]:
    """Strings of ``body`` that mark a footer (copyright/ICP) or announce a related block, in one pass."""
    footer: list[NavigableString] = []
    related: list[NavigableString] = []
    for s in body.descendants:
        tick()
        if type(s) is not NavigableString:
            continue
        if _FOOTER_MARK.search(s):
            footer.append(s)
        elif len(s) <= 60 and _RELATED_HEAD.match(s.strip()):
            related.append(s)
    return footer, related


def remove_chrome(soup: BeautifulSoup) -> None:
    """Remove site chrome from ``soup`` in place (see the module docstring)."""
    for el in soup.find_all(ALWAYS_DROP):
        if alive(el):
            el.decompose()
    for el in soup.find_all(string=lambda s: isinstance(s, (Comment, Doctype, Declaration, ProcessingInstruction, CData))):
        el.extract()
    body = soup.body or soup
    m = measure(body)
    total = max(1, m.of(body))

    def big(el: Tag) -> bool:  # never drop the element that is (or wraps) the page's text
        return m.of(el) >= 0.5 * total

    removed = False
    for el in list(iter_tags(body)):
        if not alive(el) or el.name in ("html", "body"):
            continue
        style = el.get("style") or ""
        if _HIDDEN.search(style) or el.has_attr("hidden"):
            if not big(el):
                el.decompose()
                removed = True
            continue
        if (el.name in STRUCTURAL or is_chrome_by_class(el)) and not big(el):
            el.decompose()
            removed = True
    footer, related = _strings(body)
    if not footer and not related:
        return
    # footers recognised by their content: the small block around a copyright / ICP line
    if removed:
        m = measure(body)
    removed = False
    for s in footer:
        node = s.__dict__.get("parent")
        if node is None or not alive(node) or node.name in _TOP:
            continue
        for _ in range(MAX_CLIMB):
            p = node.parent
            if p is None or p.name in _TOP or m.of(p) > 200 or big(p):
                break
            node = p
        if not big(node) and m.of(node) <= 200:
            node.decompose()
            removed = True
    # related-article blocks announced by a heading word
    if removed and related:
        m = measure(body)
    for s in related:
        node = s.__dict__.get("parent")
        if node is None or not alive(node):
            continue
        for _ in range(MAX_CLIMB):
            p = node.parent
            if p is None or p.name in _TOP:
                break
            rest = m.own(p) - cjk_count(s)
            if (m.links(p) >= 0.5 * max(1, m.of(p)) or rest < 10) and not big(p):
                node = p
            else:
                break
        sib = node.find_next_sibling()
        node.decompose()
        while sib is not None and isinstance(sib, Tag) and m.links(sib) >= 0.5 * max(1, m.of(sib)) \
                and sib.find("a") is not None and not big(sib):
            nxt = sib.find_next_sibling()
            sib.decompose()
            sib = nxt


def nav_link_texts(html: str | bytes) -> list[str]:
    """Link texts of a page's navigation menus (``<nav>`` or an element whose class/id says
    nav/menu), read from the untouched page. Tests use it to prove no menu reaches a body."""
    from ingest.html.decode import decode_html

    text = decode_html(html) if isinstance(html, bytes) else html
    soup = BeautifulSoup(text, "lxml")
    out: list[str] = []
    for el in soup.find_all(True):
        if el.name == "nav" or any(NAV_WORD.match(w) for w in class_words(el)):
            for a in el.find_all("a"):
                t = re.sub(r"\s+", " ", a.get_text(" ", strip=True)).strip()
                if t and t not in out:
                    out.append(t)
    return out
