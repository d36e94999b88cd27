"""What a crawl starts from: a URL list file or a sitemap (and Retry-After values it meets)."""
from __future__ import annotations

import gzip
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from core.errors import GovsearchError
from ingest.crawl.store import BadURL, normalize_url


class CrawlError(GovsearchError):
    """The crawl cannot start: no URL list, an unreadable file, a sitemap that cannot be had."""

    hint = "give --urls FILE (one http(s) URL a line) or --sitemap URL"


def read_urls_file(path: Path | str) -> tuple[list[str], list[dict]]:
    """URLs of a file, one a line (blank lines and ``#`` comments ignored).

    Returns ``(normalised URLs in order, without repeats; problems)`` where a problem is
    ``{"url", "state": "failed", "status": None, "reason"}`` for a line that is not an http(s) URL.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except OSError as e:
        raise CrawlError(f"cannot read the URL list {p}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise CrawlError(f"the URL list {p} is not UTF-8 text") from None
    urls: dict[str, None] = {}
    problems = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            urls[normalize_url(line)] = None
        except BadURL as e:
            problems.append({"url": line, "state": "failed", "status": None, "reason": f"{p.name}:{n}: {e}"})
    return list(urls), problems


def parse_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """``(page URLs, child sitemap URLs)`` of a sitemap, a sitemap index (XML, optionally gzipped)
    or a plain-text sitemap (one URL a line). Raises ValueError if it is none of these."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        lines = [ln.strip() for ln in stripped.decode("utf-8", "replace").splitlines()]
        urls = [ln for ln in lines if ln.startswith(("http://", "https://"))]
        if not urls:
            raise ValueError("neither an XML sitemap nor a list of URLs")
        return urls, []
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(stripped, parser)
    except etree.XMLSyntaxError as e:
        raise ValueError(f"not XML: {e}") from None
    if root is None:
        raise ValueError("not XML")
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise ValueError(f"root element <{kind}> is neither <urlset> nor <sitemapindex>")
    locs = [(loc.text or "").strip() for loc in root.iter("{*}loc", "loc")]
    locs = [u for u in locs if u]
    return (locs, []) if kind == "urlset" else ([], locs)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


