"""The crawler: politeness (robots.txt, per-host rate limit, retries), redirects, conditional
re-crawls, and the snapshot records it writes (see the package docstring)."""
from __future__ import annotations


import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from ingest.crawl.encoding import decode_html, rewrite_meta_charset
from ingest.crawl.inputs import CrawlError, _now_iso, _origin, parse_retry_after, parse_sitemap, read_urls_file
from ingest.crawl.store import BadURL, content_hash, normalize_url, page_id, write_manifest, write_page
from ingest.snapshot import PageRecord, read_manifest

__version__ = "0.1"
ROBOTS_AGENT = "govsearch"
USER_AGENT = f"govsearch-crawler/{__version__} (polite crawler for government service guides; honours robots.txt)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504}) | frozenset(range(505, 600))
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
GONE_STATUSES = frozenset({404, 410})
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")




# --------------------------------------------------------------------------- the crawler

@dataclass(frozen=True)
class CrawlOptions:
    rate: float = 1.0  # requests per second per host
    concurrency: int = 4  # requests in flight, all hosts
    per_host: int = 2  # requests in flight per host
    timeout: float = 20.0  # seconds for one attempt, headers and body
    tries: int = 3  # attempts per request (1 + retries)
    backoff: float = 1.0  # first retry waits backoff × (0.5–1.5), then doubles
    max_retry_after: float = 120.0  # a longer Retry-After / Crawl-delay gives up / is capped
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    progress: bool | None = None  # tqdm bar; None: only on a terminal
    trust_env: bool = True  # honour HTTP(S)_PROXY etc.

    def __post_init__(self):
        if not self.rate > 0:
            raise CrawlError(f"rate must be > 0 requests/second, got {self.rate}", hint="e.g. --rate 1")
        if self.concurrency < 1 or self.per_host < 1 or self.tries < 1:
            raise CrawlError("concurrency, per_host and tries must be ≥ 1", hint="e.g. --concurrency 4")


@dataclass
class Answer:
    """What one request (with its retries) got."""

    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    tries: int = 0


class _Host:
    """Per-host state: the rate gate, the in-flight cap, robots.txt."""

    def __init__(self, interval: float, per_host: int):
        self.interval = interval
        self.sem = asyncio.Semaphore(per_host)
        self.lock = asyncio.Lock()
        self.next_at = 0.0
        self.robots: asyncio.Task | None = None

    async def turn(self) -> None:
        """Wait until this host may get the next request start."""
        async with self.lock:
            loop = asyncio.get_running_loop()
            wait = self.next_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.next_at = max(loop.time(), self.next_at) + self.interval

    def hold_off(self, seconds: float) -> None:
        self.next_at = max(self.next_at, asyncio.get_running_loop().time() + seconds)


@dataclass
class _Robots:
    parser: object | None  # protego.Protego, or None: everything allowed
    unavailable: str | None = None  # why robots.txt could not be had: the host is skipped

    def allows(self, url: str, agent: str) -> bool:
        if self.unavailable:
            return False
        return True if self.parser is None else bool(self.parser.can_fetch(url, agent))


