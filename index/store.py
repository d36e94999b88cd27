"""A build folder and its index folder: plain files plus manifests. Never a pickle.

Build folder ``build/NAME/``: ``docs.jsonl``, ``chunks.jsonl`` and ``report.json``, written by ingest;
``report.json`` is written last and seals the pair (its ``corpus_version.corpus_hash`` is the sha1 of
``docs.jsonl`` then ``chunks.jsonl``), so a pair left by an interrupted ingest is refused
(:class:`~core.errors.BuildIncomplete`) — by ``govsearch index`` and by every loader — never indexed or
served.

Index folder ``build/NAME/index``: a symlink to a version folder ``build/NAME/.index-<stamp>`` that
holds ``manifest.json``, ``dictionary.txt``, ``chunk_ids.json``, ``bm25/`` and, with an encoder,
``vectors.npy`` / ``dense.faiss`` / the window files, plus a copy of the ``docs.jsonl`` and ``chunks.jsonl``
it was built from. A version folder is complete
before the symlink is switched to it (one atomic rename), and it is self-contained: what is served
never depends on files a later ingest rewrites. A crash leaves the previous index in place; the next
build removes the leftovers. One ingest or index runs per build folder at a time (:func:`build_lock`).
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

from core.build import (CHUNKS, DOCS, REPORT, BuildBusy, build_files, build_lock, corpus_hash, corpus_version,  # noqa: F401
                        files_hash, fsync_dir, read_build, read_jsonl, read_report, regular_file, seal, sha1_file,
                        verify_build, write_json)
from core.errors import BuildNotFound, IndexCorrupt, IndexNotFound
from core.records import Chunk, Document  # noqa: F401 - read_jsonl models

INDEX_VERSION = 1
INDEX_DIR = "index"
VERSION_PREFIX = ".index-"
MANIFEST = "manifest.json"
DICTIONARY = "dictionary.txt"
CHUNK_IDS = "chunk_ids.json"
BM25_DIR = "bm25"
VECTORS = "vectors.npy"
FAISS = "dense.faiss"
WINDOW_VECTORS = "window_vectors.npy"  # sentence windows of FAQ answers (index.passages.WINDOWS)
WINDOW_ROWS = "window_rows.npy"  # the chunk row of each window vector
CORPUS_FILES = (DOCS, CHUNKS)  # copied into the index folder; checked by corpus_hash, not by `files`


# --- the index folder ----------------------------------------------------------------------


def index_dir(build_dir: Path) -> Path:
    """``build/NAME/index`` (a symlink to the current version folder, or a plain folder of an older build)."""
    return Path(build_dir) / INDEX_DIR


def new_temp_dir(build_dir: Path) -> Path:
    """A new version folder to build into; published by :func:`commit_dir`."""
    tmp = Path(build_dir) / f"{VERSION_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    return tmp


def copy_corpus(build_dir: Path, folder: Path) -> None:
    """Copy the build's docs.jsonl and chunks.jsonl into an index version folder. Copies, not hard links:
    a file edited in place in the build folder must not change what the index serves (28 MB for all of
    ../shared/data, well under a second)."""
    for name in CORPUS_FILES:
        shutil.copyfile(Path(build_dir) / name, Path(folder) / name)


def _fsync_tree(folder: Path) -> None:
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not p.is_symlink():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    for p in [Path(folder)] + [d for d in Path(folder).rglob("*") if d.is_dir()]:
        fsync_dir(p)


def _readable_tree(folder: Path) -> None:
    """Folders 0755 and files 0644 whatever the umask of the process that wrote them: a server running as
    another user must be able to read the index."""
    for p in [Path(folder), *Path(folder).rglob("*")]:
        if not p.is_symlink():
            os.chmod(p, 0o755 if p.is_dir() else 0o644)


def commit_dir(tmp: Path, build_dir: Path) -> Path:
    """Publish a finished version folder: fsync it, then switch the ``index`` symlink to it in one rename.
    An older build's plain ``index`` folder is moved aside first (once). Leftovers are then removed."""
    build_dir = Path(build_dir)
    _readable_tree(tmp)
    _fsync_tree(tmp)
    final = index_dir(build_dir)
    if final.exists() and not final.is_symlink():
        os.replace(final, build_dir / f"{VERSION_PREFIX}legacy-{uuid.uuid4().hex[:8]}")
    link = build_dir / f".index-link-{uuid.uuid4().hex[:8]}"
    os.symlink(Path(tmp).name, link)
    os.replace(link, final)
    fsync_dir(build_dir)
    cleanup(build_dir)
    return final


def current_version(build_dir: Path) -> Path | None:
    final = index_dir(build_dir)
    if final.is_symlink():
        return (Path(build_dir) / os.readlink(final)).resolve()
    return final.resolve() if final.is_dir() else None


