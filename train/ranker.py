"""Training the learned ranking stage (:mod:`index.ranker`) from labelled questions.

For every question of the TRAIN part (:mod:`eval.split`) of each query file, the index's fused candidates
(top ``depth``, ranked as the index ranks them without a ranker) become rows of features
(:func:`index.ranker.features`) labelled with the judged grade (0 when not judged). A LightGBM LambdaMART
model is fitted on them; the number of trees is chosen by cross-validation over train questions only
(folds by question). The validation part is scored before and after, and nothing of it is used to fit or
choose anything. Questions whose judged documents are not among the candidates teach a ranker nothing and
are left out of training (they still count in the figures).

Output (``build/NAME/learned/``): ``ranker.txt`` (LightGBM's text format) and ``ranker.json`` (the feature
list, depth, encoder, base figures, the query files' sha1s, the split rule, the parameters and the figures).
`govsearch index` records the ranker in the index manifest when the encoder matches.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from eval import read_queries
from eval.metrics import mean_metrics, query_metrics
from eval.split import RULE, split_of
from index.ranker import FEATURE_VERSION, FEATURES, LEARNED, META, MODEL, features, lightgbm, sha1_file
from index.rerank import PassThrough
PARAMS = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [10], "learning_rate": 0.05, "num_leaves": 7,
          "min_data_in_leaf": 50, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 10.0,
          "lambdarank_truncation_level": 20, "verbose": -1, "num_threads": 2, "seed": 7, "deterministic": True,
          "force_row_wise": True}
FOLDS = 5
KEEP_MARGIN = 0.005  # the ranker is applied only if cross-validation on the train part gains at least this much
MAX_ROUNDS = 600
DEPTH = 50


def collect(engine, queries: list[dict], depth: int = DEPTH):
    """Per question: (qid, features of its top ``depth`` candidates, their grades, the full ranked doc ids)."""
    limit = engine.max_query_chars
    out = []
    for q in queries:
        query = engine.resolve(q["query"].strip()[:limit], k=100)
        pq, ranked = engine.candidates(query)
        top = ranked[:depth]
        qrels = {engine.canonical(d): g for d, g in q["qrels"].items()}
        grades = np.array([qrels.get(c.doc_id, 0) for c in top], dtype=np.float32)
        out.append((q["qid"], features(pq, top, engine.store), grades, [c.doc_id for c in ranked[:100]], qrels))
    return out


def _stack(rows):
    X = np.vstack([r[1] for r in rows]) if rows else np.zeros((0, len(FEATURES)), np.float32)
    y = np.concatenate([r[2] for r in rows]) if rows else np.zeros(0, np.float32)
    return X, y, [len(r[2]) for r in rows]


def ndcg(rows, booster=None) -> float:
    """Mean nDCG@10 of the questions, ranked as fused (``booster`` None) or reranked in the top ``depth``."""
    metrics = []
    for _, X, _, ranked, qrels in rows:
        order = ranked
        if booster is not None and len(X):
            s = booster.predict(X, num_threads=1)
            head = [ranked[i] for i in sorted(range(len(X)), key=lambda i: (-s[i], i))]
            order = head + ranked[len(X):]
        metrics.append(query_metrics(order, qrels))
    return round(mean_metrics(metrics)["ndcg@10"], 4) if metrics else 0.0


def _fold(qid: str) -> int:
    """The cross-validation fold of a train question (a hash of its qid, independent of the train/val rule)."""
    import hashlib

    return int(hashlib.md5(str(qid).encode("utf-8")).hexdigest(), 16) % FOLDS


def _fit(lgb, params: dict, rows) -> tuple[object, int]:
    """A booster fitted on ``rows``, its number of trees chosen by lightgbm's own cross-validation on them."""
    X, y, groups = _stack(rows)
    ds = lgb.Dataset(X, y, group=groups, feature_name=list(FEATURES), free_raw_data=False)
    rounds = 50
    if len(groups) >= 4:
        cv = lgb.cv(params, ds, num_boost_round=MAX_ROUNDS, nfold=min(FOLDS, len(groups)), stratified=False,
                    shuffle=True, seed=7, callbacks=[lgb.early_stopping(40, verbose=False)])
        rounds = len(next(iter(cv.values())))
    return lgb.train(params, ds, num_boost_round=rounds), rounds


