"""DOCX → :class:`~ingest.files.layout.Layout` with python-docx: paragraphs and tables in body
order, heading levels from the paragraph styles (Title / Heading N / 标题 N), tables row by
row with merged cells read once and the first row as the header when it names its columns.

Old Word formats (.doc, .wps) are binary formats python-docx cannot read; they are reported
as unsupported ("save it as .docx or PDF").
"""
from __future__ import annotations

import io
import re
import zipfile

from ingest.files.layout import Layout, Paragraph, Table, cell_text

_HEADING = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


class DocxError(ValueError):
    """The file cannot be read as a DOCX."""


def _level(style_name: str | None) -> int | None:
    name = (style_name or "").strip()
    if name.lower() == "title" or name == "标题":
        return 1
    m = _HEADING.match(name)
    if m:
        return int(m.group(1)) + 1  # Heading 1 is the first level under the title
    return None


def _rows(table) -> list[tuple[list[str], bool]]:
    from ingest.guide_fields import is_material_header

    rows: list[list[str]] = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            key = id(cell._tc)  # a merged cell is returned once per grid column it spans
            if key in seen:
                continue
            seen.add(key)
            cells.append(cell_text(cell.text))
        if any(cells):
            rows.append(cells)
    if not rows:
        return []
    header = is_material_header(rows[0]) or (len(rows) > 1 and all(len(c) <= 12 for c in rows[0] if c)
                                             and not any(re.fullmatch(r"\d+", c) for c in rows[0]))
    return [(r, header and i == 0) for i, r in enumerate(rows)]


def read_docx(data: bytes, where: str) -> Layout:
    """Read a DOCX. Raises :class:`DocxError` when it is not one (or is damaged)."""
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph as DocxParagraph
    except ImportError as e:
        raise DocxError(f"python-docx is missing ({e}): pip install python-docx") from None
    try:
        doc = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DocxError(f"not a readable DOCX ({type(e).__name__}: {str(e)[:120]})") from None
    except Exception as e:  # lxml / python-docx raise various errors on damaged parts
        raise DocxError(f"not a readable DOCX ({type(e).__name__}: {str(e)[:120]})") from None
    layout = Layout()
    props = doc.core_properties
    if props.title and props.title.strip():
        layout.title = props.title.strip()
    if props.author and props.author.strip() and re.search(r"[\u4e00-\u9fff]", props.author):
        layout.fields["author"] = props.author.strip()
    for item in doc.iter_inner_content():
        if isinstance(item, DocxParagraph):
            text = item.text.strip()
            if text:
                style = item.style.name if item.style is not None else None
                layout.blocks.append(Paragraph(text, level=_level(style)))
        elif isinstance(item, DocxTable):
            rows = _rows(item)
            if rows:
                layout.blocks.append(Table(rows))
    return layout
