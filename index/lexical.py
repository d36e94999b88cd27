"""BM25 as sparse vectors, for search engines that score sparse vectors by inner product (Milvus).

The score bm25s gives a chunk ``d`` for a query ``q`` (method ``lucene``) is

    Σ_t  count_q(t) · idf(t) · tf_d(t) / (tf_d(t) + k1·(1 − b + b·|d| / avgdl))

so a chunk is stored as its term-frequency parts (the fraction above, per token id) and a query as
``count · idf`` per token id; their inner product is the BM25 score. idf lives in the query only, so
adding or removing documents changes no stored vector but those documents' own; ``avgdl`` is frozen at
the full build and recorded (an incremental update that moves it too far rebuilds).

Token ids come from a :class:`Vocabulary` that only ever grows (ids are positions in a token list saved
with the index), never from a hash: hashing the 216k tokens of the real data to 32 bits collides.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

EMPTY_DIM = 4_294_967_294  # a chunk without tokens (never queried: search engines refuse empty vectors)


class Vocabulary:
    """Token ↔ id, ids assigned in order of first appearance; :meth:`extend` only appends."""

    def __init__(self, tokens: Iterable[str] = ()):
        self.tokens: list[str] = []
        self.ids: dict[str, int] = {}
        for t in tokens:
            self._add(t)

    def _add(self, t: str) -> int:
        i = self.ids.get(t)
        if i is None:
            i = self.ids[t] = len(self.tokens)
            self.tokens.append(t)
        return i

    def __len__(self) -> int:
        return len(self.tokens)

    def extend(self, corpus_tokens: Iterable[Sequence[str]]) -> int:
        """Give every new token an id; returns how many were added."""
        n = len(self.tokens)
        for toks in corpus_tokens:
            for t in toks:
                if t not in self.ids:
                    self._add(t)
        return len(self.tokens) - n

    def ids_of(self, tokens: Iterable[str]) -> list[int]:
        """Ids of the tokens it knows (unknown tokens dropped), duplicates kept."""
        get = self.ids.get
        return [i for i in (get(t) for t in tokens) if i is not None]

    def digest(self) -> str:
        return hashlib.sha1("\n".join(self.tokens).encode("utf-8")).hexdigest()

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.tokens, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Vocabulary":
        tokens = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError(f"{path} is not a JSON list of tokens")
        v = cls(tokens)
        if len(v) != len(tokens):
            raise ValueError(f"{path} lists a token twice")
        return v


def average_length(corpus_tokens: Sequence[Sequence[str]]) -> float:
    """bm25s's avgdl: the mean number of tokens per chunk."""
    return float(np.mean([len(t) for t in corpus_tokens])) if len(corpus_tokens) else 0.0


def document_frequencies(corpus_tokens: Iterable[Sequence[str]], vocab: Vocabulary) -> np.ndarray:
    """How many chunks hold each token id (0 for tokens no chunk holds any more)."""
    df = np.zeros(len(vocab), dtype=np.int64)
    for toks in corpus_tokens:
        ids = vocab.ids_of(set(toks))
        if ids:
            df[ids] += 1
    return df


def idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """bm25s's lucene idf, ``log(1 + (N − df + 0.5) / (df + 0.5))`` (float32; 0 where df is 0)."""
    out = np.zeros(len(df), dtype=np.float32)
    for i in np.flatnonzero(df):
        d = int(df[i])
        out[i] = math.log(1 + (n_docs - d + 0.5) / (d + 0.5))
    return out


def doc_vector(tokens: Sequence[str], vocab: Vocabulary, avgdl: float, k1: float, b: float) -> dict[int, float]:
    """A chunk's sparse vector: ``{token id: tf / (tf + k1·(1 − b + b·|d|/avgdl))}`` (bm25s's formula)."""
    if not tokens:
        return {EMPTY_DIM: 1.0}
    counts = Counter(vocab.ids_of(tokens))
    ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    norm = k1 * ((1 - b) + b * len(tokens) / avgdl)
    w = (tf / (norm + tf)).astype(np.float32)
    return {int(i): float(x) for i, x in zip(ids, w)}


def query_vector(tokens: Iterable[str], vocab: Vocabulary, idf_: np.ndarray) -> dict[int, float]:
    """A query's sparse vector: ``{token id: count · idf}`` over the tokens the index holds (bm25s sums a
    token's column once per occurrence in the query, hence the count); empty when none is known."""
    out: dict[int, float] = {}
    for i, n in Counter(vocab.ids_of(tokens)).items():
        if i < len(idf_) and idf_[i] > 0:
            out[i] = float(np.float32(n * idf_[i]))
    return out


def dot(query: dict[int, float], doc: dict[int, float]) -> float:
    """The inner product of two sparse vectors (the score a search engine gives)."""
    if len(doc) < len(query):
        query, doc = doc, query
    return float(sum(w * doc[i] for i, w in query.items() if i in doc))


def token_digest(tokens: Sequence[str]) -> str:
    """A chunk's token list, as a digest (an incremental update compares these)."""
    return hashlib.sha1("\x1f".join(tokens).encode("utf-8")).hexdigest()
