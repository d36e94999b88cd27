"""What a service guide (办事指南) is made of, whatever its format: section headings, basic-info
labels, the columns of a 申请材料 table, and how their cells become fields.

Shared by the HTML guide pages (:mod:`ingest.adapters.guide_pages`) and the own-document reader
(:mod:`ingest.files`), which see the same guide as HTML, PDF, Word or text.
"""
from __future__ import annotations

import re
from typing import Any

from core.sections import SECTION_SYNONYMS, section_key  # noqa: F401 - the one section vocabulary, re-exported

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

NONE_VALUES = {"", "无", "—", "-", "--", "/", "／", "暂无", "空"}
NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|\d+\s*[、.．)）]|[（(]\d+[）)]|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十\d]+[步条]\s*[:：、]?)\s*")
LEGAL = re.compile(r"法定(?:办结)?(?:时限|期限)\s*[:：]\s*(.+)")
PROMISED = re.compile(r"承诺(?:办结)?(?:时限|期限)\s*[:：]\s*(.+)")
GUIDE_FIELDS = ("materials", "conditions", "process", "time_limit_legal", "time_limit_promised", "fee",
                "location", "phone")


def norm(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def value(s: str | None) -> str | None:
    """``s`` with whitespace collapsed, or None for a placeholder (无, —, /, 暂无 …)."""
    if s is None:
        return None
    t = re.sub(r"\s+", " ", s).strip()
    return None if t in NONE_VALUES else t


def parse_required(s: str | None) -> bool | None:
    t = norm(s or "")
    if not t or t in NONE_VALUES:
        return None
    if any(w in t for w in ("非必", "容缺", "非必要", "否", "选填", "可选", "不需要")):
        return False
    if any(w in t for w in ("必需", "必须", "必要", "是", "必填", "必交")):
        return True
    return None


def column_map(headers: list[str]) -> dict[int, str]:
    """Column index → Material attribute, from a material table's header cells."""
    cols: dict[int, str] = {}
    taken: set[str] = set()
    for idx, h in enumerate(headers):
        hn = norm(h)
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


def is_material_header(cells: list[str]) -> bool:
    """A row that heads a 申请材料 table: a 材料名称 / 名称 column and another material column."""
    cols = column_map(cells)
    return "name" in cols.values() and len(cols) >= 2 and any("名称" in norm(c) or norm(c) in ("材料", "申请材料")
                                                              for c in cells)


def materials_from_rows(rows: list[tuple[list[str], bool]]) -> list[dict[str, Any]]:
    """Rows ``(cell texts, is_header)`` of a 申请材料 table → Material dicts, columns found by
    their header names (any order; a missing column → None; 无 → None; 必需 → True)."""
    if not rows:
        return []
    header_i = next((i for i, (r, h) in enumerate(rows) if r and h), None)
    if header_i is None:
        header_i = 0 if rows[0][0] and any("名称" in c for c in rows[0][0]) else None
    if header_i is not None:
        cols = column_map(rows[header_i][0])
        body = [r for r, _ in rows[header_i + 1:]]
    else:  # no header: the longest non-numeric cell of each row is the name
        cols = {}
        body = [r for r, _ in rows]
    mats: list[dict[str, Any]] = []
    for texts in body:
        if not any(texts):
            continue
        rec: dict[str, Any] = {"name": None, "copies": None, "original_or_copy": None, "required": None, "condition": None}
        for idx, attr in cols.items():
            if idx < len(texts):
                rec[attr] = texts[idx]
        if not rec["name"]:
            cands = [t for t in texts if t and not re.fullmatch(r"\d+", t)]
            rec["name"] = max(cands, key=len) if cands else None
        name = value(NUMBERING.sub("", rec["name"] or ""))
        if not name:
            continue
        mats.append({
            "name": name,
            "copies": value(rec["copies"]),
            "original_or_copy": value(rec["original_or_copy"]),
            "required": parse_required(rec["required"]),
            "condition": value(rec["condition"]),
        })
    return mats


def time_limits(heading: str, lines: list[str], fields: dict[str, Any], extra: list[tuple[str, str]]) -> None:
    """A 办理时限 section: 法定/承诺 lines → ``time_limit_legal`` / ``time_limit_promised``; an
    unlabelled time under a 承诺时限 / 法定时限 heading belongs to that one; the rest → ``extra``."""
    rest = []
    for ln in lines:
        m_l, m_p = LEGAL.search(ln), PROMISED.search(ln)
        if m_l:
            fields["time_limit_legal"] = m_l.group(1).strip()
        if m_p:
            fields["time_limit_promised"] = m_p.group(1).strip()
        if not (m_l or m_p):
            rest.append(ln)
    if rest:
        if "承诺" in heading and "time_limit_promised" not in fields:
            fields["time_limit_promised"] = "\n".join(rest)
        elif "法定" in heading and "time_limit_legal" not in fields:
            fields["time_limit_legal"] = "\n".join(rest)
        else:
            extra.append((heading, "\n".join(rest)))
