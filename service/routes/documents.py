"""GET /items/{doc_id} (a service item's structured guide) and GET /docs/{doc_id} (any document)."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from answer.materials import ITEM_KINDS, item_facts, item_materials, item_ref
from answer.policies.service import doc_validity
from core.errors import DocumentNotFound
from service.deps import IndexDep
from service.schemas import ERRORS, NOT_FOUND, DocResponse, ItemResponse

router = APIRouter(tags=["documents"])


@router.get("/items/{doc_id:path}", response_model=ItemResponse, responses={**ERRORS, **NOT_FOUND})
def item(doc_id: str, idx: IndexDep):
    doc = idx.doc(doc_id)
    if doc.kind not in ITEM_KINDS:
        raise HTTPException(404, detail=f"{doc_id} is a {doc.kind}, not a service item; see /docs/{doc_id}")
    chunks = idx.chunks(doc.doc_id)
    facts, cites = item_facts(doc, chunks)
    members = []
    for mid in doc.fields.get("members") or []:
        try:
            members.append(item_ref(idx.doc(mid)))
        except DocumentNotFound:
            continue
    return {"doc_id": doc.doc_id, "title": doc.title, "kind": doc.kind, "source": doc.source,
            "department": doc.department, "region": doc.region, "url": doc.url, "date": doc.date,
            "fields": {k: v for k, v in doc.fields.items() if k != "materials"},
            "materials": [dict(m, names=[m["name"]]) for m in item_materials(doc, chunks)],
            **facts, "field_citations": cites, "members": members}


@router.get("/docs/{doc_id:path}", response_model=DocResponse, responses={**ERRORS, **NOT_FOUND})
def document(doc_id: str, idx: IndexDep,
             as_of: Annotated[date | None, Query(description="the date validity is stated for (default today)")] = None):
    doc = idx.doc(doc_id)
    return DocResponse(document=doc, chunks=idx.chunks(doc.doc_id),
                       requested_id=doc_id if doc_id != doc.doc_id else None,
                       validity=doc_validity(idx, doc.doc_id, as_of))
