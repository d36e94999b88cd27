"""The fixed rule that splits every labelled query file into a train part and a validation part.

``split_of(qid) == "val"`` when ``int(sha1(qid), 16) % 5 == 0`` (about one question in five), else
``"train"``. Anything learned or tuned from labelled questions (encoder fine-tuning, the ranker,
answer thresholds, fusion weights) is fitted on the train part only; figures are reported on the
validation part only. The rule depends on the qid alone, so a file that grows keeps the split of
the questions it already had.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Literal

Part = Literal["train", "val"]
RULE = "sha1(qid) % 5 == 0 -> val, else train"


def split_of(qid: str) -> Part:
    return "val" if int(hashlib.sha1(str(qid).encode("utf-8")).hexdigest(), 16) % 5 == 0 else "train"


def select(queries: Iterable[dict], part: str | None) -> list[dict]:
    """The queries of one part (``"train"`` / ``"val"``), or all of them for ``None`` / ``"all"``."""
    qs = list(queries)
    if part in (None, "all"):
        return qs
    if part not in ("train", "val"):
        raise ValueError(f"unknown split part {part!r} (train | val | all)")
    return [q for q in qs if split_of(q["qid"]) == part]
