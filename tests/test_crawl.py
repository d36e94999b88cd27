"""The crawler against a real local HTTP server (127.0.0.1, a free port) serving tests/data/site/.

The server logs every request (arrival time, path, headers, status it answered), so the tests
assert on what really went over the wire: robots.txt obeyed, no URL twice, conditional requests,
the rate limit, retries.
"""
from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from ingest.crawl import (
    USER_AGENT,
    CrawlError,
    canonical_encoding,
    decode_html,
    parse_retry_after,
    parse_sitemap,
    rewrite_meta_charset,
    run_crawl,
)
from ingest.crawl import BadURL, normalize_url, page_id
from ingest.snapshot import SnapshotError, load_snapshot, read_manifest

SITE = Path(__file__).parent / "data" / "site"
LAST_MODIFIED = "Mon, 03 Mar 2025 08:00:00 GMT"
pytestmark = pytest.mark.timeout(60)

# Fast settings for most tests: the rate limit is exercised on its own.
FAST = dict(rate=200.0, concurrency=4, timeout=1.0, backoff=0.05, progress=False, trust_env=False)


# --------------------------------------------------------------------------- the test site

class Site:
    """State of the test server: request log, per-path behaviour, content overrides."""

    def __init__(self):
        self.lock = threading.Lock()
        self.log: list[dict] = []
        self.hits: Counter = Counter()
        self.overrides: dict[str, bytes | int] = {}  # path → new body, or an HTTP status to answer
        self.no_validators = {"/nodecl.html"}  # served without ETag / Last-Modified
        self.base = ""
        self.slow_seconds = 2.0

    def requests_to(self, path: str) -> list[dict]:
        return [r for r in self.log if r["path"] == path]

    def paths(self) -> Counter:
        return Counter(r["path"] for r in self.log)


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep pytest output clean
            pass

        def _send(self, status: int, body: bytes = b"", ctype: str | None = None, headers: dict | None = None):
            with site.lock:
                self.entry["status"] = status
            try:
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def do_GET(self):
            path = self.path.split("?")[0]
            with site.lock:
                site.hits[path] += 1
                n = site.hits[path]
                self.entry = {"t": time.monotonic(), "path": path, "headers": dict(self.headers), "status": None}
                site.log.append(self.entry)
            override = site.overrides.get(path)
            if isinstance(override, int):
                return self._send(override, b"error", "text/plain")
            if path == "/flaky.html" and n == 1:
                return self._send(503, b"busy", "text/plain")
            if path == "/throttled.html" and n == 1:
                return self._send(429, b"slow down", "text/plain", {"Retry-After": "1"})
            if path == "/slow.html" and n == 1:
                time.sleep(site.slow_seconds)
            if path in ("/old/guide.html", "/old/guide-2.html"):
                return self._send(301, b"", headers={"Location": "/guide-new.html"})
            if path == "/legacy":
                return self._send(302, b"", headers={"Location": f"{site.base}/utf8.html"})
            if path == "/loop-a":
                return self._send(302, b"", headers={"Location": "/loop-b"})
            if path == "/loop-b":
                return self._send(302, b"", headers={"Location": "/loop-a"})
            file = SITE / path.lstrip("/")
            if override is None and (not file.is_file() or ".." in path):
                return self._send(404, b"not found", "text/plain")
            body = override if override is not None else file.read_bytes()
            if path.endswith(".xml"):
                body = body.replace(b"{base}", site.base.encode()).replace(
                    b"{other}", site.base.replace("127.0.0.1", "127.0.0.2").encode())
                return self._send(200, body, "application/xml")
            ctype = {"/utf8.html": "text/html; charset=utf-8", "/mislabeled.html": "text/html; charset=utf-8",
                     "/robots.txt": "text/plain"}.get(path, "text/html")
            if path.endswith(".pdf"):
                ctype = "application/pdf"
            headers = {}
            if path not in site.no_validators:
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", None, headers)
            return self._send(200, body, ctype, headers)

    return Handler


@pytest.fixture
def site(loopback_site):
    state = Site()
    with loopback_site(_handler(state)) as base:
        state.base = base
        yield state


def urls_file(tmp_path: Path, base: str, paths: list[str]) -> Path:
    f = tmp_path / "urls.txt"
    f.write_text("# test URLs\n\n" + "\n".join(base + p for p in paths) + "\n", encoding="utf-8")
    return f


