"""The learned ranking stage: a LambdaMART model (LightGBM) over features the channels already compute,
applied in the rerank seam (:mod:`index.rerank`) to the top ``depth`` fused candidates.

Features of a (query, document) candidate — :data:`FEATURES`, computed by :func:`features` from the
candidate list alone, so every backend gives the same ones: the fused score and rank; per channel the raw
score, its ratio / gap to the query's best, its rank (log) and whether the channel returned it at all, and
how many of the document's chunks were among the channel's candidates; how much of the query the title and
the best chunks cover; the document's kind and length; the query's length. The model is a text file
(LightGBM's own format), recorded with its feature list in the index manifest; ``govsearch train`` writes
it (:mod:`train.ranker`). LightGBM is the ``learn`` extra.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from core.errors import IndexCorrupt
from core.records import KINDS
from index.prepare import PreparedQuery
from index.retrieve import Candidate

FEATURES = (
    "fused", "fused_rank",
    "bm25", "bm25_ratio", "bm25_rank", "bm25_missing", "bm25_chunks",
    "dense", "dense_gap", "dense_rank", "dense_missing", "dense_chunks",
    "title_cover", "chunk_cover", "doc_chars", "query_chars", "query_words",
) + tuple(f"kind_{k}" for k in KINDS)
FEATURE_VERSION = 1
NO_RANK = 500  # the rank given to a candidate a channel did not return
LEARNED = "learned"  # build/NAME/learned/: what `govsearch train` wrote
MODEL, META = "ranker.txt", "ranker.json"


def sha1_file(path: Path) -> str:
    import hashlib

    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def trained_ranker(build_dir: Path) -> dict | None:
    """The ranker `govsearch train` wrote into a build folder (its meta, with ``path``), or None when there is
    none or its model file is not the one the meta names."""
    import json

    p = Path(build_dir) / LEARNED / META
    try:
        meta = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    model = p.parent / str(meta.get("file", MODEL))
    if not isinstance(meta, dict) or not model.is_file() or sha1_file(model) != meta.get("sha1"):
        return None
    return {**meta, "path": str(model)}


def lightgbm():
    try:
        import lightgbm as lgb
    except ImportError as e:
        raise ImportError("the learned ranker needs LightGBM: pip install 'govsearch[learn]' "
                          f"(or build the index without a trained ranker) ({e})") from e
    return lgb


def _words(pq: PreparedQuery) -> list[str]:
    toks = list(dict.fromkeys(t.lower() for t in pq.tokens if t))
    return [t for t in toks if len(t) > 1] or toks


def _cover(words: list[str], text: str) -> float:
    if not words:
        return 0.0
    w = [min(len(t), 4) for t in words]
    return sum(wi for t, wi in zip(words, w) if t in text) / sum(w)


def features(pq: PreparedQuery, cands: list[Candidate], store) -> np.ndarray:
    """The feature matrix (len(cands) × len(FEATURES)) of ranked candidates."""
    words = _words(pq)
    best = {ch: max((c.scores.get(ch) for c in cands if c.scores.get(ch) is not None), default=None)
            for ch in ("bm25", "dense")}
    out = np.zeros((len(cands), len(FEATURES)), dtype=np.float32)
    kind_col = {k: FEATURES.index(f"kind_{k}") for k in KINDS}
    for i, c in enumerate(cands):
        doc = store.doc(c.doc_id)
        row = [c.score, math.log1p(i + 1)]
        for ch in ("bm25", "dense"):
            s, r, top = c.scores.get(ch), c.ranks.get(ch), best[ch]
            if ch == "bm25":
                rel = (s / top) if (s is not None and top) else 0.0
            else:
                rel = (s - top) if (s is not None and top is not None) else -1.0
            row += [0.0 if s is None else s, rel, math.log1p(r if r else NO_RANK), float(r is None),
                    float(c.n_rows.get(ch, 0))]
        texts = {store.chunk_at(r).text.lower() for r in c.best.values()}
        row += [_cover(words, doc.title.lower()), max((_cover(words, t) for t in texts), default=0.0),
                math.log1p(len(doc.text)), float(len(pq.text)), float(len(words))]
        out[i, : len(row)] = row
        if doc.kind in kind_col:
            out[i, kind_col[doc.kind]] = 1.0
    return out


class LearnedRanker:
    """Reorders the top ``depth`` fused candidates by the model's score (ties keep the fused order); the
    model score joins each candidate's ``scores`` as ``rerank``, and its ``score`` becomes
    ``1 + logistic(model score)`` — above every fused score (those are at most 1), so the list stays ordered
    by score when more than ``depth`` results are returned."""

    name = "ltr"

    def __init__(self, booster, depth: int, conf: dict | None = None):
        self.booster = booster
        self.depth = int(depth)
        self.conf = conf or {}

    @classmethod
    def load(cls, path: Path, conf: dict) -> "LearnedRanker":
        if conf.get("features") != list(FEATURES) or conf.get("feature_version") != FEATURE_VERSION:
            raise IndexCorrupt(f"the ranker {path} was trained on other features than this govsearch computes",
                               hint="train it again with `govsearch train`")
        lgb = lightgbm()
        try:
            booster = lgb.Booster(model_str=Path(path).read_text(encoding="utf-8"))
        except (OSError, lgb.basic.LightGBMError) as e:
            raise IndexCorrupt(f"cannot read the ranker {path}: {e}") from e
        return cls(booster, conf.get("depth", 50), conf)

    def scores(self, pq: PreparedQuery, cands: list[Candidate], store) -> np.ndarray:
        if not cands:
            return np.zeros(0, dtype=np.float64)
        return np.asarray(self.booster.predict(features(pq, cands, store), num_threads=1), dtype=np.float64)

    def rerank(self, pq: PreparedQuery, candidates: list[Candidate], engine) -> list[Candidate]:
        s = self.scores(pq, candidates, engine.store)
        order = sorted(range(len(candidates)), key=lambda i: (-s[i], i))
        out = []
        for i in order:
            c = candidates[i]
            c.scores = {**c.scores, "rerank": float(s[i])}
            c.score = 1.0 + 1.0 / (1.0 + math.exp(-float(s[i])))
            out.append(c)
        return out
