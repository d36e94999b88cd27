"""One saved page → :class:`ParsedPage`: metadata, then the article body only.

Steps: decode (:mod:`ingest.html.decode`), parse (lxml through BeautifulSoup), metadata
(:mod:`ingest.html.meta`), chrome removal (:mod:`ingest.html.chrome`), the content root
(:mod:`ingest.html.content`), its text as lines (:mod:`ingest.html.tables`).

The budget per page (:class:`PageTooExpensive`, an :class:`EmptyPage`-like skip for callers):
at most :data:`MAX_PAGE_BYTES` bytes and :data:`MAX_ELEMENTS` start tags (both checked before
parsing, in C-speed scans), and :data:`PAGE_SECONDS` of work (checked every few thousand nodes
by every pass). Every pass is linear in the page size, so the time bound is rarely what stops a
page: 8,000 nested ``<div>``s parse in about 0.2 s, a 4 MB page in about 3 s.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from ingest.html.chrome import is_chrome_line, remove_chrome
from ingest.html.content import content_root
from ingest.html.decode import EmptyPage, check_not_binary, decode_html
from ingest.html.meta import (DATE_LINE, SOURCE_LINE, clean_source, clean_title, find_doc_number, header_text,
                              iso_date, label_values, meta_get, meta_tags, title_heading)
from ingest.html.tables import element_blocks
from ingest.html.walk import PageTooExpensive, budget, cjk_count

MAX_PAGE_BYTES = 8 * 1024 * 1024
MAX_ELEMENTS = 400_000
PAGE_SECONDS = 20.0
_START_TAG = re.compile(r"<[A-Za-z]")
_WS = re.compile(r"\s+")


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


def check_size(text_or_bytes: str | bytes, path, max_bytes: int = MAX_PAGE_BYTES,
               max_elements: int = MAX_ELEMENTS) -> None:
    """Raise :class:`PageTooExpensive` for a page over the size or element budget."""
    n = len(text_or_bytes.encode("utf-8", "surrogatepass") if isinstance(text_or_bytes, str) else text_or_bytes)
    if n > max_bytes:
        raise PageTooExpensive(f"{path}: {n / 2**20:.1f} MiB, over the page budget of {max_bytes / 2**20:g} MiB; skipped")
    sample = text_or_bytes if isinstance(text_or_bytes, str) else text_or_bytes.decode("latin-1")
    tags = len(_START_TAG.findall(sample))
    if tags > max_elements:
        raise PageTooExpensive(f"{path}: {tags} elements, over the page budget of {max_elements}; skipped")


def parse_page(html: str | bytes, path: str | Path = "<page>", seconds: float = PAGE_SECONDS) -> ParsedPage:
    """Parse one saved page. Raises :class:`EmptyPage` when no body text is left
    (:class:`BinaryPage`, a kind of it, when the file is binary rather than text) and
    :class:`PageTooExpensive` when the page is over its budget (module docstring)."""
    check_size(html, path)
    with budget(seconds, str(path)):
        return _parse(html, path)


def _parse(html: str | bytes, path) -> ParsedPage:
    text = decode_html(html) if isinstance(html, bytes) else html
    check_not_binary(text, path)
    soup = BeautifulSoup(text, "lxml")
    meta = meta_tags(soup)
    title_tag = soup.title.get_text(" ", strip=True) if soup.title else ""
    heading = title_heading(soup)

    title = meta_get(meta, "ArticleTitle", "og:title") or heading or (clean_title(title_tag) if title_tag else None)
    url = meta_get(meta, "Url", "og:url")
    if url is None:
        canon = soup.find("link", rel="canonical")
        url = canon.get("href") if canon is not None and canon.get("href") else None

    remove_chrome(soup)
    root, measures = content_root(soup)
    blocks = [b for b in element_blocks(root) if not is_chrome_line(b)]
    if title:
        blocks = strip_leading_title(blocks, title)
    if cjk_count("".join(blocks)) < 5 and sum(len(b) for b in blocks) < 20:
        raise EmptyPage(f"{path}: no body text once site chrome is removed")

    header = header_text(root)
    labels = label_values(soup.body or soup, skip=root, m=measures)

    date = iso_date(meta_get(meta, "PubDate", "publishdate", "firstpublishedtime", "article:published_time"))
    if date is None:
        m = DATE_LINE.search(header) or DATE_LINE.search("\n".join(blocks[:6]))
        date = iso_date(m.group(1)) if m else iso_date(header)

    source = clean_source(meta_get(meta, "ContentSource", "source"))
    if source is None:
        m = SOURCE_LINE.search(header)
        source = clean_source(m.group(1)) if m else None

    doc_number = meta_get(meta, "DocNumber", "文号", "发文字号", "fwzh")
    if doc_number is None and (labels.get("文号") or labels.get("发文字号")):
        doc_number = find_doc_number("文号：" + (labels.get("文号") or labels.get("发文字号") or ""))
    if doc_number is None:
        doc_number = find_doc_number(header, blocks[:4])

    return ParsedPage(path=str(path), title=title, date=date, source=source, doc_number=doc_number,
                      url=url, blocks=blocks, root=root, meta=meta, labels=labels, header_text=header)
