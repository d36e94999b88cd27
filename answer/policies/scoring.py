"""Measuring the policy stage against labels: validity statuses (lines ``{"doc_id", "as_of",
"status", "effective_until"}``) and match cases (``{"profile", "expect_match", "expect_no_match"}``,
optional ``as_of`` and ``id``). Plain functions over records; ``govsearch eval`` calls them."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from answer.policies.matching import analyse_policies, match
from answer.policies.records import CompanyProfile
from answer.policies.validity import corpus_facts, link_repeals, validity
from core import build as core_build
from core.records import Chunk, Document

STATUSES = ("in_force", "expired", "not_yet", "unknown")


def read_jsonl(path: Path) -> tuple[list[dict], list[dict]]:
    """The objects of a JSON-lines file and the problems (line, why) of the lines that are not."""
    rows, problems = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append({"where": f"{path}:{n}", "why": f"not JSON: {e.msg}"})
                continue
            if not isinstance(obj, dict):
                problems.append({"where": f"{path}:{n}", "why": "not a JSON object"})
                continue
            rows.append(obj)
    return rows, problems


def read_build(build: Path) -> tuple[dict[str, Document], dict[str, list[Chunk]]]:
    """The documents (by id) and chunks (by document id) of a sealed build folder."""
    docs, chunks = core_build.read_build(Path(build))
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    return {d.doc_id: d for d in docs}, by_doc


def _resolver(docs_by_id: dict[str, Document]) -> dict[str, str]:
    """Every id a label may use → the id of the document kept (dropped duplicates resolve)."""
    ids = {k: k for k in docs_by_id}
    for k, d in docs_by_id.items():
        for dup in d.fields.get("duplicate_ids") or []:
            ids.setdefault(dup, k)
    return ids


def _rate(correct: int, n: int) -> float | None:
    return round(correct / n, 4) if n else None


def score_validity(labels: list[dict], docs_by_id: dict[str, Document],
                   chunks_by_doc: dict[str, list[Chunk]]) -> dict:
    """Status accuracy on documents that state their validity (label not ``unknown``) and on those
    that do not, per status, and how often ``until`` equals the label's ``effective_until``.
    Repeals are linked across all the policy documents given."""
    resolve = _resolver(docs_by_id)
    facts = corpus_facts(list(docs_by_id.values()), chunks_by_doc)
    repealed = link_repeals(facts)
    groups = {"stated": [0, 0], "unstated": [0, 0]}
    by_status = {s: [0, 0] for s in STATUSES}
    until = [0, 0]
    missing, bad, errors = [], [], []
    for lab in labels:
        doc_id = resolve.get(str(lab.get("doc_id")))
        status = lab.get("status")
        try:
            as_of = date.fromisoformat(str(lab.get("as_of")))
        except ValueError:
            bad.append({"label": lab, "why": "as_of is not YYYY-MM-DD"})
            continue
        if status not in STATUSES:
            bad.append({"label": lab, "why": f"status must be one of {', '.join(STATUSES)}"})
            continue
        if doc_id is None or doc_id not in facts:
            missing.append(lab.get("doc_id"))
            continue
        v = validity(facts[doc_id], as_of, repealed.get(doc_id))
        ok = v.status == status
        g = groups["unstated" if status == "unknown" else "stated"]
        g[0] += 1
        g[1] += ok
        by_status[status][0] += 1
        by_status[status][1] += ok
        want_until = lab.get("effective_until")
        got_until = v.until.isoformat() if v.until else None
        if status != "unknown":
            until[0] += 1
            until[1] += want_until == got_until
        if not ok or (status != "unknown" and want_until != got_until):
            errors.append({"doc_id": lab.get("doc_id"), "as_of": as_of.isoformat(), "status": status,
                           "got": v.status, "effective_until": want_until, "got_until": got_until})
    n = groups["stated"][0] + groups["unstated"][0]
    return {
        "n": n,
        "accuracy": _rate(groups["stated"][1] + groups["unstated"][1], n),
        "stated": {"n": groups["stated"][0], "correct": groups["stated"][1],
                   "accuracy": _rate(groups["stated"][1], groups["stated"][0])},
        "unstated": {"n": groups["unstated"][0], "correct": groups["unstated"][1],
                     "accuracy": _rate(groups["unstated"][1], groups["unstated"][0])},
        "by_status": {s: {"n": v[0], "correct": v[1], "accuracy": _rate(v[1], v[0])} for s, v in by_status.items()},
        "until": {"n": until[0], "exact": until[1], "accuracy": _rate(until[1], until[0])},
        "missing": missing, "bad": bad, "errors": errors,
    }


def score_matches(cases: list[dict], docs_by_id: dict[str, Document], chunks_by_doc: dict[str, list[Chunk]],
                  as_of: date | None = None) -> dict:
    """Precision and recall of ``match`` over the labelled policies of each case: a policy listed in
    ``expect_match`` and matched is a true positive, one in ``expect_no_match`` and matched a false
    positive, one in ``expect_match`` and not matched a false negative; unlisted policies do not count."""
    resolve = _resolver(docs_by_id)
    policies = analyse_policies([d for d in docs_by_id.values() if d.kind in ("policy", "article")], chunks_by_doc)
    facts = {p.doc_id: p.facts for p in policies}
    repealed = link_repeals(facts)
    tp = fp = fn = tn = 0
    per_case, bad = [], []
    for i, case in enumerate(cases):
        try:
            profile = CompanyProfile.model_validate(case.get("profile") or {})
            day = date.fromisoformat(case["as_of"]) if case.get("as_of") else (as_of or date.today())
        except (ValueError, TypeError) as e:
            bad.append({"case": case.get("id", i), "why": str(e).splitlines()[0]})
            continue
        result = match(profile, policies, day, repealed_by=repealed)
        got = {m.doc_id for m in result.matches}
        want = {resolve.get(x, x) for x in case.get("expect_match") or []}
        reject = {resolve.get(x, x) for x in case.get("expect_no_match") or []}
        c_tp, c_fp = len(got & want), len(got & reject)
        c_fn, c_tn = len(want - got), len(reject - got)
        tp, fp, fn, tn = tp + c_tp, fp + c_fp, fn + c_fn, tn + c_tn
        per_case.append({"id": case.get("id", i), "as_of": day.isoformat(), "tp": c_tp, "fp": c_fp, "fn": c_fn,
                         "false_positives": sorted(got & reject), "missed": sorted(want - got)})
    return {"n": len(per_case), "precision": _rate(tp, tp + fp), "recall": _rate(tp, tp + fn),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "cases": per_case, "bad": bad}
