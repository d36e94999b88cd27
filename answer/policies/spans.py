"""Citations for spans of a document's clean text, and the text split into sentences and lines
with their offsets (so every phrase found keeps its place)."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from core.records import Chunk, Citation, Document


class Citer:
    """Turns a character span of ``doc.text`` into a Citation naming the chunk that holds it."""

    def __init__(self, doc: Document, chunks: list[Chunk]):
        self.doc = doc
        self.chunks = sorted((c for c in chunks if c.doc_id == doc.doc_id), key=lambda c: c.start)
        self._starts = [c.start for c in self.chunks]

    def chunk_at(self, start: int, end: int) -> Chunk | None:
        if not self.chunks:
            return None
        i = bisect.bisect_right(self._starts, start) - 1
        best, best_overlap = None, -1
        for c in self.chunks[max(i, 0): i + 3]:
            overlap = min(end, c.end) - max(start, c.start)
            if overlap > best_overlap:
                best, best_overlap = c, overlap
        if best is not None and best_overlap < 0:  # in a whitespace gap: the chunk before it
            best = self.chunks[max(i, 0)]
        return best

    def cite(self, start: int, end: int) -> Citation:
        c = self.chunk_at(start, end)
        if c is None:
            return Citation(doc_id=self.doc.doc_id, chunk_id=f"{self.doc.doc_id}#0", section="正文",
                            start=start, end=end, url=self.doc.url)
        return Citation(doc_id=self.doc.doc_id, chunk_id=c.chunk_id, section=c.section, start=start, end=end,
                        url=self.doc.url)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_LINE = re.compile(r"[^\n]+")


def _strip(text: str, s: int, e: int) -> Span | None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return Span(s, e, text[s:e]) if e > s else None


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of text[start:end] (split at 。；！？ and line ends), stripped, with offsets."""
    end = len(text) if end is None else end
    out = []
    for m in _SENTENCE.finditer(text, start, end):
        sp = _strip(text, m.start(), m.end())
        if sp:
            out.append(sp)
    return out


def lines(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    end = len(text) if end is None else end
    out = []
    for m in _LINE.finditer(text, start, end):
        sp = _strip(text, m.start(), m.end())
        if sp:
            out.append(sp)
    return out


_BRACKETS = {"《": "》", "（": "）", "(": ")", "〈": "〉", "<": ">"}


MASK = "□"


def mask(text: str, opening: str = "《（(", keep=None, fill: str = MASK) -> str:
    """text with each bracketed part (nested too) replaced by ``fill``, same length: titles 《…》
    and remarks （…） do not state a condition of this policy. ``keep(inner) -> bool`` spares a
    remark. The fill is not a space, so a pattern cannot step over a masked remark."""
    out = list(text)
    stack: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if ch in opening and ch in _BRACKETS:
            stack.append((_BRACKETS[ch], i))
        elif stack and ch == stack[-1][0]:
            _, j = stack.pop()  # a matched pair: blank it; an unmatched opening stays
            if keep is None or not keep(text[j + 1:i]):
                out[j: i + 1] = fill * (i + 1 - j)
    return "".join(out)
