"""The prepared query: what every channel and the answering stage need from the query text, computed
once per request — the tokenizer's words, the BM25 tokens (words + Han bigrams) and, when a dense
channel is asked for, the query vector.

:class:`QueryPreparer` keeps the last ``size`` prepared queries (least recently used dropped), keyed
by the normalised text: at a service window the same questions come again and again, and the query
vector (one encoder call, ~10 ms) is most of a query's cost. The encoder is not safe to call from
several threads at once; its calls are serialised here, and only here.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from index.passages import bm25_tokens
from index.tokenize import normalize


@dataclass(frozen=True)
class PreparedQuery:
    text: str
    tokens: tuple[str, ...]  # the tokenizer's words (snippets, highlights, answer terms)
    bm25_tokens: tuple[str, ...]  # what the BM25 channel scores: words + Han bigrams
    vector: np.ndarray | None = None  # the encoder's query vector (None: not needed / no dense channel)


class QueryPreparer:
    def __init__(self, tokenizer, encoder=None, size: int = 2048):
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.size = max(0, int(size))
        self._cache: OrderedDict[str, PreparedQuery] = OrderedDict()
        self._lock = threading.Lock()  # the cache
        self._encode_lock = threading.Lock()  # the encoder (one call at a time)
        self.hits = self.misses = self.encodes = 0

    @staticmethod
    def key(text: str) -> str:
        return normalize(text.strip()).lower()

    def encode(self, text: str) -> np.ndarray:
        """The query vector (no cache)."""
        with self._encode_lock:
            self.encodes += 1
            return self.encoder.encode_queries([text])[0]

    def prepare(self, text: str, dense: bool = True) -> PreparedQuery:
        """The prepared query for ``text``; its vector only when ``dense`` and there is an encoder."""
        key = self.key(text)
        want_vec = dense and self.encoder is not None
        with self._lock:
            pq = self._cache.get(key)
            if pq is not None:
                self._cache.move_to_end(key)
        if pq is not None and (pq.vector is not None or not want_vec):
            self.hits += 1
            return pq
        self.misses += 1
        if pq is None:
            words = tuple(self.tokenizer(text))
            pq = PreparedQuery(text=text, tokens=words, bm25_tokens=tuple(bm25_tokens(self.tokenizer, text)))
        if want_vec:
            pq = PreparedQuery(pq.text, pq.tokens, pq.bm25_tokens, self.encode(text))
        if self.size:
            with self._lock:
                self._cache[key] = pq
                self._cache.move_to_end(key)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return pq

    def stats(self) -> dict:
        return {"size": len(self._cache), "capacity": self.size, "hits": self.hits, "misses": self.misses,
                "encodes": self.encodes}
