"""PDF → :class:`~ingest.files.layout.Layout` with pdfplumber: text lines and ruled tables in
reading order, the title by font size, scanned pages through OCR.

Why pdfplumber: on PDFs printed from Chinese guide pages (headless Chromium, a ruled 申请材料
table with wrapped cells, and a policy with a centred 文号 line) the three maintained
libraries gave (``python bench/pdf_libraries.py`` reproduces it) —

================  ==========================  ==========================  ==============
library           material rows exact, ruled  material rows, borderless   policy text
================  ==========================  ==========================  ==============
pdfplumber 0.11   5/5, 205 ms/page            0/5 (text lines kept)       1.000, 109 ms
pypdf 7.1         0/5 (no tables; cells run   0/5                         1.000, 36 ms
                  into one line)
PyMuPDF 2.0       3/5 (、 pushed to the next  0/5                         1.000, 800 ms
                  line inside cells), AGPL
================  ==========================  ==========================  ==============

pdfplumber (MIT, on pdfminer.six) is the only one that returns every row of a ruled table
with its cells intact; a borderless table stays as text lines (a materials list is still read
from them). Its text lines carry font sizes, which find the title.

Per page: the ruled tables (``extract_tables``) and the text lines outside them, merged by
their vertical position; wrapped lines are joined into paragraphs (a line that reaches the
right margin and does not end a sentence continues on the next, unless that one opens a
numbered item). A table continued on the next page (same columns, no header row) is joined to
the one before. A page with no text layer is scanned: it goes through OCR
(:mod:`ingest.files.ocr`) when the ``ocr`` extra is installed, else it is reported.
"""
from __future__ import annotations

import io
import logging
import re
import statistics
import time

from ingest.files.layout import Layout, Paragraph, Table, cell_text, join_wrapped

MIN_TEXT_CHARS = 10  # a page with fewer characters in its text layer is treated as scanned
OCR_SECONDS_PER_PAGE = 60.0  # added to a file's time budget for each page read by OCR
_SENTENCE_END = re.compile(r"[。！？；：:!?;]$")
_PAGE_NUMBER = re.compile(r"^(?:[-—－–\s]*\d{1,4}[-—－–\s]*|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_ITEM_START = re.compile(r"^(?:第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、])")


class PdfError(ValueError):
    """The file cannot be read as a PDF (broken, encrypted, not a PDF)."""


