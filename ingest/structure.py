"""How a structured service item becomes clean text with findable sections.

The clean text of a service item (or bundle) is a sequence of sections, each opened
by a header line ``【申请材料】``; the chunker splits on those lines, so every chunk of a
service item is one field (or a size-bounded part of one). Every adapter that
produces service items renders its fields through :func:`render_service_item`, so the
Guangdong export and the demo corpus's HTML guides look alike to the index.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from core.records import Document
from core.sections import SERVICE_SECTIONS, headings

__all__ = ["SERVICE_SECTIONS", "SECTION_HEADER", "format_material", "render_service_item", "locate_materials",
           "parse_material_lines"]

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


# --- where each material stands in the clean text ------------------------------------------

_ENUM = re.compile(r"^\s*(?:[（(]?\d{1,3}[.、)）．]|[①-⑳])\s*")
_ATTRS = re.compile(r"[（(][^（()）]*(?:份|原件|复印件|必需|非必需|容缺|适用情形|电子版)[^（()）]*[)）]$")
_MATERIAL_HEADINGS = headings("materials")


def parse_material_lines(text: str) -> list[str]:
    """Material names from a 申请材料 section's text (for guides without a structured list): one per
    non-header line, enumeration and the trailing attribute bracket removed."""
    names = []
    for line in text.splitlines():
        line = line.strip()
        if not line or re.fullmatch(r"【[^】]*】", line):
            continue
        line = _ENUM.sub("", line)
        line = _ATTRS.sub("", line).strip(" ；;。")
        if line and line not in ("无", "暂无"):
            names.append(line)
    return names


def _material_sections(text: str) -> list[tuple[int, int]]:
    """(start, end) of the body of every 申请材料-like ``【…】`` section of a clean text."""
    heads = list(SECTION_HEADER.finditer(text))
    out = []
    for i, m in enumerate(heads):
        if m.group(1) in _MATERIAL_HEADINGS:
            out.append((m.end(), heads[i + 1].start() if i + 1 < len(heads) else len(text)))
    return out


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def _line_holding(text: str, sections: list[tuple[int, int]], target: str) -> tuple[int, int] | None:
    """The span of the first material line (enumeration left out) whose squashed text contains ``target``."""
    if not target:
        return None
    for lo, hi in sections:
        for line in re.finditer(r"[^\n]+", text[lo:hi]):
            if target in _squash(line.group()):
                enum = _ENUM.match(line.group())
                return lo + line.start() + (len(enum.group()) if enum else 0), lo + line.end()
    return None


def locate_materials(doc: Document) -> Document:
    """``doc`` with each material of ``fields.materials`` given ``start``/``end``: the span of its name in
    the clean text, found in order inside the 申请材料 section (so a material's citation is known, not
    searched for at answer time). A guide with a 申请材料 section but no structured list gets its list from
    the section's lines. Materials whose name is not in the section keep no span."""
    if doc.kind not in ("service_item", "bundle"):
        return doc
    sections = _material_sections(doc.text)
    if not sections:
        return doc
    mats = [dict(m) for m in (doc.fields.get("materials") or []) if isinstance(m, dict) and m.get("name")]
    if not mats:
        names = [n for s, e in sections for n in parse_material_lines(doc.text[s:e])]
        if not names:
            return doc
        mats = [{"name": n} for n in names]
    text = doc.text
    s_idx, pos = 0, sections[0][0]
    for m in mats:
        name = str(m["name"]).strip()
        found = -1
        for k in range(s_idx, len(sections)):
            lo, hi = (pos if k == s_idx else sections[k][0]), sections[k][1]
            found = text.find(name, lo, hi) if name else -1
            if found >= 0:
                s_idx = k
                break
        if found < 0:  # spacing or width differs: the first line whose squashed form holds the name
            span = _line_holding(text, sections, _squash(name))
            if span:
                m["start"], m["end"] = span
            continue
        m["start"], m["end"] = found, found + len(name)
        pos = found + len(name)
    return doc.model_copy(update={"fields": {**doc.fields, "materials": mats}})
