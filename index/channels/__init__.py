"""The retrieval channels of the in-process backend, one module each: :mod:`.bm25` (bm25s over
tokens) and :mod:`.dense` (encoder vectors in faiss, with sentence windows). A channel scores chunk
rows; it knows nothing of documents, fusion or hits (see :mod:`index.retrieve`)."""
from __future__ import annotations

import numpy as np


def top_rows(scores: np.ndarray, n: int, positive: bool = True, mask: np.ndarray | None = None) -> list[int]:
    """Rows of the ``n`` best scores (best first; ties by row), skipping masked rows and, with
    ``positive``, rows scoring 0 or less (BM25: no query term)."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    cand = np.flatnonzero(scores > 0) if positive else np.flatnonzero(np.isfinite(scores))
    if len(cand) > n:
        part = np.argpartition(-scores[cand], n - 1)[:n]
        cand = cand[part]
    return [int(r) for r in cand[np.lexsort((cand, -scores[cand]))]]
