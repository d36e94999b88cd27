"""The 10x corpus: the real documents and chunks repeated with distinct ids, indexed and queried.

``python -m bench.scale --base BUILD --out DIR --encoder E --cache C --queries FILE`` runs in
its own process (so the bench's memory comes back afterwards) and prints one JSON object.
Passage texts repeat, so with a dense encoder every vector comes from the embedding cache
(keyed by text): nothing is encoded again. The caller checks the cache covers the base first.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def repeated_build(base: Path, out: Path, times: int = 10) -> dict:
    """Write ``out/docs.jsonl`` and ``out/chunks.jsonl``: every document and chunk of ``base``
    ``times`` times, ids ``doc_id + "~r{n}"`` (chunk ids follow). Streams line by line."""
    out.mkdir(parents=True, exist_ok=True)
    n_docs = n_chunks = 0
    with open(out / "docs.jsonl", "w", encoding="utf-8") as f:
        for n in range(times):
            for line in open(base / "docs.jsonl", encoding="utf-8"):
                if not line.strip():
                    continue
                d = json.loads(line)
                d["doc_id"] = f"{d['doc_id']}~r{n}"
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
                n_docs += 1
    with open(out / "chunks.jsonl", "w", encoding="utf-8") as f:
        for n in range(times):
            for line in open(base / "chunks.jsonl", encoding="utf-8"):
                if not line.strip():
                    continue
                c = json.loads(line)
                doc_id = c["doc_id"]
                c["doc_id"] = f"{doc_id}~r{n}"
                suffix = c["chunk_id"][len(doc_id):] if c["chunk_id"].startswith(doc_id) else "#" + c["chunk_id"]
                c["chunk_id"] = c["doc_id"] + suffix
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
                n_chunks += 1
    from core.build import seal

    seal(out)
    return {"documents": n_docs, "chunks": n_chunks}


def run(base: Path, out: Path, encoder: str, cache: str, queries: list[str], times: int = 10,
        repeats: int = 3) -> dict:
    from bench.measure import folder_bytes, median_of, percentiles, time_calls, time_floor
    from index import build_index, open_index

    t = time.perf_counter()
    counts = repeated_build(base, out, times)
    write_s = time.perf_counter() - t
    t = time.perf_counter()
    manifest = build_index(out, encoder=encoder, cache_dir=cache, force=True, progress=False)
    build_s = time.perf_counter() - t
    big = open_index(out)
    small = open_index(base)
    lat = {"1x": [], "10x": []}
    for _ in range(repeats):  # interleaved, so both see the same noise
        for name, idx in (("1x", small), ("10x", big)):
            lat[name].append(percentiles(time_calls(lambda q, i=idx: i.search(q, k=10, mode="bm25"), queries)))
    floors = {}
    for name, idx in (("1x", small), ("10x", big)):
        toks = [idx.tokenizer(q) for q in queries[:50]]
        i = iter(range(10**9))
        floors[name] = time_floor(lambda: idx.bm25.scores(toks[next(i) % len(toks)]), n=200)
    res = {
        "times": times,
        **counts,
        "encoder": manifest["encoder"],
        "encoded": manifest.get("encoded", 0),
        "write_seconds": round(write_s, 3),
        "build_seconds": round(build_s, 3),
        "timings": manifest["timings"],
        "index_bytes": folder_bytes(out / "index"),
        "bm25_1x": median_of(lat["1x"]),
        "bm25_10x": median_of(lat["10x"]),
        "bm25_floor_ms_1x": floors["1x"],
        "bm25_floor_ms_10x": floors["10x"],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="indexed build folder to repeat")
    p.add_argument("--out", required=True, help="folder for the repeated build")
    p.add_argument("--encoder", default="none")
    p.add_argument("--cache", default="build/cache")
    p.add_argument("--queries", required=True, help="JSON file: a list of query strings")
    p.add_argument("--times", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    queries = json.loads(Path(a.queries).read_text(encoding="utf-8"))
    res = run(Path(a.base), Path(a.out), a.encoder, a.cache, queries, a.times, a.repeats)
    print(json.dumps(res, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
