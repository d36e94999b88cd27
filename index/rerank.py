"""The rerank seam: retrieve candidates → ``rerank(query, pq, candidates)`` → hits.

A reranker reorders (and may rescore) the fused candidates before hits are built; its score joins
each candidate's ``scores`` under its ``name``. The default passes the candidates through unchanged.
A learned reranker records itself in the index manifest (``reranker``) and is opened from there by
:func:`open_reranker`; an index without one ranks as fused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from index.prepare import PreparedQuery
from index.retrieve import Candidate


class Reranker(Protocol):
    name: str
    depth: int  # how many fused candidates it reorders

    def rerank(self, pq: PreparedQuery, candidates: list[Candidate], engine) -> list[Candidate]: ...


class PassThrough:
    """Keeps the fused order."""

    name = "none"
    depth = 0

    def rerank(self, pq: PreparedQuery, candidates: list[Candidate], engine) -> list[Candidate]:
        return candidates


def open_reranker(folder: Path, manifest: dict) -> Reranker:
    """The reranker the manifest records (``{"name": …, "file": …}``), or :class:`PassThrough`."""
    conf = manifest.get("reranker") or {}
    name = conf.get("name", "none")
    if name == "none":
        return PassThrough()
    if name == "ltr":
        from index.ranker import LearnedRanker

        return LearnedRanker.load(Path(folder) / conf["file"], conf)
    from core.errors import IndexCorrupt

    raise IndexCorrupt(f"the manifest names an unknown reranker {name!r}")
