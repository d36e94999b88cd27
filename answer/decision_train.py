"""Train the item decision (:mod:`answer.decision`): collect questions with known answers, fit the
conditional logit, choose the answer threshold, write the model as plain JSON.

Training questions (the TRAIN part only, :mod:`eval.split`; the validation part is never read here):

- labelled questions: the Guangdong dev questions on an index over ``../shared/data``, the demo
  questions on the demo build, and the train part of ``eval/sets/answer-absent.jsonl`` (matters no
  index holds: the right answer is "none");
- the same labelled questions with every judged item taken out of the candidates (:func:`leave_out`):
  the question's own wording, about a matter the index now lacks — the answer is "none". Siblings
  nobody judged stay (延期C字签证 when 延期L字签证 is meant), so the model learns that a near miss is
  not an answer;
- pairs the corpus gives: an item's everyday names (keywords, 简称, 俗称) phrased as a question, whose
  answer is the item(s) carrying that name; the name is hidden from those items' aliases while their
  features are computed, so the model cannot learn that an alias always matches.

Fitting (:func:`fit`): maximum likelihood with an L2 penalty, L-BFGS from zeros (deterministic). The
penalty and the weight of the corpus pairs are chosen by grouped 5-fold cross-validation on the
labelled questions (log-likelihood of the right choice); the threshold by :func:`choose_threshold` on
the out-of-fold confidences of the labelled questions.

    python -m answer.decision_train --build build/demo --build build/shared [--build …] [--out answer/models/decision.json]

Each build is used with the query files that fit it (demo questions on the demo corpus, Guangdong
questions on a build holding the Guangdong items); a build with a dense channel trains its encoder's
variant, and every build trains the ``bm25`` variant with its BM25 channel alone.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from answer.candidates import Retrieved, item_candidates, term_weights
from answer.features import FEATURES, candidate_features
from answer.lexicon import counts_to_ship, everyday_names, lexicon
from answer.terms import content_terms
from eval.split import split_of

TARGET_PRECISION = 0.95
MIN_ANSWERED = 10
L2_GRID = (1.0, 3.0, 10.0)
PAIR_WEIGHT_GRID = (0.0, 0.1)
LEAVE_OUT_WEIGHT_GRID = (0.0, 0.3, 1.0)
FOLDS = 5
TEMPLATES = ("{}需要什么材料", "办理{}要带什么", "{}要准备哪些资料", "{}怎么办理")
REPO = Path(__file__).resolve().parent.parent
PRIOR: dict = {}  # {"counts": variant counts of the large corpus} while training (see train)
ABSENT = REPO / "eval" / "sets" / "answer-absent.jsonl"


@dataclass
class Group:
    """One question's candidates: features (n × F), which are right (0/1), and its weight."""

    qid: str
    source: str  # labelled | leave_out | absent | pair
    x: np.ndarray
    y: np.ndarray
    weight: float = 1.0
    doc_ids: tuple[str, ...] = ()


def retrieve(engine, text: str, mode: str):
    q = engine.resolve(text, k=10, mode=mode)
    pq = engine.prepare(q)
    terms = content_terms(pq.tokens)
    weights = term_weights(engine, terms)
    got = item_candidates(engine, q, pq, terms, weights)
    return q.text, terms, weights, got


def leave_out(got: Retrieved, drop: set[str]) -> Retrieved:
    """The candidates as an index without ``drop`` would rank them: the dropped ones removed, and every
    rank below a dropped candidate of the same kind moved up by one."""
    gone = [c for c in got.cands if c.doc_id in drop]
    kept = []
    for c in got.cands:
        if c.doc_id in drop:
            continue
        ranks = dict(c.ranks)
        for ch, r in c.ranks.items():
            if r:
                ranks[ch] = r - sum(1 for g in gone if g.ranks.get(ch) and g.ranks[ch] < r)
        best = c.best_rank - sum(1 for g in gone if g.best_rank < c.best_rank)
        kept.append(dataclasses.replace(c, ranks=ranks, best_rank=max(1, best), scores=dict(c.scores)))
    return Retrieved(kept, got.bm25_norm, got.has_dense)


def _group(engine, qid, source, text, terms, weights, got, qrels, weight, dense) -> Group | None:
    if not got.cands:
        return None
    docs = {c.doc_id: engine.doc(c.doc_id) for c in got.cands}
    rows = candidate_features(lexicon(engine, PRIOR.get("counts")), text, terms, weights, got.cands, docs, got.bm25_norm, dense)
    x = np.array([[r[f] for f in FEATURES] for r in rows], dtype=np.float64)
    y = np.array([1.0 if qrels.get(c.doc_id, 0) >= 2 else 0.0 for c in got.cands])
    return Group(qid, source, x, y, weight, tuple(c.doc_id for c in got.cands))


