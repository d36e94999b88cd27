"""A :class:`~ingest.files.layout.Layout` → a Document of the right kind.

Kind, unless the caller gives one: ``service_item`` when the document has a 申请材料 table (a
table headed 材料名称 …); ``policy`` when it has three or more 第X条 articles or a 发文字号 among
its first lines; ``service_item`` when it has a 申请材料 section beside another guide section
(受理条件, 办理时限, 办理地点 …); ``policy`` when it has two articles, or a formal document's title (关于…的通知/通告/公告/意见/决定, …办法/细则/条例/规定/方案);
``qa`` when it opens with 问：… and answers with 答：…; else ``article``.

A service item's fields come from its sections (headings matched by
:func:`ingest.guide_fields.section_key`: 申请材料 / 受理条件 / 办理时限 …, numbered or not, as
headings or as ``标签：值`` lines), its basic-info table (实施主体 → department …) and its
materials table (:func:`ingest.guide_fields.materials_from_rows`: name, copies, original or
copy, required, condition by column header); text before the first section becomes the
summary. Its text is rendered by :func:`ingest.structure.render_service_item`, so its chunks
have 【申请材料】 sections like every other guide. A policy keeps its lines as text, with its
发文字号, date (a 日期 label or the date line closing it) and issuer (the line before that date).
"""
from __future__ import annotations

import re
from typing import Any

from core.errors import UnknownKind
from core.records import KINDS, Document
from ingest.files.layout import Layout, Paragraph, Table
from ingest.guide_fields import (BASIC_INFO, NUMBERING, is_material_header, materials_from_rows, norm, section_key,
                                 time_limits, value)
from ingest.html import find_doc_number, iso_date

SOURCE = "files"


# a formal document's title: 关于…的通知 / …办法 / …实施细则 (a trailing （试行） or （征求意见稿） ignored)
_POLICY_TITLE = re.compile(r"(?:关于.{2,}的(?:通知|通告|公告|意见|决定|批复|函)|.{2,}(?:办法|细则|条例|规定|规则|方案))"
                           r"(?:[（(][^（）()]{1,8}[）)])?$")
