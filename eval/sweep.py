"""Compare fusion methods on dev sets: ``python -m eval.sweep --build build/shared [--queries F ...]``.

For every query file it scores bm25, dense, and hybrid under each fusion setting
(weighted at several dense weights, RRF; candidate pools; filled-in channel scores), so
the default can be chosen as a method that never loses to the better single channel on
any set — not tuned per query. Prints one line per setting (nDCG@10 per set) and marks
the settings that beat max(bm25, dense) everywhere.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval import read_queries
from eval.metrics import mean_metrics, query_metrics
from eval.split import select

DEFAULT_SETS = ("beijing-qa", "guangdong-items", "policies")


def _score(index, qs, mode, k=100, **kw) -> float:
    """Mean nDCG@10 of ``index`` on queries ``qs`` in ``mode`` (``kw``: fusion, weights)."""
    rows = []
    limit = getattr(index, "max_query_chars", 200)
    for q in qs:
        hits = index.search(q["query"].strip()[:limit], k=k, mode=mode, **kw)
        rows.append(query_metrics([h.doc_id for h in hits], q["qrels"]))
    return mean_metrics(rows)["ndcg@10"]


def settings_grid():
    for w in (0.5, 0.6, 0.7, 0.8, 0.9):
        yield f"weighted d={w}", {"fusion": "weighted", "weights": {"bm25": round(1 - w, 2), "dense": w}}
    for w in (0.5, 0.7):
        yield f"rrf d={w}", {"fusion": "rrf", "weights": {"bm25": round(1 - w, 2), "dense": w}}


def sweep(index, files: list[Path], pools=(100, 200), fills=(True, False), part: str | None = "train") -> list[dict]:
    """Every setting scored on the ``part`` of each file (default: the train part — a setting is chosen on it
    and reported on the validation part, see eval/split.py)."""
    sets = {f.stem: select(read_queries(f), part) for f in files}
    base = {name: {m: _score(index, qs, m) for m in ("bm25", "dense")} for name, qs in sets.items()}
    out = [{"setting": "bm25", **{n: b["bm25"] for n, b in base.items()}},
           {"setting": "dense", **{n: b["dense"] for n, b in base.items()}}]
    for pool in pools:
        for fill in fills:
            variant = index.configured(pool=pool, fill=fill)
            for label, kw in settings_grid():
                row = {"setting": f"{label} pool={pool} fill={fill}"}
                for name, qs in sets.items():
                    row[name] = _score(variant, qs, "hybrid", **kw)
                row["never_loses"] = all(row[n] >= max(base[n].values()) for n in sets)
                row["min_margin"] = min(row[n] - max(base[n].values()) for n in sets)
                out.append(row)
    return out


def choose(rows: list[dict]) -> dict:
    """The rule: the setting whose smallest margin over the better single channel, across the sets, is largest
    (fusion must never lose to its own parts)."""
    return max((r for r in rows if "min_margin" in r), key=lambda r: r["min_margin"])


def main(argv=None) -> int:
    from index import open_index

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", required=True)
    p.add_argument("--queries", nargs="*", help="query files (default: the three dev sets in ../shared/data)")
    p.add_argument("--data", default="../shared/data")
    p.add_argument("--split", default="train", choices=["train", "val", "all"],
                   help="the part of each file to score (default train: choose there, report on val)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    files = [Path(f) for f in a.queries] if a.queries else \
        [Path(a.data) / "eval" / "dev" / f"{s}.jsonl" for s in DEFAULT_SETS]
    rows = sweep(open_index(Path(a.build)), files, part=a.split)
    if a.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        names = [f.stem for f in files]
        print(f"{'setting':<36}" + "".join(f"{n[:16]:>17}" for n in names))
        for r in rows:
            mark = " *" if r.get("never_loses") else ""
            print(f"{r['setting']:<36}" + "".join(f"{r[n]:>17.4f}" for n in names) + mark)
        print(f"chosen by the rule (largest smallest margin over the better channel): {choose(rows)['setting']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