def stored(out: Path) -> dict[str, str]:
    """url path → stored text, of the pages ingestion would read."""
    return {normalize_url(r.url).split("/", 3)[3]: r.read() for r in load_snapshot(out)}


# --------------------------------------------------------------------------- pure functions

def test_normalize_url_and_stable_ids():
    assert normalize_url("HTTP://Example.GOV.cn:80/a/b.html#sec") == "http://example.gov.cn/a/b.html"
    assert normalize_url("https://x.cn:443") == "https://x.cn/"
    assert normalize_url("https://x.cn:8443/p?id=3&b=1") == "https://x.cn:8443/p?id=3&b=1"
    for bad in ("ftp://x.cn/a", "/relative/path", "not a url", "http://"):
        with pytest.raises(BadURL):
            normalize_url(bad)
    a = page_id("http://www.gd.gov.cn/zwgk/content/post_123.html#top")
    assert a == page_id("http://WWW.gd.gov.cn:80/zwgk/content/post_123.html")  # same URL, same id
    assert a.startswith("www.gd.gov.cn-zwgk-content-post-123-html-")
    assert a != page_id("http://www.gd.gov.cn/zwgk/content/post_123.html?p=2")
    # slugs that collide still get different ids
    assert page_id("http://x.cn/a-b") != page_id("http://x.cn/a_b")
    assert all(c.isalnum() or c in "-." for c in page_id("https://x.cn/路径/文件.html?q=中文"))


def test_decode_html_charset_order():
    text = "<html><head>{}</head><body>申请材料：身份证明</body></html>"
    gbk = text.format('<meta charset="gb2312">').encode("gbk")
    assert decode_html(gbk, "text/html") == (text.format('<meta charset="gb2312">'), "gb18030")
    # GBK-only characters in a page that says gb2312 decode (gb2312 is read as gb18030)
    ext = text.format('<meta charset="gb2312">').replace("身份", "王堃").encode("gbk")
    assert "王堃" in decode_html(ext, None)[0]
    # the HTTP header beats the meta tag …
    big5 = text.format("").replace("申请材料：身份证明", "申請資料").encode("big5")
    assert decode_html(big5, "text/html; charset=Big5")[1] == "big5hkscs"
    # … unless it cannot decode the bytes (a portal saying utf-8 and sending GBK)
    assert decode_html(gbk, "text/html; charset=utf-8") == (text.format('<meta charset="gb2312">'), "gb18030")
    # a Latin-1 header (a server default) ranks below the meta tag
    assert decode_html(gbk, "text/html; charset=ISO-8859-1")[1] == "gb18030"
    # http-equiv form
    he = text.format('<meta http-equiv="Content-Type" content="text/html; charset=GBK">').encode("gbk")
    assert decode_html(he, None)[1] == "gb18030"
    # BOM wins
    assert decode_html(codecs.BOM_UTF8 + "中文".encode(), "text/html; charset=gbk") == ("中文", "utf-8")
    # nothing declared: detection (file served without any charset)
    nodecl = (SITE / "nodecl.html").read_bytes()
    decoded, enc = decode_html(nodecl, "text/html")
    assert enc == "gb18030" and "数字化转型专项资金" in decoded
    assert canonical_encoding("GB_2312-80") == "gb18030" and canonical_encoding("no-such") is None
    assert [canonical_encoding(e) for e in ("gb2312", "GBK", "Big5", "ISO-8859-1", "UTF8", '"utf-8"')] == [
        "gb18030", "gb18030", "big5hkscs", "cp1252", "utf-8", "utf-8"]


def test_rewrite_meta_charset():
    html = '<head><meta charset="gb2312"><meta http-equiv="Content-Type" content="text/html; charset=GBK"></head>'
    out = rewrite_meta_charset(html)
    assert out == '<head><meta charset="utf-8"><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
    assert rewrite_meta_charset("<p>charset=gbk in text</p>") == "<p>charset=gbk in text</p>"


