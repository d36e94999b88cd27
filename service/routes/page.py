"""The page at / (files in service/static) and Swagger UI at /docs (assets from fastapi-offline, no CDN)."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


def swagger_assets() -> Path | None:
    """Swagger UI 5's files as shipped by fastapi-offline; None → FastAPI's CDN defaults."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    path = Path(fastapi_offline.__file__).resolve().parent / "static"
    return path if (path / "swagger-ui-bundle.js").exists() else None


@router.get("/")
def page():
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/docs")
def swagger_ui(request: Request):
    from fastapi.openapi.docs import get_swagger_ui_html

    local = {"swagger_js_url": "/static-docs/swagger-ui-bundle.js",
             "swagger_css_url": "/static-docs/swagger-ui.css",
             "swagger_favicon_url": "/static-docs/favicon.png"} if swagger_assets() else {}
    return get_swagger_ui_html(openapi_url=request.app.openapi_url, title="govsearch API", **local)
