"""Which files a list of paths names, and their document ids.

Each path is a file or a folder (read recursively, in name order). A file's id is its path
relative to the folder given, under that folder's name (``mydocs`` holding ``指南/餐饮.pdf`` →
``mydocs/指南/餐饮.pdf``); a file given by itself has its name as id. Ids are NFC-normalised,
use ``/`` whatever the system, and keep the extension (``a.pdf`` and ``a.docx`` stay apart), so
the same files give the same ids on every run and every machine. A ZIP's members get the ZIP's
id and their path inside it (``mydocs/2024.zip/通知.pdf``).

Nothing is skipped silently: hidden files and folders (``.git``, ``.DS_Store``), broken
symbolic links, symbolic-link loops, a folder or file reached twice (through a link or by
giving it twice), unreadable folders and files over the size budget each come back as a
:class:`Skip` with the reason.
"""
from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

DOCUMENT_TYPES = {".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html", ".pdf": "pdf",
                  ".docx": "docx", ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown"}
RECORD_TYPES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
ARCHIVE_TYPES = {".zip": "zip"}
UNSUPPORTED_HINTS = {
    ".doc": "old Word format; save it as .docx or PDF", ".wps": "WPS format; save it as .docx or PDF",
    ".rtf": "save it as .docx or PDF", ".odt": "save it as .docx or PDF",
    ".xls": "spreadsheets are not read; save the sheet as CSV", ".xlsx": "spreadsheets are not read; save the sheet as CSV",
    ".et": "spreadsheets are not read; save the sheet as CSV",
    ".ppt": "slides are not read; save them as PDF", ".pptx": "slides are not read; save them as PDF",
    ".jpg": "images are not read; put scans in a PDF", ".jpeg": "images are not read; put scans in a PDF",
    ".png": "images are not read; put scans in a PDF", ".tif": "images are not read; put scans in a PDF",
    ".tiff": "images are not read; put scans in a PDF",
}
MAX_DOCUMENT_BYTES = 64 * 2**20  # a PDF / DOCX / page / text file larger than this is skipped
MAX_RECORDS_BYTES = 512 * 2**20  # … a JSONL / JSON / CSV file


def file_type(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    return DOCUMENT_TYPES.get(suffix) or RECORD_TYPES.get(suffix) or ARCHIVE_TYPES.get(suffix)


def size_limit(kind: str) -> int:
    return MAX_RECORDS_BYTES if kind in RECORD_TYPES.values() else MAX_DOCUMENT_BYTES


def make_id(*parts: str) -> str:
    """A document id from path parts: NFC, ``/``-separated, without ``#`` (chunk ids use it)."""
    joined = "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    return unicodedata.normalize("NFC", joined).replace("\\", "/").replace("#", "%23")


@dataclass
class Entry:
    """A file to read: its id, the path reported, its type and how to get its bytes."""

    id: str
    where: str
    type: str
    size: int
    read: Callable[[], bytes]


@dataclass
class Skip:
    """A file or folder not read, and why (``status``: skipped | unsupported)."""

    id: str
    where: str
    why: str
    status: str = "skipped"
    type: str | None = None


def _classify(path: Path, fid: str, where: str, size: int) -> Entry | Skip:
    kind = file_type(path.name)
    if kind is None:
        suffix = path.suffix.lower()
        hint = UNSUPPORTED_HINTS.get(suffix, "not a supported type (HTML, PDF, DOCX, TXT, MD, JSON, JSONL, CSV, ZIP)")
        return Skip(fid, where, f"unsupported type {suffix or '(no extension)'}: {hint}", "unsupported")
    if size > size_limit(kind):
        return Skip(fid, where, f"{size / 2**20:.1f} MiB, over the {size_limit(kind) // 2**20} MiB limit for a "
                                f"{kind} file", "skipped", kind)
    return Entry(fid, where, kind, size, path.read_bytes)


def discover(paths: list[str | Path]) -> Iterator[Entry | Skip]:
    """Every file under ``paths`` as an :class:`Entry` to read or a :class:`Skip` (module docstring)."""
    seen_files: dict[str, str] = {}  # real path → id
    seen_dirs: dict[str, str] = {}
    for given in paths:
        p = Path(given)
        where = str(p)
        if not p.exists() and not p.is_symlink():
            yield Skip(make_id(p.name or where), where, "no such file or folder")
            continue
        if p.is_symlink() and not p.exists():
            yield Skip(make_id(p.name), where, f"broken symbolic link (→ {os.readlink(p)})")
            continue
        if p.is_dir():
            base = p.resolve().name or "root"
            yield from _walk_dir(p, base, seen_files, seen_dirs)
        else:
            yield from _file(p, make_id(p.name), where, seen_files)


def _file(p: Path, fid: str, where: str, seen: dict[str, str]) -> Iterator[Entry | Skip]:
    real = os.path.realpath(p)
    if real in seen:
        yield Skip(fid, where, f"same file as {seen[real]}; read once")
        return
    seen[real] = fid
    try:
        st = p.stat()
    except OSError as e:
        yield Skip(fid, where, f"cannot read: {e.strerror or e}")
        return
    if not stat.S_ISREG(st.st_mode):
        yield Skip(fid, where, "not a regular file (a device, FIFO or socket); not read")
        return
    yield _classify(p, fid, where, st.st_size)


def _walk_dir(top: Path, base: str, seen_files: dict[str, str], seen_dirs: dict[str, str]) -> Iterator[Entry | Skip]:
    real_top = os.path.realpath(top)
    if real_top in seen_dirs:
        yield Skip(make_id(base), str(top), f"folder already read as {seen_dirs[real_top]}")
        return
    seen_dirs[real_top] = make_id(base)
    # a stack of (folder, its id parts, the real paths of the folders above it, this one included)
    stack: list[tuple[Path, tuple[str, ...], tuple[str, ...]]] = [(top, (base,), (real_top,))]
    while stack:
        folder, parts, chain = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            yield Skip(make_id(*parts), str(folder), f"folder cannot be read: {e.strerror or e}")
            continue
        subdirs = []
        for e in entries:
            path = Path(e.path)
            fid = make_id(*parts, e.name)
            if e.name.startswith("."):
                yield Skip(fid, str(path), "hidden " + ("folder" if e.is_dir() else "file") + "; not read")
                continue
            if e.is_symlink():
                target = os.path.realpath(path)
                if not os.path.exists(target):
                    yield Skip(fid, str(path), f"broken symbolic link (→ {os.readlink(path)})")
                    continue
                if os.path.isdir(target):
                    if target in chain:
                        yield Skip(fid, str(path), f"symbolic link loop (→ {target}, a folder above it); not followed")
                        continue
                    if target in seen_dirs:
                        yield Skip(fid, str(path), f"folder already read as {seen_dirs[target]}")
                        continue
            try:
                is_dir = e.is_dir()
            except OSError as err:
                yield Skip(fid, str(path), f"cannot read: {err.strerror or err}")
                continue
            if is_dir:
                real = os.path.realpath(path)
                if real in seen_dirs:
                    yield Skip(fid, str(path), f"folder already read as {seen_dirs[real]}")
                    continue
                seen_dirs[real] = fid
                subdirs.append((path, (*parts, e.name), (*chain, real)))
            else:
                yield from _file(path, fid, str(path), seen_files)
        stack.extend(reversed(subdirs))