def test_parse_sitemap_and_retry_after():
    urlset = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' \
             b"<url><loc> http://a.cn/1 </loc></url><url><loc>http://a.cn/2</loc></url></urlset>"
    assert parse_sitemap(urlset) == (["http://a.cn/1", "http://a.cn/2"], [])
    assert parse_sitemap(gzip.compress(urlset)) == (["http://a.cn/1", "http://a.cn/2"], [])
    index = b"<sitemapindex><sitemap><loc>http://a.cn/s1.xml</loc></sitemap></sitemapindex>"
    assert parse_sitemap(index) == ([], ["http://a.cn/s1.xml"])
    assert parse_sitemap(b"http://a.cn/1\nhttp://a.cn/2\n") == (["http://a.cn/1", "http://a.cn/2"], [])
    for bad in (b"<html><body>not a sitemap</body></html>", b"just words"):
        with pytest.raises(ValueError):
            parse_sitemap(bad)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# --------------------------------------------------------------------------- crawling

MAIN_PATHS = [
    "/utf8.html", "/gbk.html", "/big5.html", "/nodecl.html", "/mislabeled.html",
    "/old/guide.html",  # 301 → /guide-new.html (not in the list): stored under this URL's id
    "/old/guide-2.html",  # 301 → the same page: not requested again, stored under this URL's id too
    "/legacy",  # 302 → /utf8.html (in the list): a redirect record, content stored once
    "/missing.html",  # 404
    "/flaky.html",  # 503 once, then 200
    "/slow.html",  # exceeds the timeout once, then answers
    "/private/secret.html",  # robots.txt disallows
    "/doc.pdf",  # not HTML
    "/utf8.html#fragment", "/UTF8-not-there.html",  # a duplicate after normalisation; a 404
]


def test_crawl_site(site, tmp_path):
    out = tmp_path / "snap"
    f = urls_file(tmp_path, site.base, MAIN_PATHS)
    with f.open("a") as fh:  # the same URL with the default port is a duplicate too
        fh.write(site.base.replace("http://", "HTTP://") + "/gbk.html\nftp://bad.example/x\n")
    summary = run_crawl(urls_file=f, out=out, **FAST)

    # exactly the allowed HTML pages are stored, under their URL's id
    pages = stored(out)
    assert set(pages) == {"utf8.html", "gbk.html", "big5.html", "nodecl.html", "mislabeled.html",
                          "old/guide.html", "old/guide-2.html", "flaky.html", "slow.html"}
    assert sorted(p.name for p in (out / "pages").iterdir()) == sorted(
        f"{page_id(site.base + '/' + p)}.html" for p in pages)

    # correctly decoded, stored as UTF-8 with the meta charset rewritten
    assert "食品经营许可申请书" in pages["utf8.html"]
    assert "申请人王堃、朱镕基路街道经营者喆某" in pages["gbk.html"]
    assert '<meta charset="utf-8">' in pages["gbk.html"] and "gb2312" not in pages["gbk.html"]
    assert "營業登記申請書正本一份" in pages["big5.html"] and "charset=utf-8" in pages["big5.html"]
    assert "申报企业应当提交申报书" in pages["nodecl.html"]
    assert "社会保障服务中心窗口" in pages["mislabeled.html"]
    assert "驾驶证有效期满前九十日内申请换证" in pages["old/guide.html"]
    for p in (out / "pages").iterdir():
        p.read_bytes().decode("utf-8")  # strict
    recs = {r.url.removeprefix(site.base): r for r in read_manifest(out).values()}
    assert recs["/gbk.html"].encoding == "gb18030" and recs["/big5.html"].encoding == "big5hkscs"
    assert recs["/utf8.html"].encoding == "utf-8" and recs["/mislabeled.html"].encoding == "gb18030"
    assert recs["/utf8.html"].etag and recs["/utf8.html"].last_modified == LAST_MODIFIED
    assert recs["/utf8.html"].content_hash.startswith("sha256:") and recs["/utf8.html"].fetched_at.endswith("+00:00")

    # redirects: final URL recorded; a redirect onto another crawled URL stores nothing twice
    assert recs["/old/guide.html"].final_url == site.base + "/guide-new.html"
    assert recs["/old/guide-2.html"].content_hash == recs["/old/guide.html"].content_hash
    assert recs["/legacy"].state == "redirect" and recs["/legacy"].alias_of == recs["/utf8.html"].id
    assert recs["/legacy"].file is None

    # failures and skips are reported with their reasons
    problems = {p["url"].removeprefix(site.base): p for p in summary["problems"]}
    assert problems["/missing.html"]["state"] == "gone" and problems["/missing.html"]["reason"] == "HTTP 404"
    assert problems["/UTF8-not-there.html"]["status"] == 404
    assert problems["/private/secret.html"] == {"url": site.base + "/private/secret.html", "state": "skipped",
                                                 "status": None, "reason": "robots.txt disallows"}
    assert problems["/doc.pdf"]["reason"] == "not an HTML page (application/pdf)"
    assert "ftp://bad.example/x" in problems and "urls.txt:" in problems["ftp://bad.example/x"]["reason"]
    assert summary["failed"] == 3 and summary["gone"] == 2 and summary["skipped"] == 2
    assert summary["fetched"] == summary["new"] == 9 and summary["redirects"] == 1 and summary["unchanged"] == 0
    assert "robots.txt disallows" in summary["text"] and "HTTP 404" in summary["text"]

    # the 503 recovered on the second try, the slow page after its timeout
    assert [r["status"] for r in site.requests_to("/flaky.html")] == [503, 200]
    assert len(site.requests_to("/slow.html")) == 2 and recs["/slow.html"].state == "new"
    assert summary["retries"] == 2

    # over the wire: the disallowed page never requested, robots.txt once, no URL twice
    hits = site.paths()
    assert not any(p.startswith("/private/") for p in hits)
    assert hits["/robots.txt"] == 1
    repeated = {p: n for p, n in hits.items() if n > 1}
    assert repeated == {"/flaky.html": 2, "/slow.html": 2}  # the retries, nothing else
    assert hits["/utf8.html"] == 1  # asked for directly, with a fragment, and via /legacy
    assert hits["/guide-new.html"] == 1  # reached through two redirects
    assert summary["requests"] == len(site.log)
    assert all("govsearch" in r["headers"]["User-Agent"] for r in site.log)
    assert all(r["headers"]["User-Agent"] == USER_AGENT for r in site.log)


