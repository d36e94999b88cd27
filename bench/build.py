"""Build figures: ingest time, index build steps (cold from the build's manifest, a cached forced rebuild of
a copy, the second build of unchanged data), index size on disk; and the scratch copies they need.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from bench.measure import folder_bytes
from index import store

STEPS = ("read", "tokenize", "bm25", "encode", "faiss")


def cache_missing(build: Path, encoder: str, dim: int, cache: str) -> int:
    """How many of the build's passages the embedding cache lacks for ``encoder``."""
    from index import dense_worthy, passage_text
    from index.cache import EmbeddingCache, text_key
    from index.store import read_build

    if encoder == "none":
        return 0
    _, chunks = read_build(build)
    c = EmbeddingCache(cache, encoder, dim)  # dense_worthy: the chunks the dense channel encodes
    return sum(1 for ch in chunks if dense_worthy(ch) and text_key(passage_text(ch)) not in c)


def copy_build(src: Path, dst: Path, max_chunks: int | None = None) -> None:
    """docs.jsonl + chunks.jsonl of ``src`` into ``dst`` (whole documents up to ``max_chunks`` chunks)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    if max_chunks is None:
        for f in ("docs.jsonl", "chunks.jsonl"):
            shutil.copyfile(src / f, dst / f)
        store.seal(dst)
        return
    keep: list[str] = []
    n = 0
    per_doc: dict[str, int] = {}
    with open(src / "chunks.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)["doc_id"]
                per_doc[d] = per_doc.get(d, 0) + 1
    # every source: take documents round-robin over sources so the subset mixes kinds
    by_source: dict[str, list[str]] = {}
    with open(src / "docs.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                by_source.setdefault(d["source"], []).append(d["doc_id"])
    iters = [iter(v) for v in by_source.values()]
    while iters and n < max_chunks:
        for it in list(iters):
            d = next(it, None)
            if d is None:
                iters.remove(it)
                continue
            if n + per_doc.get(d, 0) > max_chunks:
                continue
            keep.append(d)
            n += per_doc.get(d, 0)
    wanted = set(keep)
    for name in ("docs.jsonl", "chunks.jsonl"):
        with open(src / name, encoding="utf-8") as fi, open(dst / name, "w", encoding="utf-8") as fo:
            for line in fi:
                if line.strip() and json.loads(line)["doc_id"] in wanted:
                    fo.write(line)
    store.seal(dst)  # what ingest writes last: the pair is complete


def bench_ingest(data: Path | None, work: Path) -> dict:
    from ingest import run_ingest

    out = work / "ingest"
    t = time.perf_counter()
    report = run_ingest(data, out)
    secs = time.perf_counter() - t
    skipped = sum(s.get("skipped", 0) for s in report["sources"].values())
    shutil.rmtree(out, ignore_errors=True)
    return {"data": str(data) if data else "corpus (demo)", "seconds": round(secs, 3),
            "documents": report["documents"], "chunks": report["chunks"], "skipped": skipped}


def _total(timings: dict) -> float:
    return round(sum(v for k, v in timings.items() if k in STEPS and v is not None), 3)


def sample_encode_seconds(build: Path, encoder: str, n: int) -> float:
    """Seconds per passage of a cold encode (no cache), over ``n`` passages spread over the build."""
    from core.settings import get_settings
    from index import dense_worthy, passage_text
    from index.encoders import get_encoder
    from index.store import read_build

    _, chunks = read_build(build)
    worthy = [c for c in chunks if dense_worthy(c)]
    step = max(1, len(worthy) // n)
    texts = [passage_text(c) for c in worthy[::step][:n]]
    enc = get_encoder(encoder, threads=get_settings().threads)
    enc.encode_passages(texts[:2])  # load the model outside the timing
    t = time.perf_counter()
    for i in range(0, len(texts), 32):
        enc.encode_passages(texts[i:i + 32])
    return (time.perf_counter() - t) / len(texts)


def bench_build(base: Path, work: Path, cache: str, cold_sample: int = 64) -> dict:
    """Cold figures from the base manifest; a cached forced rebuild of a copy; the second build."""
    from index import build_index
    from index.store import read_manifest

    m = read_manifest(base)
    cold = {k: m["timings"].get(k) for k in STEPS}
    encoder = m["encoder"]
    n_dense = int(m.get("encoded", 0)) + int(m.get("cached", 0) or 0)
    if encoder != "none" and n_dense and m.get("encoded", 0) < 0.5 * n_dense and cold_sample:
        # the build's vectors came from the cache, so its manifest holds no cold encode: time the
        # encoder on a sample of the build's passages (no cache) and scale to every encoded passage
        per = sample_encode_seconds(base, encoder, cold_sample)
        cold["encode"] = round(per * n_dense, 1)
        cold["encode_estimated_from"] = cold_sample
        cold["encode_s_per_passage"] = round(per, 4)
    missing = cache_missing(base, encoder, int(m.get("dim") or 0), cache)
    note = None
    if missing:
        note = (f"the embedding cache {cache} lacks {missing} of the build's passages: the rebuild used "
                f"encoder none rather than encode them again")
        encoder = "none"
    copy = work / "rebuild"
    copy_build(base, copy)
    t = time.perf_counter()
    m2 = build_index(copy, encoder=encoder, cache_dir=cache, force=True, progress=False)
    wall2 = time.perf_counter() - t
    t = time.perf_counter()
    m3 = build_index(copy, encoder=encoder, cache_dir=cache, progress=False)
    wall3 = time.perf_counter() - t
    cold_total, cached_total = _total(cold), _total(m2["timings"])
    return {
        "encoder": m["encoder"],
        "chunks": m["chunks"],
        "documents": m["documents"],
        "cold": {**cold, "total": cold_total, "encoded": m.get("encoded", 0)},
        "dense_passages": n_dense,
        "cached": {**{k: m2["timings"].get(k) for k in STEPS}, "total": cached_total,
                   "wall": round(wall2, 3), "encoder": m2["encoder"], "encoded": m2.get("encoded", 0)},
        "second_build": {"wall": round(wall3, 3), "reused": bool(m3.get("reused"))},
        "speedup_cached_rebuild": round(cold_total / cached_total, 1) if cached_total else None,
        "speedup_second_build": round(cold_total / wall3, 1) if wall3 else None,
        "rebuild_encoder": encoder,
        "note": note,
        "copy": str(copy),
    }


def bench_size(base: Path) -> dict:
    folder = store.index_dir(base)
    files = {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}
    return {
        "index_bytes": folder_bytes(folder),
        "bm25_bytes": folder_bytes(folder / store.BM25_DIR),
        "vectors_bytes": files.get(store.VECTORS, 0),
        "faiss_bytes": files.get(store.FAISS, 0),
        "build_jsonl_bytes": folder_bytes(base / "docs.jsonl") + folder_bytes(base / "chunks.jsonl"),
    }