class Crawler:
    """One crawl run into one snapshot folder. State: the HTTP client, per-host gates and robots,
    the per-run memo of requests (so no URL is requested twice), the old and new manifests."""

    def __init__(self, out: Path, options: CrawlOptions):
        self.out = Path(out)
        self.opt = options
        self.old = read_manifest(self.out)
        self.records: dict[str, PageRecord] = dict(self.old)
        self.hosts: dict[str, _Host] = {}
        self.memo: dict[str, asyncio.Task] = {}
        self.global_sem = asyncio.Semaphore(options.concurrency)
        self.requests = 0
        self.retries = 0
        self.targets: set[str] = set()
        self.client = None

    # -- HTTP ---------------------------------------------------------------------------

    def host(self, url: str) -> _Host:
        origin = _origin(url)
        if origin not in self.hosts:
            self.hosts[origin] = _Host(1.0 / self.opt.rate, self.opt.per_host)
        return self.hosts[origin]

    async def _attempt(self, url: str, headers: dict[str, str]) -> Answer:
        host = self.host(url)
        ans = Answer(url=url)
        async with host.sem, self.global_sem:
            await host.turn()
            self.requests += 1
            try:
                async with asyncio.timeout(self.opt.timeout):
                    async with self.client.stream("GET", url, headers=headers) as resp:
                        ans.status = resp.status_code
                        ans.headers = {k.lower(): v for k, v in resp.headers.items()}
                        if resp.status_code == 200:
                            chunks, size = [], 0
                            async for chunk in resp.aiter_bytes():
                                size += len(chunk)
                                if size > self.opt.max_bytes:
                                    ans.error = f"larger than {self.opt.max_bytes} bytes"
                                    break
                                chunks.append(chunk)
                            ans.body = b"".join(chunks)
            except (TimeoutError, asyncio.TimeoutError):
                ans.status, ans.error = None, "timeout"
            except httpx.HTTPError as e:  # connection refused / reset, protocol errors …
                detail = f" ({e})" if str(e) else ""
                ans.status, ans.error = None, f"connection error: {type(e).__name__}{detail}"
        return ans

    async def request(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        """One GET with retries (no redirect following)."""
        headers = headers or {}
        host = self.host(url)
        for attempt in range(1, self.opt.tries + 1):
            ans = await self._attempt(url, headers)
            ans.tries = attempt
            retryable = ans.status in RETRY_STATUSES or (ans.status is None and ans.error is not None)
            if not retryable:
                return ans
            if attempt == self.opt.tries:
                what = ans.error or f"HTTP {ans.status}"
                ans.error = f"{what} after {attempt} tries"
                return ans
            delay = self.opt.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            retry_after = parse_retry_after(ans.headers.get("retry-after")) if ans.status else None
            if retry_after is not None:
                if retry_after > self.opt.max_retry_after:
                    ans.error = f"HTTP {ans.status}: Retry-After {retry_after:.0f} s is too long"
                    return ans
                delay = retry_after
                host.hold_off(retry_after)
            self.retries += 1
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def get(self, url: str, headers: dict[str, str] | None = None) -> asyncio.Task:
        """The memoised request for a normalised URL: requested once per run, whoever asks."""
        if url not in self.memo:
            self.memo[url] = asyncio.ensure_future(self.request(url, headers))
        return self.memo[url]

    # -- robots.txt -----------------------------------------------------------------------

    async def _load_robots(self, origin: str) -> _Robots:
        from protego import Protego

        url = origin + "/robots.txt"
        for _ in range(self.opt.max_redirects + 1):
            ans = await self.get(url)
            if ans.status in REDIRECT_STATUSES and ans.headers.get("location"):
                try:
                    url = normalize_url(urljoin(url, ans.headers["location"]))
                except BadURL:
                    break
                continue
            break
        if ans.status == 200:
            text, _ = decode_html(ans.body, ans.headers.get("content-type"))
            parser = Protego.parse(text)
            delay = parser.crawl_delay(self.opt.user_agent)
            host = self.host(origin)
            if delay and delay > host.interval:
                host.interval = min(float(delay), self.opt.max_retry_after)
            return _Robots(parser)
        if ans.status is not None and 400 <= ans.status < 500:
            return _Robots(None)  # no robots.txt: everything is allowed
        why = ans.error or f"HTTP {ans.status}"
        return _Robots(None, unavailable=f"robots.txt unavailable ({why})")

    async def robots(self, url: str) -> _Robots:
        host = self.host(url)
        if host.robots is None:
            host.robots = asyncio.ensure_future(self._load_robots(_origin(url)))
        return await host.robots

    async def allowed(self, url: str) -> str | None:
        """None if robots.txt lets us fetch ``url``, else the reason."""
        rb = await self.robots(url)
        if rb.unavailable:
            return rb.unavailable
        if not rb.allows(url, self.opt.user_agent):
            return "robots.txt disallows"
        return None

    # -- one page -------------------------------------------------------------------------

    def _validators(self, prev: PageRecord | None, url: str) -> dict[str, str]:
        if prev is None or prev.final_url != url or prev.path is None or not prev.path.exists():
            return {}
        h = {}
        if prev.etag:
            h["If-None-Match"] = prev.etag
        if prev.last_modified:
            h["If-Modified-Since"] = prev.last_modified
        return h

    async def crawl_page(self, url: str) -> PageRecord:
        pid = page_id(url)
        prev = self.old.get(pid)
        base = prev.evolve(url=url, fetched_at=_now_iso(), alias_of=None) if prev else PageRecord(
            id=pid, url=url, fetched_at=_now_iso(), root=self.out, state="new")

        def failed(state: str, status: int | None, error: str, **kw) -> PageRecord:
            return base.evolve(state=state, status=status, error=error, **kw)

        cur, chain = url, [url]
        while True:
            why = await self.allowed(cur)
            if why:
                if cur != url:
                    why = f"redirect to {cur}: {why}"
                return failed("skipped", None, why, final_url=cur)
            ans = await self.get(cur, self._validators(prev, cur))
            if ans.status in REDIRECT_STATUSES:
                loc = ans.headers.get("location")
                if not loc:
                    return failed("failed", ans.status, f"HTTP {ans.status} without Location")
                try:
                    nxt = normalize_url(urljoin(cur, loc))
                except BadURL as e:
                    return failed("failed", ans.status, f"redirect to a bad URL: {e}")
                if nxt in chain:
                    return failed("failed", ans.status, f"redirect loop at {nxt}")
                if len(chain) > self.opt.max_redirects:
                    return failed("failed", ans.status, f"more than {self.opt.max_redirects} redirects")
                chain.append(nxt)
                cur = nxt
                if cur in self.targets:  # its own task fetches it: store the content once
                    if base.path is not None and base.path.exists():
                        base.path.unlink()
                    return base.evolve(state="redirect", status=ans.status, final_url=cur, file=None,
                                       alias_of=page_id(cur), error=None, content_hash=None,
                                       etag=None, last_modified=None)
                continue
            break
        return self._record(base, prev, cur, ans)

    def _record(self, base: PageRecord, prev: PageRecord | None, final: str, ans: Answer) -> PageRecord:
        if ans.status == 304:
            if prev is not None and prev.file and prev.final_url == final:
                return base.evolve(state="unchanged", status=304, error=None, final_url=final,
                                   etag=ans.headers.get("etag", prev.etag),
                                   last_modified=ans.headers.get("last-modified", prev.last_modified))
            return base.evolve(state="failed", status=304, error="304 Not Modified without a stored copy")
        if ans.status in GONE_STATUSES:
            if base.path is not None and base.path.exists():
                base.path.unlink()
            return base.evolve(state="gone", status=ans.status, error=f"HTTP {ans.status}", final_url=final,
                               file=None, etag=None, last_modified=None, content_hash=None)
        if ans.status != 200 or ans.error:
            return base.evolve(state="failed", status=ans.status, final_url=final,
                               error=ans.error or f"HTTP {ans.status}")
        ctype = ans.headers.get("content-type", "")
        media = ctype.split(";")[0].strip().lower()
        if media and not media.startswith(HTML_TYPES):
            return base.evolve(state="skipped", status=200, final_url=final, error=f"not an HTML page ({media})")
        text, encoding = decode_html(ans.body, ctype)
        digest = content_hash(text)
        common = dict(status=200, final_url=final, error=None, content_type=media or None, encoding=encoding,
                      etag=ans.headers.get("etag"), last_modified=ans.headers.get("last-modified"))
        if prev is not None and prev.content_hash == digest and prev.path is not None and prev.path.exists():
            return base.evolve(state="unchanged", **common)
        rel = write_page(self.out, base.id, rewrite_meta_charset(text))
        state = "changed" if prev is not None and prev.content_hash else "new"
        return base.evolve(state=state, file=rel, content_hash=digest, changed_at=_now_iso(), **common)

    # -- sitemap --------------------------------------------------------------------------

    async def sitemap_urls(self, url: str, max_sitemaps: int = 50) -> tuple[list[str], list[dict]]:
        """Page URLs of a sitemap (following a sitemap index one level at a time)."""
        top = normalize_url(url)
        queue, seen, pages, problems = [top], set(), {}, []
        while queue and len(seen) < max_sitemaps:
            sm = queue.pop(0)
            if sm in seen:
                continue
            seen.add(sm)
            why = await self.allowed(sm)
            if why:
                problems.append({"url": sm, "state": "skipped", "status": None, "reason": f"sitemap: {why}"})
                continue
            ans = await self.get(sm)
            if ans.status in REDIRECT_STATUSES and ans.headers.get("location"):
                queue.insert(0, normalize_url(urljoin(sm, ans.headers["location"])))
                continue
            if ans.status != 200 or ans.error:
                problems.append({"url": sm, "state": "failed", "status": ans.status,
                                 "reason": f"sitemap: {ans.error or f'HTTP {ans.status}'}"})
                continue
            try:
                locs, children = parse_sitemap(ans.body)
            except (ValueError, OSError, EOFError) as e:
                problems.append({"url": sm, "state": "failed", "status": 200, "reason": f"sitemap: {e}"})
                continue
            for child in children:
                try:
                    queue.append(normalize_url(urljoin(sm, child)))
                except BadURL as e:
                    problems.append({"url": child, "state": "failed", "status": None, "reason": f"sitemap: {e}"})
            for loc in locs:
                try:
                    norm = normalize_url(urljoin(sm, loc))
                except BadURL as e:
                    problems.append({"url": loc, "state": "failed", "status": None, "reason": f"sitemap: {e}"})
                    continue
                if _origin(norm) != _origin(sm):  # the sitemaps protocol: same host only
                    problems.append({"url": norm, "state": "skipped", "status": None,
                                     "reason": f"sitemap {sm} lists a URL of another host"})
                    continue
                pages[norm] = None
        top_problem = next((p for p in problems if p["url"] == top), None)
        if top_problem is not None:
            raise CrawlError(f"cannot read the sitemap {top}: {top_problem['reason']}",
                             hint="check the URL; robots.txt and the server must let us fetch it")
        return list(pages), problems

    # -- the run --------------------------------------------------------------------------

    async def run(self, urls: list[str] | None = None, sitemap: str | None = None) -> dict:
        from tqdm import tqdm

        t0 = time.monotonic()
        problems: list[dict] = []
        headers = {"User-Agent": self.opt.user_agent,
                   "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                   "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
        async with httpx.AsyncClient(headers=headers, follow_redirects=False, trust_env=self.opt.trust_env,
                                     timeout=httpx.Timeout(self.opt.timeout)) as client:
            self.client = client
            if sitemap:
                urls, problems = await self.sitemap_urls(sitemap)
            urls = list(dict.fromkeys(urls or []))
            self.targets = set(urls)
            done: list[PageRecord] = []
            bar = tqdm(total=len(urls), unit="page", desc="crawl",
                       disable=(not self.opt.progress) if self.opt.progress is not None else None)
            tasks = [asyncio.ensure_future(self.crawl_page(u)) for u in urls]
            try:
                for n, fut in enumerate(asyncio.as_completed(tasks), 1):
                    rec = await fut
                    self.records[rec.id] = rec
                    done.append(rec)
                    bar.update(1)
                    if n % 50 == 0:
                        write_manifest(self.out, self.records)
            finally:
                bar.close()
                for t in tasks:
                    t.cancel()
                self.out.mkdir(parents=True, exist_ok=True)
                write_manifest(self.out, self.records)
        return self.summary(done, problems, time.monotonic() - t0)

    def summary(self, done: list[PageRecord], before: list[dict], seconds: float) -> dict:
        """``before``: problems found before any page was requested (sitemap, URL list)."""
        count = {s: 0 for s in ("new", "changed", "unchanged", "gone", "failed", "skipped", "redirect")}
        problems = list(before)
        for rec in sorted(done, key=lambda r: r.url):
            count[rec.state] += 1
            if rec.state in ("gone", "failed", "skipped"):
                problems.append({"url": rec.url, "state": rec.state, "status": rec.status, "reason": rec.error})
        failed = count["failed"] + count["gone"] + sum(1 for p in before if p["state"] == "failed")
        skipped = count["skipped"] + sum(1 for p in before if p["state"] == "skipped")
        s = {
            "out": str(self.out), "urls": len(done), "fetched": count["new"] + count["changed"],
            "new": count["new"], "changed": count["changed"], "unchanged": count["unchanged"],
            "gone": count["gone"], "failed": failed, "skipped": skipped, "redirects": count["redirect"],
            "requests": self.requests, "retries": self.retries, "seconds": round(seconds, 2),
            "problems": problems,
        }
        lines = [f"crawled {s['urls']} URLs in {s['seconds']:.1f} s ({s['requests']} requests, "
                 f"{s['retries']} retries) → {self.out}",
                 f"  fetched {s['fetched']} ({s['new']} new, {s['changed']} changed), unchanged {s['unchanged']}, "
                 f"failed {s['failed']} ({s['gone']} gone), skipped {s['skipped']}, redirects {s['redirects']}"]
        for p in problems[:20]:
            lines.append(f"  {p['state']:<8} {p['url']}  {p['reason']}")
        if len(problems) > 20:
            lines.append(f"  … {len(problems) - 20} more (see --json)")
        s["text"] = "\n".join(lines)
        return s


async def crawl(urls: list[str] | None, out: Path, options: CrawlOptions, sitemap: str | None = None) -> dict:
    """Async entry point (for callers that already run an event loop)."""
    return await Crawler(out, options).run(urls=urls, sitemap=sitemap)


def run_crawl(urls_file: str | Path | None = None, sitemap: str | None = None, out: Path | str = "snapshot",
              rate: float = 1.0, concurrency: int = 4, **options) -> dict:
    """Crawl the URLs of ``urls_file`` (one a line) or of the ``sitemap`` URL into the snapshot
    folder ``out``; returns the summary (see the module docstring). ``options`` are the other
    :class:`CrawlOptions` fields (``timeout``, ``tries``, ``backoff``, ``per_host`` …)."""
    if bool(urls_file) == bool(sitemap):
        raise CrawlError("give exactly one of a URL list file or a sitemap URL")
    opts = CrawlOptions(rate=rate, concurrency=concurrency, **options)
    urls, problems = (None, [])
    if urls_file:
        urls, problems = read_urls_file(urls_file)
        if not urls and not problems:
            raise CrawlError(f"the URL list {urls_file} has no URL")
    elif sitemap:
        try:
            normalize_url(sitemap)
        except BadURL as e:
            raise CrawlError(f"bad sitemap URL: {e}") from None
    summary = asyncio.run(crawl(urls, Path(out), opts, sitemap=sitemap))
    if problems:  # bad lines of the URL file
        summary["problems"] = problems + summary["problems"]
        summary["failed"] += len(problems)
        summary["text"] += "".join(f"\n  failed   {p['url']}  {p['reason']}" for p in problems)
    return summary


__all__ = ["run_crawl", "crawl", "Crawler", "CrawlOptions", "USER_AGENT", "ROBOTS_AGENT"]