def test_recrawl_is_conditional_and_incremental(site, tmp_path):
    out = tmp_path / "snap"
    paths = ["/utf8.html", "/gbk.html", "/big5.html", "/nodecl.html", "/item-1.html", "/item-2.html",
             "/old/guide.html"]
    f = urls_file(tmp_path, site.base, paths)
    first = run_crawl(urls_file=f, out=out, **FAST)
    assert first["new"] == 7 and first["failed"] == 0
    before = {r.id: r for r in read_manifest(out).values()}
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "pages").iterdir()}

    # between the crawls: one page changes, one disappears
    site.log.clear()
    site.overrides["/item-1.html"] = (SITE / "item-1.html").read_bytes().replace("办理条件".encode(), "新的办理条件".encode())
    site.overrides["/item-2.html"] = 410
    time.sleep(1.05)  # fetched_at has one-second resolution
    second = run_crawl(urls_file=f, out=out, **FAST)

    by_path = {r["path"]: r for r in site.log}
    # every page with stored validators was asked conditionally …
    for p, target in [("/utf8.html", "/utf8.html"), ("/gbk.html", "/gbk.html"), ("/big5.html", "/big5.html"),
                      ("/item-1.html", "/item-1.html"), ("/guide-new.html", "/guide-new.html")]:
        h = by_path[target]["headers"]
        assert h.get("If-None-Match") and h.get("If-Modified-Since") == LAST_MODIFIED, p
    assert "If-None-Match" not in by_path["/nodecl.html"]["headers"]  # it sent no validators
    # … and nothing unchanged was downloaded again
    assert {p: r["status"] for p, r in by_path.items()} == {
        "/robots.txt": 200, "/utf8.html": 304, "/gbk.html": 304, "/big5.html": 304, "/nodecl.html": 200,
        "/item-1.html": 200, "/item-2.html": 410, "/old/guide.html": 301, "/guide-new.html": 304}
    assert len(site.log) == len(by_path)  # no URL twice

    recs = {r.url.removeprefix(site.base): r for r in read_manifest(out).values()}
    states = {p: r.state for p, r in recs.items()}
    assert states == {"/utf8.html": "unchanged", "/gbk.html": "unchanged", "/big5.html": "unchanged",
                      "/nodecl.html": "unchanged", "/item-1.html": "changed", "/item-2.html": "gone",
                      "/old/guide.html": "unchanged"}
    assert (second["fetched"], second["changed"], second["unchanged"], second["gone"]) == (1, 1, 5, 1)
    # unchanged pages keep their file untouched, their record gets a new fetched_at
    for p in ("/utf8.html", "/gbk.html", "/nodecl.html", "/old/guide.html"):
        r = recs[p]
        assert r.file == before[r.id].file and r.content_hash == before[r.id].content_hash
        assert mtimes[Path(r.file).name] == r.path.stat().st_mtime_ns
        assert r.fetched_at > before[r.id].fetched_at and r.changed_at == before[r.id].changed_at
    assert "新的办理条件" in recs["/item-1.html"].read()
    assert recs["/item-1.html"].changed_at > before[recs["/item-1.html"].id].changed_at
    # the gone page: status kept, file removed; ingestion sees it only when asked for gone ids
    gone = recs["/item-2.html"]
    assert gone.status == 410 and gone.file is None
    assert not (out / before[gone.id].file).exists()
    assert gone.id not in {r.id for r in load_snapshot(out)}
    assert [r.id for r in load_snapshot(out, include_gone=True) if r.state == "gone"] == [gone.id]
    assert len(load_snapshot(out)) == 6

    # a third crawl where the server fails: the stored copy stays usable
    site.log.clear()
    site.overrides["/item-1.html"] = 500
    third = run_crawl(urls_file=urls_file(tmp_path, site.base, ["/item-1.html"]), out=out, **{**FAST, "tries": 2})
    assert third["failed"] == 1 and third["problems"][0]["reason"] == "HTTP 500 after 2 tries"
    rec = next(r for r in load_snapshot(out) if r.url.endswith("/item-1.html"))
    assert rec.state == "failed" and "新的办理条件" in rec.read()
    assert len(read_manifest(out)) == 7  # records of URLs not crawled this time are kept


