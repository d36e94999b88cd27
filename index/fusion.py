"""Fusion of ranked channels: pure functions over ids and scores (higher is better).

- :func:`rrf` — reciprocal rank fusion, ``sum_c w_c / (k + rank_c(id))``.
- :func:`weighted` — per-query min-max normalisation of each channel's scores over the
  candidates it was given, then ``sum_c w_c * norm_c(id)``; an id a channel did not
  return counts 0 in that channel. Raw cosine scores of small encoders sit in a narrow
  band, so they are never compared across queries or added raw.
- :func:`aggregate` — chunk scores → document scores: the best chunk's score, plus
  ``bonus`` × the sum of the doc's other chunks' scores (0 = pure max).
"""
from __future__ import annotations

from typing import Callable, Hashable, Mapping, Sequence

Id = Hashable


def ranked(scores: Mapping[Id, float]) -> list[Id]:
    """Ids by descending score (ties: by id's repr, so the order is deterministic)."""
    return sorted(scores, key=lambda i: (-scores[i], str(i)))


def minmax(scores: Mapping[Id, float]) -> dict[Id, float]:
    """Scale to [0, 1] over the given ids; all-equal scores map to 1."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo <= 1e-12:
        return {i: 1.0 for i in scores}
    span = hi - lo
    return {i: (s - lo) / span for i, s in scores.items()}


def rrf(ranked_lists: Mapping[str, Sequence[Id]], weights: Mapping[str, float] | None = None,
        k: int = 60) -> dict[Id, float]:
    """Reciprocal rank fusion of ranked lists (best first) with per-channel weights."""
    out: dict[Id, float] = {}
    for ch, ids in ranked_lists.items():
        w = 1.0 if weights is None else float(weights.get(ch, 0.0))
        if w == 0:
            continue
        for r, i in enumerate(ids, 1):
            out[i] = out.get(i, 0.0) + w / (k + r)
    return out


def weighted(score_lists: Mapping[str, Mapping[Id, float]],
             weights: Mapping[str, float] | None = None) -> dict[Id, float]:
    """Sum of per-channel min-max normalised scores times the channel weights."""
    out: dict[Id, float] = {}
    for ch, scores in score_lists.items():
        w = 1.0 if weights is None else float(weights.get(ch, 0.0))
        for i in scores:
            out.setdefault(i, 0.0)
        if w == 0:
            continue
        for i, s in minmax(scores).items():
            out[i] += w * s
    return out


def fuse(method: str, score_lists: Mapping[str, Mapping[Id, float]], weights: Mapping[str, float] | None = None,
         rrf_k: int = 60) -> dict[Id, float]:
    """``weighted`` or ``rrf`` over per-channel score maps (rrf ranks each map by score)."""
    if method == "weighted":
        return weighted(score_lists, weights)
    if method == "rrf":
        return rrf({ch: ranked(s) for ch, s in score_lists.items()}, weights, k=rrf_k)
    raise ValueError(f"unknown fusion {method!r} (weighted | rrf)")


def aggregate(chunk_scores: Mapping[Id, float], doc_of: Callable[[Id], Id] | Mapping[Id, Id],
              bonus: float = 0.0) -> dict[Id, tuple[float, Id]]:
    """Document score = best chunk score + bonus × sum of the doc's other chunk scores.

    Returns ``{doc: (score, best_chunk)}``."""
    get = doc_of.__getitem__ if isinstance(doc_of, Mapping) else doc_of
    best: dict[Id, tuple[float, Id]] = {}
    total: dict[Id, float] = {}
    for c, s in chunk_scores.items():
        d = get(c)
        total[d] = total.get(d, 0.0) + s
        if d not in best or s > best[d][0] or (s == best[d][0] and str(c) < str(best[d][1])):
            best[d] = (s, c)
    if bonus:
        return {d: (s + bonus * (total[d] - s), c) for d, (s, c) in best.items()}
    return best
