"""The candidate items of a materials question, from one retrieval.

One channel call over the service items and bundles (``kind`` in ITEM_KINDS) gives chunk candidates;
from them, per kind, the fused document ranking (top :data:`PER_KIND`) and the chunk ranking (a hit in a
申请材料 section marks its item: a question that names a material finds the item that asks for it).
A title channel adds the items whose title or other names (:mod:`answer.lexicon`) cover at least half
of the question's content terms (社保卡 → 社会保障卡, 驾照 → 驾驶证, where BM25 cannot). The query is prepared (and encoded) once.

Every candidate carries each channel's raw score of its best chunk (a channel that did not return it
scores its chunks directly, so the features see real values, not gaps), and the result the BM25
channel's idf mass for the query, which makes BM25 scores comparable across questions.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from answer.lexicon import lexicon
from answer.materials import ITEM_KINDS, squash
from answer.terms import title_weights
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
    scores: dict[str, float | None] = field(default_factory=dict)  # per channel, raw, its best chunk's
    head_dense: float | None = None  # the dense cosine of its first chunk (the title and its summary)


@dataclass
class Retrieved:
    cands: list[ItemCandidate]
    bm25_norm: float | None  # the BM25 channel's idf mass for the query (None: no BM25 channel)
    has_dense: bool


_TITLE_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def item_titles(engine) -> list[tuple[str, str]]:
    """(doc_id, squashed title) of every service item and bundle, computed once per loaded index."""
    table = _TITLE_TABLES.get(engine)
    if table is None:
        table = [(d.doc_id, squash(d.title)) for d in engine.documents() if d.kind in ITEM_KINDS]
        _TITLE_TABLES[engine] = table
    return table


_KINDS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_DF: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def item_kinds(engine) -> dict[str, str]:
    """doc_id → kind of every service item and bundle, computed once per loaded index."""
    kinds = _KINDS.get(engine)
    if kinds is None:
        kinds = _KINDS[engine] = {d.doc_id: d.kind for d in engine.documents() if d.kind in ITEM_KINDS}
    return kinds


def term_weights(engine, terms: list[str]) -> list[float]:
    """:func:`answer.terms.title_weights` over the index's item titles, each term's title count kept
    per loaded index (a term is looked up in every title once, not once per question)."""
    titles = item_titles(engine)
    memo = _DF.get(engine)
    if memo is None:
        memo = _DF[engine] = {}
    for t in terms:
        if t not in memo:
            memo[t] = sum(1 for _, title in titles if t in title)
    return title_weights(terms, [], n=len(titles), df=memo)


def name_coverage(lex, terms: list[str], weights: list[float], doc_id: str) -> float:
    """Weighted share of the terms the item's title or one of its aliases covers (see answer.features.cover)."""
    from answer.features import cover

    names = lex.names(doc_id)
    total = sum(weights)
    return sum(w * max(cover(t, n, lex.synonyms) for n in names) for t, w in zip(terms, weights)) / total if total else 0.0


def kinds_present(engine) -> list[str]:
    kinds = engine.facets().get("kind") or ()
    return [k for k in ITEM_KINDS if k in kinds]


def item_candidates(engine, query: Query, pq: PreparedQuery, terms: list[str],
                    weights: list[float]) -> Retrieved:
    """Candidates in the order they were found (fused document ranking per kind, then 申请材料 chunk
    hits, then the title channel), each once with its best rank and raw channel scores."""
    kinds = kinds_present(engine)
    if not kinds:
        return Retrieved([], None, False)
    q = query.with_(filters={"kind": tuple(kinds)}, k=PER_KIND)
    chans = engine.retrieve(q, pq, pool=POOL)
    store = engine.store
    kind_of = item_kinds(engine)
    found: dict[str, ItemCandidate] = {}

    def add(doc_id: str, row: int, score: float, rank: int, ranks: dict, material_hit: bool = False,
            scores: dict | None = None) -> None:
        c = found.get(doc_id)
        if c is None:
            c = found[doc_id] = ItemCandidate(doc_id, row, score, rank, dict(ranks), scores=dict(scores or {}))
        c.best_rank = min(c.best_rank, rank)
        c.material_hit = c.material_hit or material_hit
        c.agreement = max(c.agreement, sum(1 for r in ranks.values() if r is not None and r <= TOP_RANK))

    _, weights_used = engine.fusion_of(q)
    for kind in kinds:
        ranked = engine.rank(q, chans, keep=lambda d, kind=kind: kind_of.get(d) == kind)
        ranges = channel_ranges(ranked)
        for r, c in enumerate(ranked[:PER_KIND], 1):
            row = shows_match(store, representative_row(c, ranges, weights_used), pq.tokens)
            add(c.doc_id, row, c.score, r, c.ranks, scores=c.scores)
        chunks = engine.rank_chunks(q, chans, keep=lambda row, kind=kind: kind_of.get(store.doc_of_row(row)) == kind,
                                    limit=CHUNKS_PER_KIND)
        for r, c in enumerate(chunks[:CHUNKS_PER_KIND], 1):
            if is_section(store.chunk_at(c.row).section, "materials"):
                add(c.doc_id, c.row, c.score, r, c.ranks, material_hit=True)
    # the title channel: items whose title covers the query's content terms, even when the query words
    # them differently (社保卡 → 社会保障卡) and BM25 misses them
    if terms:
        lex = lexicon(engine)
        scored = sorted(((name_coverage(lex, terms, weights, doc_id), doc_id) for doc_id in lex.naming(terms, weights, TITLE_ACCEPT)
                         if doc_id not in found), key=lambda x: (-x[0], x[1]))
        for cov, doc_id in scored[:TITLE_CANDIDATES]:
            if cov < TITLE_ACCEPT:
                break
            rows = store.doc_rows(doc_id)
            if rows:
                add(doc_id, rows[0], 0.0, PER_KIND + 1, {})
                found[doc_id].title_channel = True
    _fill_scores(list(found.values()), chans, store)
    bm25 = chans.get("bm25")
    return Retrieved(list(found.values()), bm25.norm if bm25 is not None else None, "dense" in chans)


def _fill_scores(cands, chans, store) -> None:
    """Each candidate's raw score per channel: its best chunk's, scored directly where the channel's
    document ranking did not hold it (a 申请材料 chunk hit, the title channel)."""
    for ch, res in chans.items():
        todo = [c for c in cands if c.scores.get(ch) is None]
        if not todo:
            continue
        rows = {c.doc_id: store.doc_rows(c.doc_id) for c in todo}
        got = res.more([r for rr in rows.values() for r in rr])
        for c in todo:
            vals = [got[r] for r in rows[c.doc_id] if r in got]
            c.scores[ch] = max(vals) if vals else None
    dense = chans.get("dense")
    if dense is not None and cands:
        first = {c.doc_id: (store.doc_rows(c.doc_id) or [c.row])[0] for c in cands}
        got = dense.more(sorted(set(first.values())))
        for c in cands:
            c.head_dense = got.get(first[c.doc_id])
