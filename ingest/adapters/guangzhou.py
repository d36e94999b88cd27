"""Guangzhou municipal and district pages (``policies/guangzhou``).

``pages/*`` are full saved pages (``.html``) with site chrome around the article, plus
the odd ``.txt``; ``documents.json`` holds clean metadata (title, 文号, date, url,
issuer) for 37 of them. doc_id = the file name without extension; region 广州.

Matching ``documents.json`` entries to files, strongest rule first, one entry per file:
1. the page's ``<meta name="Url">`` equals the entry's ``source_url`` (scheme ignored);
2. a page title (ArticleTitle, heading, ``<title>``) equals the entry's title, or one
   contains the other (≥ 8 characters), after dropping (转载)/【栏目】 prefixes and punctuation;
3. the entry's ``original_text`` opens with the page's title;
4. last resort: the descriptive part of the file name (``01_招生细则_原文`` → 招生细则) is a
   subsequence of exactly one remaining entry's title.
A matched entry supplies title, date, url and department; its ``doc_no`` only when it is a
real 发文字号 (entries also hold notes such as "（政务问答）" or "穗府办规〔2021〕14号为依据"), and
its issuer without repost notes (``（越秀区政府网转载）``). Rules 2-4 never pair a page and an
entry whose urls both exist and differ: documents.json's entry for the 招生工作细则 (a scanned
PDF, ``01_…txt``) carries the text of the news story about it (``01b``), a different page.

Kind rule: ``policy`` when the (final) title, without a trailing parenthesis, ends in a
formal document type — 办法 细则 条例 规定 规则 通知 通告 公告 方案 意见 决定 — and is longer
than a column name (> 6 characters: 仲裁公告 is a list page), or the page carries a 发文字号 of
its own; everything else (指引/指南, 问答/常见问题, 简介/详解, news, list
pages) is ``article``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from core.records import Document
from ingest.adapters import Problem, SourceResult, read_text
from ingest.html import (DOC_NO as _DOC_NO, PageError, ParsedPage, clean_title, cjk_count, iso_date,
                         parse_page)

SOURCE = "guangzhou"
REGION = "广州"

_POLICY_END = re.compile(r"(办法|细则|条例|规定|规则|通知|通告|公告|方案|意见|决定)$")
_TRAILING_PAREN = re.compile(r"[（(][^（）()]*[）)]$")
_TITLE_PREFIX = re.compile(r"^\s*(?:[（(]转载[）)]|【[^】]{1,8}】)\s*")
_PUNCT = re.compile(r"[\s\"'“”‘’「」《》〈〉<>!！?？,，.。:：;；、·\-—_()（）\[\]【】]")
_PAGE_MARK = re.compile(r"^=+\s*PAGE\s*\d+\s*=+$", re.I | re.M)


def kind_for(title: str, doc_number: str | None) -> str:
    """``policy`` for formal documents (办法/细则/通知/方案 …), else ``article``."""
    t = title.strip()
    while _TRAILING_PAREN.search(t):
        t = _TRAILING_PAREN.sub("", t).strip()
    if (_POLICY_END.search(t) and len(t) > 6) or (doc_number and _DOC_NO.fullmatch(doc_number)):
        return "policy"
    return "article"


def _norm_title(t: str | None) -> str:
    return _PUNCT.sub("", _TITLE_PREFIX.sub("", t or ""))


def _norm_url(u: str | None) -> str:
    return re.sub(r"^https?://", "", (u or "").strip()).rstrip("/")


_NOTE_PAREN = re.compile(r"[（(][^（）()]*(?:转载|发布|供稿|解读)[^（）()]*[）)]")


def _clean_department(s: str | None) -> str | None:
    """``广州市人力资源社会保障局（越秀区政府网转载）`` → the issuer, without the repost note."""
    if not s:
        return None
    return _NOTE_PAREN.sub("", s).strip() or None


def _real_doc_number(s: str | None) -> str | None:
    if not s:
        return None
    t = re.sub(r"\s+", "", s)
    return t if _DOC_NO.fullmatch(t) else None


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _file_keyword(stem: str) -> str:
    parts = [p for p in stem.split("_") if p and not re.fullmatch(r"\d+[a-z]?", p)]
    return parts[0] if parts else ""


class _Page:
    """One file's parse result (or its problem)."""

    def __init__(self, path: Path):
        self.path = path
        self.doc_id = path.stem
        self.parsed: ParsedPage | None = None
        self.text: str = ""
        self.titles: list[str] = []
        self.why: str | None = None


def _read_page(path: Path) -> _Page:
    page = _Page(path)
    if path.suffix.lower() in (".html", ".htm", ".shtml"):
        try:
            raw = path.read_bytes()
        except OSError as e:
            page.why = f"cannot read: {e.strerror or e}"
            return page
        try:
            parsed = parse_page(raw, path)
        except PageError as e:
            page.why = str(e)
            return page
        page.parsed = parsed
        page.text = parsed.text
        page.titles = [t for t in (parsed.title, parsed.meta.get("ArticleTitle")) if t]
        return page
    text, why = read_text(path)
    if text is None:
        page.why = why
        return page
    body = _PAGE_MARK.sub("", text)
    lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
    if cjk_count("".join(lines)) == 0:
        page.why = "no text: only page markers (a scanned PDF without a text layer)"
        return page
    page.text = "\n".join(lines)
    page.titles = [lines[0]]
    return page


