"""FastAPI dependencies shared by the routes (``Annotated`` aliases)."""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core.settings import Settings
from service.limits import Limits
from service.state import ServiceState


def public(text: str, state: ServiceState) -> str:
    """A message for anyone: paths shown relative to the build folders' root, never absolute."""
    root = str(state.allowed_root())
    return text.replace(root + "/", "").replace(root, ".")


def get_state(request: Request) -> ServiceState:
    return request.app.state.govsearch


def get_settings_(request: Request) -> Settings:
    return request.app.state.govsearch.settings


def get_limits(request: Request) -> Limits:
    return request.app.state.limits


async def get_loaded(request: Request):
    """The loaded index this request uses (a service.state.Loaded), taken once (a reload meanwhile does not
    change it) and held until the request is done (an index a reload replaced is released only when no
    request holds it); 503 when none."""
    state: ServiceState = request.app.state.govsearch
    cur = state.current
    if cur is None:
        raise HTTPException(503, detail=public(f"{state.error}; {state.no_index_hint()}", state))
    hold = getattr(cur.index, "hold", None)
    if hold is None:
        yield cur
        return
    with hold():
        yield cur


def get_index(loaded: Annotated[object, Depends(get_loaded)]):
    """The index of :func:`get_loaded`."""
    return loaded.index


StateDep = Annotated[ServiceState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings_)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
LoadedDep = Annotated[object, Depends(get_loaded)]
IndexDep = Annotated[object, Depends(get_index)]

_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="APIKey",
                           description="the admin key (GOVSEARCH_API_KEY)")
_bearer = HTTPBearer(auto_error=False, scheme_name="Bearer", description="the admin key (GOVSEARCH_API_KEY)")


def require_admin(settings: SettingsDep, key: Annotated[str | None, Security(_key_header)] = None,
                  bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None) -> None:
    expected = (settings.api_key or "").strip() or None
    if expected is None:
        raise HTTPException(403, detail="the admin endpoints are disabled: set GOVSEARCH_API_KEY (the admin key) "
                                        "and restart the service to enable them")
    given = [g for g in (key, bearer.credentials if bearer else None) if g]
    if not any(hmac.compare_digest(g.encode(), expected.encode()) for g in given):
        raise HTTPException(401, detail=("wrong API key" if given else "missing API key")
                            + ": send it as header X-API-Key: KEY or Authorization: Bearer KEY",
                            headers={"WWW-Authenticate": "Bearer"})


AdminDep = Depends(require_admin)