def test_rate_limit_per_host(site, tmp_path):
    rate = 8.0
    paths = [f"/item-{i}.html" for i in range(1, 7)]
    t0 = time.monotonic()
    summary = run_crawl(urls_file=urls_file(tmp_path, site.base, paths), out=tmp_path / "snap",
                        **{**FAST, "rate": rate, "concurrency": 4})
    elapsed = time.monotonic() - t0
    assert summary["new"] == 6
    times = sorted(r["t"] for r in site.log)  # robots.txt + 6 pages, all one host
    assert len(times) == 7
    gaps = [b - a for a, b in zip(times, times[1:])]
    # loosely: arrival times at the server carry scheduling noise (a late request shortens the next
    # gap), so each gap ≥ 1/(2R) and the mean gap ≥ 0.9/R; without the limiter they are ~1 ms
    assert min(gaps) >= 0.5 / rate, gaps
    assert (times[-1] - times[0]) / len(gaps) >= 0.9 / rate, gaps
    assert elapsed >= 6 * 0.9 / rate


def test_retry_after_is_honoured(site, tmp_path):
    summary = run_crawl(urls_file=urls_file(tmp_path, site.base, ["/throttled.html", "/item-3.html"]),
                        out=tmp_path / "snap", **FAST)
    assert summary["new"] == 2 and summary["retries"] == 1
    first, second = site.requests_to("/throttled.html")
    assert first["status"] == 429 and second["status"] == 200
    assert second["t"] - first["t"] >= 0.9  # Retry-After: 1


def test_sitemap_index(site, tmp_path):
    out = tmp_path / "snap"
    summary = run_crawl(sitemap=site.base + "/sitemap.xml", out=out, **FAST)
    assert set(stored(out)) == {"utf8.html", "gbk.html", "big5.html", "nodecl.html"}
    reasons = {p["url"].split("/", 3)[3]: p["reason"] for p in summary["problems"]}
    assert reasons["private/secret.html"] == "robots.txt disallows"
    assert "another host" in reasons["elsewhere.html"]
    assert set(site.paths()) == {"/robots.txt", "/sitemap.xml", "/sitemap-guides.xml", "/sitemap-policies.xml",
                                 "/utf8.html", "/gbk.html", "/big5.html", "/nodecl.html"}
    assert max(site.paths().values()) == 1
    # a sitemap that is not there is an error, not an empty crawl
    with pytest.raises(CrawlError, match="HTTP 404"):
        run_crawl(sitemap=site.base + "/no-sitemap.xml", out=tmp_path / "snap2", **FAST)


