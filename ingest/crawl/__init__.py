"""A polite crawler for portal pages: URLs (a file or a sitemap) → a snapshot folder.

``govsearch crawl --urls FILE | --sitemap URL --out DIR [--rate 1.0] [--concurrency 4]``

Politeness, in the order a request meets it:

- every URL is normalised (:func:`ingest.crawl.store.normalize_url`) and requested at most once per
  run, redirect hops included (retries of a failed attempt are the only repeats);
- ``/robots.txt`` is fetched once per host (scheme + host + port) and cached for the run. A URL it
  disallows for the ``govsearch`` agent is reported as skipped ("robots.txt disallows") and never
  requested. A robots.txt answering 4xx allows everything; one that cannot be had (5xx, timeout
  after the retries) skips the host's URLs. A ``Crawl-delay`` longer than ``1/rate`` is honoured
  (capped at ``max_retry_after``);
- a per-host rate limit: request starts to one host are at least ``1/rate`` seconds apart (retries
  and robots.txt included), plus a global cap (``concurrency``) and a per-host cap (``per_host``)
  on requests in flight;
- retries with exponential backoff and jitter on 5xx, 429, timeouts and connection errors,
  ``tries`` attempts in all (default 3). ``Retry-After`` (seconds or HTTP date) is honoured and
  also delays every other request to that host; one longer than ``max_retry_after`` gives up;
- redirects are followed by hand (≤ ``max_redirects`` hops), each hop checked against robots.txt
  and rate-limited; the record keeps the final URL. A URL that redirects to another URL of the same
  crawl becomes a ``redirect`` record pointing at that URL's id (its content is stored once);
- the page encoding: a BOM, then the HTTP ``charset``, then ``<meta charset>`` /
  ``http-equiv`` (a Latin-1/ASCII header — a common server default — ranks after the meta), then
  charset-normalizer. gb2312/gbk are decoded as gb18030, big5 as big5hkscs. A declared charset that
  does not decode is passed over (portals that say ``utf-8`` and send GBK exist);
- re-crawls send ``If-None-Match`` / ``If-Modified-Since`` with the stored validators; a 304 (or a
  200 with the same content hash) keeps the stored file: state ``unchanged``;
- a ``User-Agent`` naming govsearch (:data:`USER_AGENT`).

What is written: see :mod:`ingest.snapshot` (``DIR/manifest.jsonl`` + ``DIR/pages/<id>.html``), by
:mod:`ingest.crawl.store`. The offline ingest path (:mod:`ingest.pipeline`, the snapshot reader)
never imports this package: ingesting needs no network library.
:func:`run_crawl` returns a summary dict: counts ``fetched`` (= ``new`` + ``changed``),
``unchanged``, ``failed`` (incl. ``gone`` 404/410), ``skipped``, ``redirects``; ``problems`` (one
``{url, state, status, reason}`` per failed/skipped URL); ``requests``/``retries`` made;
``seconds``; and ``text`` for humans.
"""
from __future__ import annotations

from ingest.crawl.crawler import (GONE_STATUSES, HTML_TYPES, REDIRECT_STATUSES, RETRY_STATUSES, ROBOTS_AGENT,
                                  USER_AGENT, CrawlOptions, Crawler, crawl, run_crawl)
from ingest.crawl.encoding import canonical_encoding, decode_html, header_charset, meta_charset, rewrite_meta_charset
from ingest.crawl.inputs import CrawlError, parse_retry_after, parse_sitemap, read_urls_file
from ingest.crawl.store import BadURL, content_hash, normalize_url, page_id, write_manifest, write_page

__all__ = ["run_crawl", "crawl", "Crawler", "CrawlOptions", "CrawlError", "USER_AGENT", "ROBOTS_AGENT",
           "RETRY_STATUSES", "REDIRECT_STATUSES", "GONE_STATUSES", "HTML_TYPES", "canonical_encoding",
           "decode_html", "header_charset", "meta_charset", "rewrite_meta_charset", "parse_retry_after",
           "parse_sitemap", "read_urls_file", "BadURL", "content_hash", "normalize_url", "page_id",
           "write_manifest", "write_page"]
