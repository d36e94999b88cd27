"""Industrial policies: ``policies/industry/policies.jsonl``
(``id``, ``sheet``, ``release_time``, ``source``, ``issuer_en``, ``title_en``, ``text``).

The export has English titles only. When the text's first line is itself a Chinese
title (short, no sentence punctuation, ends in a document-type word such as 方案 /
通知 / 指南 / 体系), it becomes the title; otherwise the English title is used.
"""
from __future__ import annotations

import re
from pathlib import Path

from core.records import Document
from ingest.adapters import Problem, SourceResult, iter_jsonl, record_guard, text_value
from ingest.clean import clean_line

SOURCE = "industry"
PATH = Path("policies/industry/policies.jsonl")

TITLE_WORDS = (
    "方案|计划|规划|指南|指引|通知|意见|办法|细则|规定|决定|措施|政策|纲要|体系|标准|框架|要点|条例|"
    "公告|通告|函|批复|报告|导则|清单|目录|路线图|白皮书|倡议|解读|名单|章程|守则|规范"
)
_TITLE = re.compile(rf"^[^。；;：:，,]{{4,60}}(?:{TITLE_WORDS})(?:[（(][^（）()]{{1,20}}[）)])?$")
_NOT_TITLE = re.compile(r"^(?:第[一二三四五六七八九十百\d]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)])")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def chinese_title(text: str) -> str | None:
    """The first non-blank line of ``text`` if it reads as a Chinese document title."""
    for line in text.splitlines():
        line = clean_line(line).strip()
        if not line:
            continue
        if _TITLE.match(line) and not _NOT_TITLE.match(line):
            return line
        return None
    return None


def iso_date(value: str | None) -> str | None:
    if not value:
        return None
    m = _DATE.search(value)
    if not m:
        return None
    y, mo, d = (int(x) for x in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def load(root: Path) -> SourceResult:
    result = SourceResult()
    for where, obj in iter_jsonl(root / PATH, root, result):
        with record_guard(result, where):
            doc_id = text_value(obj, "id")
            text = text_value(obj, "text")
            if not doc_id:
                result.problems.append(Problem(where, "record has no id; skipped"))
                continue
            if not text:
                result.problems.append(Problem(where, f"{doc_id}: record has no text; skipped"))
                continue
            title_en = text_value(obj, "title_en")
            title = chinese_title(text) or title_en or doc_id
            fields = {k: text_value(obj, k) for k in ("title_en", "issuer_en", "sheet")}
            fields = {k: v for k, v in fields.items() if v}
            result.documents.append(Document(
                doc_id=doc_id, source=SOURCE, kind="policy", title=title, text=text,
                url=text_value(obj, "source", "url"), department=text_value(obj, "issuer_en"),
                date=iso_date(text_value(obj, "release_time")), fields=fields,
            ))
    return result
