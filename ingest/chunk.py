"""Chunking: ``chunk(doc, max_chars=400) -> list[Chunk]``.

Every chunk is a span of the document's clean text, ``chunk.text == doc.text[start:end]``,
and the chunks of a document tile it: they are in order, do not overlap, start and end
on non-whitespace, and whatever lies between two chunks (and before the first / after
the last) is whitespace only. So ``"".join`` of the chunk texts and the skipped
whitespace gives back the text, and no non-whitespace character is lost.

How each kind splits:
- ``service_item`` / ``bundle``: at the ``【…】`` section header lines (see
  :mod:`ingest.structure`); section = the heading. A short title line before the first
  header goes into the first section's chunk; a longer preamble is its own ``事项概况``
  section. A section longer than ``max_chars`` splits between lines, then sentences.
- ``policy``: at article headings at the start of a line — ``第X章/节/条``, ``一、``, ``附件``
  (hard breaks) and ``（一）`` (a soft break: starts a new chunk only when the current one
  is full); section = the heading, shortened. Within a section, paragraphs are packed up
  to ``max_chars``.
- ``qa``: the whole answer when it is at most ``1.5 * max_chars``, else packed paragraphs.
- ``article``: packed paragraphs; a short subheading line starts a chunk and names its section.
Overlong paragraphs split at sentence ends (。！？；), overlong sentences at commas, then
hard at ``max_chars``. A heading line never ends up alone in a chunk when its body follows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.records import Chunk, Document
from ingest.structure import SECTION_HEADER

CN_NUM = "一二三四五六七八九十百千零〇两"
_HARD_HEADING = re.compile(
    rf"^(?:第[{CN_NUM}\d]{{1,5}}[章节条部分编]|[{CN_NUM}]{{1,3}}[、．.](?!\d)|附件\s*\d*[:：]?)"
)
_SOFT_HEADING = re.compile(rf"^(?:[（(][{CN_NUM}]{{1,3}}[)）]|[（(]\d{{1,2}}[)）]|\d{{1,2}}[、．](?!\d))")
_ARTICLE_NO = re.compile(rf"^第[{CN_NUM}\d]{{1,5}}条")
_CHAPTER = re.compile(rf"^第[{CN_NUM}\d]{{1,5}}[章节编]\s*[^\s第。；;：:，,]{{0,12}}")
_SENT_END = re.compile(r"[。！？；!?;]+[”’」』）)\]]*")
_SOFT_CUT = re.compile(r"[，、,：:]")
_TERMINAL = "。！？；：!?;:，,"

SECTION_MAX = 20  # characters of a heading kept as the chunk's section


@dataclass
class _Unit:
    start: int
    end: int
    section: str
    hard: bool = False  # must start a new chunk
    heading: bool = False  # a short heading line that should not stand alone


def _lines(text: str, start: int = 0, end: int | None = None):
    """(start, end) of each non-blank line in text[start:end], stripped."""
    end = len(text) if end is None else end
    for m in re.finditer(r"[^\n]+", text[start:end]):
        s, e = start + m.start(), start + m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            yield s, e


def _strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _split_long(text: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    """Split text[s:e] into spans of at most max_chars: sentence ends, then commas, then hard."""
    if e - s <= max_chars:
        return [(s, e)]
    cuts = [m.end() + s for m in _SENT_END.finditer(text[s:e])]
    spans, prev = [], s
    for c in cuts + [e]:
        if c > prev:
            spans.append((prev, c))
            prev = c
    out: list[tuple[int, int]] = []
    for a, b in spans:
        a, b = _strip_span(text, a, b)
        if a >= b:
            continue
        while b - a > max_chars:
            window = text[a : a + max_chars]
            soft = [m.end() for m in _SOFT_CUT.finditer(window) if m.end() >= max_chars // 3]
            cut = a + (soft[-1] if soft else max_chars)
            x, y = _strip_span(text, a, cut)
            if x < y:
                out.append((x, y))
            a, b = _strip_span(text, cut, b)
        if a < b:
            out.append((a, b))
    return out


def _short_label(line: str) -> str:
    m = _ARTICLE_NO.match(line) or _CHAPTER.match(line)
    if m:
        return m.group(0).strip()
    head = re.split(r"[。；;：:]", line, maxsplit=1)[0].strip()
    return head[:SECTION_MAX]


def _service_units(text: str) -> list[_Unit]:
    headers = list(SECTION_HEADER.finditer(text))
    if not headers:
        return _article_units(text, default="事项概况")
    units: list[_Unit] = []
    pre = _strip_span(text, 0, headers[0].start())
    first_heading = headers[0].group(1)
    if pre[0] < pre[1]:
        long_pre = pre[1] - pre[0] > 60
        label = "事项概况" if long_pre else first_heading
        for i, (s, e) in enumerate(_lines(text, *pre)):
            units.append(_Unit(s, e, label, hard=(i == 0), heading=(i == 0 and not long_pre)))
    for i, h in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        heading = h.group(1)
        attach = i == 0 and units and units[0].section == heading  # short title line joins section 1
        units.append(_Unit(h.start(), h.end(), heading, hard=not attach, heading=True))
        units.extend(_Unit(s, e, heading) for s, e in _lines(text, h.end(), end))
    return units


def _heading_only(line: str) -> bool:
    """A line that is only a heading (``一、总体要求``), not a heading with its content."""
    return len(line) <= 30 and not re.search(r"[。；;！？!?]", line)


def _policy_units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    label = "正文"
    for s, e in _lines(text):
        line = text[s:e]
        if _HARD_HEADING.match(line):
            label = _short_label(line)
            units.append(_Unit(s, e, label, hard=True, heading=_heading_only(line)))
        elif _SOFT_HEADING.match(line):
            label = _short_label(line)
            units.append(_Unit(s, e, label, hard=False, heading=_heading_only(line)))
        else:
            units.append(_Unit(s, e, label))
    return units


def _is_subheading(line: str) -> bool:
    return 2 <= len(line) <= 30 and line[-1] not in _TERMINAL and "。" not in line


def _article_units(text: str, default: str = "正文") -> list[_Unit]:
    units: list[_Unit] = []
    label = default
    for i, (s, e) in enumerate(_lines(text)):
        line = text[s:e]
        if i > 0 and _is_subheading(line):
            label = line[:SECTION_MAX]
            units.append(_Unit(s, e, label, hard=True, heading=True))
        else:
            units.append(_Unit(s, e, label))
    return units


def _pack(text: str, units: list[_Unit], max_chars: int) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    cur: list | None = None  # [start, end, section, heading_only]
    for u in units:
        pieces = _split_long(text, u.start, u.end, max_chars)
        for j, (s, e) in enumerate(pieces):
            hard = u.hard and j == 0
            if cur is not None and not cur[3] and (hard or e - cur[0] > max_chars):
                out.append((cur[0], cur[1], cur[2]))
                cur = None
            if cur is None:
                cur = [s, e, u.section, u.heading and j == 0 and len(pieces) == 1]
            else:  # a heading-only chunk absorbs what follows; a nested heading names it
                if cur[3] and hard:
                    cur[2] = u.section
                cur[1] = e
                cur[3] = cur[3] and hard and u.heading and len(pieces) == 1
    if cur is not None:
        out.append((cur[0], cur[1], cur[2]))
    return out


def chunk(doc: Document, max_chars: int = 400) -> list[Chunk]:
    """Split a document's clean text into tiling, citable chunks (see the module docstring)."""
    if max_chars < 20:
        raise ValueError("max_chars must be at least 20")
    text = doc.text
    if not text.strip():
        return []
    if doc.kind in ("service_item", "bundle"):
        units = _service_units(text)
    elif doc.kind == "policy":
        units = _policy_units(text)
    elif doc.kind == "qa":
        s, e = _strip_span(text, 0, len(text))
        if e - s <= max_chars * 1.5:
            units = [_Unit(s, e, "答复")]
            max_chars = e - s  # keep it whole
        else:
            units = [_Unit(a, b, "答复") for a, b in _lines(text)]
    else:
        units = _article_units(text)
    spans = _pack(text, units, max_chars)
    return [
        Chunk(chunk_id=f"{doc.doc_id}#{n}", doc_id=doc.doc_id, section=section or "正文",
              text=text[s:e], start=s, end=e, title=doc.title)
        for n, (s, e, section) in enumerate(spans)
    ]


def check_tiling(text: str, chunks: list[Chunk]) -> None:
    """Raise AssertionError unless ``chunks`` tile ``text`` (the invariant above)."""
    pos = 0
    for c in chunks:
        assert c.text == text[c.start : c.end], f"{c.chunk_id}: text is not doc.text[start:end]"
        assert c.text and c.text == c.text.strip(), f"{c.chunk_id}: empty or padded chunk"
        assert c.start >= pos, f"{c.chunk_id}: overlaps the previous chunk"
        assert not text[pos : c.start].strip(), f"{c.chunk_id}: non-whitespace gap before it"
        pos = c.end
    assert not text[pos:].strip(), "non-whitespace text after the last chunk"


__all__ = ["chunk", "check_tiling"]
