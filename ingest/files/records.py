"""Records in the generic schema, from JSONL, JSON or CSV files.

One record is one document::

    {"id": "faq-001", "title": "…", "text": "…", "url": "https://…", "kind": "qa",
     "department": "…", "region": "…", "date": "2024-05-01", "doc_number": "…",
     "fields": {"materials": ["身份证", {"name": "户口簿", "copies": "1", "required": true}], …}}

Only ``text`` is required (or, for a service item, ``fields`` with its materials …). ``id``
defaults to ``<file id>:<line or row>``; ``title`` to the first line of the text; ``kind``
(service_item / policy / qa / article / bundle) to what the text's structure says
(:func:`ingest.files.build.detect_kind`), and a ``--kind`` given to the run wins over both;
``date`` is normalised to yyyy-mm-dd. Any other key is kept in ``fields``. A service item with
``fields.materials`` (names, or objects with name / copies / original_or_copy / required /
condition) is rendered with its 【申请材料】 section, its ``text`` kept as a 说明 section.

Formats: JSONL (one object a line; lines split on ``\\n`` only), JSON (an array of objects, an
object with a ``documents`` array, or one object), CSV (a header row naming the keys; a
``fields`` column may hold a JSON object, other unknown columns go to ``fields``). A bad record
is a problem with its file and line (row for CSV) and the next one is read.
"""
from __future__ import annotations

import csv
import io
import time
from typing import Any, Iterator

from core.records import KINDS, Document
from ingest.adapters import Problem, SourceResult, blank, decode_bytes, decode_lines, parse_json_line, record_guard
from ingest.files.build import SOURCE, build_document
from ingest.files.text import read_text as text_layout
from ingest.html import iso_date

SCHEMA_KEYS = ("id", "title", "text", "url", "kind", "department", "region", "date", "doc_number", "fields")
_MATERIAL_KEYS = ("name", "copies", "original_or_copy", "required", "condition")


def _str(v: Any) -> str | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = str(v)
    return v.strip() if isinstance(v, str) and v.strip() else None


def _materials(v: Any) -> list[dict[str, Any]]:
    out = []
    for m in v if isinstance(v, list) else []:
        if isinstance(m, str) and m.strip():
            out.append({"name": m.strip(), "copies": None, "original_or_copy": None, "required": None, "condition": None})
        elif isinstance(m, dict) and _str(m.get("name")):
            rec = {k: m.get(k) for k in _MATERIAL_KEYS}
            rec["name"] = _str(m["name"])
            rec["copies"] = _str(rec["copies"])
            rec["required"] = rec["required"] if isinstance(rec["required"], bool) else None
            out.append(rec)
    return out


def record_document(obj: dict, default_id: str, kind: str | None = None, file: str | None = None) -> Document:
    """One generic-schema record → Document. Raises ``ValueError`` with the reason."""
    doc_id = _str(obj.get("id")) or default_id
    text = obj.get("text")
    text = text if isinstance(text, str) and not blank(text) else None
    fields = obj.get("fields") if isinstance(obj.get("fields"), dict) else {}
    fields = {**fields, **{k: v for k, v in obj.items() if k not in SCHEMA_KEYS}}
    want = kind or _str(obj.get("kind"))
    if want is not None and want not in KINDS:
        raise ValueError(f"kind {want!r} is not one of {', '.join(KINDS)}")
    mats = _materials(fields.get("materials"))
    if text is None and not mats:
        raise ValueError("no text (and no fields.materials): missing, blank or only control characters")
    title = _str(obj.get("title"))
    if mats and want in (None, "service_item", "bundle"):
        from ingest.structure import render_service_item

        fields["materials"] = mats
        title = title or doc_id
        extra = [("说明", text)] if text else []
        doc = Document(doc_id=doc_id, source=SOURCE, kind=want or "service_item", title=title,
                       text=render_service_item(title, fields, extra), fields=fields)
    else:
        layout = text_layout(text or "")
        layout.title = title
        doc = build_document(layout, doc_id, fallback_title=title or doc_id, kind=want)
        if title and doc.title != title:
            doc = doc.model_copy(update={"title": title})
        doc = doc.model_copy(update={"fields": {**doc.fields, **fields}})
    update = {k: _str(obj.get(k)) for k in ("url", "department", "region", "doc_number") if _str(obj.get(k))}
    if _str(obj.get("date")):
        update["date"] = iso_date(_str(obj.get("date"))) or _str(obj.get("date"))
    if file:
        update["fields"] = {**doc.fields, "file": file}
    return doc.model_copy(update=update)


def _objects(data: bytes, fmt: str, where: str, result: SourceResult, deadline: float) -> Iterator[tuple[str, Any]]:
    """``(where, value)`` for each record of a file; unreadable ones become problems."""
    if fmt == "jsonl":
        for n, (line, why) in enumerate(decode_lines(data), 1):
            if n % 1000 == 0 and time.monotonic() > deadline:
                raise TimeoutError(f"time budget exceeded at line {n}")
            if line is not None and not line.strip():
                continue
            result.records += 1
            if line is None:
                result.problems.append(Problem(f"{where}:{n}", why or "cannot decode"))
                continue
            obj, why = parse_json_line(line)
            if why is not None:
                result.problems.append(Problem(f"{where}:{n}", why))
                continue
            yield f"{where}:{n}", obj
        return
    text, why = decode_bytes(data)
    if text is None:
        result.records += 1
        result.problems.append(Problem(where, why or "cannot decode"))
        return
    if fmt == "json":
        value, why = parse_json_line(text)
        if why is not None:
            result.records += 1
            result.problems.append(Problem(where, why.replace("record skipped", "file skipped")))
            return
        if isinstance(value, dict) and isinstance(value.get("documents"), list):
            value = value["documents"]
        items = value if isinstance(value, list) else [value]
        for i, obj in enumerate(items, 1):
            result.records += 1
            yield f"{where}[{i}]", obj
        return
    csv.field_size_limit(64 * 2**20)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            result.records += 1
            result.problems.append(Problem(f"{where}:{start}", f"malformed CSV ({e}); the rest of the file skipped"))
            return
        result.records += 1
        if None in row:  # more cells than header names
            result.problems.append(Problem(f"{where}:{start}", "row has more cells than the header; record skipped"))
            continue
        obj = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if isinstance(obj.get("fields"), str):
            value, why = parse_json_line(obj["fields"])
            obj["fields"] = value if isinstance(value, dict) else {}
        yield f"{where}:{start}", obj


def read_records(data: bytes, fmt: str, file_id: str, where: str, result: SourceResult, kind: str | None,
                 deadline: float) -> int:
    """Append the documents of one records file to ``result``; returns how many."""
    n = 0
    for loc, obj in _objects(data, fmt, where, result, deadline):
        if not isinstance(obj, dict):
            result.problems.append(Problem(loc, f"expected a JSON object, got {type(obj).__name__}; record skipped"))
            continue
        suffix = loc[len(where):].lstrip(":[").rstrip("]")
        with record_guard(result, loc):
            try:
                doc = record_document(obj, f"{file_id}:{suffix}", kind=kind, file=where)
            except ValueError as e:
                result.problems.append(Problem(loc, f"{e}; record skipped"))
                continue
            result.documents.append(doc)
            n += 1
    return n


__all__ = ["record_document", "read_records", "SCHEMA_KEYS"]
