"""A service item's materials and facts, each with its citation.

Materials come from ``fields.materials``; ingestion recorded each one's span in the clean text
(:func:`ingest.structure.locate_materials`), so its citation is the chunk holding that span, with the
span itself — known, not searched for. Facts (time limit, phone, location, fee, conditions) cite the
chunk of their section (:mod:`core.sections`).

For a bundle (一件事) the member items' materials and the bundle's own list are merged
(:func:`merge_materials`); each merged material lists every item it comes from (``sources``) with one
citation per source.

Duplicate rule (:func:`material_key`): names are compared after NFKC, dropping a trailing form word —
原件 / 复印件 / 原件和复印件 / 原件及复印件 / 扫描件 / 影印件 / 电子版, bracketed or not — and then every
bracket, punctuation mark and space. So 营业执照, 营业执照复印件 and 营业执照（复印件） are one material
(the form word moves into ``original_or_copy``), while 营业执照申请书 or 营业执照副本 stay distinct.
Where the merged sources disagree on an attribute, the distinct values are joined with " / ";
``required`` is true when any source requires the material.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from core.records import Chunk, Citation, Document
from core.sections import is_section

ITEM_KINDS = ("service_item", "bundle")

_FORM_WORDS = ("原件及复印件", "原件和复印件", "原件或复印件", "原件与复印件", "复印件", "扫描件", "影印件", "电子版",
               "原件")
_FORM_SUFFIX = re.compile(r"[（(\[【]?\s*(" + "|".join(_FORM_WORDS) + r")\s*[)）\]】]?$")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def squash(text: str) -> str:
    """NFKC, lowercase, no whitespace: for containment tests."""
    return re.sub(r"\s+", "", nfkc(text).lower())


def material_key(name: str) -> tuple[str, str | None]:
    """``(key, form)``: the comparison key of a material name and the form word it ended with.

    >>> material_key("营业执照（复印件）")
    ('营业执照', '复印件')
    >>> material_key("营业执照申请书")
    ('营业执照申请书', None)
    """
    s = squash(name)
    form = None
    m = _FORM_SUFFIX.search(s)
    if m and m.start() > 0:
        form = m.group(1)
        s = s[: m.start()]
    key = "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PSZ")
    return (key or squash(name)), form


def strip_form(name: str) -> str:
    s = nfkc(name).strip()
    m = _FORM_SUFFIX.search(s)
    return s[: m.start()].strip() if m and m.start() > 0 else s


# --- citations ---------------------------------------------------------------------------


def citation_of(doc: Document, ch: Chunk, start: int | None = None, end: int | None = None) -> Citation:
    """The citation of a chunk, or of the span ``start:end`` inside it."""
    return Citation(doc_id=ch.doc_id, chunk_id=ch.chunk_id, section=ch.section,
                    start=ch.start if start is None else start, end=ch.end if end is None else end, url=doc.url)


def chunk_at(chunks: list[Chunk], pos: int) -> Chunk | None:
    """The chunk whose span holds character ``pos`` of the document's text."""
    for c in chunks:
        if c.start <= pos < c.end:
            return c
    return None


def section_chunk(chunks: list[Chunk], key: str, needle: str | None = None) -> Chunk | None:
    """The chunk of a field's section (:func:`core.sections.is_section`); with ``needle``, the first of
    them whose text holds it."""
    found = [c for c in chunks if is_section(c.section, key)]
    if needle:
        n = squash(needle)
        for c in found:
            if n in squash(c.text):
                return c
    return found[0] if found else None


# --- one item's materials and facts ------------------------------------------------------


def item_materials(doc: Document, chunks: list[Chunk]) -> list[dict[str, Any]]:
    """The materials of one service item or bundle (its own list), each with its citation (the span
    ingestion recorded; a material without one cites its 申请材料 section)."""
    out = []
    for m in doc.fields.get("materials") or []:
        if not isinstance(m, dict) or not m.get("name"):
            continue
        start, end = m.get("start"), m.get("end")
        ch = chunk_at(chunks, start) if isinstance(start, int) else None
        if ch is not None:
            cites = [citation_of(doc, ch, start, min(end, ch.end)).model_dump()]
        else:
            sec = section_chunk(chunks, "materials")
            cites = [citation_of(doc, sec).model_dump()] if sec else []
        out.append({
            "name": str(m["name"]).strip(),
            "copies": None if m.get("copies") in (None, "") else str(m.get("copies")),
            "original_or_copy": m.get("original_or_copy") or None,
            "required": m.get("required"),
            "condition": m.get("condition") or None,
            "citations": cites,
            "sources": [doc.doc_id],
            "source_titles": [doc.title],
        })
    return out


def _join(values: list) -> Any:
    distinct = []
    for v in values:
        if v not in (None, "") and v not in distinct:
            distinct.append(v)
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else " / ".join(str(v) for v in distinct)


def merge_materials(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Merge material lists (in order) by :func:`material_key`; see the module docstring."""
    merged: dict[str, dict[str, Any]] = {}
    parts: dict[str, list[dict[str, Any]]] = {}
    for materials in lists:
        for m in materials:
            key, form = material_key(m["name"])
            m = dict(m)
            if form and not m.get("original_or_copy"):
                m["original_or_copy"] = form
            if key not in merged:
                merged[key] = {"name": m["name"] if not form else strip_form(m["name"]), "key": key}
                parts[key] = []
            parts[key].append(m)
    out = []
    for key, head in merged.items():
        ms = parts[key]
        req = [m.get("required") for m in ms]
        sources, titles, cites = [], [], []
        for m in ms:
            for s, t in zip(m["sources"], m["source_titles"]):
                if s not in sources:
                    sources.append(s)
                    titles.append(t)
            for c in m["citations"]:
                if c not in cites:
                    cites.append(c)
        out.append({
            "name": head["name"],
            "copies": _join([m.get("copies") for m in ms]),
            "original_or_copy": _join([m.get("original_or_copy") for m in ms]),
            "required": True if any(r is True for r in req) else (False if any(r is False for r in req) else None),
            "condition": _join([m.get("condition") for m in ms]) if all(m.get("condition") for m in ms) else None,
            "citations": cites,
            "sources": sources,
            "source_titles": titles,
            "names": sorted({m["name"] for m in ms}),
        })
    return out


FACT_FIELDS = ("phone", "location", "fee", "conditions")


def item_facts(doc: Document, chunks: list[Chunk]) -> tuple[dict[str, Any], dict[str, dict]]:
    """time_limit / phone / location / fee / conditions from the fields, and a citation for each."""
    f = doc.fields
    facts: dict[str, Any] = {}
    cites: dict[str, dict] = {}
    legal, promised = f.get("time_limit_legal"), f.get("time_limit_promised")
    facts["time_limit"] = {"legal": legal, "promised": promised} if (legal or promised) else None
    if facts["time_limit"]:
        ch = section_chunk(chunks, "time_limit", str(promised or legal))
        if ch:
            cites["time_limit"] = citation_of(doc, ch).model_dump()
    for key in FACT_FIELDS:
        value = f.get(key)
        if isinstance(value, list):
            value = "；".join(str(v) for v in value if str(v).strip())
        value = str(value).strip() if value not in (None, "") else None
        facts[key] = value
        if value:
            ch = section_chunk(chunks, key, value[:30])
            if ch:
                cites[key] = citation_of(doc, ch).model_dump()
    return facts, cites


def item_ref(doc: Document) -> dict[str, Any]:
    return {"doc_id": doc.doc_id, "title": doc.title, "department": doc.department, "url": doc.url,
            "kind": doc.kind, "region": doc.region}
