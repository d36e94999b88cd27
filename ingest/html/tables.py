"""An element's text as lines in reading order: paragraphs, list items and table rows.

Block tags (``p``, ``div``, ``li``, ``h1``…, ``tr`` …) and ``<br>`` break lines; inline tags
do not. A table is one line per row, cells joined with `` | `` (a ``标签：`` cell is joined to
its value directly); a layout table (a cell holding a table or several paragraphs) is read
as blocks. :func:`table_rows` gives a table's rows as lists of cell texts, the header row
first, for callers that read a table by its column names (申请材料 tables).

The walk is iterative; tables nested deeper than :data:`MAX_TABLE_DEPTH` are read as plain
blocks, so the work stays linear in the page size.
"""
from __future__ import annotations

import re

from bs4 import NavigableString, Tag

from ingest.html.walk import SKIP_STRINGS, tick

BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "section",
         "article", "blockquote", "pre", "center", "tr", "table", "tbody", "thead", "tfoot", "hr",
         "address", "figure", "figcaption", "caption", "main", "ucapcontent", "ucaptitle", "form", "fieldset"}
MAX_TABLE_DEPTH = 8
_WS = re.compile(r"\s+")
_LAYOUT_BLOCKS = ("p", "div", "ul", "ol", "h1", "h2", "h3", "h4")


def norm_ws(s: str) -> str:
    return _WS.sub(" ", s).strip()


def cells(tr: Tag) -> list[Tag]:
    return [c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")]


def rows(table: Tag) -> list[Tag]:
    """The table's own ``<tr>``s (not those of tables nested in its cells), in order."""
    out: list[Tag] = []
    stack = [iter(table.children)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        tick()
        if not isinstance(child, Tag) or child.name == "table":
            continue
        if child.name == "tr":
            out.append(child)
        else:
            stack.append(iter(child.children))
    return out


def _is_layout_cell(cell: Tag) -> bool:
    if cell.find("table") is not None:
        return True
    n = 0
    for b in cell.find_all(_LAYOUT_BLOCKS):
        tick()
        if next((s for s in b.strings if s.strip()), None) is not None:
            n += 1
            if n >= 2:
                return True
    return False


def table_lines(table: Tag, depth: int = 0) -> list[str]:
    out: list[str] = []
    for tr in rows(table):
        cs = cells(tr)
        if any(_is_layout_cell(c) for c in cs):
            for c in cs:
                out.extend(element_blocks(c, depth + 1))
            continue
        texts = [t for t in (" ".join(element_blocks(c, depth + 1)) for c in cs) if t]
        if not texts:
            continue
        line = texts[0]
        for prev, t in zip(texts, texts[1:]):
            line += t if prev.endswith(("：", ":")) else " | " + t
        out.append(line)
    return out


def table_rows(table: Tag) -> list[tuple[list[str], bool]]:
    """``[(cell texts, is_header_row)]`` of a data table; a header row is all ``<th>`` (or in ``<thead>``)."""
    out = []
    for tr in rows(table):
        cs = cells(tr)
        if not cs:
            continue
        header = all(c.name == "th" for c in cs) or (tr.parent is not None and tr.parent.name == "thead")
        out.append(([" ".join(element_blocks(c, 1)) for c in cs], header))
    return out


def _walk(node: Tag, out: list[list[str]], depth: int) -> None:
    """Append the text of ``node`` to ``out``: a list of lines, each a list of string parts."""
    stack = [iter(node.children)]
    closers: list[bool] = [False]  # whether leaving this level ends a block
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            if closers.pop():
                out.append([])
            continue
        tick()
        if isinstance(child, NavigableString):
            if not isinstance(child, SKIP_STRINGS):
                out[-1].append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name == "br":
            out.append([])
        elif name == "table" and depth < MAX_TABLE_DEPTH:
            out.extend([line] for line in table_lines(child, depth))
            out.append([])
        elif name in BLOCK:
            out.append([])
            stack.append(iter(child.children))
            closers.append(True)
        else:
            stack.append(iter(child.children))
            closers.append(False)


def element_blocks(el: Tag, depth: int = 0) -> list[str]:
    """The element's text as non-empty lines (paragraphs, list items, table rows)."""
    if el.name == "table" and depth < MAX_TABLE_DEPTH:
        return table_lines(el, depth)
    out: list[list[str]] = [[]]
    _walk(el, out, depth)
    return [t for t in (norm_ws("".join(x)) for x in out) if t]
