"""Writing a snapshot folder (the crawler's side; :mod:`ingest.snapshot` reads it): URL
normalisation and page ids, the content hash, the manifest and page files, each written atomically."""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from core.errors import GovsearchError
from ingest.snapshot import MANIFEST, PAGES, PageRecord

_DEFAULT_PORTS = {"http": 80, "https": 443}


class BadURL(GovsearchError):
    hint = "give absolute http:// or https:// URLs, one a line"


def normalize_url(url: str) -> str:
    """Canonical form used for ids and de-duplication: scheme and host lower-cased, default port
    and fragment dropped, an empty path made ``/``. Query strings are kept as they are.

    Raises :class:`BadURL` for anything that is not an absolute http(s) URL.
    """
    raw = url.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as e:
        raise BadURL(f"not a valid URL: {raw!r} ({e})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise BadURL(f"not an absolute http(s) URL: {raw!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, parts.query, ""))


def page_id(url: str) -> str:
    """A stable, file-name-safe id for a URL: ``<host>-<path slug>-<hash8>``.

    The slug keeps the id readable (``www.gd.gov.cn-zwgk-content-1234-html-1a2b3c4d``); the 8 hex
    digits of sha1 over the normalised URL keep different URLs apart when their slugs collide.
    """
    norm = normalize_url(url)
    parts = urlsplit(norm)
    host = re.sub(r"[^a-z0-9.]+", "-", parts.netloc.lower()).strip("-")
    tail = parts.path + ("?" + parts.query if parts.query else "")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", tail).strip("-")[:60].strip("-")
    digest = hashlib.sha1(norm.encode("utf-8")).hexdigest()[:8]
    return "-".join(p for p in (host, slug, digest) if p)


def content_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_manifest(root: Path, records: dict[str, PageRecord] | list[PageRecord]) -> Path:
    """Write all records atomically (temp file + rename), sorted by id."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    items = records.values() if isinstance(records, dict) else records
    path = root / MANIFEST
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in sorted(items, key=lambda r: r.id):
            f.write(json.dumps(rec.as_dict(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def write_page(root: Path, pid: str, html: str) -> str:
    """Store a page as UTF-8 (atomically); returns its path relative to ``root``."""
    rel = f"{PAGES}/{pid}.html"
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return rel


__all__ = ["BadURL", "normalize_url", "page_id", "content_hash", "write_manifest", "write_page"]
