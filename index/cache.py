"""Embedding cache keyed by (encoder name, sha1 of the passage text). Plain files, never pickle.

Layout: ``CACHE/<encoder slug>/meta.json`` ({encoder, dim}) and shards
``shard-<stamp>.npy`` (float32 rows) + ``shard-<stamp>.json`` (the sha1 keys of the rows,
in order). A shard is written every few hundred new vectors while encoding, so an
interrupted build keeps what it already paid for; shards are only ever added, each one
written to a temp name, fsynced and renamed (the .npy first: a shard counts only once its key list
exists), so a crash or a power loss never leaves a half shard behind.

A damaged cache never blocks a build: on opening, every shard is checked (its key list parses, its
array loads with the right shape, dtype and dimension); a shard that fails is moved into
``quarantine/`` with the reason in ``quarantine/why.txt``, and its vectors are simply encoded again.
An unreadable ``meta.json`` is rewritten the same way.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
import uuid
from pathlib import Path

import numpy as np


STALE_TMP_SECONDS = 600  # a temp file this old belongs to no write in flight (another build may share the cache)


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _slug(name: str) -> str:
    short = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-40:].strip("_") or "encoder"
    return f"{short}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"


class EmbeddingCache:
    def __init__(self, cache_dir: Path | str, encoder_name: str, dim: int):
        self.folder = Path(cache_dir) / _slug(encoder_name)
        self.encoder_name = encoder_name
        self.dim = int(dim)
        self._where: dict[str, tuple[int, int]] = {}  # key -> (shard no, row)
        self._shards: list[Path] = []
        self._arrays: dict[int, np.ndarray] = {}
        self._scan()

    def _quarantine(self, paths: list[Path], why: str) -> None:
        q = self.folder / "quarantine"
        q.mkdir(parents=True, exist_ok=True)
        for p in paths:
            if p.exists():
                os.replace(p, q / f"{p.name}.{uuid.uuid4().hex[:6]}")
        with open(q / "why.txt", "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {', '.join(p.name for p in paths)}: {why}\n")
        self.quarantined.append(f"{', '.join(p.name for p in paths)}: {why}")

    def _scan(self) -> None:
        self.quarantined: list[str] = []
        if not self.folder.exists():
            return
        meta = self.folder / "meta.json"
        if meta.exists():
            try:
                m = json.loads(meta.read_text(encoding="utf-8"))
                if not isinstance(m, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as e:
                self._quarantine([meta], f"unreadable meta.json ({e})")
                m = {}
            if int(m.get("dim", self.dim)) != self.dim:
                self._quarantine([meta], f"meta.json says dim {m.get('dim')}, the encoder gives {self.dim}")
            if not meta.exists():  # quarantined: written again at once, not only when something is encoded
                _write_durably(meta, json.dumps({"encoder": self.encoder_name, "dim": self.dim}).encode("utf-8"))
        for p in self.folder.glob(".*.tmp"):  # a write interrupted before its rename (not one in flight)
            try:
                if time.time() - p.stat().st_mtime > STALE_TMP_SECONDS:
                    p.unlink(missing_ok=True)
            except OSError:
                pass
        for keys_path in sorted(self.folder.glob("shard-*.json")):
            npy = keys_path.with_suffix(".npy")
            try:
                keys = json.loads(keys_path.read_text(encoding="utf-8"))
                if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                    raise ValueError("the key list is not a list of strings")
                arr = np.load(npy, mmap_mode="r", allow_pickle=False)
                if arr.dtype != np.float32 or arr.ndim != 2 or arr.shape != (len(keys), self.dim):
                    raise ValueError(f"array {arr.dtype} {arr.shape}, expected float32 ({len(keys)}, {self.dim})")
            except (OSError, ValueError, EOFError) as e:
                self._quarantine([keys_path, npy], f"damaged shard ({type(e).__name__}: {e})")
                continue
            no = len(self._shards)
            self._shards.append(npy)
            self._arrays[no] = arr
            for row, k in enumerate(keys):
                self._where[k] = (no, row)
        for npy in self.folder.glob("shard-*.npy"):  # vectors whose key list never got written
            if not npy.with_suffix(".json").exists() and time.time() - npy.stat().st_mtime > STALE_TMP_SECONDS:
                self._quarantine([npy], "shard without its key list")

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: str) -> bool:
        return key in self._where

    def _array(self, no: int) -> np.ndarray:
        if no not in self._arrays:
            self._arrays[no] = np.load(self._shards[no], mmap_mode="r", allow_pickle=False)
        return self._arrays[no]

    def get(self, keys: list[str]) -> tuple[np.ndarray, list[int]]:
        """Vectors for ``keys`` (zeros where missing) and the positions that were missing."""
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        missing = []
        for i, k in enumerate(keys):
            loc = self._where.get(k)
            if loc is None:
                missing.append(i)
                continue
            arr = self._array(loc[0])
            if arr.shape[1] != self.dim or loc[1] >= arr.shape[0]:
                missing.append(i)
                continue
            out[i] = arr[loc[1]]
        return out, missing

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        assert vectors.shape == (len(keys), self.dim), (vectors.shape, len(keys), self.dim)
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "meta.json"
        if not meta.exists():
            _write_durably(meta, json.dumps({"encoder": self.encoder_name, "dim": self.dim}).encode("utf-8"))
        stem = f"shard-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        npy, js = self.folder / f"{stem}.npy", self.folder / f"{stem}.json"
        buf = io.BytesIO()
        np.save(buf, vectors, allow_pickle=False)
        _write_durably(npy, buf.getvalue())  # the .npy first: a shard counts only once its key list exists
        _write_durably(js, json.dumps(list(keys)).encode("utf-8"))
        no = len(self._shards)
        self._shards.append(npy)
        self._arrays[no] = vectors
        for row, k in enumerate(keys):
            self._where[k] = (no, row)


def _write_durably(path: Path, data: bytes) -> None:
    """Temp file, fsync, rename, fsync the folder: after a crash or power loss the file is whole or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode_cached(encoder, texts: list[str], cache: EmbeddingCache | None, batch_size: int = 32,
                  flush_every: int = 512, progress: bool = True) -> tuple[np.ndarray, int]:
    """Passage vectors for ``texts``, encoding only what the cache lacks.

    Returns (vectors (n, dim) float32, number of passages actually encoded)."""
    keys = [text_key(t) for t in texts]
    if cache is None:
        vectors, missing = np.zeros((len(texts), encoder.dim), np.float32), list(range(len(texts)))
    else:
        vectors, missing = cache.get(keys)
    # the same text twice encodes once
    todo: dict[str, list[int]] = {}
    for i in missing:
        todo.setdefault(keys[i], []).append(i)
    order = list(todo)
    if order:
        from tqdm import tqdm

        bar = tqdm(total=len(order), desc=f"encode ({encoder.name})", unit="passage", disable=not progress)
        pend_keys: list[str] = []
        pend_vecs: list[np.ndarray] = []
        for s in range(0, len(order), batch_size):
            batch = order[s:s + batch_size]
            vecs = encoder.encode_passages([texts[todo[k][0]] for k in batch])
            for k, v in zip(batch, vecs):
                for i in todo[k]:
                    vectors[i] = v
            pend_keys.extend(batch)
            pend_vecs.append(vecs)
            if cache is not None and len(pend_keys) >= flush_every:
                cache.add(pend_keys, np.vstack(pend_vecs))
                pend_keys, pend_vecs = [], []
            bar.update(len(batch))
        if cache is not None and pend_keys:
            cache.add(pend_keys, np.vstack(pend_vecs))
        bar.close()
    return vectors, len(order)
