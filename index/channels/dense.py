"""The dense channel: L2-normalised passage vectors searched by inner product (faiss ``IndexFlatIP``),
plus the sentence windows of FAQ answers (:data:`index.passages.WINDOWS`): a chunk with windows scores
``blend × cos(chunk) + (1 − blend) × max cos(window)``.

Unfiltered searches run faiss over the chunks and over the windows, then score the union of both
candidate sets exactly; a filtered search scores every row with numpy and keeps the allowed ones.
"""
from __future__ import annotations

import numpy as np

from index.channels import top_rows


def faiss_module():
    try:
        import faiss
    except ImportError as e:  # pragma: no cover - faiss-cpu is a core dependency
        raise ImportError(f"the dense index needs faiss: pip install faiss-cpu ({e})") from e
    return faiss


def flat_index(vectors: np.ndarray):
    """An exact inner-product faiss index over ``vectors``."""
    fi = faiss_module().IndexFlatIP(int(vectors.shape[1]))
    fi.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return fi


class DenseChannel:
    name = "dense"

    def __init__(self, vectors: np.ndarray, faiss_index=None, windows: tuple[np.ndarray, np.ndarray] | None = None,
                 blend: float = 0.5):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.faiss = faiss_index if faiss_index is not None else flat_index(self.vectors)
        self.blend = float(blend)
        self.win_vectors = self.win_rows = self.win_faiss = None
        if windows is not None and len(windows[1]):
            self.win_vectors = np.ascontiguousarray(windows[0], dtype=np.float32)
            self.win_rows = np.asarray(windows[1], dtype=np.int64)
            self.win_faiss = flat_index(self.win_vectors)
            # each chunk's windows, CSR-style: windows win_order[win_ptr[r]:win_ptr[r + 1]] belong to row r,
            # so scoring a few rows touches only their windows, not every window of the index
            self.win_order = np.argsort(self.win_rows, kind="stable")
            counts = np.bincount(self.win_rows, minlength=len(self.vectors))
            self.win_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def scores(self, qv: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Dense scores of chunk ``rows`` (all chunks when None), in that order: the cosine, blended
        with the best sentence window's where the chunk has windows."""
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64)
            if not len(rows):
                return np.zeros(0, dtype=np.float32)
            rows, back = np.unique(rows, return_inverse=True)  # sorted, so windows map by searchsorted
        scores = (self.vectors if rows is None else self.vectors[rows]) @ qv
        if self.win_rows is not None:
            if rows is None:
                wins, pos = slice(None), self.win_rows
            else:
                starts, lengths = self.win_ptr[rows], self.win_ptr[rows + 1] - self.win_ptr[rows]
                pos = np.repeat(np.arange(len(rows)), lengths)
                offsets = np.arange(len(pos)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
                wins = self.win_order[np.repeat(starts, lengths) + offsets]
            best = np.full(len(scores), -np.inf, dtype=np.float32)
            np.maximum.at(best, pos, self.win_vectors[wins] @ qv)
            b = self.blend
            scores = np.where(np.isfinite(best), b * scores + (1 - b) * best, scores)
        return scores if rows is None else scores[back]

    def nearest(self, qv: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """One faiss search over the chunk vectors: (scores, rows) of the ``k`` nearest (the floor of a
        dense query, measured by the bench)."""
        d, i = self.faiss.search(np.ascontiguousarray(qv, dtype=np.float32)[None, :], min(k, self.faiss.ntotal))
        return d[0], i[0]

    def top(self, qv: np.ndarray, n: int, mask: np.ndarray | None = None) -> tuple[list[int], dict[int, float]]:
        """The ``n`` best rows (best first) and their scores."""
        qv = np.ascontiguousarray(qv, dtype=np.float32)
        if mask is None:
            d, i = self.nearest(qv, n)
            rows = [int(r) for r in i if r >= 0]
            if self.win_faiss is None:
                return rows, {r: float(s) for r, s in zip(rows, d)}
            # candidates: the best chunks and the chunks of the best windows, then scored exactly
            _, wi = self.win_faiss.search(qv[None, :], min(n, self.win_faiss.ntotal))
            cand = np.fromiter(set(rows) | {int(self.win_rows[w]) for w in wi[0] if w >= 0}, dtype=np.int64)
            sc = self.scores(qv, cand)
            order = np.lexsort((cand, -sc))[:n]
            return [int(cand[j]) for j in order], {int(cand[j]): float(sc[j]) for j in order}
        # a filtered query: cosines of every row (one product), sentence windows only for the rows it may
        # return that have any (a kind filter often keeps none of the FAQ answers that carry windows)
        scores = self.vectors @ qv
        if self.win_rows is not None:
            keep = np.flatnonzero(mask)
            keep = keep[self.win_ptr[keep + 1] > self.win_ptr[keep]]
            if len(keep):
                scores[keep] = self.scores(qv, keep)
        rows = top_rows(scores, n, positive=False, mask=mask)
        return rows, {r: float(scores[r]) for r in rows}
