"""Evaluation: query files with judgments → metrics per set, per kind, per mode; answer accuracy.

Files of validity labels (``{"doc_id", "as_of", "status", "effective_until"}``) or policy match
cases (``{"profile", "expect_match", "expect_no_match"}``) are recognised by their first line and
scored by :mod:`eval.policies` instead.

Query files are JSON lines ``{"qid", "query", "relevant"}`` where ``relevant`` is a list of
doc ids (each grade 1) or a ``{doc_id: grade}`` map (2 = answers the query, 1 = partly
relevant); optional ``kind``, ``expect`` (the expected answer field), ``primary`` and
``situation_expect`` (``{keep: [names], drop: [names]}``: the materials the situation stated in
the question keeps and drops; scored by :mod:`eval.situations` on the answers' ``applies``).

Metrics (see :mod:`eval.metrics`): nDCG@10 with linear gain (trec_eval's definition),
MRR@10, Recall@10, Recall@100, averaged over queries. Answer accuracy, for queries of kind
materials / time / phone / location: ``answer.item.answer(index, query)`` must pick a
grade-2 item and its field must equal ``expect`` after normalisation (a line without ``expect``
scores the item choice only).
"""
from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from pathlib import Path
from typing import Any

from eval.metrics import METRICS, mean_metrics, query_metrics
from eval.policies import file_shape, format_policy_report, run_policy_eval
from eval.split import select
from core.errors import BadQuery, GovsearchError

ANSWER_KINDS = ("materials", "time", "phone", "location")
ALL_MODES = ("bm25", "dense", "hybrid")

__all__ = ["run_eval", "format_report", "read_queries", "write_trec_run", "write_qrels", "answer_correct"]


# --- query files ------------------------------------------------------------------------


