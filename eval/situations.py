"""Measure the situation checklist on query files that carry ``situation_expect`` (情形引导).

Two ways, one scoring (:func:`answer.checklist.score_rows`) and one summary (:func:`summarize`):

- through the answers, as ``govsearch eval --queries FILE --build B`` does (:func:`score_answers`):
  each case's question goes to ``/answer`` (:func:`answer.item.answer`); when the item chosen is the
  case's item, the ``applies`` of the answer's materials are compared with ``keep`` / ``drop``; a
  case whose item is wrong (or null) is counted in ``wrong_item`` and not scored;
- without an index, the item read from the real source through its ingest adapter
  (:func:`run`, :func:`answer.checklist.score_situation_case`):

    python -m eval.situations --queries eval/sets/situations-guangdong.jsonl --data ../shared/data [--part val] [--json]
    python -m eval.situations --census --data ../shared/data      # how many materials carry which conditions

Each case names its item (``primary``, else the best-graded ``relevant`` id). Reported:
``materials_correct`` (share of all listed materials kept / dropped right; ``kept_correct`` /
``dropped_correct`` per side), ``mean_case_share``, ``wrong_drops`` (materials dropped that the case
does not drop) and ``unconditional_drops`` (materials without any condition dropped); the target
for both is 0. ``--part`` keeps the train or val part of the committed split (:mod:`eval.split`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from answer.checklist import score_rows, score_situation_case
from eval.split import select


def load_cases(path: Path) -> list[dict]:
    cases = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{path}:{n}: skipped, not JSON ({e.msg})", file=sys.stderr)
                continue
            if "situation_expect" in case and case.get("query"):
                cases.append(case)
    return cases


def item_id(case: dict) -> str | None:
    if case.get("primary"):
        return case["primary"]
    rel = case.get("relevant") or {}
    if isinstance(rel, dict):
        return max(rel, key=rel.get) if rel else None
    return rel[0] if rel else None


def load_items(data: Path) -> dict[str, Any]:
    """Service items (and bundles) of the real data, by id, through their ingest adapters."""
    from ingest.adapters import guangdong

    return {d.doc_id: d for d in guangdong.load(data).documents}


def run(cases: list[dict], docs: dict[str, Any]) -> dict[str, Any]:
    """Score each case on its item read from the data (no index, no item choice)."""
    results, missing = [], []
    for case in cases:
        doc = docs.get(item_id(case) or "")
        if doc is None:
            missing.append(case.get("qid"))
            continue
        r = score_situation_case(case, list(doc.fields.get("materials") or []), title=doc.title,
                                 region=doc.region, routes=doc.fields.get("routes"), members=doc.fields.get("members"))
        results.append(r)
    return {**summarize(results), "missing_items": missing}


def score_answers(cases: list[dict], answers: dict[str, dict | None], canonical=None) -> dict[str, Any]:
    """Score each case on the answer given to its question (``answers``: qid → the result of
    :func:`answer.item.answer`, None when it failed). ``canonical`` maps a judged id to the id the
    index kept (duplicates)."""
    canon = canonical or (lambda d: d)
    results, wrong_item = [], []
    for case in cases:
        res = answers.get(case["qid"])
        want = item_id(case)
        got = (res or {}).get("item") or {}
        if not want or canon(want) != got.get("doc_id"):
            wrong_item.append({"qid": case["qid"], "expected": want, "got": got.get("doc_id")})
            continue
        given = {s["id"]: s["answer"] for s in res.get("situations") or [] if s.get("answer")}
        results.append(score_rows(case, res["materials"], given, res.get("understood")))
    return {**summarize(results), "n": len(cases), "wrong_item": len(wrong_item), "wrong_items": wrong_item}


def summarize(results: list[dict]) -> dict[str, Any]:
    """The figures of scored cases (:func:`answer.checklist.score_rows` results)."""
    n = sum(r["n"] for r in results)
    correct = sum(r["correct"] for r in results)
    n_keep, n_drop = sum(r["n_keep"] for r in results), sum(r["n_drop"] for r in results)
    return {
        "n_cases": len(results), "n_materials": n,
        "materials_correct": correct / n if n else 0.0,
        "kept_correct": 1 - sum(len(r["kept_wrong"]) for r in results) / n_keep if n_keep else 1.0,
        "dropped_correct": 1 - sum(len(r["dropped_wrong"]) for r in results) / n_drop if n_drop else 1.0,
        "mean_case_share": sum(r["share"] for r in results) / len(results) if results else 0.0,
        "cases_with_wrong_drops": sum(1 for r in results if r["wrong_drops"]),
        "wrong_drops": sum(len(r["wrong_drops"]) for r in results),
        "unconditional_drops": sum(len(r["unconditional_drops"]) for r in results),
        "cases": results,
    }


def format_line(report: dict[str, Any]) -> str:
    """One line of the figures (for `govsearch eval` and ``python -m eval.situations``)."""
    line = (f"{report['n_cases']} cases, {report['n_materials']} materials: correct {report['materials_correct']:.3f} "
            f"(kept {report['kept_correct']:.3f}, dropped {report['dropped_correct']:.3f}; mean per case "
            f"{report['mean_case_share']:.3f}); wrong drops {report['wrong_drops']} in {report['cases_with_wrong_drops']} "
            f"cases; unconditional dropped {report['unconditional_drops']}")
    if "wrong_item" in report:
        line += f"; wrong item in {report['wrong_item']} of {report['n']} cases (not scored)"
    return line


def census(docs: dict[str, Any]) -> dict[str, Any]:
    """How many material rows of these items carry a condition, and of what kind: ``dimension``
    (at least one condition read into a dimension) or ``generic`` only; and per dimension."""
    from answer.conditions import alternatives, flat
    from answer.situations import material_conds

    rows = names = 0
    kinds = {"none": 0, "dimension": 0, "generic": 0}
    per_dim: dict[str, int] = {}
    conditional_names: set[str] = set()
    either_or = 0
    for doc in docs.values():
        mats = list(doc.fields.get("materials") or [])
        for m, (conds, _) in zip(mats, material_conds(mats, doc.title)):
            rows += 1
            dims = {c.dim for c in flat(conds) if c.dim != "any"}
            kind = "none" if not dims else ("generic" if dims == {"generic"} else "dimension")
            kinds[kind] += 1
            for d in dims:
                per_dim[d] = per_dim.get(d, 0) + 1
            if dims:
                conditional_names.add(m.get("name"))
            either_or += bool(alternatives(str(m.get("name") or "")))
        names += len(mats)
    return {"items": sum(1 for d in docs.values() if d.fields.get("materials")), "material_rows": rows,
            "conditional_rows": kinds["dimension"] + kinds["generic"], "by_kind": kinds,
            "by_dimension": dict(sorted(per_dim.items(), key=lambda kv: -kv[1])),
            "distinct_conditional_names": len(conditional_names), "either_or_rows": either_or}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="situation checklist accuracy (situation_expect cases)")
    ap.add_argument("--queries", type=Path)
    ap.add_argument("--census", action="store_true", help="count the conditions of every item's materials instead")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--part", choices=("train", "val", "all"), default="all")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    ap.add_argument("--show", action="store_true", help="list each case that is not fully right")
    args = ap.parse_args(argv)
    if args.census:
        print(json.dumps(census(load_items(args.data)), ensure_ascii=False, indent=1))
        return 0
    if args.queries is None:
        ap.error("--queries is required (or --census)")
    cases = select(load_cases(args.queries), args.part)
    report = run(cases, load_items(args.data))
    report["part"] = args.part
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print(f"{args.queries} part={args.part}: " + format_line(report))
    if args.show:
        for r in report["cases"]:
            if r["kept_wrong"] or r["dropped_wrong"] or r["wrong_drops"]:
                print(f"- {r['qid']} {r['share']:.2f} answers={r['answers']}")
                for k in ("kept_wrong", "dropped_wrong", "wrong_drops"):
                    if r[k]:
                        print(f"    {k}: {r[k]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
