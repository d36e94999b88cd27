"""The shape every document format is read into before it becomes a Document.

A :class:`Layout` is the document's blocks in reading order — paragraphs (a heading level
where the format says so) and tables (rows of cell texts, header rows marked) — plus the
metadata the format itself carries (a PDF's or DOCX's title property, a page's ``<meta>``).
PDF, DOCX, HTML and text readers produce it; :mod:`ingest.files.build` turns it into a
Document of the right kind.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_CJK_END = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$")
_CJK_START = re.compile(r"^[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@dataclass
class Paragraph:
    text: str
    level: int | None = None  # 1 = title, 2.. = headings, None = body text
    size: float = 0.0  # font size where the format tells it (PDF)


@dataclass
class Table:
    rows: list[tuple[list[str], bool]]  # (cell texts, is_header_row)

    def lines(self) -> list[str]:
        """One line per row, cells joined with `` | `` (as web pages' tables are)."""
        out = []
        for cells, _ in self.rows:
            texts = [c for c in cells if c]
            if texts:
                out.append(" | ".join(texts))
        return out


@dataclass
class Layout:
    blocks: list[Paragraph | Table] = field(default_factory=list)
    title: str | None = None  # from the format's metadata or its title style
    url: str | None = None
    date: str | None = None
    department: str | None = None
    doc_number: str | None = None
    fields: dict = field(default_factory=dict)  # format facts: pages, ocr_pages …
    notes: list[str] = field(default_factory=list)  # problems that did not stop the file (a page not read …)

    def lines(self) -> list[str]:
        out: list[str] = []
        for b in self.blocks:
            if isinstance(b, Table):
                out.extend(b.lines())
            elif b.text.strip():
                out.append(b.text.strip())
        return out

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


def join_wrapped(parts: list[str]) -> str:
    """Join pieces of one wrapped line or cell: no space between two CJK characters, one otherwise."""
    out = ""
    for p in (x.strip() for x in parts):
        if not p:
            continue
        if out and not (_CJK_END.search(out) or _CJK_START.search(p)):
            out += " "
        out += p
    return out


def cell_text(s: str | None) -> str:
    """A table cell's text on one line (its own line breaks are wrapping, not structure)."""
    return join_wrapped((s or "").split("\n"))
