"""From channel candidates to ranked documents (or chunks): pure functions shared by every backend.

A backend's channels each return a :class:`ChannelResult` — candidate chunk rows best first, their
scores, and a way to score more rows. Then, per channel, chunk scores become document scores (the
best chunk's, :func:`index.fusion.aggregate`); a document one channel returned and the other did not
gets the other channel's real score for its chunks (``fill``); the channels are fused
(:func:`index.fusion.fuse`, weighted min-max or RRF) and the documents ranked. Every
:class:`Candidate` keeps its per-channel scores, ranks and best rows, so hits can show them and a
reranker can use them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from index import fusion as fusion_mod


@dataclass
class ChannelResult:
    """One channel's candidates: ``rows`` best first, ``scores`` of those rows, ``more(rows)`` scores others.
    ``norm``: the most a row could score for this query (BM25: the query's idf mass), so that
    ``score / norm`` is comparable across queries; None where the scores are absolute already (cosines)."""

    name: str
    rows: list[int]
    scores: dict[int, float]
    more: Callable[[list[int]], dict[int, float]]
    norm: float | None = None


@dataclass
class Candidate:
    """A ranked document (or chunk, with ``doc_id`` its document's): the fused score and per channel the
    document score, its rank among the channel's candidates and the best chunk row."""

    doc_id: str
    score: float
    scores: dict[str, float | None] = field(default_factory=dict)
    ranks: dict[str, int | None] = field(default_factory=dict)
    best: dict[str, int] = field(default_factory=dict)
    row: int = -1  # the chunk that represents it (set by :func:`representative_row`)
    confidence: float | None = None
    n_rows: dict[str, int] = field(default_factory=dict)  # per channel, how many of its chunks were candidates


def _fuse(per: Mapping[str, Mapping], fusion: str, weights: Mapping[str, float], rrf_k: int) -> dict:
    if len(per) == 1:
        return dict(next(iter(per.values())))
    return fusion_mod.fuse(fusion, per, weights, rrf_k)


def rank_documents(chans: Mapping[str, ChannelResult], doc_of: Callable[[int], str],
                   doc_rows: Callable[[str], list[int]], *, fusion: str, weights: Mapping[str, float],
                   rrf_k: int = 60, fill: bool = True, bonus: float = 0.0,
                   keep: Callable[[str], bool] | None = None) -> list[Candidate]:
    """Documents ranked by their fused score (ties by id). ``keep`` restricts the documents considered
    (e.g. one kind) before channel ranks and fusion are computed."""
    doc_scores: dict[str, dict[str, float]] = {}
    doc_best: dict[str, dict[str, int]] = {}
    doc_ranks: dict[str, dict[str, int]] = {}
    doc_n: dict[str, dict[str, int]] = {}
    for ch, res in chans.items():
        rows = res.rows if keep is None else [r for r in res.rows if keep(doc_of(r))]
        counts = doc_n[ch] = {}
        for r in rows:
            d = doc_of(r)
            counts[d] = counts.get(d, 0) + 1
        agg = fusion_mod.aggregate({r: res.scores[r] for r in rows}, doc_of, bonus=bonus)
        doc_scores[ch] = {d: s for d, (s, _) in agg.items()}
        doc_best[ch] = {d: r for d, (_, r) in agg.items()}
        doc_ranks[ch] = {d: i for i, d in enumerate(fusion_mod.ranked(doc_scores[ch]), 1)}
    union = set().union(*doc_scores.values()) if doc_scores else set()
    if fill and len(chans) > 1:
        for ch, res in chans.items():
            missing = [d for d in union if d not in doc_scores[ch]]
            if not missing:
                continue
            extra = res.more([r for d in missing for r in doc_rows(d)])
            for d, (s, r) in fusion_mod.aggregate(extra, doc_of, bonus=bonus).items():
                doc_scores[ch][d] = s
                doc_best[ch][d] = r
    fused = _fuse(doc_scores, fusion, weights, rrf_k)
    return [Candidate(doc_id=d, score=float(fused[d]),
                      scores={ch: doc_scores[ch].get(d) for ch in chans},
                      ranks={ch: doc_ranks[ch].get(d) for ch in chans},
                      best={ch: doc_best[ch][d] for ch in chans if d in doc_best[ch]},
                      n_rows={ch: doc_n[ch].get(d, 0) for ch in chans})
            for d in fusion_mod.ranked(fused)]


def rank_chunks(chans: Mapping[str, ChannelResult], doc_of: Callable[[int], str], *, fusion: str,
                weights: Mapping[str, float], rrf_k: int = 60, fill: bool = True,
                keep: Callable[[int], bool] | None = None, limit: int | None = None) -> list[Candidate]:
    """Chunks ranked by their fused score; each Candidate's ``row`` is the chunk (the first ``limit`` only)."""
    per: dict[str, dict[int, float]] = {}
    ranks: dict[str, dict[int, int]] = {}
    for ch, res in chans.items():
        rows = res.rows if keep is None else [r for r in res.rows if keep(r)]
        per[ch] = {r: res.scores[r] for r in rows}
        ranks[ch] = {r: i for i, r in enumerate(rows, 1)}
    union = sorted(set().union(*per.values())) if per else []
    if fill and len(chans) > 1:
        for ch, res in chans.items():
            missing = [r for r in union if r not in per[ch]]
            if missing:
                per[ch] = {**res.more(missing), **per[ch]}
    fused = _fuse(per, fusion, weights, rrf_k)
    return [Candidate(doc_id=doc_of(r), score=float(fused[r]), scores={ch: per[ch].get(r) for ch in chans},
                      ranks={ch: ranks[ch].get(r) for ch in chans}, best={ch: r for ch in chans}, row=r)
            for r in fusion_mod.ranked(fused)[:limit]]


def demote(ranked: list[Candidate], demoted: Callable[[str], bool], margin: float) -> list[Candidate]:
    """Documents ``demoted`` says are out of date (expired policies) ranked below equally relevant ones:
    a demoted candidate's score is lowered by ``margin`` × the spread of the candidates' scores
    (highest − lowest), and the list is sorted again, stably (a demoted candidate loses a tie). So one
    whose fused score is less than that margin ahead of another document falls below it, one further
    ahead keeps its place, and nothing is removed. The penalty joins its ``scores`` as ``validity``."""
    if not ranked or margin <= 0:
        return ranked
    flags = [demoted(c.doc_id) for c in ranked]
    if not any(flags):
        return ranked
    scores = [c.score for c in ranked]
    penalty = margin * ((max(scores) - min(scores)) or abs(max(scores)) or 1.0)
    for c, down in zip(ranked, flags):
        if down:
            c.score -= penalty
            c.scores = {**c.scores, "validity": -penalty}
    order = sorted(range(len(ranked)), key=lambda i: (-ranked[i].score, flags[i], i))
    return [ranked[i] for i in order]


def channel_ranges(ranked: list[Candidate]) -> dict[str, tuple[float, float]]:
    """Per channel, the (lowest, highest) score among the candidates that have one."""
    out: dict[str, tuple[float, float]] = {}
    for c in ranked:
        for ch, s in c.scores.items():
            if s is None:
                continue
            lo, hi = out.get(ch, (s, s))
            out[ch] = (min(lo, s), max(hi, s))
    return out


def representative_row(c: Candidate, ranges: Mapping[str, tuple[float, float]], weights: Mapping[str, float]) -> int:
    """The chunk that represents a document: the best chunk of its strongest channel (its score
    min-max normalised over the channel's candidates, see :func:`channel_ranges`, times the channel weight)."""
    best_ch, best_val = None, -1.0
    multi = len(c.best) > 1
    for ch in c.best:
        s = c.scores.get(ch)
        if s is None or ch not in ranges:
            continue
        lo, hi = ranges[ch]
        norm = (s - lo) / (hi - lo) if hi > lo else 1.0
        val = norm * (weights.get(ch, 1.0) if multi else 1.0)
        if val > best_val:
            best_ch, best_val = ch, val
    return c.best[best_ch] if best_ch is not None else next(iter(c.best.values()))
