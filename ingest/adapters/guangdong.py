"""Guangdong provincial portal export: ``service-items/guangdong/items.jsonl``.

One JSON object a line, as the portal's API returned it (see data/README.md). Each
record becomes a ``service_item`` whose id is ``TASK_CODE`` and whose text is rendered
by :func:`ingest.structure.render_service_item` from the structured fields. ``"无"``
and other placeholders mean "not stated": such fields are left out.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core.records import Document
from ingest.adapters import Problem, SourceResult, iter_jsonl, record_guard, text_value
from ingest.clean import is_placeholder
from ingest.structure import render_service_item

SOURCE = "guangdong"
PATH = Path("service-items/guangdong/items.jsonl")

_LEADING_LABEL = re.compile(r"^\s*(?:办理地点|窗口地址|地址)\s*[:：]\s*")
_DAYS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[(（]\s*(工作日|自然日|日|天|个月|月|小时)\s*[)）]\s*$")

# raw fields worth keeping (label for the text, key in fields["raw"])
_RAW_KEYS = {
    "CATANAME": "catalog_name",
    "subTaskName": "sub_task_name",
    "matter_short": "short_name",
    "matter_daily": "common_name",
    "matter_level": "level",
    "co_department": "co_departments",
    "bear_paltform": "platform",
    "courier_service": "courier",
    "online_book": "online_booking",
    "online_book_addr": "online_booking_url",
    "visit_number": "visits",
    "TASK_TYPE": "task_type_code",
    "CATAID": "catalog_id",
    "ORGCODE": "org_code",
    "AREACODE": "area_code",
}


def _value(obj: dict, key: str) -> Any:
    v = obj.get(key)
    if isinstance(v, str):
        v = v.strip()
    return None if is_placeholder(v) else v


def _days(v: Any) -> str | None:
    """``"20(工作日)"`` → ``"20个工作日"``; other text as it is."""
    if is_placeholder(v):
        return None
    s = str(v).strip()
    m = _DAYS.match(s)
    if not m:
        return s
    n, unit = m.groups()
    return f"{n}个{unit}" if unit in ("工作日", "自然日", "小时", "月") else f"{n}{unit}"


def _join(v: Any, sep: str = "、") -> str | None:
    if is_placeholder(v):
        return None
    if isinstance(v, list):
        items = [str(x).strip() for x in v if not is_placeholder(x)]
        return sep.join(items) or None
    return str(v).strip()


def _materials(v: Any) -> list[dict[str, Any]]:
    if not isinstance(v, list):
        return []  # "无" or missing: not stated
    out = []
    for m in v:
        if isinstance(m, dict):
            name = text_value(m, "name", "material_name", "MATERIAL_NAME")
        else:
            name = str(m).strip() if m is not None else None
        if name and not is_placeholder(name):
            out.append({"name": name})
    return out


def record_to_document(obj: dict) -> tuple[Document | None, str | None]:
    """One export record → a Document, or (None, why) when it cannot be used."""
    doc_id = text_value(obj, "TASK_CODE")
    if not doc_id:
        return None, "record has no TASK_CODE; skipped"
    title = text_value(obj, "TASK_NAME", "matter_name", "subCatalogName", "CATANAME")
    if not title:
        return None, f"{doc_id}: record has no TASK_NAME; skipped"

    location = _value(obj, "handle_location")
    if isinstance(location, str):
        location = _LEADING_LABEL.sub("", location) or None
    department = text_value(obj, "DEPT_NAME")
    region = text_value(obj, "AREA_CODE_TEXT")
    task_type = _join(_value(obj, "TASK_TYPE_TEXT") or _value(obj, "matter_type"))
    theme = _join(obj.get("theme_category"))
    raw = {label: _value(obj, key) for key, label in _RAW_KEYS.items()}
    raw = {k: v for k, v in raw.items() if v is not None}

    summary = []
    for label, value in (
        ("实施主体", department),
        ("事项类型", task_type),
        ("所属区域", region),
        ("行使层级", raw.get("level")),
        ("所属目录", raw.get("catalog_name") if raw.get("catalog_name") != title else None),
        ("事项简称", raw.get("short_name")),
        ("俗称", raw.get("common_name")),
        ("联办机构", raw.get("co_departments")),
        ("主题分类", theme if theme != "其他" else None),
    ):
        if value:
            summary.append(f"{label}：{value}")

    fields: dict[str, Any] = {
        "summary": "\n".join(summary) or None,
        "materials": _materials(obj.get("material_intro")),
        "time_limit_legal": _days(obj.get("handle_time")),
        "time_limit_promised": _days(obj.get("handle_time_limit")),
        "conditions": _value(obj, "accept_standard"),
        "location": location,
        "phone": _value(obj, "consult_phone"),
        "complaint_phone": _value(obj, "complain_phone"),
        "audience": _join(obj.get("service_object_name")),
        "theme": theme,
        "task_type": task_type,
        "raw": raw or None,
    }
    fields = {k: v for k, v in fields.items() if v not in (None, [], "")}

    channel = []
    for label, key in (("办理平台", "platform"), ("到办事现场次数", "visits"), ("物流快递", "courier"),
                       ("网上预约", "online_booking")):
        if raw.get(key) is not None:
            v = raw[key]
            channel.append(f"{label}：{v}次" if key == "visits" else f"{label}：{v}")
    text = render_service_item(title, fields, extra_sections=[("办理渠道", "\n".join(channel))])
    url = text_value(obj, "URL")
    return Document(doc_id=doc_id, source=SOURCE, kind="service_item", title=title, text=text, url=url,
                    department=department, region=region, fields=fields), None


def load(root: Path) -> SourceResult:
    result = SourceResult()
    for where, obj in iter_jsonl(root / PATH, root, result):
        with record_guard(result, where):
            doc, why = record_to_document(obj)
            if doc is None:
                result.problems.append(Problem(where, why or "unusable record"))
            else:
                result.documents.append(doc)
    return result
