"""The index folder ``build/NAME/index/``: plain files plus ``manifest.json``. Never a pickle.

Files: ``manifest.json``, ``dictionary.txt`` (the tokenizer's domain words),
``chunk_ids.json`` (row → chunk id), ``bm25/`` (bm25s: npy arrays + json vocabulary) and,
with an encoder, ``vectors.npy`` (float32, L2-normalised rows) and ``dense.faiss``
(``IndexFlatIP``). The folder is written to a temp folder beside it and renamed into
place, so a crash leaves the previous index intact.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

from core.errors import BuildNotFound, IndexCorrupt, IndexNotFound
from core.records import Chunk, Document

INDEX_VERSION = 1
INDEX_DIR = "index"
MANIFEST = "manifest.json"
DICTIONARY = "dictionary.txt"
CHUNK_IDS = "chunk_ids.json"
BM25_DIR = "bm25"
VECTORS = "vectors.npy"
FAISS = "dense.faiss"
WINDOW_VECTORS = "window_vectors.npy"  # sentence windows of FAQ answers (index.WINDOWS)
WINDOW_ROWS = "window_rows.npy"  # the chunk row of each window vector


def build_files(build_dir: Path) -> tuple[Path, Path]:
    build_dir = Path(build_dir)
    docs, chunks = build_dir / "docs.jsonl", build_dir / "chunks.jsonl"
    if not docs.exists() or not chunks.exists():
        raise BuildNotFound(f"no build folder at {build_dir} (docs.jsonl and chunks.jsonl expected)")
    return docs, chunks


def corpus_hash(build_dir: Path) -> str:
    """sha1 over docs.jsonl then chunks.jsonl (bytes)."""
    h = hashlib.sha1()
    for p in build_files(build_dir):
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def corpus_version(build_dir: Path, chash: str | None = None) -> dict:
    """The build's corpus version ``{"number", "corpus_hash"}`` from its ``report.json`` (written by
    ingest); ``number`` is None when the report has none or describes other files than these."""
    chash = chash or corpus_hash(build_dir)
    try:
        v = json.loads((Path(build_dir) / "report.json").read_text(encoding="utf-8")).get("corpus_version")
    except (OSError, ValueError, AttributeError):
        v = None
    if isinstance(v, dict) and v.get("corpus_hash") == chash:
        return {"number": v.get("number"), "corpus_hash": chash}
    return {"number": None, "corpus_hash": chash}


def read_build(build_dir: Path) -> tuple[list[Document], list[Chunk]]:
    """Documents and chunks of a build folder; a malformed line raises IndexCorrupt-free BuildNotFound."""
    docs_path, chunks_path = build_files(build_dir)
    docs = _read_jsonl(docs_path, Document)
    chunks = _read_jsonl(chunks_path, Chunk)
    return docs, chunks


def _read_jsonl(path: Path, model):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(model.model_validate_json(line))
            except ValueError as e:
                raise BuildNotFound(f"{path}:{n} is not a valid {model.__name__} record: {str(e)[:200]}",
                                    hint="re-run `govsearch ingest` to rewrite the build folder") from e
    return out


def index_dir(build_dir: Path) -> Path:
    return Path(build_dir) / INDEX_DIR


def new_temp_dir(build_dir: Path) -> Path:
    tmp = Path(build_dir) / f".{INDEX_DIR}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    return tmp


def commit_dir(tmp: Path, build_dir: Path) -> Path:
    """Move a finished temp folder into place as ``build_dir/index`` (old one removed)."""
    final = index_dir(build_dir)
    old = None
    if final.exists():
        old = Path(build_dir) / f".{INDEX_DIR}.old-{uuid.uuid4().hex[:8]}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final


def write_json(path: Path, obj) -> None:
    Path(path).write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")


def required_files(manifest: dict) -> list[str]:
    files = [MANIFEST, DICTIONARY, CHUNK_IDS] + [f"{BM25_DIR}/{f}" for f in manifest.get("bm25_files", [])]
    if manifest.get("encoder", "none") != "none":
        files += [VECTORS, FAISS]
        if manifest.get("windows"):
            files += [WINDOW_VECTORS, WINDOW_ROWS]
    return files


def _sha1_file(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digests(folder: Path) -> dict[str, dict]:
    """``{relative path: {"bytes", "sha1"}}`` of every file in an index folder but the manifest."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha1": _sha1_file(p)}
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def _what(name: str) -> str:
    """What an index file holds, for error messages."""
    if name.startswith(BM25_DIR + "/"):
        return "the BM25 index"
    return {DICTIONARY: "the tokenizer dictionary", CHUNK_IDS: "the chunk ids", VECTORS: "the dense vectors",
            FAISS: "the faiss index", WINDOW_VECTORS: "the sentence-window vectors",
            WINDOW_ROWS: "the sentence-window rows"}.get(name, "the index")


def verify_files(build_dir: Path, manifest: dict) -> None:
    """Check every index file against the size and sha1 the manifest recorded at build time, so
    a file damaged or replaced in place (same size, still a valid array) is refused, not served.
    ~0.1 s for the full real-data index. Manifests without ``files`` (older builds) are not checked."""
    folder = index_dir(build_dir)
    for name, want in (manifest.get("files") or {}).items():
        p = folder / name
        if not p.is_file():
            raise IndexCorrupt(f"index folder {folder} lacks {name} ({_what(name)})")
        size = p.stat().st_size
        if size != want.get("bytes"):
            raise IndexCorrupt(f"{p} ({_what(name)}) has {size} bytes; the manifest recorded {want.get('bytes')}")
        if _sha1_file(p) != want.get("sha1"):
            raise IndexCorrupt(f"{p} ({_what(name)}) differs from the file the index was built with "
                               "(sha1 mismatch)")


def read_manifest(build_dir: Path) -> dict:
    """The manifest, after checking the folder is complete; raises IndexNotFound / IndexCorrupt."""
    build_files(build_dir)
    folder = index_dir(build_dir)
    if not folder.exists():
        raise IndexNotFound(f"no index in {folder}")
    mpath = folder / MANIFEST
    if not mpath.exists():
        raise IndexCorrupt(f"{mpath} is missing: the index folder is incomplete")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except ValueError as e:
        raise IndexCorrupt(f"{mpath} is not valid JSON: {e}") from e
    for key in ("version", "encoder", "corpus_hash", "documents", "chunks", "dictionary_hash"):
        if key not in manifest:
            raise IndexCorrupt(f"{mpath} lacks {key!r}")
    if manifest["version"] != INDEX_VERSION:
        raise IndexCorrupt(f"index version {manifest['version']} (this govsearch reads {INDEX_VERSION})")
    missing = [f for f in required_files(manifest) if not (folder / f).exists()]
    if missing:
        raise IndexCorrupt(f"index folder {folder} lacks {', '.join(missing)}")
    return manifest
