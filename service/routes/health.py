"""GET /health: the index served (name, counts, encoder, build time, corpus version) or why none is."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.deps import StateDep, public
from service.schemas import HealthResponse

router = APIRouter(tags=["service"])


@router.get("/health", response_model=HealthResponse,
            responses={503: {"model": HealthResponse, "description": "no index loaded"}})
def health(state: StateDep):
    cur = state.current
    if cur is None:
        body = HealthResponse(status="unavailable", build=state.build.name,
                              detail=public(f"{state.error}; {state.no_index_hint()}", state))
        return JSONResponse(body.model_dump(), status_code=503)
    return HealthResponse(status="ok", **cur.info())