def cleanup(build_dir: Path) -> list[str]:
    """Remove what interrupted or superseded builds left in the build folder: version folders the
    ``index`` symlink does not point to, stray symlinks and temp files. Call it holding the build lock."""
    build_dir = Path(build_dir)
    keep = current_version(build_dir)
    removed = []
    for p in build_dir.iterdir():
        name = p.name
        stale = (name.startswith(VERSION_PREFIX) or name.startswith(".index.tmp-") or name.startswith(".index.old-")
                 or name.startswith(".index-link-") or (name.startswith(".") and name.endswith(".tmp")))
        if not stale or (keep is not None and p.resolve() == keep and not p.is_symlink()):
            continue
        if p.is_symlink() or p.is_file():
            p.unlink(missing_ok=True)
        else:
            shutil.rmtree(p, ignore_errors=True)
        removed.append(name)
    return removed


def required_files(manifest: dict) -> list[str]:
    files = [MANIFEST, DICTIONARY, CHUNK_IDS] + [f"{BM25_DIR}/{f}" for f in manifest.get("bm25_files", [])]
    if manifest.get("corpus_in_index"):
        files += list(CORPUS_FILES)
    if manifest.get("encoder", "none") != "none" and manifest.get("backend", "local") == "local":
        files += [VECTORS, FAISS]
        if manifest.get("windows"):
            files += [WINDOW_VECTORS, WINDOW_ROWS]
    return files


def file_digests(folder: Path) -> dict[str, dict]:
    """``{relative path: {"bytes", "sha1"}}`` of every file in an index folder but the manifest and the
    corpus files (those are checked by the corpus hash)."""
    folder = Path(folder)
    skip = {MANIFEST, *CORPUS_FILES}
    return {p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha1": sha1_file(p)}
            for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).as_posix() not in skip}


def _what(name: str) -> str:
    """What an index file holds, for error messages."""
    if name.startswith(BM25_DIR + "/"):
        return "the BM25 index"
    return {DICTIONARY: "the tokenizer dictionary", CHUNK_IDS: "the chunk ids", VECTORS: "the dense vectors",
            FAISS: "the faiss index", WINDOW_VECTORS: "the sentence-window vectors",
            WINDOW_ROWS: "the sentence-window rows"}.get(name, "the index")


def verify_files(folder: Path, manifest: dict) -> None:
    """Check every index file against the size and sha1 the manifest recorded at build time, so
    a file damaged or replaced in place (same size, still a valid array) is refused, not served.
    ~0.1 s for the full real-data index. Manifests without ``files`` (older builds) are not checked."""
    folder = Path(folder)
    for name, want in (manifest.get("files") or {}).items():
        p = folder / name
        if not p.is_file():
            raise IndexCorrupt(f"index folder {folder} lacks {name} ({_what(name)})")
        size = p.stat().st_size
        if size != want.get("bytes"):
            raise IndexCorrupt(f"{p} ({_what(name)}) has {size} bytes; the manifest recorded {want.get('bytes')}")
        if sha1_file(p) != want.get("sha1"):
            raise IndexCorrupt(f"{p} ({_what(name)}) differs from the file the index was built with "
                               "(sha1 mismatch)")


def corpus_dir(build_dir: Path, manifest: dict) -> Path:
    """Where the index's documents and chunks are read from: its own copy (current builds) or the build folder."""
    return index_dir(build_dir) if manifest.get("corpus_in_index") else Path(build_dir)


def read_manifest(build_dir: Path) -> dict:
    """The manifest, after checking the folder is complete; raises IndexNotFound / IndexCorrupt."""
    build_dir = Path(build_dir)
    folder = index_dir(build_dir)
    if not folder.exists():
        if not (build_dir / DOCS).exists():
            build_files(build_dir)  # BuildNotFound: say that first
        raise IndexNotFound(f"no index in {folder}")
    mpath = folder / MANIFEST
    if not mpath.exists():
        raise IndexCorrupt(f"{mpath} is missing: the index folder is incomplete")
    try:
        manifest = json.loads(regular_file(mpath, "the index manifest").read_text(encoding="utf-8"))
    except ValueError as e:
        raise IndexCorrupt(f"{mpath} is not valid JSON: {e}") from e
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"{mpath} is not a JSON object")
    for key in ("version", "encoder", "corpus_hash", "documents", "chunks", "dictionary_hash"):
        if key not in manifest:
            raise IndexCorrupt(f"{mpath} lacks {key!r}")
    if manifest["version"] != INDEX_VERSION:
        raise IndexCorrupt(f"index version {manifest['version']} (this govsearch reads {INDEX_VERSION})")
    if not manifest.get("corpus_in_index"):
        build_files(build_dir)
    missing = [f for f in required_files(manifest) if not (folder / f).exists()]
    if missing:
        raise IndexCorrupt(f"index folder {folder} lacks {', '.join(missing)}")
    return manifest
