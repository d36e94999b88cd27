"""One's own documents: any mix of files and folders → Documents (``govsearch ingest PATH…``).

Formats: web pages (.html/.htm, :mod:`~ingest.files.webpage`), PDF (:mod:`~ingest.files.pdf`;
scanned pages through OCR, :mod:`~ingest.files.ocr`), Word (.docx, :mod:`~ingest.files.word`),
text and Markdown (:mod:`~ingest.files.text`), records in the generic schema (.jsonl/.json/.csv,
:mod:`~ingest.files.records`) and ZIP archives of those. Ids, folders, links:
:mod:`~ingest.files.walk`. Kind and fields: :mod:`~ingest.files.build`.

Every file is accounted for in ``SourceResult.files`` (→ ``report.json``'s ``files``): one entry
``{path, id, type, status, documents, why}`` per file or skipped folder, ``status`` one of
``ingested`` (its documents, maybe with some records or pages reported in ``problems``),
``skipped`` (read but nothing usable: why) or ``unsupported`` (a type not read: what to do).

The budget per file: :data:`~ingest.files.walk.MAX_DOCUMENT_BYTES` (64 MiB; 512 MiB for record
files), :data:`FILE_SECONDS` of work (checked between PDF pages and every 1,000 JSONL lines; each
page read by OCR adds 60 s), and for a web page the page budget of :mod:`ingest.html.page`
(8 MiB, 400,000 elements, 20 s). A file over its budget is skipped with the reason; the run goes on.
"""
from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

from core.records import Document

from ingest.adapters import Problem, SourceResult
from ingest.files.walk import ARCHIVE_TYPES, Entry, Skip, discover, file_type, make_id, size_limit

FILE_SECONDS = 60.0
_PAGE_MARK = re.compile(r"^=+\s*PAGE\s*\d+\s*=+\s*$", re.I | re.M)  # page markers of PDF text dumps
REUSABLE = ("pdf", "docx")  # types whose previous document is reused when the file is unchanged
SOURCE = "files"


_READER_FILES = ("files/*.py", "html/*.py", "guide_fields.py", "structure.py", "clean.py")


@lru_cache(maxsize=1)
def reader_id() -> str:
    """sha1 of the code that reads own documents: a previous document is reused only when it is the same."""
    h = hashlib.sha1()
    base = Path(__file__).resolve().parent.parent
    for pattern in _READER_FILES:
        for p in sorted(base.glob(pattern)):
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _reused(entry: Entry, data: bytes, kind: str | None, reuse: dict[str, dict] | None):
    """The previous build's document of this PDF/DOCX when its bytes, the reader and the kind asked
    for are unchanged (else None)."""
    if entry.type not in REUSABLE:
        return None, None
    sha1 = hashlib.sha1(data).hexdigest()
    stamp = f"{reader_id()}:{kind or ''}"
    prev = (reuse or {}).get(entry.id)
    if prev and prev["fields"].get("source_sha1") == sha1 and prev["fields"].get("reader") == stamp:
        try:
            return Document.model_validate(prev), None
        except ValueError:
            pass
    return None, {"source_sha1": sha1, "reader": stamp}


def _read_one(entry: Entry, kind: str | None, result: SourceResult,
              reuse: dict[str, dict] | None = None) -> tuple[int, str | None]:
    """Read one file into ``result``; returns (documents added, why nothing was when 0)."""
    from ingest.files.build import build_document

    deadline = time.monotonic() + FILE_SECONDS
    try:
        data = entry.read()
    except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as e:  # zip members: bad CRC, password …
        result.records += 1
        return 0, f"cannot read: {getattr(e, 'strerror', None) or e}"
    if len(data) > size_limit(entry.type):  # a ZIP member larger than its header said
        result.records += 1
        return 0, f"over the {size_limit(entry.type) // 2**20} MiB limit for a {entry.type} file"
    doc, stamp = _reused(entry, data, kind, reuse)
    if doc is not None:
        result.records += 1
        result.reused += 1
        result.documents.append(doc)
        return 1, None
    if entry.type in ("jsonl", "json", "csv"):
        from ingest.files.records import read_records

        before = len(result.problems)
        try:
            n = read_records(data, entry.type, entry.id, entry.where, result, kind, deadline)
        except TimeoutError as e:
            return 0, f"{e}; file skipped"
        if n:
            return n, None
        added = result.problems[before:]
        return 0, (added[0].why if len(added) == 1 else f"no usable record ({len(added)} problems)" if added
                   else "no record (empty file)")
    result.records += 1
    stem = PurePosixPath(entry.id).stem
    layout = None
    try:
        if entry.type == "pdf":
            from ingest.files.pdf import PdfError, read_pdf

            try:
                layout = read_pdf(data, entry.where, deadline=deadline)
            except PdfError as e:
                return 0, str(e)
        elif entry.type == "docx":
            from ingest.files.word import DocxError, read_docx

            try:
                layout = read_docx(data, entry.where)
            except DocxError as e:
                return 0, str(e)
        elif entry.type == "html":
            from ingest.html import PageError

            try:
                doc, layout = _html_document(data, entry, kind)
            except PageError as e:
                return 0, str(e).split(": ", 1)[-1] if str(e).startswith(entry.where) else str(e)
            if doc is not None:
                result.documents.append(doc)
                return 1, None
        else:  # text / markdown
            from ingest.adapters import decode_bytes
            from ingest.files.text import read_text

            text, why = decode_bytes(data)
            if text is None:
                return 0, why
            if text.count("\x00") > 0.01 * max(1, len(text)):
                return 0, "binary content (NUL bytes), not a text file"
            stripped, marks = _PAGE_MARK.subn("", text)
            if marks and not stripped.strip():
                return 0, (f"only {marks} page markers and no text: the dump of a scanned PDF; ingest the PDF itself "
                           f"(scanned pages need the ocr extra: pip install 'govsearch[ocr]')")
            layout = read_text(stripped, markdown=entry.type == "markdown")
    except TimeoutError as e:
        return 0, f"{e}; file skipped"
    for note in layout.notes:
        result.problems.append(Problem(entry.where, note))
    if not layout.lines():
        scanned = layout.fields.get("scanned_pages")
        if scanned and layout.notes:
            return 0, layout.notes[-1]
        return 0, "no text found"
    extra = {"file": entry.where, "format": entry.type}
    if stamp and not layout.notes:  # a file read only in part is read again next time
        extra.update(stamp)
    doc = build_document(layout, entry.id, fallback_title=stem, kind=kind, fields=extra)
    result.documents.append(doc)
    return 1, None


