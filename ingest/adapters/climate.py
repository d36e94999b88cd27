"""Climate / energy / mining documents: ``policies/climate/policies.jsonl``
(``id``, ``title``, ``year``, ``url``, ``text``).

The texts are flattened pages: title, 发文字号 and body run together without line
breaks. The adapter restores the structure it can see: the title and the 发文字号
(``国发〔1980〕82号``, ``国务院令第506号``) on their own lines when the text opens with them, and
a line break before each inline article heading (``一、`` / ``第三条`` / ``（二）`` right after
``。`` or ``：``), so the chunker can split by article.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from core.records import Document
from ingest.adapters import Problem, SourceResult, iter_jsonl, record_guard, text_value

SOURCE = "climate"
PATH = Path("policies/climate/policies.jsonl")

CN = "一二三四五六七八九十百零〇"
# 国发〔1980〕82号, 国办发[2007]19号, 国函（2003）9号, 中华人民共和国国务院令第506号
DOC_NUMBER = re.compile(
    r"(?:[\u4e00-\u9fff]{1,12}\s*[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*(?:第\s*)?\d{1,4}\s*号"
    r"|[\u4e00-\u9fff]{0,12}令\s*第\s*\d{1,4}\s*号)"
)
NEAR_START = 120  # characters after the title within which a 发文字号 counts as the document's own
_INLINE_HEADING = re.compile(
    rf"(?<=[。：:；;])\s*(?=第[{CN}\d]{{1,4}}[章节条](?![件次])|[{CN}]{{1,3}}、|[（(][{CN}]{{1,3}}[）)])"
)


def _fold(c: str) -> str:
    return unicodedata.normalize("NFKC", c)


def title_prefix(text: str, title: str | None) -> int:
    """Length of the prefix of ``text`` that spells ``title`` (ignoring whitespace in
    either: flattened pages space out 通　知); 0 when the text does not open with it."""
    if not title:
        return 0
    t = [_fold(c) for c in title if not c.isspace()]
    if not t:
        return 0
    j = 0
    for i, c in enumerate(text):
        if c.isspace():
            continue
        if _fold(c) != t[j]:
            return 0
        j += 1
        if j == len(t):
            return i + 1
    return 0


def find_doc_number(text: str, title: str | None = None) -> tuple[str | None, int, int]:
    """The 发文字号 near the start of ``text`` (after the title if the text opens with it),
    with its span; ``(None, -1, -1)`` when there is none. Numbers inside 《》 or brackets
    (references to other documents) are ignored."""
    offset = title_prefix(text, title)
    window = text[: offset + NEAR_START]
    for m in DOC_NUMBER.finditer(window, offset):
        before = window[: m.start()]
        if before.count("《") > before.count("》") or before.count("（") > before.count("）"):
            continue
        return re.sub(r"\s+", "", m.group(0)), m.start(), m.end()
    return None, -1, -1


def restructure(text: str, title: str | None) -> tuple[str, str | None]:
    """Put the opening title / 发文字号 on their own lines and break before inline headings."""
    text = text.strip()
    number, s, e = find_doc_number(text, title)
    head: list[str] = []
    body = text
    n = title_prefix(text, title)
    if n:
        head.append(text[:n])
        body = text[n:]
        if number and not text[n:s].strip():
            head.append(text[s:e])
            body = text[e:]
    elif number and s == 0:
        head.append(text[s:e])
        body = text[e:]
    if "\n" not in body.strip() or len(body) > 300 * (body.count("\n") + 1):  # flattened
        body = _INLINE_HEADING.sub("\n", body)
    return "\n".join(head + [body.strip()]).strip(), number


def load(root: Path) -> SourceResult:
    result = SourceResult()
    for where, obj in iter_jsonl(root / PATH, root, result):
        with record_guard(result, where):
            doc_id = text_value(obj, "id")
            raw = text_value(obj, "text")
            if not doc_id:
                result.problems.append(Problem(where, "record has no id; skipped"))
                continue
            if not raw:
                result.problems.append(Problem(where, f"{doc_id}: record has no text; skipped"))
                continue
            title = text_value(obj, "title")
            text, number = restructure(raw, title)
            year = text_value(obj, "year")
            result.documents.append(Document(
                doc_id=doc_id, source=SOURCE, kind="policy", title=title or text.split("\n", 1)[0][:60],
                text=text, url=text_value(obj, "url"), date=year if year and year.isdigit() else None,
                doc_number=number,
            ))
    return result
