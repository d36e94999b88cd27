"""Ranking metrics over one query: a ranked list of doc ids and graded judgments.

nDCG uses **linear gain** (gain = grade; trec_eval's and pytrec_eval's ``ndcg_cut``):
``DCG@k = sum_i grade(d_i) / log2(i + 1)``, normalised by the ideal ordering of all
judged documents. MRR@k and Recall@k count a document as relevant when its grade ≥ 1.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence


def dcg(grades: Sequence[float], k: int) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(grades[:k]) if g)


def ndcg_at(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True), k)
    if ideal <= 0:
        return 0.0
    return dcg([qrels.get(d, 0) for d in ranked], k) / ideal


def mrr_at(ranked: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k], 1):
        if qrels.get(d, 0) > 0:
            return 1.0 / i
    return 0.0


def recall_at(ranked: Sequence[str], qrels: Mapping[str, float], k: int) -> float:
    rel = {d for d, g in qrels.items() if g > 0}
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def query_metrics(ranked: Sequence[str], qrels: Mapping[str, float]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at(ranked, qrels, 10),
        "mrr@10": mrr_at(ranked, qrels, 10),
        "recall@10": recall_at(ranked, qrels, 10),
        "recall@100": recall_at(ranked, qrels, 100),
    }


METRICS = ("ndcg@10", "mrr@10", "recall@10", "recall@100")


def mean_metrics(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    if not rows:
        return {m: 0.0 for m in METRICS}
    return {m: round(sum(r[m] for r in rows) / len(rows), 4) for m in METRICS}
