"""The HTTP API and the web page: ``create_app(settings) -> FastAPI``.

The index (and its encoder) is loaded once, in the lifespan, never at import. When it cannot
be loaded the app still starts: ``/health`` and every data endpoint answer 503 with the
command to run. The library's exceptions are translated here, and only here:
BadQuery → 422, DocumentNotFound → 404, a missing/broken index → 503. Bad input never
yields a 500.

Routes: ``/search``, ``/answer``, ``/items/{doc_id}``, ``/docs/{doc_id}``, ``/health``; the
page at ``/`` (files in ``service/static``); Swagger UI at ``/docs`` (exact path) and the
schema at ``/openapi.json``.
"""

import logging
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from govsearch.errors import (BadQuery, BuildNotFound, DocumentNotFound, EncoderUnavailable, GovsearchError,
                              IndexCorrupt, IndexNotFound, ManifestMismatch)
from govsearch.settings import Settings, get_settings
from service.schemas import (AnswerResponse, DocResponse, ErrorResponse, HealthResponse, ItemResponse,
                             SearchResponse)

log = logging.getLogger("govsearch.service")

STATIC = Path(__file__).resolve().parent / "static"
FACET_PARAMS = ("source", "kind", "department", "region")
MAX_QUERY_STRING = 4096  # bytes of the raw (percent-encoded) query string → 414 above
MAX_PATH = 2048  # bytes of the path → 414 above
MAX_BODY = 16 * 1024  # bytes of a request body → 413 above (no endpoint takes a body)
MAX_LISTED = 30  # allowed values listed in a 422 message
NO_INDEX_HINT = "run `govsearch ingest` and `govsearch index` to build it, then restart `govsearch serve`"

ERRORS = {422: {"model": ErrorResponse, "description": "invalid parameter (the message says which and why)"},
          503: {"model": ErrorResponse, "description": "no index loaded: the message names the commands to run"}}
NOT_FOUND = {404: {"model": ErrorResponse, "description": "no such document"}}


class _SizeLimit:
    """ASGI middleware: 414 for an over-long URL, 413 for an over-large body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            status = detail = None
            if len(scope.get("query_string") or b"") > MAX_QUERY_STRING or len(scope.get("raw_path") or b"") > MAX_PATH:
                status, detail = 414, f"request URL too long (query string at most {MAX_QUERY_STRING} bytes)"
            else:
                for k, v in scope.get("headers") or []:
                    if k == b"content-length":
                        try:
                            too_big = int(v) > MAX_BODY
                        except ValueError:
                            status, detail = 400, "invalid Content-Length header"
                            break
                        if too_big:
                            status, detail = 413, f"request body too large (at most {MAX_BODY} bytes)"
            if status:
                await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _detail(e: GovsearchError) -> str:
    return f"{e} — {e.hint}" if e.hint else str(e)


class _State:
    """What the lifespan loads: the index or the reason it is missing."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.index = None
        self.error: str | None = "the index is still loading"
        self.lock = threading.Lock()  # the index and its encoder are used by one request at a time

    def load(self) -> None:
        from index import SearchIndex

        build = Path(self.settings.build)
        # serve the index with the encoder it was built with, unless one is asked for explicitly
        encoder = self.settings.encoder if "encoder" in self.settings.model_fields_set else None
        try:
            self.index = SearchIndex.load(build, encoder=encoder)
            self.error = None
            s = self.index.stats()
            log.info("loaded index %s: %s documents, %s chunks, encoder %s", s["name"], s["documents"],
                     s["chunks"], s["encoder"])
        except (BuildNotFound, IndexNotFound, IndexCorrupt, ManifestMismatch, EncoderUnavailable) as e:
            self.index, self.error = None, f"no usable index in {build}: {e}"
            log.warning("%s (%s)", self.error, e.hint)
        except (OSError, ValueError, KeyError, ImportError) as e:  # a half-written folder, a missing extra
            self.index, self.error = None, f"cannot load the index in {build}: {type(e).__name__}: {e}"
            log.exception("index load failed")

    def require(self):
        if self.index is None:
            raise HTTPException(503, detail=f"{self.error}; {NO_INDEX_HINT}")
        return self.index


def _clean_query(q: str, limit: int) -> str:
    s = q.strip()
    if not s:
        raise HTTPException(422, detail=f"q must be 1-{limit} characters after trimming whitespace; it is empty")
    if len(s) > limit:
        raise HTTPException(422, detail=f"q must be 1-{limit} characters after trimming whitespace; it has {len(s)}")
    return s


def _listed(values) -> str:
    vals = sorted(values)
    more = f" … ({len(vals) - MAX_LISTED} more)" if len(vals) > MAX_LISTED else ""
    return ", ".join(vals[:MAX_LISTED]) + more