def read_queries(path: Path) -> list[dict[str, Any]]:
    """Queries with ``qrels`` ({doc_id: grade}) added; a bad line raises ValueError naming it."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                q = json.loads(line)
                rel = q["relevant"]
                if isinstance(rel, list):
                    qrels = {str(d): 1 for d in rel}
                elif isinstance(rel, dict):
                    qrels = {str(d): int(g) for d, g in rel.items()}
                else:
                    raise ValueError("relevant must be a list or a map")
                q = {**q, "qid": str(q["qid"]), "query": str(q["query"]), "qrels": qrels}
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{n}: not a query line ({e})") from e
            out.append(q)
    return out


def write_trec_run(runs: dict[str, list[tuple[str, float]]], path: Path, run_name: str) -> None:
    """``qid Q0 docid rank score run`` lines."""
    with open(path, "w", encoding="utf-8") as f:
        for qid, ranked in runs.items():
            for rank, (doc_id, score) in enumerate(ranked, 1):
                f.write(f"{qid} Q0 {doc_id} {rank} {score:.6f} {run_name}\n")


def write_qrels(queries: list[dict[str, Any]], path: Path) -> None:
    """``qid 0 docid grade`` lines."""
    with open(path, "w", encoding="utf-8") as f:
        for q in queries:
            for doc_id, grade in q["qrels"].items():
                f.write(f"{q['qid']} 0 {doc_id} {grade}\n")


# --- answer accuracy ----------------------------------------------------------------------

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def _norm(text: Any) -> str:
    s = unicodedata.normalize("NFKC", str(text or "")).lower()
    return _PUNCT.sub("", s)


def _norm_time(text: Any) -> str:
    return _norm(text).replace("个", "")


def _strip_label(s: str) -> str:
    # "办理地点：…" / "电话：…" → the value
    return re.sub(r"^[^：:]{1,8}[：:]", "", str(s or "").strip())


def answer_correct(q: dict[str, Any], result: dict[str, Any] | None) -> bool:
    """Whether an answer result is right for a query with ``kind`` and ``expect``."""
    if not result or not result.get("item"):
        return False
    if q["qrels"].get(result["item"].get("doc_id"), 0) < 2:
        return False
    kind, expect = q.get("kind"), q.get("expect")
    if expect is None:
        return True
    if kind == "materials":
        got = {_norm(m.get("name") if isinstance(m, dict) else m) for m in result.get("materials") or []}
        return got - {""} == {_norm(x) for x in expect} - {""}
    if kind == "time":
        tl = result.get("time_limit")
        if isinstance(tl, dict):
            got = {"handle_time": tl.get("legal"), "handle_time_limit": tl.get("promised")}
            return all(_norm_time(got.get(k)) == _norm_time(v) for k, v in expect.items())
        blob = _norm_time(tl)
        return all(_norm_time(v) in blob for v in expect.values())
    if kind in ("phone", "location"):
        got, want = _norm(_strip_label(result.get(kind))), _norm(_strip_label(expect))
        return bool(got and want) and (got == want or want in got or got in want)
    return True


# --- running ------------------------------------------------------------------------------


def _run_mode(index, queries, mode: str, k: int) -> tuple[dict, dict[str, list[tuple[str, float]]]]:
    rows, by_kind, runs, lat, errors = [], {}, {}, [], []
    limit = getattr(index, "max_query_chars", 200)
    for q in queries:
        t = time.perf_counter()
        try:
            # over-long questions are cut to the service's limit (counted in "truncated")
            hits = index.search(q["query"].strip()[:limit], k=k, mode=mode)
        except BadQuery as e:
            hits = []
            errors.append({"qid": q["qid"], "error": str(e)})
        lat.append((time.perf_counter() - t) * 1000)
        ranked = [h.doc_id for h in hits]
        runs[q["qid"]] = [(h.doc_id, h.score) for h in hits]
        m = query_metrics(ranked, q["qrels"])
        rows.append(m)
        if q.get("kind"):
            by_kind.setdefault(q["kind"], []).append(m)
    truncated = sum(len(q["query"].strip()) > limit for q in queries)
    out = {"mode": mode, "n": len(queries), **mean_metrics(rows), "truncated": truncated,
           "by_kind": {kd: {"n": len(v), **mean_metrics(v)} for kd, v in sorted(by_kind.items())},
           "latency_ms": {"median": round(statistics.median(lat), 2) if lat else 0.0,
                          "p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 2) if lat else 0.0}}
    if errors:
        out["errors"] = errors
    return out, runs


def _answers(index, queries) -> dict[str, dict | None]:
    """``answer.item.answer`` for every query that is scored on its answer (qid → result, None on error)."""
    from answer.item import answer

    out: dict[str, dict | None] = {}
    for q in queries:
        if q.get("kind") in ANSWER_KINDS or q.get("situation_expect"):
            try:
                out[q["qid"]] = answer(index, q["query"])
            except GovsearchError:
                out[q["qid"]] = None
    return out


def _run_answers(queries, results: dict[str, dict | None], index=None) -> dict | None:
    """Answer accuracy and the decision's behaviour: ``answered`` (share with an item), ``precision``
    (share of the answered that are right), ``item_precision`` (… whose item is right, whatever the
    fields), ``accuracy``; for questions about a matter the index does not hold (``relevant: {}``) the
    right answer is no item; ``alternatives_recall``: of the questions left unanswered whose right item
    is in the index, the share that offer it among the alternatives."""
    todo = [q for q in queries if q.get("kind") in ANSWER_KINDS]
    if not todo:
        return None
    ok, by_kind, wrong = 0, {}, []
    answered = right_answers = right_items = held_back = offered = absent = absent_null = 0
    for q in todo:
        res = results.get(q["qid"])
        item = (res or {}).get("item")
        if not q["qrels"]:
            good = res is not None and item is None
            absent += 1
            absent_null += good
        else:
            good = answer_correct(q, res)
        ok += good
        if item:
            answered += 1
            right_answers += good
            right_items += q["qrels"].get(item.get("doc_id"), 0) >= 2
        elif res is not None and index is not None and _held(index, q):
            held_back += 1
            offered += any(q["qrels"].get(a.get("doc_id"), 0) >= 2 for a in res.get("alternatives") or [])
        bk = by_kind.setdefault(q["kind"], [0, 0])
        bk[0] += 1
        bk[1] += good
        if not good:
            wrong.append(q["qid"])
    n = len(todo)
    out = {"n": n, "accuracy": round(ok / n, 4), "answered": round(answered / n, 4),
           "precision": round(right_answers / answered, 4) if answered else None,
           "item_precision": round(right_items / answered, 4) if answered else None,
           "alternatives_recall": round(offered / held_back, 4) if held_back else None,
           "held_back_with_answer": held_back,
           "by_kind": {kd: {"n": c, "accuracy": round(g / c, 4)} for kd, (c, g) in sorted(by_kind.items())},
           "wrong": wrong}
    if absent:
        out["absent"] = {"n": absent, "no_item": round(absent_null / absent, 4)}
    return out


def _held(index, q) -> bool:
    """The index holds a right answer of ``q``."""
    for doc_id, grade in q["qrels"].items():
        if grade >= 2:
            try:
                index.doc(doc_id)
                return True
            except GovsearchError:
                continue
    return False


def _run_situations(queries, results: dict[str, dict | None], canonical=None) -> dict | None:
    cases = [q for q in queries if q.get("situation_expect")]
    if not cases:
        return None
    from eval.situations import score_answers

    return score_answers(cases, results, canonical)


def run_eval(index, queries: Path, mode: str = "hybrid", trec_out: Path | None = None, k: int = 100,
             part: str | None = None) -> dict:
    """Score ``index`` on a query file. ``mode`` is hybrid | bm25 | dense | all.

    Returns ``{"queries", "n", "mode", "ndcg@10", "mrr@10", "recall@10", "recall@100",
    "by_kind", "answer"}`` (+ ``"situations"`` when lines carry ``situation_expect``); with
    ``mode="all"`` one such object per mode under ``"modes"``
    (modes the index cannot serve, e.g. dense on a BM25-only index, are left out).
    ``part`` keeps the ``"train"`` or ``"val"`` part of the file only (:mod:`eval.split`).
    ``trec_out`` also writes the run(s) in TREC format (``PATH`` or ``PATH.MODE`` for all)
    and the judgments beside it (``PATH.qrels``).
    """
    queries_path = Path(queries)
    shape = file_shape(queries_path)
    if shape != "retrieval":  # validity labels or match cases: scored on the index's policies
        return run_policy_eval(index, queries_path, shape, part)
    qs = select(read_queries(queries_path), part)
    if mode not in ALL_MODES + ("all",):
        raise BadQuery(f"unknown mode {mode!r}", hint="use hybrid, bm25, dense or all")
    has_dense = getattr(index, "has_dense", True)
    modes = [m for m in ALL_MODES if has_dense or m == "bm25"] if mode == "all" else [mode]
    canonical = getattr(index, "canonical", None)
    if canonical is not None:
        # a judged document that ingestion dropped as an exact duplicate is credited to the copy kept
        for q in qs:
            mapped: dict[str, int] = {}
            for doc_id, grade in q["qrels"].items():
                c = canonical(doc_id)
                mapped[c] = max(grade, mapped.get(c, 0))
            q["qrels"] = mapped
    results, runs = {}, {}
    for m in modes:
        results[m], runs[m] = _run_mode(index, qs, m, k)
    answers = _answers(index, qs)
    answer = _run_answers(qs, answers, index)
    situations = _run_situations(qs, answers, canonical)
    if trec_out is not None:
        trec_out = Path(trec_out)
        trec_out.parent.mkdir(parents=True, exist_ok=True)
        for m in modes:
            path = trec_out if mode != "all" else trec_out.with_name(f"{trec_out.name}.{m}")
            write_trec_run(runs[m], path, f"govsearch-{m}")
        write_qrels(qs, trec_out.with_name(f"{trec_out.name}.qrels"))
    base = {"queries": str(queries_path), "n": len(qs), "mode": mode, "split": part or "all"}
    if situations is not None:
        base["situations"] = situations
    if mode == "all":
        return {**base, "modes": {m: {**r, "answer": answer} for m, r in results.items()}, "answer": answer}
    r = dict(results[mode])
    r.pop("mode", None)
    return {**base, **r, "answer": answer}


def format_report(result: dict) -> str:
    """A small plain-text table of a run_eval result."""
    if result.get("kind") in ("validity", "match"):
        return format_policy_report(result)
    modes = result.get("modes") or {result["mode"]: result}
    part = result.get("split", "all")
    lines = [f"{result['queries']}  ({result['n']} queries" + ("" if part == "all" else f", {part} part") + ")"]
    head = f"  {'mode':<8}" + "".join(f"{m:>11}" for m in METRICS) + f"{'median ms':>11}"
    lines.append(head)
    for m, r in modes.items():
        lines.append(f"  {m:<8}" + "".join(f"{r[x]:>11.4f}" for x in METRICS)
                     + f"{r.get('latency_ms', {}).get('median', 0):>11.2f}")
    for m, r in modes.items():
        if r.get("by_kind"):
            lines.append(f"  by kind ({m}):")
            for kd, v in r["by_kind"].items():
                lines.append(f"    {kd:<12} n={v['n']:<4}" + "".join(f"{v[x]:>11.4f}" for x in METRICS))
    ans = result.get("answer")
    if ans:
        lines.append(f"  answer accuracy: {ans['accuracy']:.4f} over {ans['n']} queries"
                     + "".join(f"; {kd} {v['accuracy']:.2f} (n={v['n']})" for kd, v in ans.get("by_kind", {}).items()))
        pct = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
        lines.append(f"  answered {pct(ans.get('answered'))}, precision when answered {pct(ans.get('precision'))} "
                     f"(right item {pct(ans.get('item_precision'))}), right item among the alternatives when held back "
                     f"{pct(ans.get('alternatives_recall'))} (n={ans.get('held_back_with_answer', 0)})"
                     + (f"; no item for {ans['absent']['no_item']:.4f} of {ans['absent']['n']} questions the index "
                        "does not hold" if ans.get("absent") else ""))
    else:
        lines.append("  answer accuracy: n/a (no queries of kind materials / time / phone / location)")
    if result.get("situations"):
        from eval.situations import format_line

        lines.append("  situations (on the answers): " + format_line(result["situations"]))
    return "\n".join(lines)
