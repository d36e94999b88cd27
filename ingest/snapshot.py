"""The snapshot folder a crawl writes and ingestion reads.

Layout of a snapshot folder ``DIR``::

    DIR/manifest.jsonl      one JSON object per URL ever crawled into DIR (sorted by id)
    DIR/pages/<id>.html     the page as decoded, re-encoded as UTF-8

``pages/<id>.html`` holds the decoded text of the page, written as UTF-8 without BOM. Its
``<meta charset=…>`` and ``<meta http-equiv="Content-Type" content="…; charset=…">`` declarations
are rewritten to ``utf-8`` so any HTML parser reads it right; the original encoding is kept in the
record's ``encoding`` field. Nothing else in the page is changed.

A record (one line of ``manifest.jsonl``) has these fields:

``id``            stable page id, a slug of the normalised URL (see :func:`page_id`): the same URL
                  maps to the same id in every crawl, so it can serve as the document id.
``url``           the normalised URL that was asked for (fragment dropped, default port dropped).
``final_url``     the URL the content came from after redirects (== ``url`` without redirects).
``status``        HTTP status of the last answer (200, 304, 404, …); ``None`` if no answer came
                  (timeout, connection error, robots.txt).
``state``         what the last crawl found:
                  ``new`` (first time stored), ``changed`` (stored again, content differs),
                  ``unchanged`` (304, or 200 with the same content hash: file kept),
                  ``gone`` (404/410: the file is deleted, ``file`` is None — ingestion drops the id),
                  ``failed`` (no usable answer this time: 5xx after retries, 403, timeout …; a file
                  from an earlier crawl is kept and still usable), ``skipped`` (not fetched:
                  robots.txt disallows it or cannot be had, or not an HTML page; a file from an
                  earlier crawl is kept), ``redirect`` (the URL redirects to
                  another URL that is itself in the snapshot, named by ``alias_of``; no file).
``fetched_at``    ISO-8601 UTC time of the last attempt.
``changed_at``    ISO-8601 UTC time the stored content last changed (``None`` before any content).
``etag``, ``last_modified``  the validators of the stored content, sent back on the next crawl as
                  ``If-None-Match`` / ``If-Modified-Since``.
``content_hash``  ``sha256:<hex>`` of the decoded text (before the meta charset rewrite).
``encoding``      the encoding the page was decoded with (``utf-8``, ``gb18030``, ``big5hkscs`` …).
``content_type``  the media type the server sent.
``file``          ``pages/<id>.html`` relative to DIR, or ``None`` when no content is stored.
``error``         why the last attempt did not store content (``"HTTP 404"``, ``"robots.txt
                  disallows"``, ``"timeout after 3 tries"`` …), else ``None``.
``alias_of``      for ``state == "redirect"``: the id of the record holding the content.

Ingestion calls :func:`load_snapshot` and gets the records whose page is usable (a stored file,
state not ``gone``); ``include_gone=True`` adds the ``gone`` records so an incremental ingestion
can drop those ids. :meth:`PageRecord.read` returns the page text. :func:`load` is the source
adapter (``load(root) -> SourceResult``, the contract of :mod:`ingest.adapters`): every usable
page parsed by :func:`ingest.adapters.guide_pages.parse_document` with ``doc_id = record.id``,
``url = final_url`` and ``source = "snapshot"``.

This module only reads the folder (the offline ingest path); :mod:`ingest.crawl.store` writes it
and :mod:`ingest.crawl` fills it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from core.errors import GovsearchError

MANIFEST = "manifest.jsonl"
PAGES = "pages"
STATES = ("new", "changed", "unchanged", "gone", "failed", "skipped", "redirect")
USABLE_STATES = ("new", "changed", "unchanged", "failed", "skipped")  # when a file is present



class SnapshotError(GovsearchError):
    """A snapshot folder is missing or its manifest cannot be read."""

    hint = "crawl into it first with `govsearch crawl --urls FILE --out DIR`"


@dataclass(frozen=True)
class PageRecord:
    id: str
    url: str
    final_url: str | None = None
    status: int | None = None
    state: str = "new"
    fetched_at: str | None = None
    changed_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    encoding: str | None = None
    content_type: str | None = None
    file: str | None = None
    error: str | None = None
    alias_of: str | None = None
    root: Path | None = None  # the snapshot folder (not written to the manifest)

    @property
    def path(self) -> Path | None:
        """Absolute path of the stored page, or None."""
        if self.file is None or self.root is None:
            return None
        return self.root / self.file

    @property
    def usable(self) -> bool:
        return self.file is not None and self.state in USABLE_STATES

    def read(self) -> str:
        """The stored page text (UTF-8)."""
        if self.path is None:
            raise SnapshotError(f"{self.url}: no stored page (state {self.state})")
        return self.path.read_text(encoding="utf-8")

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("root")
        return d

    def evolve(self, **changes) -> "PageRecord":
        return replace(self, **changes)


_FIELDS = {f.name for f in fields(PageRecord)} - {"root"}


def read_manifest(root: Path) -> dict[str, PageRecord]:
    """Records of a snapshot folder keyed by id; an absent manifest is an empty snapshot.

    A line that is not a valid record raises :class:`SnapshotError` naming the line: a crawl must
    never silently drop what an earlier crawl stored.
    """
    path = Path(root) / MANIFEST
    records: dict[str, PageRecord] = {}
    if not path.exists():
        return records
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                rec = PageRecord(**{k: v for k, v in data.items() if k in _FIELDS}, root=Path(root))
            except (json.JSONDecodeError, TypeError) as e:
                raise SnapshotError(f"{path}:{n}: not a manifest record ({e})",
                                    hint="repair or remove that line; the page files are untouched") from None
            records[rec.id] = rec
    return records


def load_snapshot(root: Path | str, include_gone: bool = False) -> list[PageRecord]:
    """The pages of a snapshot folder for ingestion, sorted by id.

    Returns the records with a usable stored page (``record.read()`` gives its UTF-8 text,
    ``record.id`` is the document id, ``record.final_url`` the URL to cite). With
    ``include_gone=True`` the ``gone`` records (404/410, no file) are included too, so an
    incremental ingestion can drop their ids. Raises :class:`SnapshotError` if ``root`` has no
    manifest.
    """
    root = Path(root)
    if not (root / MANIFEST).exists():
        raise SnapshotError(f"no snapshot at {root} ({MANIFEST} missing)")
    out = []
    for rec in read_manifest(root).values():
        if rec.usable and rec.path is not None and rec.path.exists():
            out.append(rec)
        elif include_gone and rec.state == "gone":
            out.append(rec)
    return sorted(out, key=lambda r: r.id)


def load(root: Path | str, source: str = "snapshot"):
    """Source adapter over a snapshot folder: ``SourceResult`` of one Document per usable page.

    Pages are parsed by :func:`ingest.adapters.guide_pages.parse_document` (service guides,
    一件事 bundles and policy notices; site chrome dropped). The document id is the record id
    (stable across crawls), ``url`` the final URL after redirects (a URL the page states about
    itself wins). A page that cannot be parsed is a problem, never an exception; a missing
    manifest is one problem.
    """
    from ingest.adapters import Problem, SourceResult
    from ingest.adapters.guide_pages import parse_document
    from ingest.html import PageError

    result = SourceResult()
    try:
        records = load_snapshot(root)
    except SnapshotError as e:
        result.records = 1
        result.problems.append(Problem(str(Path(root) / MANIFEST), str(e)))
        return result
    for rec in records:
        result.records += 1
        where = str(rec.path)
        try:
            doc = parse_document(rec.read(), rec.path, doc_id=rec.id)
        except OSError as e:
            result.problems.append(Problem(where, f"cannot read: {e.strerror or e}"))
            continue
        except PageError as e:
            result.problems.append(Problem(where, str(e).split(": ", 1)[-1]))
            continue
        result.documents.append(doc.model_copy(update={"source": source, "url": doc.url or rec.final_url or rec.url}))
    return result


__all__ = [
    "PageRecord", "SnapshotError", "read_manifest", "load_snapshot", "load", "MANIFEST", "PAGES", "STATES",
]