_ARTICLE = re.compile(r"^\s*第[一二三四五六七八九十百零〇\d]+条")
_QUESTION = re.compile(r"^\s*(?:问|Q|问题)\s*[:：]")
_ANSWER = re.compile(r"^\s*(?:答|A|回答|答复)\s*[:：]")
_SENTENCE_PUNCT = re.compile(r"[。！？；，,]")
_LABEL_LINE = re.compile(r"^([\u4e00-\u9fa5]{2,10})\s*[:：]\s*(.+)$")
_DATE_ONLY = re.compile(r"^\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
_DATE_LABEL = re.compile(r"(?:发布日期|成文日期|印发日期|日期)\s*[:：]\s*(\S.*)")
_BAD_TITLE = re.compile(r"^(?:about:blank|untitled|无标题|文档\d*|document\d*)$|\.(?:docx?|pdf|html?|txt|wps)$", re.I)
_WORD_PREFIX = re.compile(r"^Microsoft Word\s*-\s*", re.I)
_RED_HEADER = re.compile(r"文件$")
_MATERIAL_TAIL = re.compile(r"(?:\s+(?:原件|复印件|原件和复印件|原件及复印件|电子版|纸质版|\d+份?|各\d+份?|必需|非必需|必要|非必要|是|否|容缺|无))+\s*$")
_BASIC_LABELS = {label: key for key, labels in BASIC_INFO.items() for label in labels}


def _heading_key(p: Paragraph) -> str | None:
    """The field a paragraph heads: a heading (by style, or a short line without sentence
    punctuation) whose words name a guide section."""
    text = p.text.strip()
    bare = NUMBERING.sub("", norm(text)).rstrip("：:")
    if p.level is None and (len(bare) > 12 or _SENTENCE_PUNCT.search(text) or _LABEL_LINE.match(text)):
        return None
    return section_key(text)


def detect_kind(layout: Layout) -> str:
    lines = layout.lines()
    if any(t.rows and is_material_header(t.rows[0][0]) for t in layout.tables()):
        return "service_item"
    articles = sum(1 for ln in lines if _ARTICLE.match(ln))
    if articles >= 3 or _doc_number(layout, lines):
        return "policy"
    keys = {_heading_key(b) for b in layout.blocks if isinstance(b, Paragraph)}
    if "materials" in keys and keys & {"conditions", "time_limit", "location", "phone", "process", "fee"}:
        return "service_item"
    if articles >= 2:
        return "policy"
    if _POLICY_TITLE.search(choose_title(layout, "")):
        return "policy"
    if lines and _QUESTION.match(lines[0]) and any(_ANSWER.match(ln) for ln in lines[1:6]):
        return "qa"
    return "article"


def _doc_number(layout: Layout, lines: list[str]) -> str | None:
    return layout.doc_number or find_doc_number("", lines[:8])


def choose_title(layout: Layout, fallback: str) -> str:
    """The level-1 heading, else the format's title property, else the first short line that is
    not a red header (…文件) or a 文号, else ``fallback`` (the file name)."""
    for b in layout.blocks[:12]:
        if isinstance(b, Paragraph) and b.level == 1 and b.text.strip():
            return b.text.strip()
    if layout.title:  # a PDF's Title property is often its file name, or a Word file's name
        t = _WORD_PREFIX.sub("", layout.title).strip()
        if t and not _BAD_TITLE.search(t) and norm(t) != norm(fallback):
            return t
    for ln in layout.lines()[:8]:
        t = ln.strip()
        if (len(t) <= 60 and not t.endswith("。") and not find_doc_number("", [t])
                and not (len(t) <= 20 and _RED_HEADER.search(t)) and not _LABEL_LINE.match(t)):
            return t
    return fallback


def _kv_pairs(cells: list[str]) -> list[tuple[str, str]]:
    out = []
    for i in range(0, len(cells) - 1, 2):
        label = norm(cells[i]).rstrip("：:")
        if label and len(label) <= 10 and cells[i + 1]:
            out.append((label, cells[i + 1]))
    return out


def guide_fields(layout: Layout, title: str) -> tuple[dict[str, Any], list[tuple[str, str]], str | None]:
    """Fields, extra sections and department of a service guide (module docstring)."""
    fields: dict[str, Any] = {}
    extra: list[tuple[str, str]] = []
    basic: dict[str, str] = {}
    intro: list[str] = []
    sections: list[tuple[str, str | None, list[str], list[Table]]] = []  # heading, key, lines, tables
    for b in layout.blocks:
        if isinstance(b, Table):
            if b.rows and is_material_header(b.rows[0][0]):
                if sections and sections[-1][1] == "materials":
                    sections[-1][3].append(b)
                else:
                    sections.append(("申请材料", "materials", [], [b]))
                continue
            pairs = [kv for cells, _ in b.rows for kv in _kv_pairs(cells)]
            if not sections and pairs and any(label in _BASIC_LABELS for label, _ in pairs):
                for label, v in pairs:
                    basic.setdefault(label, v)
                continue
            (sections[-1][2] if sections else intro).extend(b.lines())
            continue
        text = b.text.strip()
        if not text or (b.level == 1 and norm(text) == norm(title)):
            continue
        key = _heading_key(b)
        if key is not None:
            sections.append((NUMBERING.sub("", text).rstrip("：: "), key, [], []))
            continue
        m = _LABEL_LINE.match(text)
        if m and not sections and m.group(1) in _BASIC_LABELS:
            basic.setdefault(m.group(1), m.group(2).strip())
            continue
        if m and section_key(m.group(1)) is not None and len(m.group(1)) <= 8:
            k = section_key(m.group(1))
            if k == "time_limit" or (sections and sections[-1][1] == "time_limit" and "时限" in m.group(1)):
                sections.append((m.group(1), "time_limit", [text], []))
            else:
                sections.append((m.group(1), k, [m.group(2).strip()], []))
            continue
        if b.level is not None and len(text) <= 30:
            sections.append((NUMBERING.sub("", text).rstrip("：: "), None, [], []))  # a heading of its own
            continue
        (sections[-1][2] if sections else intro).append(text)

    department = None
    for label, v in basic.items():
        key = _BASIC_LABELS.get(label)
        if key == "department" and department is None:
            department = value(v)
        elif key and key not in fields and value(v):
            fields[key] = value(v)
    if basic:
        fields["basic_info"] = {k: v for k, v in basic.items() if value(v)}
    if intro:
        fields["summary"] = "\n".join(intro)
    for heading, key, lines, tables in sections:
        if key == "materials":
            mats = [m for t in tables for m in materials_from_rows(t.rows)]
            if not mats:
                mats = _material_list(lines)
            if mats:
                fields.setdefault("materials", []).extend(mats)
            elif lines:
                extra.append((heading, "\n".join(lines)))
            continue
        if not lines or not value("\n".join(lines)):
            continue
        if key == "time_limit":
            time_limits(heading, lines, fields, extra)
        elif key == "process" and "process" not in fields:
            fields["process"] = lines
        elif key is not None and key not in ("members",) and key not in fields:
            fields[key] = "\n".join(lines)
        else:
            extra.append((heading, "\n".join(lines)))
    return fields, extra, department


_COLUMN_GAP = re.compile(r"[\u4e00-\u9fff]\s+[\u4e00-\u9fff\d]")  # CJK, a gap, more: table columns as text
_LIST_ITEM = re.compile(r"^\s*(?:\d+\s*[、.．)）]|[（(]\d+[）)]|[一二三四五六七八九十]+、)\s*")


def _material_list(lines: list[str]) -> list[dict[str, Any]]:
    """A materials section without a table: a numbered list (every line, or most, numbered) of
    names, maybe with attributes after them (原件 1份 必需 are dropped from the name). Anything
    else — a borderless table read as loose text — gives no materials: the section stays text."""
    if not lines:
        return []
    numbered = [ln for ln in lines if _LIST_ITEM.match(ln)]
    if len(numbered) * 2 < len(lines) and not all(len(ln) <= 40 and not _SENTENCE_PUNCT.search(ln)
                                                  and not _COLUMN_GAP.search(ln) for ln in lines):
        return []
    items = numbered if len(numbered) * 2 >= len(lines) else lines
    out = []
    for ln in items:
        name = _MATERIAL_TAIL.sub("", _LIST_ITEM.sub("", ln)).strip().rstrip("；;。")
        if value(name):
            out.append({"name": name, "copies": None, "original_or_copy": None, "required": None, "condition": None})
    return out


def _policy_meta(lines: list[str]) -> tuple[str | None, str | None]:
    """(date, issuer): a 日期 label, else a date alone on one of the last lines, the line before it
    being the issuer."""
    for ln in lines[:12]:
        m = _DATE_LABEL.search(ln)
        if m and iso_date(m.group(1)):
            return iso_date(m.group(1)), None
    tail = lines[-6:]
    for i in range(len(tail) - 1, -1, -1):
        if _DATE_ONLY.match(tail[i]):
            issuer = tail[i - 1].strip() if i > 0 and len(tail[i - 1].strip()) <= 30 \
                and not _SENTENCE_PUNCT.search(tail[i - 1]) else None
            return iso_date(tail[i]), issuer
    return None, None


def build_document(layout: Layout, doc_id: str, fallback_title: str, kind: str | None = None,
                   fields: dict[str, Any] | None = None) -> Document:
    """The Document for one file's layout (``kind`` overrides the detection)."""
    if kind is not None and kind not in KINDS:
        raise UnknownKind(f"unknown kind {kind!r}")
    kind = kind or detect_kind(layout)
    title = choose_title(layout, fallback_title)
    base = {**layout.fields, **(fields or {})}
    if kind in ("service_item", "bundle"):
        from ingest.structure import render_service_item

        gf, extra, department = guide_fields(layout, title)
        text = render_service_item(title, gf, extra)
        return Document(doc_id=doc_id, source=SOURCE, kind=kind, title=title, text=text, url=layout.url,
                        department=department or layout.department, date=layout.date, fields={**base, **gf})
    lines = layout.lines()
    if lines and norm(lines[0]) == norm(title):
        lines = lines[1:]
    doc_number = _doc_number(layout, lines) if kind == "policy" else layout.doc_number
    date, issuer = _policy_meta(lines) if kind == "policy" else (None, None)
    if kind == "policy":  # the red header and the 文号 line above the title are not body text
        top = [i for i, ln in enumerate(lines[:4]) if (doc_number and norm(ln) == norm(doc_number))
               or (len(ln) <= 20 and _RED_HEADER.search(ln.strip()))]
        lines = lines[max(top) + 1:] if top else lines
        if lines and norm(lines[0]) == norm(title):
            lines = lines[1:]
    return Document(doc_id=doc_id, source=SOURCE, kind=kind, title=title, text="\n".join(lines) or title,
                    url=layout.url, department=layout.department or issuer, date=layout.date or date,
                    doc_number=doc_number, fields=base)