def collect(engine, questions: list[dict], mode: str, source: str = "labelled") -> list[Group]:
    """Groups for labelled questions (``qrels`` canonicalised): each question as asked and, when it has
    an answer in the index, again with every judged item left out."""
    out = []
    dense = mode != "bm25"
    for q in questions:
        qrels = {engine.canonical(d): g for d, g in q["qrels"].items()}
        text, terms, weights, got = retrieve(engine, q["query"], mode)
        g = _group(engine, q["qid"], source, text, terms, weights, got, qrels, 1.0, dense)
        if g is None:
            continue
        if qrels and not g.y.any() and not any(qrels.get(d, 0) >= 2 for d in g.doc_ids):
            # the answer exists but retrieval missed it: nothing to learn about choosing
            if any(_has(engine, d) for d, gr in qrels.items() if gr >= 2):
                continue
        out.append(g)
        if qrels:
            lo = leave_out(got, set(qrels))
            g2 = _group(engine, q["qid"], "leave_out", text, terms, weights, lo, {}, 1.0, dense)
            if g2 is not None:
                out.append(g2)
    return out


def _has(engine, doc_id: str) -> bool:
    try:
        engine.doc(doc_id)
        return True
    except Exception:
        return False


def corpus_pairs(engine, mode: str, limit: int = 600) -> list[Group]:
    """Questions made from the items' everyday names (see the module docstring); ``limit`` names at most,
    chosen by a hash of the name (deterministic)."""
    lex = lexicon(engine, PRIOR.get("counts"))
    by_name: dict[str, list[str]] = {}
    for d in engine.documents():
        if d.doc_id in lex.titles:
            for n in everyday_names(d):
                if len(n) >= 2:
                    by_name.setdefault(n, []).append(d.doc_id)
    names = sorted(by_name, key=lambda n: hashlib.sha1(n.encode()).hexdigest())[:limit]
    out = []
    dense = mode != "bm25"
    for n in names:
        ids = by_name[n]
        tmpl = TEMPLATES[int(hashlib.sha1(n.encode()).hexdigest(), 16) % len(TEMPLATES)]
        text, terms, weights, got = retrieve(engine, tmpl.format(n), mode)
        saved = {d: lex.aliases.get(d, ()) for d in ids}
        for d in ids:  # the name is what is asked: it must not also be the evidence
            lex.aliases[d] = tuple(a for a in saved[d] if n not in a)
        try:
            g = _group(engine, f"pair:{n}", "pair", text, terms, weights, got, {d: 2 for d in ids}, 1.0, dense)
        finally:
            lex.aliases.update(saved)
        if g is not None and g.y.any():
            out.append(g)
    return out


# --- fitting --------------------------------------------------------------------------------


@dataclass
class Stacked:
    """Groups as one matrix: rows of a group are contiguous, ``starts`` their offsets."""

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray
    gid: np.ndarray  # the group of each row
    weight: np.ndarray  # per group
    has_pos: np.ndarray  # per group

    @classmethod
    def of(cls, groups: list[Group], mean: np.ndarray, scale: np.ndarray) -> "Stacked":
        sizes = np.array([len(g.y) for g in groups])
        return cls(x=(np.vstack([g.x for g in groups]) - mean) / scale, y=np.concatenate([g.y for g in groups]),
                   starts=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
                   gid=np.repeat(np.arange(len(groups)), sizes), weight=np.array([g.weight for g in groups]),
                   has_pos=np.array([bool(g.y.any()) for g in groups]))


def _loss(params: np.ndarray, st: Stacked, l2: float):
    """Negative penalised log-likelihood of the right choices and its gradient."""
    w, none = params[:-1], params[-1]
    s = st.x @ w
    top = np.maximum(np.maximum.reduceat(s, st.starts), none)
    e = np.exp(s - top[st.gid])
    e0 = np.exp(none - top)
    z = e0 + np.add.reduceat(e, st.starts)
    pos = np.add.reduceat(e * st.y, st.starts)
    with np.errstate(divide="ignore"):
        ll = np.where(st.has_pos, np.log(np.maximum(pos, 1e-300)) - np.log(z), np.log(e0) - np.log(z))
    q = np.where(st.has_pos[st.gid], e * st.y / np.maximum(pos, 1e-300)[st.gid], 0.0)
    r = st.weight[st.gid] * (e / z[st.gid] - q)
    grad_w = st.x.T @ r + l2 * w
    grad_none = float(np.sum(st.weight * (e0 / z - (~st.has_pos))))
    return float(-np.sum(st.weight * ll) + 0.5 * l2 * float(w @ w)), np.concatenate([grad_w, [grad_none]])


