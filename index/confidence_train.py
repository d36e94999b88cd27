"""Fit the search-hit confidence (:mod:`index.confidence`) and write it as plain JSON.

Training rows: for every question of the TRAIN part (:mod:`eval.split`) of the given query files, its
top :data:`DEPTH` documents, labelled relevant when the file grades them 1 or more (a partly relevant
document is a good match too), not relevant otherwise; plus, from ``eval/sets/answer-absent.jsonl``
(matters the shared data does not hold), the top documents of questions nothing answers. One
logistic regression (scikit-learn, L2, its ``C`` chosen by grouped cross-validation on log-loss) per
variant: ``bm25`` from BM25-only retrieval, and one per encoder from hybrid retrieval.

``no_match_below`` (:func:`choose_no_match`): the highest threshold that flags at most
:data:`MISS_RATE` of the training questions whose top ten hold a relevant document, in every query
file alike (the lowest of the per-file thresholds) — saying "nothing matches well" must rarely hide a
good answer, whatever kind of question it is.

    python -m index.confidence_train --build build/shared --queries ../shared/data/eval/dev/*.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from index.confidence import DEFAULT_PATH, FEATURES

DEPTH = 10
MISS_RATE = 0.05
C_GRID = (0.01, 0.1, 1.0, 10.0)
ABSENT = Path(__file__).resolve().parent.parent / "eval" / "sets" / "answer-absent.jsonl"


def collect(engine, questions: list[dict], mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Feature rows, labels, question index per row, and the question ids."""
    xs, ys, qi, qids = [], [], [], []
    for q in questions:
        query = engine.resolve(q["query"].strip()[: engine.max_query_chars], k=DEPTH, mode=mode)
        pq = engine.prepare(query)
        chans = engine.retrieve(query, pq)
        ranked = engine.rank(query, chans)[:DEPTH]
        qrels = {engine.canonical(d): g for d, g in q["qrels"].items()}
        for c, x in zip(ranked, engine.confidence_features(pq, chans, ranked)):
            xs.append([x[f] for f in FEATURES])
            ys.append(1 if qrels.get(c.doc_id, 0) >= 1 else 0)
            qi.append(len(qids))
        qids.append(q["qid"])
    return np.array(xs, dtype=np.float64), np.array(ys), np.array(qi), qids


def fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[dict, np.ndarray]:
    """The fitted variant (standardisation + coefficients) and out-of-fold probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import GroupKFold

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    best = None
    for c in C_GRID:
        oof = np.zeros(len(y))
        for tr, te in GroupKFold(n_splits=5).split(z, y, groups):
            m = LogisticRegression(C=c, max_iter=2000).fit(z[tr], y[tr])
            oof[te] = m.predict_proba(z[te])[:, 1]
        loss = log_loss(y, oof, labels=[0, 1])
        if best is None or loss < best[0] - 1e-12:
            best = (loss, c, oof)
    loss, c, oof = best
    m = LogisticRegression(C=c, max_iter=2000).fit(z, y)
    return {"mean": _r(mean), "scale": _r(scale), "coef": _r(m.coef_[0]), "intercept": round(float(m.intercept_[0]), 6),
            "trained": {"rows": int(len(y)), "relevant": int(y.sum()), "C": c, "cv_log_loss": round(float(loss), 4)}}, oof


def choose_no_match(best_conf: list[float], has_relevant: list[bool], miss_rate: float = MISS_RATE) -> float:
    """The highest threshold below which at most ``miss_rate`` of the questions that do have a relevant
    document in their top ten fall (their best hit's confidence, out of fold)."""
    good = sorted(c for c, h in zip(best_conf, has_relevant) if h)
    if not good:
        return 0.0
    k = int(np.floor(miss_rate * len(good)))
    return float(good[k]) if k < len(good) else float(good[-1])


def _r(a) -> list[float]:
    return [round(float(v), 6) for v in a]


def train(build: Path, files: list[Path], log=print) -> dict:
    from eval import read_queries
    from eval.split import split_of
    from index import open_index

    engine = open_index(build)
    questions, source = [], []
    for n, f in enumerate(files + [ABSENT]):
        qs = [q for q in read_queries(f) if split_of(q["qid"]) == "train"]
        questions += qs
        source += [n] * len(qs)
    source = np.array(source)
    modes = ["bm25"] + (["hybrid"] if engine.has_dense else [])
    model = {"version": 1, "features": list(FEATURES), "depth": DEPTH, "miss_rate": MISS_RATE, "variants": {}}
    for mode in modes:
        x, y, qi, qids = collect(engine, questions, mode)
        variant, oof = fit(x, y, qi)
        best = [max(oof[qi == i], default=0.0) for i in range(len(qids))]
        has = [bool(y[qi == i].any()) for i in range(len(qids))]
        per_file = [choose_no_match([b for b, s in zip(best, source) if s == n], [h for h, s in zip(has, source) if s == n])
                    for n in range(len(files)) if any(h for h, s in zip(has, source) if s == n)]
        variant["no_match_below"] = round(min(per_file, default=0.0), 6)
        name = "bm25" if mode == "bm25" else engine.manifest["encoder"]
        absent = [b for b, q in zip(best, qids) if q.startswith("absent-")]
        variant["trained"]["flagged_absent"] = round(float(np.mean([b < variant["no_match_below"] for b in absent])), 4)
        log(f"{name}: {variant['trained']}, no_match_below {variant['no_match_below']}")
        model["variants"][name] = variant
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m index.confidence_train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", type=Path, required=True, help="a build over ../shared/data (hybrid gives both variants)")
    ap.add_argument("--queries", type=Path, nargs="+", required=True, help="dev query files (their train part is used)")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = ap.parse_args(argv)
    model = train(args.build, args.queries, log=lambda m: print(m, file=sys.stderr))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
