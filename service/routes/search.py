"""GET /search: ranked documents with snippets, per-channel scores and ranks, citations, and the validity of
policies (``valid_on`` filters, ``as_of`` dates it)."""
from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from service.deps import IndexDep, LimitsDep
from service.schemas import ERRORS, SearchResponse

router = APIRouter(tags=["search"])


def run_search(idx, q, k, mode, filters, weights, fusion, valid_on=None, as_of=None) -> SearchResponse:
    t0 = time.perf_counter()
    query = idx.resolve(q, k=k, mode=mode, filters=filters, weights=weights, fusion=fusion, valid_on=valid_on,
                        as_of=as_of)
    hits = idx.search(query)
    took = (time.perf_counter() - t0) * 1000
    return SearchResponse(query=query.text, mode=query.mode, hits=hits, took_ms=round(took, 3),
                          no_good_match=idx.no_good_match(hits, query.mode))


@router.get("/search", response_model=SearchResponse, responses=ERRORS)
async def search(
    idx: IndexDep,
    limits: LimitsDep,
    q: Annotated[str, Query(description="the query, 1-200 characters after trimming (GOVSEARCH_MAX_QUERY_CHARS)")],
    k: Annotated[int, Query(ge=1, le=100, description="number of documents")] = 10,
    mode: Annotated[Literal["hybrid", "bm25", "dense"], Query(description="retrieval channel(s)")] = "hybrid",
    source: Annotated[str | None, Query(description="only this source")] = None,
    kind: Annotated[str | None, Query(description="service_item | bundle | policy | qa | article")] = None,
    department: Annotated[str | None, Query(description="only this department / issuer")] = None,
    region: Annotated[str | None, Query(description="only this region (and the regions within it)")] = None,
    w_bm25: Annotated[float | None, Query(ge=0, le=100, description="weight of the BM25 channel")] = None,
    w_dense: Annotated[float | None, Query(ge=0, le=100, description="weight of the dense channel")] = None,
    fusion: Annotated[Literal["weighted", "rrf"] | None, Query(description="how channels are fused")] = None,
    valid_on: Annotated[date | None, Query(description="only policies in force (or open for applications) on "
                                                       "this date, YYYY-MM-DD; other kinds are not filtered")] = None,
    as_of: Annotated[date | None, Query(description="the date hits' validity is stated for and expired policies "
                                                    "are ranked below equally relevant ones (default today)")] = None,
):
    filters = {n: v for n, v in (("source", source), ("kind", kind), ("department", department), ("region", region))
               if v is not None}
    weights = {ch: w for ch, w in (("bm25", w_bm25), ("dense", w_dense)) if w is not None}
    slot = "bm25" if mode == "bm25" or not idx.has_dense else "dense"
    async with limits.slot(slot):
        return await run_in_threadpool(run_search, idx, q, k, mode, filters or None, weights or None, fusion,
                                       valid_on, as_of)
