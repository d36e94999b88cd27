"""Service-guide portal pages (办事指南 / 一件事 / 政策通知): the demo corpus, ``corpus/pages``.

``load(root)`` reads ``root/"pages"/*.html`` (layout in ``corpus/LAYOUT.md``); the doc id is
the file name without extension. Site chrome goes with :func:`parse_page`; the structure
is read from headings, not from exact class names, so any portal page of this general
shape works:

- the title from ``<meta name="ArticleTitle">`` / the page heading;
- a basic-info table (``th``/``td`` label-value cells) before the first section:
  实施主体 → ``department``, 服务对象 → ``audience``, 事项类型 → ``task_type`` …;
- one section per ``<h2>`` (``<h3>`` when a page has no ``<h2>``), its heading mapped to a
  field key through synonyms (申请材料/所需材料/材料清单 → ``materials`` …); sections
  without a field go to ``extra_sections`` and are rendered after the known ones;
- the 申请材料 table → ``materials``: ``{name, copies, original_or_copy, required,
  condition}`` read by header name (any column order; a missing column → None;
  "无" → None; 必需 → True, 非必需/容缺 → False);
- 办理时限 lines ``法定办结时限：…`` / ``承诺办结时限：…`` → ``time_limit_legal`` /
  ``time_limit_promised``;
- bundles (一件事): the 包含事项 list → ``members`` (``data-item-id`` or the link's file stem)
  and ``member_titles``; the 情形引导 section → ``routes``: ``[{question, options: [{label,
  members, text}]}]`` (a question is a line ending in ？ or naming 择一; each list item after it is
  an option: its label before ：, its member items from its links), also kept as text.

Kind: from the file name (``item-`` → service_item, ``bundle-`` → bundle, ``policy-`` →
policy); otherwise from the structure (a 包含事项 section → bundle, any known guide
section → service_item, else policy). Service items and bundles are rendered with
:func:`ingest.structure.render_service_item`; a policy's text is its body paragraphs, its
date / department / 文号 read from the meta line (发布日期：… 来源：… 文号：…) first.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bs4 import Tag

from core.records import Document
from ingest.adapters import Problem, SourceResult
from ingest.html import (EmptyPage, PageError, ParsedPage, element_blocks, find_doc_number, is_chrome_line,
                         iso_date, parse_page)
from ingest.guide_fields import (BASIC_INFO, GUIDE_FIELDS, NUMBERING, materials_from_rows, norm, section_key,
                                 time_limits, value)
from ingest.html.walk import tick
from ingest.structure import render_service_item

SOURCE = "demo"

_norm, _value, _NUMBERING = norm, value, NUMBERING


# --------------------------------------------------------------------------- tables

def _rows(table: Tag) -> list[list[Tag]]:
    out = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is table:
            out.append(tr.find_all(["td", "th"], recursive=False))
    return out


def _cell(c: Tag) -> str:
    return " ".join(element_blocks(c))


def kv_table(table: Tag) -> dict[str, str]:
    """Label → value pairs of a basic-info table (``th`` label, ``td`` value, several per row)."""
    out: dict[str, str] = {}
    for cells in _rows(table):
        i = 0
        while i + 1 < len(cells):
            label = _norm(_cell(cells[i])).rstrip("：:")
            if cells[i].name == "th" or (label and len(label) <= 10 and cells[i + 1].name == "td"):
                out.setdefault(label, _cell(cells[i + 1]))
                i += 2
            else:
                i += 1
    return out


def material_table(table: Tag) -> list[dict[str, Any]]:
    """Rows of a 申请材料 table as Material dicts, columns found by their header names."""
    return materials_from_rows([([_cell(c) for c in cells], bool(cells) and all(c.name == "th" for c in cells))
                                for cells in _rows(table)])


# --------------------------------------------------------------------------- sections

def _heading_level(root: Tag) -> str | None:
    for name in ("h2", "h3", "h4"):
        if root.find(name) is not None:
            return name
    return None


def _section_nodes(h: Tag, root: Tag) -> list[Tag]:
    """Elements after heading ``h`` up to the next heading of the same level."""
    node = h
    # a heading wrapped alone (<div class="title"><h2>…</h2></div>): continue after the wrapper
    while node.find_next_sibling() is None and node.parent is not None and node.parent is not root \
            and _norm(node.parent.get_text()) == _norm(h.get_text()):
        node = node.parent
    out = []
    for sib in node.find_next_siblings():
        if not isinstance(sib, Tag):
            continue
        if sib.name == h.name or sib.find(h.name) is not None:
            break
        out.append(sib)
    return out


def _lines(nodes: list[Tag]) -> list[str]:
    out: list[str] = []
    for n in nodes:
        out.extend(b for b in element_blocks(n) if not is_chrome_line(b))
    return out


def _members(nodes: list[Tag]) -> tuple[list[str], list[str]]:
    ids, titles = [], []
    for n in nodes:
        for a in n.find_all("a"):
            mid = _link_id(a)
            t = re.sub(r"\s+", " ", a.get_text(" ", strip=True))
            if mid and mid not in ids:
                ids.append(mid)
                titles.append(t or mid)
    return ids, titles


def _link_id(a: Tag) -> str | None:
    mid = a.get("data-item-id")
    if not mid and a.get("href"):
        stem = a["href"].split("#")[0].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        mid = stem.rsplit(".", 1)[0] if "." in stem else stem
    return mid or None


def _routes(nodes: list[Tag]) -> tuple[list[dict[str, Any]], list[str]]:
    """A bundle's 情形引导: alternative routes and the member items each takes; and its text lines."""
    routes: list[dict[str, Any]] = []
    lines: list[str] = []
    for n in nodes:
        for el in ([n] if n.name in ("p", "dt", "li", "dd", "h3", "h4") else n.find_all(["p", "dt", "li", "dd", "h3", "h4"])):
            text = re.sub(r"\s+", " ", el.get_text("", strip=True))
            if not text:
                continue
            if el.name in ("li", "dd") and routes:
                label_el = el.find(class_="option-label")
                label = label_el.get_text(strip=True) if label_el else re.split(r"[：:]", text, 1)[0]
                members = [m for m in (_link_id(a) for a in el.find_all("a")) if m]
                routes[-1]["options"].append({"label": label, "members": members, "text": text})
                lines.append(text)
            elif el.name not in ("li", "dd") and (text.endswith(("？", "?", "）")) and ("？" in text or "?" in text
                                                                                    or "择一" in text)):
                routes.append({"question": text, "options": []})
                lines.append(text)
    return [r for r in routes if len(r["options"]) >= 2], lines