def _html_document(data: bytes, entry: Entry, kind: str | None):
    """A saved page → (Document, None) when it is structured as a guide (``<h2>`` sections, read
    exactly like the demo pages), else (None, its Layout)."""
    from ingest.adapters import guide_pages
    from ingest.files.webpage import page_layout
    from ingest.html import parse_page

    page = parse_page(data, entry.where)
    if page.title and kind in (None, "service_item", "bundle"):
        fields, _, _ = guide_pages.parse_guide(page)
        if guide_pages.guide_kind(entry.id, fields) in ("service_item", "bundle"):
            doc = guide_pages.parse_document(data, entry.where, doc_id=entry.id)
            return doc.model_copy(update={"source": SOURCE, "kind": kind or doc.kind,
                                          "fields": {**doc.fields, "file": entry.where, "format": "html"}}), None
    return None, page_layout(page)


def _zip_members(entry: Entry) -> list[Entry | Skip]:
    """The files inside a ZIP as entries (a ZIP inside a ZIP is not opened)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(entry.read()))
        infos = sorted(zf.infolist(), key=lambda i: i.filename)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        return [Skip(entry.id, entry.where, f"not a readable ZIP ({e})", type="zip")]
    out: list[Entry | Skip] = []
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        if not (info.flag_bits & 0x800):  # not marked UTF-8: Chinese Windows archivers write GBK names
            try:
                name = name.encode("cp437").decode("gb18030")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
        parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
        mid = make_id(entry.id, *parts)
        where = f"{entry.where}!/{'/'.join(parts)}"
        kind = file_type(name)
        if any(p.startswith(".") or p == "__MACOSX" for p in parts):
            out.append(Skip(mid, where, "hidden file in the archive; not read"))
        elif kind is None:
            out.append(Skip(mid, where, f"unsupported type {PurePosixPath(name).suffix or '(no extension)'}",
                            "unsupported"))
        elif kind in ARCHIVE_TYPES.values():
            out.append(Skip(mid, where, "a ZIP inside a ZIP is not opened; extract it first", "unsupported", kind))
        elif info.file_size > size_limit(kind):
            out.append(Skip(mid, where, f"{info.file_size / 2**20:.1f} MiB uncompressed, over the "
                                        f"{size_limit(kind) // 2**20} MiB limit", type=kind))
        elif info.flag_bits & 0x1:
            out.append(Skip(mid, where, "encrypted in the archive; not read", type=kind))
        else:
            limit = size_limit(kind)
            out.append(Entry(mid, where, kind, info.file_size,
                             lambda info=info, limit=limit: zf.open(info).read(limit + 1)[:limit + 1]))
    return out


def load_paths(paths: list[str | Path], kind: str | None = None, reuse: dict[str, dict] | None = None) -> SourceResult:
    """Read every file under ``paths`` (module docstring). Never raises for a bad file: each one
    is a problem and an entry of ``result.files``; ``kind`` overrides the detected kind;
    ``reuse`` ({doc_id: previous document}) spares reading unchanged PDF/DOCX files again."""
    result = SourceResult()
    result.files = []
    pending: list[Entry | Skip] = list(discover(paths))
    i = 0
    while i < len(pending):
        item = pending[i]
        i += 1
        if isinstance(item, Entry) and item.type == "zip":
            members = _zip_members(item)
            result.files.append({"path": item.where, "id": item.id, "type": "zip", "status": "archive",
                                 "documents": 0, "why": f"{len(members)} files inside, listed after it"})
            pending[i:i] = members
            continue
        if isinstance(item, Skip):
            result.records += 1
            result.problems.append(Problem(item.where, item.why))
            result.files.append({"path": item.where, "id": item.id, "type": item.type, "status": item.status,
                                 "documents": 0, "why": item.why})
            continue
        before = len(result.documents)
        try:
            n, why = _read_one(item, kind, result, reuse)
        except Exception as e:  # a reader's bug on one file must not lose the others
            n, why = 0, f"reading failed ({type(e).__name__}: {str(e)[:200]})"
        if n == 0:
            del result.documents[before:]
            last = result.problems[-1] if result.problems else None
            if last is None or (last.where, last.why) != (item.where, why):
                result.problems.append(Problem(item.where, why or "nothing read"))
        result.files.append({"path": item.where, "id": item.id, "type": item.type,
                             "status": "ingested" if n else "skipped", "documents": n, "why": None if n else why})
    return result


__all__ = ["load_paths", "FILE_SECONDS", "SOURCE"]