def _quiet() -> None:
    # pdfminer logs a warning per font without a FontBBox (common in Chromium's PDFs)
    for name in ("pdfminer", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _inside(line: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (line["x0"] + line["x1"]) / 2, (line["top"] + line["bottom"]) / 2
    return any(x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1 for x0, top, x1, bottom in boxes)


def _line_size(line: dict) -> float:
    sizes = [c.get("size", 0) for c in line.get("chars", ())]
    return max(sizes) if sizes else 0.0


def _paragraphs(lines: list[dict], right: float, body_size: float, left: float = 0.0) -> list[Paragraph]:
    """Join wrapped lines into paragraphs; lines in a larger font are headings (consecutive
    heading lines of one size are one heading)."""
    out: list[Paragraph] = []
    cur: list[str] = []
    cur_open = False

    def flush():
        if cur:
            out.append(Paragraph(join_wrapped(cur)))
            cur.clear()

    for ln in lines:
        text = ln["text"].strip()
        if not text or _PAGE_NUMBER.match(text):
            continue
        size = _line_size(ln)
        if body_size > 0 and size >= 1.15 * body_size:
            flush()
            prev = out[-1] if out else None
            if prev is not None and prev.level and abs(prev.size - size) < 0.5 and not _ITEM_START.match(text):
                prev.text = join_wrapped([prev.text, text])
            else:
                out.append(Paragraph(text, level=2, size=size))
            cur_open = False
            continue
        char_w = max(size, 1.0)
        at_left = ln["x0"] <= left + 3 * char_w  # a wrapped line starts at the margin (or a first-line indent)
        if not (cur and cur_open and at_left and not _ITEM_START.match(text)):
            flush()
        cur.append(text)
        cur_open = at_left and ln["x1"] >= right - 1.5 * char_w and not _SENTENCE_END.search(text)
    flush()
    return out


def _table_rows(raw: list[list[str | None]]) -> list[tuple[list[str], bool]]:
    rows = [[cell_text(c) for c in r] for r in raw]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    from ingest.guide_fields import is_material_header

    # a header row: the first row when it names columns (材料名称 …) or has no digit-only cell
    first = rows[0]
    header = is_material_header(first) or (len(rows) > 1 and not any(re.fullmatch(r"\d+", c) for c in first)
                                           and all(len(c) <= 12 for c in first if c))
    return [(r, header and i == 0) for i, r in enumerate(rows)]


def read_pdf(data: bytes, where: str, deadline: float | None = None, ocr: bool = True) -> Layout:
    """Read a PDF's text layer (and OCR its scanned pages). Raises :class:`PdfError` for a file
    that is not a readable PDF and ``TimeoutError`` past ``deadline`` (``time.monotonic()``)."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    _quiet()
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except (PDFSyntaxError, ValueError, TypeError, KeyError, AttributeError, AssertionError) as e:
        raise PdfError(f"not a readable PDF ({type(e).__name__}: {str(e)[:120] or 'damaged'})") from None
    except Exception as e:  # pdfminer raises many kinds (PDFPasswordIncorrect, PSEOF …)
        raise PdfError(f"not a readable PDF ({type(e).__name__}: {str(e)[:120] or 'damaged'})") from None
    layout = Layout(fields={"pages": len(pages)})
    meta = pdf.metadata or {}
    title = meta.get("Title")
    if isinstance(title, bytes):
        title = title.decode("utf-16" if title.startswith(b"\xfe\xff") else "latin-1", "ignore")
    if isinstance(title, str) and title.strip() and not title.lower().endswith((".doc", ".docx", ".html", ".pdf")):
        layout.title = title.strip()
    scanned: list[int] = []
    ocr_pages: list[int] = []
    missing_ocr = False
    try:
        for n, page in enumerate(pages, 1):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"time budget exceeded at page {n} of {len(pages)}")
            try:
                blocks, chars = _page_blocks(page)
            except Exception as e:  # one damaged page: report it, read the others
                layout.notes.append(f"page {n}: unreadable ({type(e).__name__}: {str(e)[:80]})")
                continue
            if chars >= MIN_TEXT_CHARS:
                if n == 1:
                    _mark_title(blocks)
                _append(layout, blocks)
                continue
            scanned.append(n)
            if not ocr:
                continue
            from ingest.files.ocr import OcrUnavailable, ocr_page

            try:
                lines = ocr_page(page)
            except OcrUnavailable:
                missing_ocr = True
                continue
            if deadline is not None:
                deadline += OCR_SECONDS_PER_PAGE
            ocr_pages.append(n)
            layout.blocks.extend(Paragraph(x) for x in lines)
    finally:
        pdf.close()
    if scanned:
        layout.fields["scanned_pages"] = scanned
    if ocr_pages:
        layout.fields["ocr_pages"] = ocr_pages
    if missing_ocr:
        from ingest.files.ocr import INSTALL_HINT

        pages_txt = _ranges(scanned)
        layout.notes.append(f"scanned page{'s' if len(scanned) > 1 else ''} {pages_txt} (no text layer) not read: "
                            f"{INSTALL_HINT}")
    return layout


def _ranges(ns: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(ns):
        if start is None:
            start = n
        if i + 1 == len(ns) or ns[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)


def _page_blocks(page) -> tuple[list[Paragraph | Table], int]:
    """One page's paragraphs and tables in reading order, and its count of text characters."""
    chars = len(page.chars)
    if chars < MIN_TEXT_CHARS:
        return [], chars
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]
    lines = [ln for ln in page.extract_text_lines(return_chars=True) if not _inside(ln, boxes)]
    sizes = [_line_size(ln) for ln in lines for _ in ln["text"]]
    body = statistics.median(sizes) if sizes else 0.0
    right = max((ln["x1"] for ln in lines), default=page.width)
    left = min((ln["x0"] for ln in lines), default=0.0)
    items: list[tuple[float, list[Paragraph | Table]]] = []
    # text between tables is grouped so that wrapped lines are joined within a group
    cuts = sorted(t.bbox[1] for t in tables)
    groups: dict[int, list[dict]] = {}
    for ln in lines:
        groups.setdefault(sum(1 for c in cuts if c < ln["top"]), []).append(ln)
    for g, lns in groups.items():
        items.append((lns[0]["top"], list(_paragraphs(lns, right, body, left))))
    for t in tables:
        rows = _table_rows(t.extract())
        if rows:
            items.append((t.bbox[1], [Table(rows)]))
    items.sort(key=lambda x: x[0])
    return [b for _, bs in items for b in bs], chars


def _mark_title(blocks: list[Paragraph | Table]) -> None:
    """The largest heading of the first page (before any table) is the title (level 1)."""
    heads = []
    for b in blocks:
        if isinstance(b, Table):
            break
        if b.level:
            heads.append(b)
    if heads:
        top = max(h.size for h in heads)
        next(h for h in heads if h.size == top).level = 1


def _append(layout: Layout, blocks: list[Paragraph | Table]) -> None:
    """Add a page's blocks; a table that opens the page and continues the previous page's last
    table (same number of columns, no header row) is joined to it."""
    if blocks and isinstance(blocks[0], Table) and layout.blocks and isinstance(layout.blocks[-1], Table):
        prev, first = layout.blocks[-1], blocks[0]
        if len(prev.rows[0][0]) == len(first.rows[0][0]) and not first.rows[0][1]:
            prev.rows.extend(first.rows)
            blocks = blocks[1:]
    layout.blocks.extend(blocks)