def _is_ancestor(a: Tag, el: Tag) -> bool:
    for p in el.parents:
        tick()
        if p is a:
            return True
    return False


def parse_guide(page: ParsedPage) -> tuple[dict[str, Any], list[tuple[str, str]], str | None]:
    """Fields, extra sections and department of a guide page (item or bundle)."""
    root = page.root
    level = _heading_level(root)
    page_top = root.find_parent("body") or root.find_parent("[document]")
    if level and page_top is not None:
        # the body may have been narrowed to one big section (a long 申请材料 table): widen
        # it to the smallest element that holds every section heading of the page
        for h in page_top.find_all(level):
            while root is not page_top and not _is_ancestor(root, h):
                root = root.parent
    fields: dict[str, Any] = {}
    extra: list[tuple[str, str]] = []
    department = None
    first_heading = root.find(level) if level else None

    # basic-info: label/value tables outside the sections
    basic: dict[str, str] = {}
    after = {id(t) for t in first_heading.find_all_next("table")} if first_heading is not None else set()
    for table in root.find_all("table"):
        if id(table) in after:
            continue
        basic.update(kv_table(table))
    for key, labels in BASIC_INFO.items():
        for label in labels:
            v = _value(basic.get(label))
            if v:
                if key == "department":
                    department = v
                else:
                    fields[key] = v
                break
    if basic:
        fields["basic_info"] = {k: v for k, v in basic.items() if k and _value(v)}

    if level is None:
        return fields, extra, department
    for h in root.find_all(level):
        heading = _NUMBERING.sub("", re.sub(r"\s+", "", h.get_text(" ", strip=True))).rstrip("：:")
        if not heading:
            continue
        nodes = _section_nodes(h, root)
        key = section_key(heading)
        if key == "materials":
            tables = [t for n in nodes for t in ([n] if n.name == "table" else n.find_all("table"))]
            mats = [m for t in tables for m in material_table(t)]
            if not mats:  # a plain list of materials
                mats = [{"name": _NUMBERING.sub("", ln), "copies": None, "original_or_copy": None,
                         "required": None, "condition": None} for ln in _lines(nodes) if _value(ln)]
            if mats:
                fields.setdefault("materials", []).extend(mats)
            continue
        if key == "routes":
            routes, lines = _routes(nodes)
            if routes:
                fields["routes"] = routes
            if lines:
                extra.append((heading, "\n".join(lines)))
            continue
        if key == "members":
            ids, titles = _members(nodes)
            if ids:
                fields["members"] = ids
                fields["member_titles"] = titles
            continue
        lines = _lines(nodes)
        body = "\n".join(lines)
        if not _value(body):
            continue
        if key == "time_limit":
            time_limits(heading, lines, fields, extra)
            continue
        if key == "process":
            fields["process"] = lines
            continue
        if key is not None and key not in fields:
            fields[key] = body
        else:
            extra.append((heading, body))
    return fields, extra, department


