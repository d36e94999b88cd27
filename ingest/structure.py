"""How a structured service item becomes clean text with findable sections.

The clean text of a service item (or bundle) is a sequence of sections, each opened
by a header line ``【申请材料】``; the chunker splits on those lines, so every chunk of a
service item is one field (or a size-bounded part of one). Every adapter that
produces service items renders its fields through :func:`render_service_item`, so the
Guangdong export and the demo corpus's HTML guides look alike to the index.
"""
from __future__ import annotations

import re
from typing import Any

# (field key, section heading) in the order a window officer reads a guide.
SERVICE_SECTIONS: list[tuple[str, str]] = [
    ("summary", "事项概况"),
    ("members", "包含事项"),
    ("materials", "申请材料"),
    ("conditions", "受理条件"),
    ("process", "办理流程"),
    ("time_limit", "办理时限"),
    ("fee", "收费标准"),
    ("location", "办理地点"),
    ("phone", "咨询电话"),
    ("complaint_phone", "监督投诉电话"),
    ("audience", "服务对象"),
    ("basis", "设定依据"),
]

SECTION_HEADER = re.compile(r"^【([^】\n]{1,20})】$", re.M)


def format_material(i: int, m: dict[str, Any]) -> str:
    """``3. 营业执照（复印件；1份；必需；适用情形：…）`` — attributes only where known."""
    attrs = []
    if m.get("original_or_copy"):
        attrs.append(str(m["original_or_copy"]))
    if m.get("copies"):
        c = str(m["copies"])
        attrs.append(c if "份" in c else f"{c}份")
    if m.get("required") is True:
        attrs.append("必需")
    elif m.get("required") is False:
        attrs.append("非必需")
    if m.get("condition"):
        attrs.append(f"适用情形：{m['condition']}")
    return f"{i}. {m['name']}" + (f"（{'；'.join(attrs)}）" if attrs else "")


def _section_body(key: str, fields: dict[str, Any]) -> str | None:
    if key == "materials":
        mats = fields.get("materials") or []
        return "\n".join(format_material(i, m) for i, m in enumerate(mats, 1)) or None
    if key == "time_limit":
        parts = []
        if fields.get("time_limit_legal"):
            parts.append(f"法定办结时限：{fields['time_limit_legal']}")
        if fields.get("time_limit_promised"):
            parts.append(f"承诺办结时限：{fields['time_limit_promised']}")
        return "\n".join(parts) or None
    if key == "members":
        names = fields.get("member_titles") or []
        return "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1)) or None
    value = fields.get(key)
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return "\n".join(str(v) for v in value if str(v).strip()) or None
    return str(value)


def render_service_item(title: str, fields: dict[str, Any],
                        extra_sections: list[tuple[str, str]] | None = None) -> str:
    """Clean text for a service item: title line, then one ``【heading】`` section per known field.

    ``extra_sections`` (heading, body) are appended for content the portal has but the
    record has no field for (e.g. 特别程序, 常见问题).
    """
    lines = [title]
    for key, heading in SERVICE_SECTIONS:
        body = _section_body(key, fields)
        if body:
            lines.append(f"【{heading}】")
            lines.append(body.strip())
    for heading, body in extra_sections or []:
        if body and body.strip():
            lines.append(f"【{heading}】")
            lines.append(body.strip())
    return "\n".join(lines)
