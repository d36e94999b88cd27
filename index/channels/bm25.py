"""BM25 over chunks, with bm25s (numpy backend; numba is neither needed nor wanted).

``build_bm25(tokens)`` returns a :class:`bm25s.BM25`; ``bm25_scores(model, query_tokens)``
the score of every chunk (higher is better, 0 where no query term occurs). The index
is saved with bm25s's own ``save`` (npy arrays + json vocabulary, ``allow_pickle=False``).

``okapi_idf`` rescales a built index to rank-bm25's Okapi idf (``log((N-df+.5)/(df+.5))``
with negative values floored at ``epsilon * mean idf``) so that the scores equal
rank-bm25's ``BM25Okapi`` exactly (the parity test builds with ``method="atire"``,
whose term-frequency part is rank-bm25's).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from index.channels import top_rows

FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "vocab.index.json",
         "params.index.json")


def _bm25s():
    import bm25s

    return bm25s


def build_bm25(corpus_tokens: list[list[str]], k1: float = 1.2, b: float = 0.75, method: str = "lucene",
               idf_method: str | None = None):
    """A bm25s index over pre-tokenized chunks (one token list per chunk, in chunk order)."""
    bm25s = _bm25s()
    model = bm25s.BM25(k1=k1, b=b, method=method, idf_method=idf_method, backend="numpy", csc_backend="numpy")
    # an empty chunk still needs a row; bm25s wants at least one token overall
    model.index([list(t) for t in corpus_tokens], show_progress=False)
    return model


def okapi_idf(model, epsilon: float = 0.25) -> None:
    """Rescale the index in place so every term's idf is rank-bm25's Okapi idf."""
    sc = model.scores
    n = sc["num_docs"]
    indptr = np.asarray(sc["indptr"])
    df = np.diff(indptr).astype(np.float64)
    old = _idf_array(model.idf_method, df, n)
    okapi = np.log(n - df + 0.5) - np.log(df + 0.5)
    valid = df > 0
    avg = okapi[valid].sum() / max(int(valid.sum()), 1)
    okapi = np.where(okapi < 0, epsilon * avg, okapi)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(old != 0, okapi / old, 0.0)
    sc["data"] = (np.asarray(sc["data"], dtype=np.float64) * np.repeat(factor, df.astype(np.int64))).astype(
        sc["data"].dtype)


def _idf_array(method: str, df: np.ndarray, n: int) -> np.ndarray:
    from bm25s import scoring

    fn = scoring._select_idf_scorer(method)
    return np.array([fn(int(x), N=n) if x > 0 else 0.0 for x in df], dtype=np.float64)


def bm25_scores(model, query_tokens: list[str]) -> np.ndarray:
    """Score of every indexed chunk for the query (float32, 0 where nothing matches)."""
    ids = model.get_tokens_ids([t for t in query_tokens if t])
    n = model.scores["num_docs"]
    if not ids:
        return np.zeros(n, dtype=np.float32)
    return np.asarray(model.get_scores_from_ids(ids), dtype=np.float32)


def save_bm25(model, folder: Path) -> None:
    model.save(str(folder), allow_pickle=False, show_progress=False)


def load_bm25(folder: Path):
    return _bm25s().BM25.load(str(folder), allow_pickle=False, mmap=False)


def idf_of(model, token: str) -> float:
    """The idf of one token (for diagnostics)."""
    tid = model.vocab_dict.get(token)
    if tid is None:
        return 0.0
    indptr = model.scores["indptr"]
    df = int(indptr[tid + 1] - indptr[tid])
    return math.log(1 + (model.scores["num_docs"] - df + 0.5) / (df + 0.5)) if df else 0.0


class Bm25Channel:
    """The BM25 channel of a loaded index: scores every chunk row for a query's tokens."""

    name = "bm25"

    def __init__(self, model):
        self.model = model
        self.rows = int(model.scores["num_docs"])
        self._idf: np.ndarray | None = None

    def idf_mass(self, tokens: list[str]) -> float:
        """The most a row can score for ``tokens``: per token (as often as it occurs, the way the scores
        count it) its idf × (k1 + 1), the limit of BM25's term part; a token the index has never seen
        counts as the rarest possible (df 0): a query word no chunk holds lowers every row's share.
        ``score / idf_mass`` is in [0, 1] and comparable across queries."""
        n = self.rows
        if self._idf is None:
            df = np.diff(np.asarray(self.model.scores["indptr"])).astype(np.float64)
            self._idf = np.log1p((n - df + 0.5) / (df + 0.5))
        rare = math.log1p((n + 0.5) / 0.5)
        vocab = self.model.vocab_dict
        k1 = float(getattr(self.model, "k1", 1.2))
        return sum(float(self._idf[vocab[t]]) if t in vocab else rare for t in tokens if t) * (k1 + 1)

    def scores(self, tokens: list[str], mask: np.ndarray | None = None) -> np.ndarray:
        s = bm25_scores(self.model, tokens)
        if mask is not None:
            s = np.where(mask, s, 0.0).astype(np.float32)
        return s

    def top(self, tokens: list[str], n: int, mask: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
        """The ``n`` best rows with a positive score (best first) and the score of every row."""
        s = self.scores(tokens, mask)
        return top_rows(s, n), s
