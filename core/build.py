"""The build folder ``build/NAME/``: the contract between ingest (which writes it) and the index (which
reads it) — ``docs.jsonl``, ``chunks.jsonl`` and ``report.json``.

``report.json`` is written last and seals the pair: its ``corpus_version.corpus_hash`` is the sha1 of
``docs.jsonl`` then ``chunks.jsonl``. Each file is written to a temp name, fsynced and renamed, but two
renames are not one, so a reader checks the seal (:func:`verify_build`) and refuses a pair an interrupted
ingest left (:class:`~core.errors.BuildIncomplete`). One ingest or index writes a build folder at a time
(:func:`build_lock`, released by the OS when the process dies).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable

from core.errors import BuildIncomplete, BuildNotFound, GovsearchError, IndexCorrupt
from core.records import Chunk, Document

DOCS, CHUNKS, REPORT = "docs.jsonl", "chunks.jsonl", "report.json"
LOCK = ".lock"
FILE_MODE = 0o644  # build files are read by a server that may run as another user


class BuildBusy(GovsearchError):
    """Another ingest or index is writing this build folder."""

    hint = "wait for it to finish (one ingest or index per build folder at a time)"


# --- files -------------------------------------------------------------------------------


def regular_file(path: Path, what: str = "file") -> Path:
    """``path`` if it is a regular file (not a FIFO, device or folder: reading those can block forever)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise BuildNotFound(f"{path} does not exist") from None
    except OSError as e:
        raise BuildNotFound(f"cannot read {path}: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise IndexCorrupt(f"{path} is not a regular file ({what})", hint="rebuild it with govsearch")
    return Path(path)


def sha1_file(path: Path) -> str:
    h = hashlib.sha1()
    with open(regular_file(path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files_hash(paths) -> str:
    """sha1 over the files' bytes, in order."""
    h = hashlib.sha1()
    for p in paths:
        with open(regular_file(p), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Write lines to a temp file beside ``path`` (mode 0644), fsync, rename, fsync the folder: readers
    see the old file or the new one, and a power loss leaves one of them whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line)
                f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json(path: Path, obj) -> None:
    """:func:`write_lines` of one JSON document."""
    write_lines(path, [json.dumps(obj, ensure_ascii=False, indent=1)])


@contextmanager
def build_lock(build_dir: Path):
    """Hold the build folder's lock (one ingest or index at a time); BuildBusy when another holds it.
    The lock is released by the OS when the process dies, so a killed run never blocks the next one."""
    build_dir = Path(build_dir)
    if not build_dir.exists():
        build_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(build_dir, 0o755)  # readable by a server running as another user, whatever the umask
    fd = os.open(build_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildBusy(f"another govsearch ingest or index is running on {build_dir}") from None
        yield
    finally:
        os.close(fd)


def remove_temp_files(build_dir: Path) -> list[str]:
    """Remove the temp files of writes a killed run left (``.NAME.XXXX.tmp``); call it holding the lock."""
    removed = []
    for p in Path(build_dir).glob(".*.tmp"):
        if p.is_file() or p.is_symlink():
            p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed


# --- the build folder (ingest's output) ----------------------------------------------------


def build_files(build_dir: Path) -> tuple[Path, Path]:
    build_dir = Path(build_dir)
    docs, chunks = build_dir / DOCS, build_dir / CHUNKS
    if not docs.exists() or not chunks.exists():
        raise BuildNotFound(f"no build folder at {build_dir} (docs.jsonl and chunks.jsonl expected)")
    return docs, chunks


def corpus_hash(build_dir: Path) -> str:
    """sha1 over docs.jsonl then chunks.jsonl (bytes)."""
    return files_hash(build_files(build_dir))


def read_report(build_dir: Path) -> dict:
    try:
        rep = json.loads(regular_file(Path(build_dir) / REPORT).read_text(encoding="utf-8"))
    except (BuildNotFound, OSError, ValueError):
        return {}
    return rep if isinstance(rep, dict) else {}


def sealed_hash(build_dir: Path) -> str | None:
    """The corpus hash report.json seals, or None."""
    v = read_report(build_dir).get("corpus_version")
    return v.get("corpus_hash") if isinstance(v, dict) and isinstance(v.get("corpus_hash"), str) else None


def verify_build(build_dir: Path) -> str:
    """The build's corpus hash after checking report.json seals exactly these docs.jsonl and chunks.jsonl;
    BuildIncomplete when it does not (an ingest was interrupted between its renames, or a file was
    changed by hand)."""
    chash = corpus_hash(build_dir)
    sealed = sealed_hash(build_dir)
    if sealed is None:
        raise BuildIncomplete(f"{Path(build_dir) / REPORT} is missing or has no corpus hash: the build in "
                              f"{build_dir} was not completed by `govsearch ingest`")
    if sealed != chash:
        raise BuildIncomplete(f"docs.jsonl and chunks.jsonl in {build_dir} are not the pair report.json seals "
                              "(an ingest was interrupted, or a file was changed by hand)")
    return chash


def seal(build_dir: Path, number: int = 1) -> str:
    """Seal a build folder whose docs.jsonl and chunks.jsonl were written by other means than ingest (test
    fixtures, tools): write a minimal report.json naming their hash. Returns the hash."""
    docs, chunks = read_build(build_dir, check=False)
    chash = corpus_hash(build_dir)
    rep = read_report(build_dir) or {"documents": len(docs), "chunks": len(chunks), "sources": {}}
    rep["corpus_version"] = {"number": number, "corpus_hash": chash}
    write_json(Path(build_dir) / REPORT, rep)
    return chash


def corpus_version(build_dir: Path, chash: str | None = None) -> dict:
    """The build's corpus version ``{"number", "corpus_hash"}`` from its ``report.json`` (written by
    ingest); ``number`` is None when the report has none or describes other files than these."""
    chash = chash or corpus_hash(build_dir)
    v = read_report(build_dir).get("corpus_version")
    if isinstance(v, dict) and v.get("corpus_hash") == chash:
        return {"number": v.get("number"), "corpus_hash": chash}
    return {"number": None, "corpus_hash": chash}


def read_build(build_dir: Path, check: bool = True) -> tuple[list[Document], list[Chunk]]:
    """Documents and chunks of a build folder (sealed, see :func:`verify_build`, unless ``check`` is False)."""
    if check:
        verify_build(build_dir)
    docs_path, chunks_path = build_files(build_dir)
    return read_jsonl(docs_path, Document), read_jsonl(chunks_path, Chunk)


def read_jsonl(path: Path, model):
    """Records of a JSON-lines file written by govsearch; a malformed line raises BuildNotFound naming it."""
    out = []
    with open(regular_file(path), "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                out.append(model.model_validate_json(raw))
            except ValueError as e:
                raise BuildNotFound(f"{path}:{n} is not a valid {model.__name__} record: {str(e)[:200]}",
                                    hint="re-run `govsearch ingest` to rewrite the build folder") from e
    return out


