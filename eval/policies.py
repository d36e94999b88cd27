"""The policy stage in ``govsearch eval``: validity label lines and match cases, recognised by their
shape and scored by :func:`answer.policies.score_validity` / :func:`answer.policies.score_matches`
against the documents of the loaded index.

- validity labels: ``{"doc_id", "as_of", "status", "effective_until"}`` → status accuracy on the
  documents that state their validity and on those that do not, per status, and ``until`` exactness;
- match cases: ``{"profile", "expect_match": [..], "expect_no_match": [..]}`` (optional ``id``,
  ``as_of``) → precision and recall of the matches over the labelled policies.

``--split train|val`` keeps one part (:mod:`eval.split`), keyed by ``qid``, else ``id``, else the
document id (a document labelled on two dates stays in one part).
"""
from __future__ import annotations

import json
from pathlib import Path

from answer.policies.scoring import read_jsonl, score_matches, score_validity
from answer.policies.service import POLICY_KINDS
from eval.split import split_of

SHAPES = ("retrieval", "validity", "match")


def line_shape(obj) -> str | None:
    """Which kind of labelled line an object is (None: none of them)."""
    if not isinstance(obj, dict):
        return None
    if "relevant" in obj and "query" in obj:
        return "retrieval"
    if "profile" in obj and ("expect_match" in obj or "expect_no_match" in obj):
        return "match"
    if "doc_id" in obj and "status" in obj and "as_of" in obj:
        return "validity"
    return None


def file_shape(path: Path) -> str:
    """The shape of a labelled file's first line that has one (retrieval when none does: its reader
    then names the bad line)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                shape = line_shape(json.loads(line))
            except ValueError:
                continue
            if shape:
                return shape
    return "retrieval"


def _key(row: dict) -> str:
    return str(row.get("qid") or row.get("id") or row.get("doc_id") or json.dumps(row, sort_keys=True))


def _records(index) -> tuple[dict, dict]:
    docs = {d.doc_id: d for d in index.documents() if d.kind in POLICY_KINDS}
    return docs, {k: index.chunks(k) for k in docs}


def run_policy_eval(index, path: Path, shape: str, part: str | None = None) -> dict:
    """Score the validity labels or match cases of ``path`` on ``index``'s policies. Lines of another
    shape or not JSON are reported under ``problems`` (with file and line) and skipped."""
    rows, problems = read_jsonl(Path(path))
    kept = []
    for n, row in enumerate(rows, 1):
        if line_shape(row) != shape:
            problems.append({"where": f"{path} (object {n})", "why": f"not a {shape} line: {sorted(row)[:6]}"})
            continue
        kept.append(row)
    if part not in (None, "all"):
        kept = [r for r in kept if split_of(_key(r)) == part]
    docs, chunks = _records(index)
    scores = score_validity(kept, docs, chunks) if shape == "validity" else score_matches(kept, docs, chunks)
    return {"queries": str(path), "kind": shape, "split": part or "all", "lines": len(kept), **scores,
            "problems": problems}


def _pct(x) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def format_policy_report(r: dict) -> str:
    part = r.get("split", "all")
    head = f"{r['queries']}  ({r['lines']} {r['kind']} lines" + ("" if part == "all" else f", {part} part") + ")"
    lines = [head]
    if r["kind"] == "validity":
        st, un = r["stated"], r["unstated"]
        lines.append(f"  status accuracy {_pct(r['accuracy'])} over {r['n']} labelled documents")
        lines.append(f"    stating their validity  {_pct(st['accuracy'])}  ({st['correct']}/{st['n']})")
        lines.append(f"    stating none (unknown)  {_pct(un['accuracy'])}  ({un['correct']}/{un['n']})")
        for s, v in r["by_status"].items():
            if v["n"]:
                lines.append(f"    {s:<10} {_pct(v['accuracy'])}  ({v['correct']}/{v['n']})")
        u = r["until"]
        lines.append(f"  effective_until exact {_pct(u['accuracy'])}  ({u['exact']}/{u['n']})")
        for e in r["errors"][:10]:
            lines.append(f"    ✗ {e['doc_id']} on {e['as_of']}: want {e['status']} until {e['effective_until']}, "
                         f"got {e['got']} until {e['got_until']}")
        if r["missing"]:
            lines.append(f"  not in this index: {', '.join(map(str, r['missing'][:10]))}")
    else:
        lines.append(f"  match precision {_pct(r['precision'])}  recall {_pct(r['recall'])}  over {r['n']} profiles "
                     f"(tp {r['tp']}, fp {r['fp']}, fn {r['fn']}, tn {r['tn']})")
        for c in r["cases"]:
            if c["false_positives"] or c["missed"]:
                lines.append(f"    {c['id']}: matched but should not {c['false_positives'] or '—'}; "
                             f"missed {c['missed'] or '—'}")
    for b in r.get("bad", [])[:10]:
        lines.append(f"  bad line: {b.get('why')}")
    for p in r.get("problems", [])[:10]:
        lines.append(f"  skipped {p['where']}: {p['why']}")
    return "\n".join(lines)
