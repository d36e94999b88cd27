"""A saved web page among one's own files → Document.

A page structured as a guide (``<h2>`` sections 申请材料 / 办理时限 …) is read exactly as the demo
corpus's pages are (:func:`ingest.adapters.guide_pages.parse_document`). Any other page is
parsed by :func:`ingest.html.parse_page` (site chrome removed, metadata read) and its body is
turned into a :class:`~ingest.files.layout.Layout` — its data tables kept as tables — for the
same kind detection and guide reading as PDF and Word files.
"""
from __future__ import annotations

from ingest.files.layout import Layout, Paragraph, Table
from ingest.html import element_blocks, parse_page, table_rows
from ingest.html.tables import _is_layout_cell, cells, rows

_MARK = "\x00table{}\x00"


def page_layout(raw: bytes | str, where: str) -> Layout:
    """Parse a page (raises :class:`ingest.html.PageError` subclasses) into a Layout."""
    page = parse_page(raw, where)
    root = page.root
    tables: list[Table] = []
    for t in list(root.find_all("table")):
        if t.find_parent("table") is not None and any(x is not root for x in t.parents if x.name == "table"):
            continue  # a table inside another table stays part of that one
        if any(_is_layout_cell(c) for tr in rows(t) for c in cells(tr)):
            continue  # a layout table is read as blocks
        marker = page.root.__class__(name="p")  # a detached <p> holding a marker string
        marker.string = _MARK.format(len(tables))
        tables.append(Table(table_rows(t)))
        t.replace_with(marker)
    layout = Layout(title=page.title, url=page.url, date=page.date, department=page.source,
                    doc_number=page.doc_number)
    start = 1 if page.title and page.blocks and page.blocks[0] == page.title else 0
    for line in element_blocks(root)[start:]:
        if line.startswith("\x00table") and line.endswith("\x00"):
            t = tables[int(line[6:-1])]
            if t.rows:
                layout.blocks.append(t)
        else:
            layout.blocks.append(Paragraph(line))
    if page.title:
        layout.blocks.insert(0, Paragraph(page.title, level=1))
    return layout
