"""The HTTP API and the web page: ``create_app(settings) -> FastAPI``.

The index (and its encoder) is loaded once, in the lifespan, never at import. When it cannot be loaded
the app still starts: ``/health`` and every data endpoint answer 503 with the command to run. The
library's exceptions are translated here, and only here: BadQuery → 422, DocumentNotFound → 404,
Overloaded → 503 with Retry-After, a missing/broken index → 503. Every error body has one shape:
``{"detail": "what went wrong and what to do", "errors": [field errors, for invalid parameters]}``.

Routes live in :mod:`service.routes` (one router per resource). Requests of one kind cannot starve
another (:mod:`service.limits`); there is no global lock — the index is read-only while served and
the encoder serialises its own calls.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (BadQuery, BuildNotFound, DocumentNotFound, EncoderUnavailable, GovsearchError, IndexCorrupt,
                         IndexNotFound, ManifestMismatch, Overloaded)
from core.settings import Settings, get_settings
from service.limits import Limits
from service.routes import admin, answer, documents, health, page, policies, search
from service.routes.page import STATIC, swagger_assets
from service.state import ServiceState, close_answers, detail

log = logging.getLogger("govsearch.service")

MAX_QUERY_STRING = 4096  # bytes of the raw (percent-encoded) query string → 414 above
MAX_PATH = 2048  # bytes of the path → 414 above
MAX_BODY = 16 * 1024  # bytes of a request body → 413 above


def _error(status: int, message: str, errors: list | None = None, headers: dict | None = None) -> JSONResponse:
    body: dict = {"detail": message}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


class _Guard:
    """ASGI middleware for what no route should see: 414 for an over-long URL, 413 for an over-large body,
    422 for a parameter given twice (every parameter is single-valued: "last one wins" would hide a
    mistake), and HEAD answered like GET without a body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        qs = scope.get("query_string") or b""
        resp = None
        if len(qs) > MAX_QUERY_STRING or len(scope.get("raw_path") or b"") > MAX_PATH:
            resp = _error(414, f"request URL too long (query string at most {MAX_QUERY_STRING} bytes)")
        else:
            for k, v in scope.get("headers") or []:
                if k == b"content-length":
                    try:
                        too_big = int(v) > MAX_BODY
                    except ValueError:
                        resp = _error(400, "invalid Content-Length header")
                        break
                    if too_big:
                        resp = _error(413, f"request body too large (at most {MAX_BODY} bytes)")
            if resp is None and qs:
                seen: set[str] = set()
                for name, _ in parse_qsl(qs.decode("latin-1"), keep_blank_values=True):
                    if name in seen:
                        resp = _error(422, f"parameter {name!r} is given more than once; give it once")
                        break
                    seen.add(name)
        if resp is not None:
            return await resp(scope, receive, send)
        if scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}

            async def send_headers_only(message):
                if message["type"] == "http.response.body":
                    message = {**message, "body": b"", "more_body": False}
                await send(message)

            return await self.app(scope, receive, send_headers_only)
        return await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.load()
        yield
        close_answers(state.current, wait=True)
        state.current = None

    app = FastAPI(
        title="govsearch",
        summary="Search Chinese government service guides (办事指南) and policies; answer what materials an item needs.",
        version="0.2.0",
        lifespan=lifespan,
        docs_url=None,  # served by routes/page.py from local files: the machine may have no internet
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,  # keeps every /docs/{doc_id} free for documents
    )
    app.state.govsearch = state
    app.state.limits = Limits(settings)
    app.add_middleware(_Guard)

    @app.exception_handler(BadQuery)
    async def _bad_query(request: Request, e: BadQuery):
        return _error(422, detail(e))

    @app.exception_handler(DocumentNotFound)
    async def _not_found(request: Request, e: DocumentNotFound):
        return _error(404, detail(e))

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, e: Overloaded):
        return _error(503, detail(e), headers={"Retry-After": str(int(e.retry_after))})

    @app.exception_handler(GovsearchError)
    async def _other(request: Request, e: GovsearchError):
        code = 503 if isinstance(e, (IndexNotFound, BuildNotFound, IndexCorrupt, ManifestMismatch,
                                     EncoderUnavailable)) else 400
        return _error(code, detail(e))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        errors = [{"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
                  for err in e.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in first["loc"][1:]) or "request"
        return _error(422, f"invalid {where}: {first['msg']}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        return _error(e.status_code, e.detail if isinstance(e.detail, str) else str(e.detail),
                      headers=getattr(e, "headers", None))

    for r in (search.router, answer.router, policies.router, documents.router, health.router, admin.router,
              page.router):
        app.include_router(r)
    assets = swagger_assets()
    if assets:
        app.mount("/static-docs", StaticFiles(directory=assets), name="static-docs")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


__all__ = ["create_app"]
