"""Plain text and Markdown → :class:`~ingest.files.layout.Layout`.

Lines are split on ``\\n`` only. Markdown headings (``#`` … ``######``) become headings,
a Markdown table (``| a | b |`` lines, a ``|---|`` line after the header) a table; other
lines are paragraphs. Text is decoded as UTF-8, else by charset detection (GB18030, Big5 …).
"""
from __future__ import annotations

import re

from ingest.files.layout import Layout, Paragraph, Table

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_MD_EMPH = re.compile(r"(\*\*|__|`)")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def read_text(text: str, markdown: bool = False) -> Layout:
    layout = Layout()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if markdown:
            line = _MD_EMPH.sub("", line)
            m = _MD_HEADING.match(line)
            if m:
                layout.blocks.append(Paragraph(m.group(2), level=len(m.group(1))))
                i += 1
                continue
            if line.startswith("|") and i + 1 < len(lines) and _MD_RULE.match(lines[i + 1].strip()):
                rows = [(_cells(line), True)]
                i += 2
                while i < len(lines) and lines[i].strip().startswith("|"):
                    rows.append((_cells(_MD_EMPH.sub("", lines[i])), False))
                    i += 1
                layout.blocks.append(Table(rows))
                continue
        if line:
            layout.blocks.append(Paragraph(line))
        i += 1
    return layout
