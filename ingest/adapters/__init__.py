"""Source adapters: one module per source, each with ``load(root: Path) -> SourceResult``.

``root`` is the data folder the adapter reads from (``../shared/data`` for the real
sources, ``corpus/`` for the demo corpus). An adapter parses its files into
:class:`~core.records.Document` records whose ``text`` is structurally extracted
but **not yet cleaned**: the pipeline applies :func:`ingest.clean.clean_document` to
every document, then deduplicates, then chunks.

Contract:
- never raise for a bad record or file: append a :class:`Problem` (``where`` is
  ``"path:line"`` or ``"path"``, ``why`` a short reason) and go on;
- ``records`` counts the input records seen (good and bad), so the pipeline can check
  ``records == documents + skipped + duplicates``; a record the adapter drops is a
  problem, a bad file whose records cannot be counted counts as one record;
- ids are the source's own (see DESIGN.md, "Document ids").

``SOURCES`` registers the adapters the pipeline runs for ``--data`` (every real
source); ``DEMO_SOURCES`` those it runs for the demo corpus; ``SNAPSHOT_SOURCE`` the one it
runs on a crawl snapshot folder (``--snapshot DIR``). Modules are imported
lazily by :func:`load_source`, so a missing module is a problem of that source only.
"""
from __future__ import annotations

import importlib
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from core.records import Document


@dataclass
class Problem:
    where: str  # "path:line" or "path"
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "why": self.why}


@dataclass
class SourceResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    records: int = 0  # input records seen, good and bad
    files: list[dict] | None = None  # own documents (ingest.files): one entry per file, for report["files"]
    reused: int = 0  # own documents taken unchanged from the previous build instead of read again


# (source name, "module:function") for `govsearch ingest --data DIR`.
SOURCES: list[tuple[str, str]] = [
    ("guangdong", "ingest.adapters.guangdong:load"),
    ("guangan", "ingest.adapters.guangan:load"),
    ("beijing_qa", "ingest.adapters.beijing_qa:load"),
    ("govcn", "ingest.adapters.govcn:load"),
    ("guangzhou", "ingest.adapters.guangzhou:load"),
    ("industry", "ingest.adapters.industry:load"),
    ("climate", "ingest.adapters.climate:load"),
    ("seeds", "ingest.adapters.seeds:load"),
]

# For `govsearch ingest --snapshot DIR`: a crawl snapshot folder (see ingest.snapshot); root is DIR.
# Only pages with a usable stored file become documents: pages the crawl found gone (404/410) do not.
SNAPSHOT_SOURCE: tuple[str, str] = ("snapshot", "ingest.snapshot:load")

# For `govsearch ingest` without --data: root is the demo corpus folder (<repo>/corpus).
DEMO_SOURCES: list[tuple[str, str]] = [
    ("demo", "ingest.adapters.guide_pages:load"),
]


def resolve(target: str) -> Callable[[Path], SourceResult]:
    """Import ``"module:function"`` (raises ImportError / AttributeError)."""
    module_name, _, func_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, func_name or "load")


def load_source(name: str, target: str | Callable[[Path], SourceResult], root: Path) -> SourceResult:
    """Run one adapter (``"module:function"`` or the function itself); a missing module or a
    crash becomes a problem of that source."""
    try:
        loader = target if callable(target) else resolve(target)
    except (ImportError, AttributeError) as e:
        return SourceResult(problems=[Problem(where=target, why=f"adapter for {name!r} unavailable: {e}")],
                            records=1)
    try:
        return loader(root)
    except Exception as e:  # an adapter bug must not lose the other sources
        return SourceResult(problems=[Problem(where=str(root), why=f"adapter {name!r} failed: {type(e).__name__}: {e}")],
                            records=1)