def standardise(groups: list[Group]) -> tuple[np.ndarray, np.ndarray]:
    allx = np.vstack([g.x for g in groups])
    mean = allx.mean(axis=0)
    scale = allx.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit(groups: list[Group], l2: float, mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights (on standardised features) and the "none" score maximising the penalised likelihood."""
    from scipy.optimize import minimize

    res = minimize(_loss, np.zeros(len(mean) + 1), args=(Stacked.of(groups, mean, scale), l2), jac=True,
                   method="L-BFGS-B", options={"maxiter": 5000})
    return res.x[:-1], float(res.x[-1])


def confidences(groups: list[Group], w, none, mean, scale) -> list[tuple[float, bool, bool]]:
    """Per group: (confidence of the best candidate, whether it is right, whether the group has an answer)."""
    out = []
    for g in groups:
        s = ((g.x - mean) / scale) @ w
        top = max(none, s.max())
        e = np.exp(s - top)
        p = e / (np.exp(none - top) + e.sum())
        i = int(np.argmax(s))
        out.append((float(p[i]), bool(g.y[i]), bool(g.y.any())))
    return out


def choose_threshold(conf: list[tuple[float, bool, bool]], target: float = TARGET_PRECISION,
                     min_answered: int = MIN_ANSWERED) -> float:
    """The lowest threshold whose precision is at least ``target``: answering every question whose
    confidence reaches it, at least ``target`` of the answers are right. Thresholds answering fewer than
    ``min_answered`` questions are not considered (their precision says little); 1.0 when none qualifies."""
    cs = sorted(conf, key=lambda t: -t[0])
    right = 0
    best = 1.0
    for n, (c, good, _) in enumerate(cs, 1):
        right += good
        if n >= min_answered and right / n >= target and (n == len(cs) or cs[n][0] < c):
            best = c
    return float(best)


def _folds(groups: list[Group]) -> list[int]:
    return [int(hashlib.sha1(g.qid.encode()).hexdigest(), 16) % FOLDS for g in groups]


def weighted(groups: list[Group], pair_weight: float, leave_out_weight: float) -> list[Group]:
    """The groups with the weights of corpus pairs and left-out copies set (weight 0: left out)."""
    w = {"pair": pair_weight, "leave_out": leave_out_weight}
    return [dataclasses.replace(g, weight=w.get(g.source, g.weight)) for g in groups if w.get(g.source, 1.0) > 0]


def cross_validate(groups: list[Group], l2: float, pair_weight: float, leave_out_weight: float = 1.0):
    """Out-of-fold confidences and log-likelihood over the questions as asked (labelled and absent);
    corpus pairs and left-out copies only ever train."""
    folds = _folds(groups)
    conf, ll = [], 0.0
    for k in range(FOLDS):
        tr = weighted([g for g, f in zip(groups, folds) if f != k], pair_weight, leave_out_weight)
        te = [g for g, f in zip(groups, folds) if f == k and g.source in ("labelled", "absent")]
        if not te or not tr:
            continue
        mean, scale = standardise(tr)
        w, none = fit(tr, l2, mean, scale)
        ll -= _loss(np.concatenate([w, [none]]), Stacked.of([dataclasses.replace(g, weight=1.0) for g in te],
                                                            mean, scale), 0.0)[0]
        conf += confidences(te, w, none, mean, scale)
    return conf, ll


def train_variant(groups: list[Group], log=print) -> dict:
    """Choose the penalty and the weights of pairs and left-out copies by cross-validation (the
    log-likelihood of the right choice on the questions as asked), fit on everything with them, and
    choose the threshold on the out-of-fold confidences."""
    best = None
    for lw in LEAVE_OUT_WEIGHT_GRID:
        for pw in PAIR_WEIGHT_GRID:
            for l2 in L2_GRID:
                conf, ll = cross_validate(groups, l2, pw, lw)
                log(f"  l2={l2:<5} pair_weight={pw:<4} leave_out_weight={lw:<4} cv log-likelihood {ll:.2f}")
                if best is None or ll > best[0] + 1e-9:
                    best = (ll, l2, pw, lw, conf)
    ll, l2, pw, lw, conf = best
    used = weighted(groups, pw, lw)
    mean, scale = standardise(used)
    w, none = fit(used, l2, mean, scale)
    threshold = choose_threshold(conf)
    answered = [c for c in conf if c[0] >= threshold]
    present = [c for c in conf if c[2]]
    stats = {"groups": {s: sum(1 for g in groups if g.source == s) for s in ("labelled", "leave_out", "absent", "pair")},
             "l2": l2, "pair_weight": pw, "leave_out_weight": lw, "cv_loglik": round(float(ll), 3),
             "cv_top1": round(sum(c[1] for c in present) / max(1, len(present)), 4),
             "cv_answered": round(len(answered) / max(1, len(conf)), 4),
             "cv_precision": round(sum(c[1] for c in answered) / max(1, len(answered)), 4)}
    log(f"  chosen l2={l2} pair_weight={pw} leave_out_weight={lw}; threshold {threshold:.4f}; {stats}")
    return {"mean": _r(mean), "scale": _r(scale), "coef": _r(w), "none": round(none, 6),
            "threshold": round(threshold, 6), "trained": stats}


def _r(a) -> list[float]:
    return [round(float(v), 6) for v in a]


# --- the command ------------------------------------------------------------------------------


def labelled_questions(path: Path) -> list[dict]:
    """The train part of a query file, questions whose answer is an item (or nothing: ``relevant: {}``)."""
    from eval import read_queries

    return [q for q in read_queries(path) if split_of(q["qid"]) == "train"]


def build_groups(engine, files: list[Path], mode: str, pairs: bool, log=print) -> list[Group]:
    groups: list[Group] = []
    for f in files:
        qs = labelled_questions(f)
        absent = [q for q in qs if not q["qrels"]]
        present = [q for q in qs if q["qrels"] and any(_is_item(engine, d) for d in q["qrels"])]
        groups += collect(engine, present, mode)
        groups += collect(engine, absent, mode, source="absent")
        log(f"  {f.name}: {len(present)} questions with an item, {len(absent)} without ({mode}, {engine.name})")
    if pairs:
        got = corpus_pairs(engine, mode)
        log(f"  corpus pairs: {len(got)} ({mode}, {engine.name})")
        groups += got
    return groups


def _is_item(engine, doc_id: str) -> bool:
    try:
        return engine.doc(engine.canonical(doc_id)).kind in ("service_item", "bundle")
    except Exception:
        return False


def train(demo: list[Path], shared: list[Path], data: Path | None, log=print) -> dict:
    """The model (a dict ready for JSON) from demo builds (demo questions) and builds over the shared
    data (Guangdong dev questions and the absent-matter questions)."""
    from index import open_index

    variants: dict[str, list[Group]] = {}
    sources = [(b, [REPO / "corpus" / "queries.jsonl"]) for b in demo]
    if shared:
        if data is None:
            raise SystemExit("--data is needed with --shared (the Guangdong dev questions)")
        sources += [(b, [data / "eval" / "dev" / "guangdong-items.jsonl", ABSENT]) for b in shared]
    encoders = set()
    PRIOR.clear()
    if shared:  # the variant counts of the large corpus, pooled into every index's lexicon (answer.lexicon)
        PRIOR["counts"] = counts_to_ship(lexicon(open_index(shared[0])))
    for build, files in sources:
        engine = open_index(build)
        enc = engine.manifest.get("encoder", "none")
        variants.setdefault("bm25", []).extend(build_groups(engine, files, "bm25", True, log))
        if engine.has_dense:
            encoders.add(enc)
            variants.setdefault(enc, []).extend(build_groups(engine, files, "hybrid", True, log))
    model = {"version": 1, "features": list(FEATURES), "target_precision": TARGET_PRECISION, "variants": {},
             "variant_counts": PRIOR.get("counts", {})}
    for name, groups in sorted(variants.items()):
        log(f"variant {name}: {len(groups)} groups")
        model["variants"][name] = train_variant(groups, log)
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m answer.decision_train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo", type=Path, action="append", default=[], help="a build of the demo corpus")
    ap.add_argument("--shared", type=Path, action="append", default=[], help="a build of ../shared/data")
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder (for its dev questions)")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("models") / "decision.json")
    args = ap.parse_args(argv)
    model = train(args.demo, args.shared, args.data, log=lambda m: print(m, file=sys.stderr))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
