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
from ingest.adapters.html_page import (EmptyPage, ParsedPage, element_blocks, find_doc_number, is_chrome_line,
                                       iso_date, parse_page)
from core.sections import SECTION_SYNONYMS, section_key  # noqa: F401 - re-exported for the adapters
from ingest.structure import render_service_item

SOURCE = "demo"

# basic-info labels → field key ("department" goes to Document.department)
BASIC_INFO: dict[str, tuple[str, ...]] = {
    "department": ("实施主体", "实施机关", "办理部门", "受理部门", "主管部门", "实施部门"),
    "audience": ("服务对象", "办理对象", "适用对象"),
    "task_type": ("事项类型",),
    "task_code": ("事项编码", "实施编码", "基本编码"),
    "handle_type": ("办件类型",),
    "online_depth": ("网上办理深度",),
    "visits": ("到办事现场次数", "到现场次数", "跑动次数"),
}

# material table header → Material attribute (a header maps to the attribute whose word it contains)
MATERIAL_COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("required", ("是否必需", "是否必要", "必要性", "必需", "必要", "是否必须")),
    ("original_or_copy", ("原件或复印件", "原件/复印件", "原件复印件", "材料形式", "材料类型", "原件", "复印件", "形式")),
    ("copies", ("份数", "数量")),
    ("condition", ("适用情形", "适用条件", "情形", "备注")),
    ("name", ("材料名称", "名称", "材料")),
]

_NONE_VALUES = {"", "无", "—", "-", "--", "/", "／", "暂无", "空"}
_NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|\d+\s*[、.．)）]|[（(]\d+[）)]|第[一二三四五六七八九十\d]+[步条]\s*[:：、]?)\s*")
_LEGAL = re.compile(r"法定(?:办结)?(?:时限|期限)\s*[:：]\s*(.+)")
_PROMISED = re.compile(r"承诺(?:办结)?(?:时限|期限)\s*[:：]\s*(.+)")


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s or "")


def _value(s: str | None) -> str | None:
    if s is None:
        return None
    t = re.sub(r"\s+", " ", s).strip()
    return None if t in _NONE_VALUES else t


def parse_required(s: str | None) -> bool | None:
    t = _norm(s or "")
    if not t or t in _NONE_VALUES:
        return None
    if any(w in t for w in ("非必", "容缺", "非必要", "否", "选填", "可选", "不需要")):
        return False
    if any(w in t for w in ("必需", "必须", "必要", "是", "必填", "必交")):
        return True
    return None


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


def _column_map(headers: list[str]) -> dict[int, str]:
    cols: dict[int, str] = {}
    taken: set[str] = set()
    for idx, h in enumerate(headers):
        hn = _norm(h)
        if not hn or hn in ("序号", "编号", "No", "no"):
            continue
        for attr, words in MATERIAL_COLUMNS:
            if attr in taken:
                continue
            if any(w in hn for w in words):
                cols[idx] = attr
                taken.add(attr)
                break
    return cols


def material_table(table: Tag) -> list[dict[str, Any]]:
    """Rows of a 申请材料 table as Material dicts, columns found by their header names."""
    rows = _rows(table)
    if not rows:
        return []
    header_i = next((i for i, r in enumerate(rows) if r and all(c.name == "th" for c in r)), None)
    if header_i is None:
        header_i = 0 if rows[0] and any("名称" in _cell(c) for c in rows[0]) else None
    if header_i is not None:
        cols = _column_map([_cell(c) for c in rows[header_i]])
        body = rows[header_i + 1:]
    else:  # no header: the longest non-numeric cell of each row is the name
        cols = {}
        body = rows
    mats: list[dict[str, Any]] = []
    for cells in body:
        texts = [_cell(c) for c in cells]
        if not any(texts):
            continue
        rec: dict[str, Any] = {"name": None, "copies": None, "original_or_copy": None, "required": None, "condition": None}
        if cols:
            for idx, attr in cols.items():
                if idx < len(texts):
                    rec[attr] = texts[idx]
        if not rec["name"]:
            cands = [t for t in texts if t and not re.fullmatch(r"\d+", t)]
            rec["name"] = max(cands, key=len) if cands else None
        name = _value(_NUMBERING.sub("", rec["name"] or ""))
        if not name:
            continue
        mats.append({
            "name": name,
            "copies": _value(rec["copies"]),
            "original_or_copy": _value(rec["original_or_copy"]),
            "required": parse_required(rec["required"]),
            "condition": _value(rec["condition"]),
        })
    return mats


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
            mid = a.get("data-item-id")
            if not mid and a.get("href"):
                stem = a["href"].split("#")[0].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                mid = stem.rsplit(".", 1)[0] if "." in stem else stem
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


def parse_guide(page: ParsedPage) -> tuple[dict[str, Any], list[tuple[str, str]], str | None]:
    """Fields, extra sections and department of a guide page (item or bundle)."""
    root = page.root
    level = _heading_level(root)
    page_top = root.find_parent("body") or root.find_parent("[document]")
    if level and page_top is not None:
        # the body may have been narrowed to one big section (a long 申请材料 table): widen
        # it to the smallest element that holds every section heading of the page
        for h in page_top.find_all(level):
            while root is not page_top and h not in root.descendants:
                root = root.parent
    fields: dict[str, Any] = {}
    extra: list[tuple[str, str]] = []
    department = None
    first_heading = root.find(level) if level else None

    # basic-info: label/value tables outside the sections
    basic: dict[str, str] = {}
    for table in root.find_all("table"):
        if first_heading is not None and table in first_heading.find_all_next("table"):
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
            rest = []
            for ln in lines:
                m_l, m_p = _LEGAL.search(ln), _PROMISED.search(ln)
                if m_l:
                    fields["time_limit_legal"] = m_l.group(1).strip()
                if m_p:
                    fields["time_limit_promised"] = m_p.group(1).strip()
                if not (m_l or m_p):
                    rest.append(ln)
            if rest:
                # an unlabelled time under a 承诺时限 / 法定时限 heading belongs to that one
                if "承诺" in heading and "time_limit_promised" not in fields:
                    fields["time_limit_promised"] = "\n".join(rest)
                elif "法定" in heading and "time_limit_legal" not in fields:
                    fields["time_limit_legal"] = "\n".join(rest)
                else:
                    extra.append((heading, "\n".join(rest)))
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

def _kind(doc_id: str, fields: dict[str, Any]) -> str:
    for prefix, kind in (("item-", "service_item"), ("bundle-", "bundle"), ("policy-", "policy")):
        if doc_id.startswith(prefix):
            return kind
    if fields.get("members"):
        return "bundle"
    if any(k in fields for k in ("materials", "conditions", "process", "time_limit_legal", "time_limit_promised",
                                 "fee", "location", "phone")):
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
    kind = _kind(doc_id, fields)
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
        except EmptyPage as e:
            result.problems.append(Problem(str(path), str(e).split(": ", 1)[-1]))
    return result