def test_robots_unavailable_skips_the_host(site, tmp_path):
    site.overrides["/robots.txt"] = 503
    summary = run_crawl(urls_file=urls_file(tmp_path, site.base, ["/utf8.html", "/gbk.html"]),
                        out=tmp_path / "snap", **{**FAST, "tries": 2})
    assert summary["skipped"] == 2 and summary["fetched"] == 0
    assert all(p["reason"] == "robots.txt unavailable (HTTP 503 after 2 tries)" for p in summary["problems"])
    assert set(site.paths()) == {"/robots.txt"}
    # robots.txt absent (404): everything allowed
    site.overrides["/robots.txt"] = 404
    summary = run_crawl(urls_file=urls_file(tmp_path, site.base, ["/private/secret.html"]),
                        out=tmp_path / "snap", **FAST)
    assert summary["new"] == 1


def test_redirect_loop_and_unreachable_host(site, tmp_path):
    closed = site.base.rsplit(":", 1)[0] + ":1"  # nothing listens on port 1
    summary = run_crawl(urls_file=urls_file(tmp_path, site.base, ["/loop-a"]), out=tmp_path / "snap", **FAST)
    assert summary["problems"][0]["reason"].startswith("redirect loop")
    f = tmp_path / "u2.txt"
    f.write_text(closed + "/x.html\n")
    summary = run_crawl(urls_file=f, out=tmp_path / "snap", **{**FAST, "tries": 2})
    assert summary["skipped"] == 1
    assert summary["problems"][0]["reason"].startswith("robots.txt unavailable (connection error")


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(CrawlError, match="cannot read the URL list"):
        run_crawl(urls_file=tmp_path / "nope.txt", out=tmp_path / "snap")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(CrawlError, match="has no URL"):
        run_crawl(urls_file=empty, out=tmp_path / "snap")
    with pytest.raises(CrawlError, match="exactly one"):
        run_crawl(out=tmp_path / "snap")
    with pytest.raises(CrawlError, match="rate"):
        run_crawl(urls_file=empty, out=tmp_path / "snap", rate=0)
    with pytest.raises(SnapshotError, match="no snapshot"):
        load_snapshot(tmp_path)
    (tmp_path / "manifest.jsonl").write_text('{"id": "a", "url": "http://a.cn/"}\nnot json\n')
    with pytest.raises(SnapshotError, match="manifest.jsonl:2"):
        load_snapshot(tmp_path)


def test_cli_crawl(site, tmp_path, capsys):
    from govsearch.cli import main

    out = tmp_path / "snap"
    f = urls_file(tmp_path, site.base, ["/utf8.html", "/gbk.html"])
    assert main(["crawl", "--urls", str(f), "--out", str(out), "--rate", "100", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["new"] == 2 and summary["failed"] == 0
    f = urls_file(tmp_path, site.base, ["/utf8.html", "/missing.html"])
    assert main(["crawl", "--urls", str(f), "--out", str(out), "--rate", "100"]) == 3
    text = capsys.readouterr().out
    assert "unchanged 1" in text and "HTTP 404" in text
    assert main(["crawl", "--urls", str(tmp_path / "nope"), "--out", str(out)]) == 1
    assert "hint:" in capsys.readouterr().err


def test_snapshot_source_adapter(site, tmp_path):
    """A crawled snapshot reads back as Documents through the HTML adapters (ingest.snapshot.load)."""
    from ingest.snapshot import load

    out = tmp_path / "snap"
    run_crawl(urls_file=urls_file(tmp_path, site.base, ["/utf8.html", "/gbk.html", "/big5.html", "/old/guide.html",
                                                        "/missing.html"]), out=out, **FAST)
    result = load(out)
    assert result.records == 4 and not result.problems
    docs = {d.doc_id: d for d in result.documents}
    recs = {r.url.removeprefix(site.base): r for r in load_snapshot(out)}
    assert set(docs) == {r.id for r in recs.values()}
    assert docs[recs["/gbk.html"].id].title == "个体工商户设立登记"
    assert "朱镕基路" in docs[recs["/gbk.html"].id].text
    assert docs[recs["/big5.html"].id].title == "營業登記申請須知"
    moved = docs[recs["/old/guide.html"].id]
    assert moved.url == site.base + "/guide-new.html" and moved.source == "snapshot"
    assert "主办单位" not in docs[recs["/utf8.html"].id].text  # site chrome stays out
    # a folder without a manifest is one problem, not an exception
    empty = load(tmp_path / "nothing")
    assert empty.records == 1 and "no snapshot" in empty.problems[0].why