def match_metadata(pages: list[_Page], entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """doc_id → documents.json entry (rules in the module docstring)."""
    matched: dict[str, dict[str, Any]] = {}
    used: set[int] = set()

    def take(page: _Page, i: int) -> None:
        matched[page.doc_id] = entries[i]
        used.add(i)

    def free_pages():
        return [p for p in pages if p.doc_id not in matched]

    # 1. url
    for p in free_pages():
        u = _norm_url(p.parsed.url if p.parsed else None)
        if not u:
            continue
        hits = [i for i, e in enumerate(entries) if i not in used and _norm_url(e.get("source_url")) == u]
        if len(hits) == 1:
            take(p, hits[0])
    def url_conflict(p: _Page, e: dict[str, Any]) -> bool:
        """Both name a url and they differ: the entry describes another page."""
        pu, eu = _norm_url(p.parsed.url if p.parsed else None), _norm_url(e.get("source_url"))
        return bool(pu and eu and pu != eu)

    # 2. title equality, then containment
    for exact in (True, False):
        for p in free_pages():
            keys = {_norm_title(t) for t in p.titles if t}
            keys.discard("")
            hits = []
            for i, e in enumerate(entries):
                if i in used or url_conflict(p, e):
                    continue
                et = _norm_title(e.get("title"))
                if not et:
                    continue
                for k in keys:
                    if et == k or (not exact and min(len(et), len(k)) >= 8 and (et in k or k in et)):
                        hits.append(i)
                        break
            if len(hits) == 1:
                take(p, hits[0])
    # 3. the entry's text opens with the page title
    for p in free_pages():
        keys = {_norm_title(t) for t in p.titles if t}
        keys.discard("")
        hits = [i for i, e in enumerate(entries) if i not in used and not url_conflict(p, e)
                and _norm_title((e.get("original_text") or "").split("\n", 1)[0]) in keys]
        if len(hits) == 1:
            take(p, hits[0])
    # 4. file-name keyword as a subsequence of the title
    for p in free_pages():
        kw = _file_keyword(p.doc_id)
        if len(kw) < 3:
            continue
        hits = [i for i, e in enumerate(entries) if i not in used and not url_conflict(p, e)
                and _is_subsequence(kw, e.get("title") or "")]
        if len(hits) == 1:
            take(p, hits[0])
    return matched


def _load_entries(path: Path, result: SourceResult) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    text, why = read_text(path)
    if text is None:
        result.problems.append(Problem(str(path), f"metadata unreadable, pages used without it: {why}"))
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        result.problems.append(Problem(f"{path}:{e.lineno}", f"metadata is not valid JSON, pages used without it: {e.msg}"))
        return []
    except RecursionError:
        result.problems.append(Problem(str(path), "metadata nested too deeply, pages used without it"))
        return []
    if not isinstance(data, list):
        result.problems.append(Problem(str(path), "metadata is not a list; pages used without it"))
        return []
    return [e for e in data if isinstance(e, dict)]


def load(root: Path) -> SourceResult:
    base = Path(root) / "policies" / "guangzhou"
    result = SourceResult()
    page_dir = base / "pages"
    if not page_dir.is_dir():
        result.records = 1
        result.problems.append(Problem(str(page_dir), "folder not found"))
        return result
    files = sorted(p for p in page_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    pages = [_read_page(p) for p in files]
    result.records = len(pages)
    entries = _load_entries(base / "documents.json", result)
    meta = match_metadata([p for p in pages if p.why is None], entries)

    for page in pages:
        if page.why is not None:
            result.problems.append(Problem(str(page.path), page.why))
            continue
        parsed = page.parsed
        entry = meta.get(page.doc_id, {})
        page_title = parsed.title if parsed else (page.titles[0] if page.titles else None)
        if page_title:
            page_title = _TITLE_PREFIX.sub("", clean_title(page_title)).strip()
        title = (entry.get("title") or "").strip() or page_title
        if not title:
            result.problems.append(Problem(str(page.path), "no title in page or metadata"))
            continue
        doc_number = _real_doc_number(entry.get("doc_no")) or (parsed.doc_number if parsed else None)
        date = iso_date(entry.get("publish_date")) or (parsed.date if parsed else None)
        department = _clean_department(entry.get("source")) or (parsed.source if parsed else None)
        url = entry.get("source_url") or (parsed.url if parsed else None)
        fields: dict[str, Any] = {}
        if entry:
            fields["metadata_id"] = entry.get("id")
        if page_title and page_title != title:
            fields["page_title"] = page_title
        result.documents.append(Document(
            doc_id=page.doc_id, source=SOURCE, kind=kind_for(title, doc_number), title=title,
            text=page.text, url=url, department=department, region=REGION, date=date,
            doc_number=doc_number, fields=fields,
        ))
    return result
