"""The one section vocabulary of a service guide (办事指南), shared by every stage.

Ingestion renders a service item's fields as ``【heading】`` sections under their canonical headings
(:data:`SERVICE_SECTIONS`) and maps the headings a portal uses to field keys through
:data:`SECTION_SYNONYMS`; the index leaves fact-only sections out of the dense channel
(:data:`FACT_SECTIONS`); the answering stage finds the section that states a fact by its key
(:func:`headings`).
"""
from __future__ import annotations

import re

# (field key, canonical heading) in the order a window officer reads a guide.
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
CANONICAL: dict[str, str] = dict(SERVICE_SECTIONS)

# field key → the headings portals use for it (a heading maps to the key whose synonym it contains, longest first)
SECTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "materials": ("申请材料", "所需材料", "材料清单", "申报材料", "提交材料", "办理材料", "申请资料", "所需资料", "材料目录"),
    "conditions": ("受理条件", "申请条件", "办理条件", "申报条件", "受理标准", "准入条件"),
    "process": ("办理流程", "办事流程", "办理程序", "办理步骤", "流程"),
    "time_limit": ("办理时限", "承诺时限", "法定时限", "办结时限", "时限"),
    "fee": ("收费标准", "是否收费", "收费情况", "收费项目", "收费依据", "收费"),
    "location": ("办理地点", "窗口地址", "受理地点", "办理地址", "办公地址", "办理窗口"),
    "phone": ("咨询电话", "咨询方式", "联系电话", "咨询渠道", "咨询"),
    "complaint_phone": ("监督投诉电话", "投诉电话", "监督电话", "监督投诉方式", "投诉渠道", "监督投诉"),
    "basis": ("设定依据", "法律依据", "政策依据", "实施依据", "办理依据", "法定依据"),
    "audience": ("服务对象", "适用对象", "申请对象", "办理对象"),
    "members": ("包含事项", "涉及事项", "事项清单", "包含的事项", "关联事项"),
    "routes": ("情形引导", "情形选择", "办理情形", "情形指引"),
    "summary": ("事项概况", "事项简介", "事项说明", "概述", "简介"),
}

# Sections that hold a bare fact (address, phone, time limit…): BM25 finds them by their words, and
# the dense channel skips them (embedding them adds nothing the item's other chunks lack).
FACT_KEYS = ("time_limit", "fee", "location", "phone", "complaint_phone", "audience")
FACT_SECTIONS: frozenset[str] = frozenset([CANONICAL[k] for k in FACT_KEYS] + ["办理渠道"])

_NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|\d+\s*[、.．)）]|[（(]\d+[）)]|[（(][一二三四五六七八九十]+[）)]|"
                        r"第[一二三四五六七八九十\d]+[步条]\s*[:：、]?)\s*")


def section_key(heading: str) -> str | None:
    """The field key of a section heading (synonyms, numbering and colons ignored), or None."""
    h = _NUMBERING.sub("", re.sub(r"\s+", "", heading or "")).rstrip("：:")
    best, best_len = None, 0
    for key, words in SECTION_SYNONYMS.items():
        for w in words:
            if w in h and len(w) > best_len:
                best, best_len = key, len(w)
    return best


def headings(key: str) -> frozenset[str]:
    """Every heading that names field ``key`` (its canonical heading and its synonyms)."""
    return frozenset((CANONICAL.get(key, ""),) + SECTION_SYNONYMS.get(key, ())) - {""}


def is_section(section: str | None, key: str) -> bool:
    """Whether a chunk's ``section`` holds field ``key``."""
    return bool(section) and section in headings(key)
