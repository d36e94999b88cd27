"""The candidate items of a materials question, from one retrieval.

One channel call over the service items and bundles (``kind`` in ITEM_KINDS) gives chunk candidates;
from them, per kind, the fused document ranking (top :data:`PER_KIND`) and the chunk ranking (a hit in a
申请材料 section marks its item: a question that names a material finds the item that asks for it).
A title channel adds the items whose title covers at least half of the question's content terms (社保卡
→ 社会保障卡, where BM25 cannot). The query is prepared (and encoded) once.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from answer.materials import ITEM_KINDS, squash
from answer.terms import coverage
from core.query import Query
from core.sections import is_section
from index.hits import shows_match
from index.prepare import PreparedQuery
from index.retrieve import channel_ranges, representative_row

PER_KIND = 20  # documents per kind taken from the fused ranking
CHUNKS_PER_KIND = 30  # chunks per kind inspected for 申请材料 hits
TITLE_CANDIDATES = 10
TITLE_ACCEPT = 0.5
TOP_RANK = 3  # a channel "agrees" on an item it ranks this high
POOL = 400  # channel candidates (over both kinds; each kind's ranking takes its own share)


@dataclass
class ItemCandidate:
    doc_id: str
    row: int  # the chunk a hit for it would cite
    score: float
    best_rank: int  # best rank among the rankings that found it
    ranks: dict[str, int | None] = field(default_factory=dict)  # per channel, where it was found best
    agreement: int = 0  # channels ranking it in their top TOP_RANK
    material_hit: bool = False  # a chunk of its 申请材料 section was among the chunk candidates
    title_channel: bool = False  # found by its title only


_TITLE_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def item_titles(engine) -> list[tuple[str, str]]:
    """(doc_id, squashed title) of every service item and bundle, computed once per loaded index."""
    table = _TITLE_TABLES.get(engine)
    if table is None:
        table = [(d.doc_id, squash(d.title)) for d in engine.documents() if d.kind in ITEM_KINDS]
        _TITLE_TABLES[engine] = table
    return table


def kinds_present(engine) -> list[str]:
    kinds = engine.facets().get("kind") or ()
    return [k for k in ITEM_KINDS if k in kinds]


def item_candidates(engine, query: Query, pq: PreparedQuery, terms: list[str],
                    weights: list[float]) -> list[ItemCandidate]:
    """Candidates in the order they were found (fused document ranking per kind, then 申请材料 chunk
    hits, then the title channel), each once with its best rank."""
    kinds = kinds_present(engine)
    if not kinds:
        return []
    q = query.with_(filters={"kind": tuple(kinds)}, k=PER_KIND)
    chans = engine.retrieve(q, pq, pool=POOL)
    store = engine.store
    kind_of = {d.doc_id: d.kind for d in engine.documents() if d.kind in ITEM_KINDS}
    found: dict[str, ItemCandidate] = {}

    def add(doc_id: str, row: int, score: float, rank: int, ranks: dict, material_hit: bool = False) -> None:
        c = found.get(doc_id)
        if c is None:
            c = found[doc_id] = ItemCandidate(doc_id, row, score, rank, dict(ranks))
        c.best_rank = min(c.best_rank, rank)
        c.material_hit = c.material_hit or material_hit
        c.agreement = max(c.agreement, sum(1 for r in ranks.values() if r is not None and r <= TOP_RANK))

    _, weights_used = engine.fusion_of(q)
    for kind in kinds:
        ranked = engine.rank(q, chans, keep=lambda d, kind=kind: kind_of.get(d) == kind)
        ranges = channel_ranges(ranked)
        for r, c in enumerate(ranked[:PER_KIND], 1):
            row = shows_match(store, representative_row(c, ranges, weights_used), pq.tokens)
            add(c.doc_id, row, c.score, r, c.ranks)
        chunks = engine.rank_chunks(q, chans, keep=lambda row, kind=kind: kind_of.get(store.doc_of_row(row)) == kind)
        for r, c in enumerate(chunks[:CHUNKS_PER_KIND], 1):
            if is_section(store.chunk_at(c.row).section, "materials"):
                add(c.doc_id, c.row, c.score, r, c.ranks, material_hit=True)
    # the title channel: items whose title covers the query's content terms, even when the query words
    # them differently (社保卡 → 社会保障卡) and BM25 misses them
    if terms:
        scored = sorted(((coverage(terms, t, weights, squashed=True), doc_id) for doc_id, t in item_titles(engine)
                         if doc_id not in found), key=lambda x: -x[0])
        for cov, doc_id in scored[:TITLE_CANDIDATES]:
            if cov < TITLE_ACCEPT:
                break
            rows = store.doc_rows(doc_id)
            if rows:
                add(doc_id, rows[0], 0.0, PER_KIND + 1, {})
                found[doc_id].title_channel = True
    return list(found.values())
