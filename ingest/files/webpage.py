"""A saved web page among one's own files → Document.

A page structured as a guide (``<h2>`` sections 申请材料 / 办理时限 …) is read exactly as the demo
corpus's pages are (:func:`ingest.adapters.guide_pages.parse_document`). Any other page, once
parsed by :func:`ingest.html.parse_page` (site chrome removed, metadata read), has its body
turned into a :class:`~ingest.files.layout.Layout` — its data tables kept as tables — for the
same kind detection and guide reading as PDF and Word files.
"""
from __future__ import annotations

from bs4 import Tag

from ingest.files.layout import Layout, Paragraph, Table
from ingest.html import ParsedPage, element_blocks, is_chrome_line, strip_leading_title, table_rows
from ingest.html.tables import _is_layout_cell, cells, rows

_MARK = "\x00table{}\x00"


def page_layout(page: ParsedPage) -> Layout:
    """A parsed page's body as a Layout: its lines, its data tables as tables (replaced in the
    page by markers while its lines are read)."""
    root = page.root
    tables: list[Table] = []
    for t in list(root.find_all("table")):
        ups = []
        for p in t.parents:
            if p is root:
                break
            ups.append(p)
        else:
            continue  # detached: an enclosing table was already taken
        if any(p.name == "table" for p in ups):
            continue  # a table inside another table stays part of that one
        if any(_is_layout_cell(c) for tr in rows(t) for c in cells(tr)):
            continue  # a layout table is read as blocks
        marker = Tag(name="p")
        marker.string = _MARK.format(len(tables))
        tables.append(Table(table_rows(t)))
        t.replace_with(marker)
    title = page.title or page.labels.get("标题")
    layout = Layout(title=title, url=page.url, date=page.date, department=page.source or page.labels.get("发文机关"),
                    doc_number=page.doc_number)
    lines = [b for b in element_blocks(root) if not is_chrome_line(b)]
    if title:
        lines = strip_leading_title(lines, title)
        layout.blocks.append(Paragraph(title, level=1))
    for line in lines:
        if line.startswith("\x00table") and line.endswith("\x00"):
            t = tables[int(line[6:-1])]
            if t.rows:
                layout.blocks.append(t)
        else:
            layout.blocks.append(Paragraph(line))
    return layout