def train_ranker(engine, files: list[Path], depth: int = DEPTH, log=print, apply: str = "auto") -> tuple[object, dict]:
    """Fit the ranker on the train parts of ``files``; returns (booster, meta with the figures). ``apply``:
    ``auto`` — applied when cross-validation on the train part gains at least KEEP_MARGIN; ``yes`` / ``no``."""
    lgb = lightgbm()
    engine.reranker = PassThrough()  # the candidates as the index ranks them without a ranker
    t0 = time.perf_counter()
    train_rows, val_rows, train_by_file = [], {}, {}
    per_file = {}
    for f in files:
        qs = read_queries(Path(f))
        tr = collect(engine, [q for q in qs if split_of(q["qid"]) == "train"], depth)
        va = collect(engine, [q for q in qs if split_of(q["qid"]) == "val"], depth)
        train_rows += [r for r in tr if r[2].max(initial=0) > 0]
        train_by_file[Path(f).stem] = tr
        val_rows[Path(f).stem] = va
        per_file[Path(f).stem] = {"file": str(f), "sha1": sha1_file(Path(f)), "train": len(tr), "val": len(va),
                                  "train_used": sum(1 for r in tr if r[2].max(initial=0) > 0),
                                  "train_ndcg@10_fused": ndcg(tr)}
        log(f"  {Path(f).stem}: {len(tr)} train / {len(va)} val questions")
    if not train_rows:
        raise ValueError("no training question has a judged document among its candidates")
    params = {**PARAMS, "min_data_in_leaf": min(PARAMS["min_data_in_leaf"], max(1, sum(len(r[2]) for r in train_rows) // 20))}
    booster, rounds = _fit(lgb, params, train_rows)
    # Whether the ranker pays for itself, judged on the train part only: cross-validation by question (each fold
    # fitted on the others, trees chosen inside the fold), nDCG@10 of the fold's questions as fused vs reranked.
    all_train = [r for rows in train_by_file.values() for r in rows]
    folds = [[r for r in all_train if _fold(r[0]) == k] for k in range(FOLDS)]
    cv_fused, cv_reranked = [], []
    if len(train_rows) >= 2 * FOLDS:
        for k in range(FOLDS):
            fit_rows = [r for r in train_rows if _fold(r[0]) != k]
            b, _ = _fit(lgb, params, fit_rows)
            cv_fused.append(ndcg(folds[k]) * len(folds[k]))
            cv_reranked.append(ndcg(folds[k], b) * len(folds[k]))
    n = sum(len(f) for f in folds) or 1
    cv = {"fused": round(sum(cv_fused) / n, 4), "reranked": round(sum(cv_reranked) / n, 4)}
    keep = bool(cv_fused) and cv["reranked"] >= cv["fused"] + KEEP_MARGIN
    if apply in ("yes", "no"):
        keep = apply == "yes"
    figures = {name: {"val": len(rows), "val_ndcg@10_fused": ndcg(rows), "val_ndcg@10_reranked": ndcg(rows, booster)}
               for name, rows in val_rows.items()}
    train_fit = {"fused": ndcg(train_rows), "reranked": ndcg(train_rows, booster)}
    for name, fig in figures.items():
        per_file[name].update(fig)
        log(f"  {name}: val nDCG@10 {fig['val_ndcg@10_fused']} → {fig['val_ndcg@10_reranked']}")
    meta = {"name": "ltr", "file": MODEL, "features": list(FEATURES), "feature_version": FEATURE_VERSION,
            "depth": depth, "encoder": engine.manifest.get("encoder"), "corpus_hash": engine.manifest.get("corpus_hash"),
            "split": RULE, "params": params, "rounds": rounds, "train_fit_ndcg@10": train_fit,
            "cv_ndcg@10": cv, "keep_margin": KEEP_MARGIN, "applied": keep, "train_rows": int(sum(len(r[2]) for r in train_rows)),
            "train_questions": len(train_rows), "files": per_file, "seconds": round(time.perf_counter() - t0, 1),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "importance": dict(zip(FEATURES, (int(v) for v in booster.feature_importance("gain"))))}
    return booster, meta


def write(booster, meta: dict, build_dir: Path) -> Path:
    """Write ``learned/ranker.txt`` and ``learned/ranker.json`` into the build folder (the model first)."""
    from core.build import write_json, write_lines

    folder = Path(build_dir) / LEARNED
    folder.mkdir(parents=True, exist_ok=True)
    write_lines(folder / MODEL, [booster.model_to_string()])
    meta = {**meta, "sha1": sha1_file(folder / MODEL)}
    write_json(folder / META, meta)
    return folder / META
