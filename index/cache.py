"""Embedding cache keyed by (encoder name, sha1 of the passage text). Plain files, never pickle.

Layout: ``CACHE/<encoder slug>/meta.json`` ({encoder, dim}) and shards
``shard-<stamp>.npy`` (float32 rows) + ``shard-<stamp>.json`` (the sha1 keys of the rows,
in order). A shard is written every few hundred new vectors while encoding, so an
interrupted build keeps what it already paid for; shards are only ever added, each one
written to a temp name and renamed, so a crash never leaves a half shard behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from pathlib import Path

import numpy as np


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

    def _scan(self) -> None:
        if not self.folder.exists():
            return
        meta = self.folder / "meta.json"
        if meta.exists():
            m = json.loads(meta.read_text())
            if int(m.get("dim", self.dim)) != self.dim:
                raise ValueError(f"embedding cache {self.folder} holds dim {m.get('dim')}, encoder gives {self.dim}")
        for keys_path in sorted(self.folder.glob("shard-*.json")):
            npy = keys_path.with_suffix(".npy")
            if not npy.exists():
                continue
            try:
                keys = json.loads(keys_path.read_text())
            except ValueError:
                continue  # unreadable key list: ignore the shard, its vectors get recomputed
            no = len(self._shards)
            self._shards.append(npy)
            for row, k in enumerate(keys):
                self._where[k] = (no, row)

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
            meta.write_text(json.dumps({"encoder": self.encoder_name, "dim": self.dim}))
        stem = f"shard-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        npy, js = self.folder / f"{stem}.npy", self.folder / f"{stem}.json"
        tmp_npy, tmp_js = self.folder / f".{stem}.npy.tmp", self.folder / f".{stem}.json.tmp"
        with open(tmp_npy, "wb") as f:
            np.save(f, vectors, allow_pickle=False)
        tmp_js.write_text(json.dumps(list(keys)))
        os.replace(tmp_npy, npy)  # the .npy first: a shard counts only once its key list exists
        os.replace(tmp_js, js)
        no = len(self._shards)
        self._shards.append(npy)
        self._arrays[no] = vectors
        for row, k in enumerate(keys):
            self._where[k] = (no, row)


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