# --------------------------------------------------------------------------- policies

_META_DATE = re.compile(r"(?:发布日期|发布时间|日期)\s*[:：]\s*(\S+)")
_META_SOURCE = re.compile(r"(?:来源|发布机构|发布单位|发文机关)\s*[:：]\s*([^\s　|]+)")


def _policy_meta(page: ParsedPage) -> tuple[str | None, str | None, str | None]:
    head = page.header_text
    m = _META_DATE.search(head)
    date = iso_date(m.group(1)) if m else None
    m = _META_SOURCE.search(head)
    dept = m.group(1) if m else None
    doc_no = find_doc_number(head, page.blocks[:4])
    return date or page.date, dept or page.source, doc_no or page.doc_number


# --------------------------------------------------------------------------- entry points

def guide_kind(doc_id: str, fields: dict[str, Any]) -> str:
    for prefix, kind in (("item-", "service_item"), ("bundle-", "bundle"), ("policy-", "policy")):
        if doc_id.startswith(prefix):
            return kind
    if fields.get("members"):
        return "bundle"
    if any(k in fields for k in GUIDE_FIELDS):
        return "service_item"
    return "policy"


def parse_document(html: str | bytes, path: Path | str, doc_id: str | None = None) -> Document:
    """One portal page → Document. Raises :class:`EmptyPage` for a page without body."""
    path = Path(path)
    doc_id = doc_id or path.stem
    page = parse_page(html, path)
    title = page.title
    if not title:
        raise EmptyPage(f"{path}: no title")
    fields, extra, department = parse_guide(page)
    kind = guide_kind(doc_id, fields)
    keywords = page.meta.get("keywords")
    region = page.meta.get("Region")
    if kind == "policy":
        date, dept, doc_no = _policy_meta(page)
        pfields: dict[str, Any] = {}
        if keywords:
            pfields["keywords"] = [k for k in re.split(r"[,，;；\s]+", keywords) if k]
        return Document(doc_id=doc_id, source=SOURCE, kind="policy", title=title, text=page.text,
                        url=page.url, department=dept, region=region, date=date, doc_number=doc_no,
                        fields=pfields)
    if keywords:
        fields["keywords"] = [k for k in re.split(r"[,，;；\s]+", keywords) if k]
    text = render_service_item(title, fields, extra)
    return Document(doc_id=doc_id, source=SOURCE, kind=kind, title=title, text=text, url=page.url,
                    department=department or page.source, region=region, date=page.date, fields=fields)


def load(root: Path) -> SourceResult:
    pages_dir = Path(root) / "pages"
    result = SourceResult()
    if not pages_dir.is_dir():
        result.records = 1
        result.problems.append(Problem(str(pages_dir), "folder not found"))
        return result
    for path in sorted(pages_dir.glob("*.htm*")):
        result.records += 1
        try:
            raw = path.read_bytes()
        except OSError as e:
            result.problems.append(Problem(str(path), f"cannot read: {e.strerror or e}"))
            continue
        try:
            result.documents.append(parse_document(raw, path))
        except PageError as e:
            result.problems.append(Problem(str(path), str(e).split(": ", 1)[-1]))
    return result