def _swagger_assets() -> Path | None:
    """Swagger UI 5's files as shipped by fastapi-offline; None → FastAPI's CDN defaults."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    path = Path(fastapi_offline.__file__).resolve().parent / "static"
    return path if (path / "swagger-ui-bundle.js").exists() else None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    state = _State(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.load()
        yield
        state.index = None

    app = FastAPI(
        title="govsearch",
        summary="Search Chinese government service guides (办事指南) and policies; answer what materials an item needs.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: the machine may have no internet
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,  # keeps every /docs/{doc_id} free for documents
    )
    app.state.govsearch = state
    app.add_middleware(_SizeLimit)

    @app.exception_handler(BadQuery)
    async def _bad_query(request: Request, e: BadQuery):
        return JSONResponse({"detail": _detail(e)}, status_code=422)

    @app.exception_handler(DocumentNotFound)
    async def _not_found(request: Request, e: DocumentNotFound):
        return JSONResponse({"detail": _detail(e)}, status_code=404)

    @app.exception_handler(GovsearchError)
    async def _other(request: Request, e: GovsearchError):
        code = 503 if isinstance(e, (IndexNotFound, BuildNotFound, IndexCorrupt, ManifestMismatch,
                                     EncoderUnavailable)) else 400
        return JSONResponse({"detail": _detail(e)}, status_code=code)

    # -- data endpoints

    @app.get("/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    def search(
        q: Annotated[str, Query(description=f"the query, 1-{settings.max_query_chars} characters after trimming")],
        k: Annotated[int, Query(ge=1, le=100, description="number of documents")] = 10,
        mode: Annotated[Literal["hybrid", "bm25", "dense"], Query(description="retrieval channel(s)")] = "hybrid",
        source: Annotated[str | None, Query(description="only this source")] = None,
        kind: Annotated[str | None, Query(description="service_item | bundle | policy | qa | article")] = None,
        department: Annotated[str | None, Query(description="only this department / issuer")] = None,
        region: Annotated[str | None, Query(description="only this region")] = None,
        w_bm25: Annotated[float | None, Query(ge=0, le=100, description="weight of the BM25 channel")] = None,
        w_dense: Annotated[float | None, Query(ge=0, le=100, description="weight of the dense channel")] = None,
        fusion: Annotated[Literal["weighted", "rrf"] | None, Query(description="how channels are fused")] = None,
    ):
        idx = state.require()
        query = _clean_query(q, settings.max_query_chars)
        facets = idx.facets()
        filters = {}
        for name, value in (("source", source), ("kind", kind), ("department", department), ("region", region)):
            if value is None:
                continue
            allowed = facets.get(name) or set()
            if value not in allowed:
                raise HTTPException(422, detail=f"unknown {name} {value!r}; allowed values: {_listed(allowed)}")
            filters[name] = value
        weights = {ch: w for ch, w in (("bm25", w_bm25), ("dense", w_dense)) if w is not None}
        used_mode = mode if (mode != "hybrid" or idx.has_dense) else "bm25"
        t0 = time.perf_counter()
        with state.lock:
            hits = idx.search(query, k=k, mode=mode, filters=filters or None, weights=weights or None,
                              fusion=fusion)
        took = (time.perf_counter() - t0) * 1000
        return SearchResponse(query=query, mode=used_mode, hits=hits, took_ms=round(took, 3))

    @app.get("/answer", response_model=AnswerResponse, responses=ERRORS, tags=["answer"])
    def answer_(q: Annotated[str, Query(description="a question like 开餐馆需要什么材料")]):
        from service.answer import answer

        idx = state.require()
        query = _clean_query(q, settings.max_query_chars)
        with state.lock:
            return answer(idx, query)

    @app.get("/items/{doc_id}", response_model=ItemResponse, responses={**ERRORS, **NOT_FOUND}, tags=["documents"])
    def item(doc_id: str):
        from service.answer import ITEM_KINDS, item_facts, item_materials

        idx = state.require()
        doc = idx.doc(doc_id)
        if doc.kind not in ITEM_KINDS:
            raise HTTPException(404, detail=f"{doc_id} is a {doc.kind}, not a service item; see /docs/{doc_id}")
        chunks = idx.chunks(doc_id)
        facts, cites = item_facts(doc, chunks)
        members = []
        for mid in doc.fields.get("members") or []:
            try:
                m = idx.doc(mid)
            except DocumentNotFound:
                continue
            members.append({"doc_id": m.doc_id, "title": m.title, "department": m.department, "url": m.url,
                            "kind": m.kind, "region": m.region})
        return {"doc_id": doc.doc_id, "title": doc.title, "kind": doc.kind, "source": doc.source,
                "department": doc.department, "region": doc.region, "url": doc.url, "date": doc.date,
                "fields": {k: v for k, v in doc.fields.items() if k != "materials"},
                "materials": [dict(m, names=[m["name"]]) for m in item_materials(idx, doc, chunks)],
                **facts, "field_citations": cites, "members": members}

    @app.get("/docs/{doc_id}", response_model=DocResponse, responses={**ERRORS, **NOT_FOUND}, tags=["documents"])
    def document(doc_id: str):
        idx = state.require()
        return DocResponse(document=idx.doc(doc_id), chunks=idx.chunks(doc_id))

    @app.get("/health", response_model=HealthResponse, tags=["service"],
             responses={503: {"model": HealthResponse, "description": "no index loaded"}})
    def health():
        if state.index is None:
            body = HealthResponse(status="unavailable", build=str(settings.build),
                                  detail=f"{state.error}; {NO_INDEX_HINT}")
            return JSONResponse(body.model_dump(), status_code=503)
        s = state.index.stats()
        return HealthResponse(status="ok", index=s.get("name"), build=str(settings.build),
                              documents=s.get("documents"), chunks=s.get("chunks"), encoder=s.get("encoder"),
                              built_at=s.get("built_at"))

    # -- Swagger UI at /docs (exact path), its assets from the fastapi-offline package (no CDN)

    swagger_assets = _swagger_assets()
    if swagger_assets:
        app.mount("/static-docs", StaticFiles(directory=swagger_assets), name="static-docs")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        from fastapi.openapi.docs import get_swagger_ui_html

        local = {"swagger_js_url": "/static-docs/swagger-ui-bundle.js",
                 "swagger_css_url": "/static-docs/swagger-ui.css",
                 "swagger_favicon_url": "/static-docs/favicon.png"} if swagger_assets else {}
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="govsearch API", **local)

    # -- the page

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


__all__ = ["create_app"]