def read_text(path: Path) -> tuple[str | None, str | None]:
    """Decode a file: UTF-8 (with or without BOM) first, else charset detection
    (GB18030 / GBK / Big5 …). Returns ``(text, None)``, or ``(None, why)`` when the
    file cannot be read or decoded. Adapters use it for every text file they open.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        return None, f"cannot read: {e.strerror or e}"
    return decode_bytes(raw)


def decode_bytes(raw: bytes) -> tuple[str | None, str | None]:
    """:func:`read_text` for bytes already read."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        return None, "not UTF-8 and no other encoding fits; file skipped"
    enc = best.encoding
    # detection often names a subset (gb2312/gbk); decode with the superset.
    if enc.replace("-", "").lower() in ("gb2312", "gbk", "gb18030", "hz"):
        enc = "gb18030"
    try:
        return raw.decode(enc), None
    except (UnicodeDecodeError, LookupError):
        return str(best), None


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` for problem reports (absolute when outside it)."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


MAX_LINE_BYTES = 8 * 2**20  # a JSONL line longer than this is reported, not parsed


def decode_lines(raw: bytes) -> list[tuple[str | None, str | None]]:
    """The lines of a text file as ``(text, None)`` or ``(None, why)``, split on ``\n`` only.

    Only ``\n`` ends a line (``\r\n`` too, its ``\r`` dropped): U+2028, U+0085 and form feeds
    inside a JSON string stay in their line, so line numbers are an editor's. A UTF-8 file with a
    few undecodable lines keeps the others (those lines come back as ``(None, why)``); a file
    whose lines are mostly not UTF-8 is decoded as a whole by charset detection (GB18030, Big5 …).
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: split after decoding
        text = raw.decode("utf-16", errors="replace")
        return [(x[:-1] if x.endswith("\r") else x, None) for x in text.split("\n")]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    parts = raw.split(b"\n")
    out: list[tuple[str | None, str | None]] = []
    bad = nonblank = 0
    for part in parts:
        if part.endswith(b"\r"):
            part = part[:-1]
        if part.strip():
            nonblank += 1
        try:
            out.append((part.decode("utf-8"), None))
        except UnicodeDecodeError as e:
            bad += 1
            out.append((None, f"not valid UTF-8 (byte {e.start + 1} of the line); record skipped"))
    if bad and bad * 2 >= nonblank:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is not None and best.encoding:
            enc = best.encoding
            if enc.replace("-", "").lower() in ("gb2312", "gbk", "gb18030", "hz"):
                enc = "gb18030"
            text = raw.decode(enc, errors="replace")
            return [(x[:-1] if x.endswith("\r") else x, None) for x in text.split("\n")]
    return out


@contextmanager
def record_guard(result: SourceResult, where: str):
    """Run one record's processing: any exception becomes that record's problem (``where``),
    and the source goes on with the next record."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 — one record's failure, whatever it is, is only that record's
        result.problems.append(Problem(where, f"record failed ({type(e).__name__}: {str(e)[:200]}); skipped"))


def parse_json_line(line: str) -> tuple[object, str | None]:
    """``(value, None)`` or ``(None, why)`` for one JSON text; never raises."""
    if len(line) > MAX_LINE_BYTES:
        return None, f"line of {len(line) / 2**20:.1f} M characters, over the {MAX_LINE_BYTES // 2**20} M limit; record skipped"
    try:
        return json.loads(line), None
    except json.JSONDecodeError as e:
        return None, f"malformed JSON ({e.msg} at column {e.colno}); record skipped"
    except RecursionError:
        return None, "JSON nested too deeply; record skipped"
    except (ValueError, TypeError, MemoryError) as e:
        return None, f"unreadable JSON ({type(e).__name__}: {str(e)[:120]}); record skipped"


def iter_jsonl(path: Path, root: Path, result: SourceResult) -> Iterator[tuple[str, dict]]:
    """Yield ``(where, record)`` for each JSON object line of ``path``.

    Counts every non-blank line in ``result.records``; a malformed line, a line that is not a
    JSON object, one nested too deeply, too long or not decodable becomes a problem
    (``path:line``) and the next line is read; an unreadable file is one problem and one
    record. Lines are split on ``\n`` only (:func:`decode_lines`). Linear in the file size.
    """
    name = rel(path, root)
    if not path.exists():
        result.records += 1
        result.problems.append(Problem(name, "file not found"))
        return
    try:
        raw = path.read_bytes()
    except OSError as e:
        result.records += 1
        result.problems.append(Problem(name, f"cannot read: {e.strerror or e}"))
        return
    for n, (line, why) in enumerate(decode_lines(raw), 1):
        if line is not None and not line.strip():
            continue
        result.records += 1
        where = f"{name}:{n}"
        if line is None:
            result.problems.append(Problem(where, why or "cannot decode"))
            continue
        obj, why = parse_json_line(line)
        if why is not None:
            result.problems.append(Problem(where, why))
            continue
        if not isinstance(obj, dict):
            result.problems.append(Problem(where, f"expected a JSON object, got {type(obj).__name__}; record skipped"))
            continue
        yield where, obj


_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\u2060\ufeff\ufffd]+")


def blank(text: str) -> bool:
    """Whether ``text`` holds nothing a reader could see (spaces, control characters such as NUL, zero-width
    characters, replacement characters): cleaning would leave it empty, so its record is reported where it
    is (file and line), not dropped later by id."""
    return not _INVISIBLE.sub("", text)


def text_value(obj: dict, *keys: str) -> str | None:
    """The first of ``keys`` whose value is a non-blank string (numbers are turned into strings)."""
    for k in keys:
        v = obj.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str) and not blank(v):
            return v.strip()
    return None


__all__ = ["blank", "read_text", "decode_bytes", "rel", "iter_jsonl", "decode_lines", "parse_json_line", "record_guard", "MAX_LINE_BYTES", "text_value", "Problem", "SourceResult", "SOURCES", "DEMO_SOURCES", "SNAPSHOT_SOURCE", "load_source", "resolve"]
