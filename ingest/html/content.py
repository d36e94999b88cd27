"""The content root: the element of a (chrome-free) page that holds the article body.

1. among the elements matching the content selectors gov CMSs use (``#zoomcon``,
   ``#UCAP-CONTENT``, ``.article-content``, ``#info_cont``, ``.TRS_Editor`` …) the one with the
   largest share of the page's text wins when it holds at least a quarter of it (the innermost
   among equals);
2. else the smallest of the generic wrappers (``article``, ``.content``, ``main`` …) holding half;
3. else the page is descended from ``<body>`` into the child that holds most of the Chinese text
   (outside links) as long as it holds 70% of its parent's.

Text is measured outside links, except on list pages (目录) whose links are their content. One
:func:`ingest.html.walk.measure` pass supplies every measure, so the search is linear.
"""
from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from ingest.html.walk import Measure, iter_tags, measure, tick

# explicit article-body containers of gov CMSs: taken when they hold a quarter of the text
STRONG_SELECTORS = (
    "#zoomcon", "#UCAP-CONTENT", "#info_cont", "#detailCon", "#Zoom", "#zoom", "#fontzoom",
    ".article-content", ".article_content", ".TRS_Editor", ".TRS_UEDITOR", ".Custom_UnionStyle",
    ".content_article", ".newsMain", ".pages_content", ".news_content", ".detail-content", "ucapcontent",
)
# generic wrappers: taken when they hold half of the text (the smallest such one)
WEAK_SELECTORS = (
    ".guide-main", ".guide-content", ".article-body", ".art-content", ".view",
    "article", ".article", "#content", ".content", "main", ".main-content",
)


def _selector_sets(selectors: tuple[str, ...]) -> tuple[set[str], set[str], set[str]]:
    ids = {x[1:] for x in selectors if x.startswith("#")}
    classes = {x[1:] for x in selectors if x.startswith(".")}
    tags = {x for x in selectors if x[0] not in "#."}
    return ids, classes, tags


_STRONG_SETS = _selector_sets(STRONG_SELECTORS)
_WEAK_SETS = _selector_sets(WEAK_SELECTORS)


def select_content(body: Tag) -> tuple[list[Tag], list[Tag]]:
    """Elements matching the strong / weak content selectors, in one pass."""
    strong: list[Tag] = []
    weak: list[Tag] = []
    for el in iter_tags(body):
        el_id = el.get("id")
        classes = el.get("class") or ()
        for (ids, cls, tags), out in ((_STRONG_SETS, strong), (_WEAK_SETS, weak)):
            if el.name in tags or (el_id and el_id in ids) or any(c in cls for c in classes):
                out.append(el)
                break
    return strong, weak


_NOT_DESCENDED = ("p", "li", "tr", "td", "span", "a", "table")


def find_content_root(soup: BeautifulSoup) -> Tag:
    """The element holding the article body (call after chrome removal)."""
    return content_root(soup)[0]


def content_root(soup: BeautifulSoup) -> tuple[Tag, Measure]:
    """The content root and the measures of ``soup``'s body it was chosen by."""
    body = soup.body or soup
    m = measure(body)
    return _choose(body, m), m


def _choose(body: Tag, m: Measure) -> Tag:
    total_all = m.of(body)
    own_total = m.own(body)
    use_links = own_total < 20  # a list page (目录): its links are its content
    score = m.of if use_links else m.own
    total = total_all if use_links else own_total
    if total == 0:
        return body
    strong, weak = select_content(body)
    scored = [(score(el), el) for el in strong]
    scored = [(s, el) for s, el in scored if s >= 0.25 * total and s > 0]
    if scored:
        top = max(s for s, _ in scored)
        best = [el for s, el in scored if s == top]
        return min(best, key=lambda el: m.size.get(id(el), 0))
    found: Tag | None = None
    found_size = 0
    for el in weak:
        if score(el) >= 0.5 * total:
            size = m.of(el)
            if found is None or size < found_size:
                found, found_size = el, size
    if found is not None:
        return found
    node: Tag = body
    while True:
        tick()
        here = score(node)
        kids = [c for c in node.children if isinstance(c, Tag)]
        if not kids:
            return node
        top = max(kids, key=score)
        if score(top) >= 0.7 * here and top.name not in _NOT_DESCENDED:
            node = top
        else:
            return node
