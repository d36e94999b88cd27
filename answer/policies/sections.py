"""The parts of a policy text a reader looks for: 申报条件 / 支持对象 / 申报主体 (criteria),
支持标准 (support), 申报材料 (materials), 申报时间 (time) — found by their headings, whatever
the numbering (一、 / （一） / 1. / 第X条 / a bare heading line), with the lines under them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from answer.policies.spans import Span, lines

SectionKind = str  # "criteria" | "support" | "materials" | "time" | "other"

_CN = "一二三四五六七八九十百零〇"
_MARKERS = [
    (0, re.compile(rf"^第[{_CN}\d]{{1,4}}[章编]\s*")),
    (1, re.compile(rf"^[{_CN}]{{1,3}}\s*[、．.]\s*")),
    (2, re.compile(rf"^[（(]\s*[{_CN}]{{1,3}}\s*[)）]\s*")),
    (1.5, re.compile(rf"^第[{_CN}\d]{{1,4}}条\s*")),
    (3, re.compile(r"^\d{1,2}\s*[、．.](?!\d)\s*")),
    (4, re.compile(r"^[（(]\d{1,2}[)）]\s*")),
]
_ARTICLE = re.compile(rf"^第[{_CN}\d]{{1,4}}条")
BARE_LEVEL = 2
HEADING_MAX = 24
ARTICLE_HEAD_MAX = 12

_KINDS = [
    ("materials", re.compile(r"材料")),
    ("time", re.compile(r"时间|时限|截止|受理期|申报期|报名")),
    ("criteria", re.compile(r"条件|对象|主体|资格|支持范围|申报范围|扶持范围|资助范围|申请类别|申报类别")),
    ("support", re.compile(r"标准|额度|支持方式|扶持方式|资助方式|奖励方式|补助方式|支持内容|奖补方式|扶持内容")),
]


@dataclass(frozen=True)
class Section:
    kind: SectionKind
    heading: Span  # the heading line (for an article: the article's first clause)
    title: str  # the heading without its number
    level: float
    start: int  # body: from the end of the heading line …
    end: int  # … to the next heading at the same or a higher level
    items: tuple[Span, ...]  # the body's lines, headings of lower levels excluded


def section_kind(title: str) -> SectionKind:
    for kind, pat in _KINDS:
        if pat.search(title):
            return kind
    return "other"


def _heading(line: Span) -> tuple[float, str] | None:
    """(level, title) when the line is a heading, else None."""
    text = line.text
    for level, pat in _MARKERS:
        m = pat.match(text)
        if not m:
            continue
        title = text[m.end():].strip()
        if _ARTICLE.match(text):
            # 第五条 申报条件 / 第五条 申请人应当具备下列条件：… — the article is the section
            head = re.split(r"[：:。；，,]", title, maxsplit=1)[0]
            if section_kind(head) != "other" and len(head) <= ARTICLE_HEAD_MAX and "的" not in head:
                return level, head
            return level, ""  # an article without a keyword still ends the section before it
        if not title or len(title) > HEADING_MAX:
            return None
        if re.search(r"[。；;，,]", title) or (re.search(r"[：:]", title) and not re.search(r"[：:]$", title)):
            return None
        return level, title.rstrip("：:")
    if len(text) <= 12 and not re.search(r"[。；;，,：:、\d]", text) and section_kind(text) != "other":
        return BARE_LEVEL, text.strip("【】[] ")
    return None


@lru_cache(maxsize=256)
def find_sections(text: str) -> tuple[Section, ...]:
    """Every heading-led section of the text, any kind (``other`` included), in order."""
    all_lines = lines(text)
    heading_of = {i: h for i, ln in enumerate(all_lines) if (h := _heading(ln))}
    heads = sorted(heading_of.items())
    out = []
    for k, (i, (level, title)) in enumerate(heads):
        if not title:
            continue
        line = all_lines[i]
        end_idx = len(all_lines)
        for j, (lv2, _t) in heads[k + 1:]:
            if lv2 <= level:
                end_idx = j
                break
        body_idx = range(i + 1, end_idx)
        if _ARTICLE.match(line.text):
            # the article's own line carries its text after the heading clause
            rest = line.text.find(title) + len(title)
            first = line.text[rest:].lstrip("：: ")
            lead = (Span(line.end - len(first), line.end, first),) if first else ()
        else:
            lead = ()
        items = lead + tuple(all_lines[j] for j in body_idx
                             if not (j in heading_of and not _ARTICLE.match(all_lines[j].text)))
        out.append(Section(kind=section_kind(title), heading=line, title=title, level=level,
                           start=line.end, end=all_lines[end_idx - 1].end if end_idx > i + 1 else line.end,
                           items=items))
    return tuple(out)


def sections_of(text: str, kind: SectionKind) -> list[Section]:
    """The sections of one kind, outermost only (a criteria section inside another is not repeated)."""
    found = [s for s in find_sections(text) if s.kind == kind]
    out: list[Section] = []
    for s in found:
        if any(o.start <= s.heading.start < o.end for o in out):
            continue
        out.append(s)
    return out
