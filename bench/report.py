"""The results: headline figures, their targets (✓/✗), the Markdown table and the plot."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.build import STEPS
from bench.measure import ratio

MODES = ("bm25", "dense", "hybrid")

TARGETS = {  # name: (comparison, value, what)
    "second_build_speedup": (">=", 20, "second build of unchanged data vs cold build"),
    "serve_rss_mib": ("<=", 1536, "RSS of `govsearch serve` after warm-up"),
    "http_p50_ms.bm25": ("<=", 10, "BM25 HTTP p50"),
    "load_rps.bm25": (">=", 150, "BM25 throughput, 2 workers, concurrency 16"),
    "http_p50_ms.hybrid": ("<=", 40, "hybrid HTTP p50"),
    "load_5xx": ("==", 0, "5xx responses under load (all modes)"),
    "load_lost": ("==", 0, "lost requests under load (all modes)"),
    "scale10x_build_ratio": ("<=", 12, "10x corpus build time / 1x"),
    "scale10x_bm25_growth": ("<", 10, "10x corpus BM25 p50 / 1x (sub-linear: < 10)"),
    "hybrid_floor_ratio": ("<=", 1.3, "hybrid in-process p50 / floor (one query encode + one faiss search)"),
    "answer_search_ratio.inprocess": ("<=", 1.3, "/answer p50 / hybrid /search p50, in-process"),
    "answer_search_ratio.http": ("<=", 1.3, "/answer p50 / hybrid /search p50, HTTP"),
    "mixed_bm25_p99_ratio": ("<=", 5, "BM25 p99 under 8 concurrent long /answer requests / alone"),
}


def _get(d: dict, path: str):
    for part in path.split("/"):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def figures(res: dict) -> dict:
    """The headline figures the targets are checked against."""
    load = res.get("http", {}).get("load", {})
    f = {
        "second_build_speedup": _get(res, "build/speedup_second_build"),
        "cached_rebuild_speedup": _get(res, "build/speedup_cached_rebuild"),
        "serve_rss_mib": _get(res, "http/rss/VmRSS"),
        "load_5xx": sum(v["status_5xx"] for v in load.values()) if load else None,
        "load_lost": sum(v["lost"] for v in load.values()) if load else None,
        "scale10x_build_ratio": None,
        "scale10x_bm25_growth": None,
    }
    for mode in MODES:
        f[f"http_p50_ms.{mode}"] = _get(res, f"http/sequential/{mode}/p50")
        f[f"inproc_p50_ms.{mode}"] = _get(res, f"inprocess/modes/{mode}/p50")
        f[f"load_rps.{mode}"] = _get(load, f"{mode}/rps")
    f["hybrid_floor_ratio"] = _get(res, "inprocess/hybrid_floor/ratio_p50")
    f["answer_search_ratio.inprocess"] = _get(res, "inprocess/answer_vs_search/ratio_p50")
    f["answer_search_ratio.http"] = _get(res, "http/answer_vs_search/ratio_p50")
    f["mixed_bm25_p99_ratio"] = _get(res, "http/mixed/ratio_p99")
    for where in ("inprocess", "http"):
        for n in ("on", "off"):
            f[f"cache_hybrid_p50_ms.{where}.{n}"] = _get(res, f"{where}/cache/{n}/p50")
        f[f"cache_hit_rate.{where}"] = _get(res, f"{where}/cache/on/hit_rate")
        f[f"cache_speedup_p50.{where}"] = ratio(f[f"cache_hybrid_p50_ms.{where}.off"],
                                                f[f"cache_hybrid_p50_ms.{where}.on"])
    s = res.get("scale10x")
    if s:
        base_wall = _get(res, "build/cached/wall")
        if s.get("build_seconds") and base_wall:
            f["scale10x_build_ratio"] = round(s["build_seconds"] / base_wall, 2)
        if s["bm25_1x"]["p50"] and s["bm25_10x"]["p50"]:
            f["scale10x_bm25_growth"] = round(s["bm25_10x"]["p50"] / s["bm25_1x"]["p50"], 2)
    return f


def check_targets(f: dict, res: dict) -> dict:
    out = {}
    dense = res.get("build", {}).get("encoder", "none") != "none"
    for name, (op, target, what) in TARGETS.items():
        v = f.get(name)
        if name == "second_build_speedup" and not dense:
            ok = None  # without a dense encoder there is no encoding to save
        elif v is None:
            ok = None
        else:
            ok = {">=": v >= target, "<=": v <= target, "<": v < target, "==": v == target}[op]
        out[name] = {"value": v, "target": f"{op} {target}", "ok": ok, "what": what}
    return out


def _fmt(v, unit: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        v = f"{v:,.1f}" if abs(v) >= 100 else (f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}")
    return f"{v}{unit}"


def _lat(d: dict | None) -> str:
    if not d or d.get("p50") is None:
        return "–"
    return f"{_fmt(d['p50'])} / {_fmt(d['p95'])} / {_fmt(d['p99'])} ms"


def markdown(res: dict) -> str:
    b, t, f = res.get("build", {}), res.get("targets", {}), res.get("figures", {})
    rows: list[tuple[str, str, str]] = []

    def tgt(name):
        x = t.get(name)
        if not x:
            return ""
        mark = {True: "✓", False: "✗", None: "n/a"}[x["ok"]]
        return f"{x['target']} {mark}"

    ing = res.get("ingest", {})
    rows.append((f"Ingest ({ing.get('data')})", f"{_fmt(ing.get('seconds'))} s → {ing.get('documents')} docs, "
                                         f"{ing.get('chunks')} chunks", ""))
    cold, cached = b.get("cold", {}), b.get("cached", {})
    for step in STEPS[1:]:
        label = f"Index: {step}" + (" (cold / cached)" if step == "encode" else " (build / rebuild)")
        val = f"{_fmt(cold.get(step))} s / {_fmt(cached.get(step))} s"
        if step == "encode" and cold.get(step) is not None:
            val += f" ({cold.get('encoded')} / {cached.get('encoded')} passages encoded)"
        if step == "encode" and cold.get("encode_estimated_from"):
            val = f"{_fmt(cold.get(step))} s (estimated) / {_fmt(cached.get(step))} s"
            val += (f"; cold = {cold['encode_s_per_passage'] * 1000:.0f} ms/passage timed on "
                    f"{cold['encode_estimated_from']} passages × {b.get('dense_passages')}")
        rows.append((label, val, ""))
    rows.append((f"Index build total, encoder {b.get('encoder')}, {b.get('chunks')} chunks (cold / cached)",
                 f"{_fmt(cold.get('total'))} s / {_fmt(cached.get('total'))} s", ""))
    rows.append(("Second build of unchanged data (manifest check)",
                 f"{_fmt(_get(b, 'second_build/wall'))} s, speed-up {_fmt(f.get('second_build_speedup'))}x "
                 f"(cached rebuild {_fmt(f.get('cached_rebuild_speedup'))}x)", tgt("second_build_speedup")))
    size = res.get("size", {})
    rows.append(("Index size on disk", f"{_fmt(size.get('index_bytes', 0) / 2**20)} MiB (vectors "
                                       f"{_fmt(size.get('vectors_bytes', 0) / 2**20)}, faiss "
                                       f"{_fmt(size.get('faiss_bytes', 0) / 2**20)}, bm25 "
                                       f"{_fmt(size.get('bm25_bytes', 0) / 2**20)} MiB)", ""))
    rows.append(("RSS serving (`govsearch serve`, warm)", f"{_fmt(f.get('serve_rss_mib'))} MiB",
                 tgt("serve_rss_mib")))
    for mode in MODES:
        rows.append((f"{mode} in-process p50 / p95 / p99", _lat(_get(res, f"inprocess/modes/{mode}")), ""))
    for mode in MODES:
        name = f"http_p50_ms.{mode}"
        rows.append((f"{mode} HTTP p50 / p95 / p99", _lat(_get(res, f"http/sequential/{mode}")),
                     tgt(name) if name in t else ""))
    for mode in MODES:
        ld = _get(res, f"http/load/{mode}")
        if ld:
            rows.append((f"{mode} load: {ld['requests']} req, concurrency {ld['concurrency']}, 2 workers",
                         f"{_fmt(ld['rps'])} req/s, p50 {_fmt(ld['p50'])} ms, p99 {_fmt(ld['p99'])} ms, "
                         f"5xx {ld['status_5xx']}, lost {ld['lost']}",
                         tgt(f"load_rps.{mode}") if f"load_rps.{mode}" in t else ""))
    rows.append(("5xx / lost under load (all modes)", f"{f.get('load_5xx')} / {f.get('load_lost')}",
                 f"{tgt('load_5xx')} {tgt('load_lost')}".strip()))
    rows += new_rows(res, tgt)
    fl = _get(res, "inprocess/floor") or {}
    rows.append(("Floor: one bm25s scoring call", f"{_fmt(fl.get('bm25_score_ms'))} ms", ""))
    rows.append(("Floor: one faiss exact search (k=10 / k=200)",
                 f"{_fmt(fl.get('faiss_search_ms'))} / {_fmt(fl.get('faiss_search_pool_ms'))} ms", ""))
    rows.append(("Floor: query tokenisation / query encoding",
                 f"{_fmt(fl.get('tokenize_ms'))} / {_fmt(fl.get('query_encode_ms'))} ms", ""))
    s = res.get("scale10x")
    if s:
        rows.append((f"10x corpus ({s['chunks']} chunks): build time / 1x",
                     f"{_fmt(s['build_seconds'])} s / {_fmt(_get(b, 'cached/wall'))} s = "
                     f"{_fmt(f.get('scale10x_build_ratio'))}x", tgt("scale10x_build_ratio")))
        rows.append(("10x corpus: BM25 p50 in-process (10x vs 1x)",
                     f"{_fmt(s['bm25_10x']['p50'])} vs {_fmt(s['bm25_1x']['p50'])} ms = "
                     f"{_fmt(f.get('scale10x_bm25_growth'))}x", tgt("scale10x_bm25_growth")))
    lines = ["| Figure | Measured | Target |", "|---|---|---|"]
    lines += [f"| {a} | {v} | {c} |" for a, v, c in rows]
    m = res.get("machine", {})
    lines.append("")
    lines.append(f"Measured {m.get('date')} on {m.get('cpus')} shared cores (load average {m.get('loadavg_start')} → "
                 f"{m.get('loadavg_end')}), {len(res.get('queries', []))} dev queries, medians of "
                 f"{res.get('repeats')} passes in-process{'; quick mode' if res.get('quick') else ''}. "
                 "The prepared-query cache is off (every query tokenised and encoded) except in the rows "
                 "marked cache on; ratios are of figures measured side by side, interleaved query by query.")
    return "\n".join(lines)


def _ms(d: dict | None, key: str = "p50") -> str:
    return f"{_fmt(d.get(key))} ms" if d and d.get(key) is not None else "–"


def new_rows(res: dict, tgt) -> list[tuple[str, str, str]]:
    """Rows of issue 11/12/13's figures: hybrid vs its floor (and where the time goes), /answer vs
    /search, the prepared-query cache, the mixed load."""
    rows: list[tuple[str, str, str]] = []
    hf = _get(res, "inprocess/hybrid_floor") or {}
    if hf.get("has_dense"):
        rows.append((f"Hybrid in-process p50 vs floor (one encode + one faiss search, k={hf['pool']})",
                     f"{_ms(hf['search'])} vs {_ms(hf['floor'])} = {_fmt(hf['ratio_p50'])}x",
                     tgt("hybrid_floor_ratio")))
        st = hf["stages"]
        rows.append((f"Hybrid search by stage, p50 ({' / '.join(st)})",
                     " / ".join(_fmt(st[k]["p50"]) for k in st) + f" ms; sum {_fmt(hf['stages_sum_p50'])} ms, "
                     f"staged p50 {_ms(hf['staged'])} (same hits: {hf['staged_matches_search']})", ""))
    else:
        rows.append(("Hybrid in-process p50 vs floor (one encode + one faiss search)", "– (no dense channel)",
                     tgt("hybrid_floor_ratio")))
    for where, label in (("inprocess", "in-process"), ("http", "HTTP")):
        a = _get(res, f"{where}/answer_vs_search")
        if a:
            rows.append((f"/answer p50 vs hybrid /search p50, {label} ({a['answer']['n']} questions)",
                         f"{_ms(a['answer'])} vs {_ms(a['search'])} = {_fmt(a['ratio_p50'])}x",
                         tgt(f"answer_search_ratio.{where}")))
    for where, label in (("inprocess", "in-process"), ("http", "HTTP")):
        c = _get(res, f"{where}/cache")
        if c:
            on, off = c["on"], c["off"]
            rows.append((f"Query cache, {label}: {c['requests']} hybrid searches, {c['repeats']} repeat one of the "
                         f"{_get(res, 'workload/common')} most common ({c['distinct']} distinct); cache on vs off",
                         f"p50 {_ms(on)} vs {_ms(off)}, p95 {_ms(on, 'p95')} vs {_ms(off, 'p95')}; hit rate "
                         f"{_fmt(on['hit_rate'])} vs {_fmt(off['hit_rate'])}; "
                         f"encodes {on['encodes']} vs {off['encodes']}", ""))
    m = _get(res, "http/mixed")
    if m:
        st = m["answers"]["status"]
        long = f"long (~{m['answer_chars']} chars) " if m.get("answer_chars") else ""
        rows.append((f"Mixed load: BM25 HTTP p99 alone vs under {m['clients']} concurrent {long}/answer",
                     f"{_ms(m['alone'], 'p99')} vs {_ms(m['loaded'], 'p99')} = {_fmt(m['ratio_p99'])}x "
                     f"(p50 {_ms(m['alone'])} vs {_ms(m['loaded'])}); /answer "
                     + ", ".join(f"{k}: {v}" for k, v in sorted(st.items())) + f", p50 {_ms(m['answers'])}",
                     tgt("mixed_bm25_p99_ratio")))
    return rows


def plot(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(17, 8))
    ax = axes[0][0]
    modes = [m for m in MODES if _get(res, f"inprocess/modes/{m}")]
    x = np.arange(len(modes))
    for j, (where, label) in enumerate((("inprocess/modes", "in-process"), ("http/sequential", "HTTP"))):
        for k, p in enumerate(("p50", "p95", "p99")):
            vals = [(_get(res, f"{where}/{m}/{p}") or 0) for m in modes]
            ax.bar(x + (j * 3 + k) * 0.13 - 0.33, vals, 0.12, label=f"{label} {p}")
    ax.set_xticks(x, modes)
    ax.set_ylabel("ms")
    ax.set_title("Query latency")
    ax.legend(fontsize=7)

    ax = axes[0][1]
    b = res.get("build", {})
    cols = [("cold", b.get("cold", {})), ("cached", b.get("cached", {}))]
    if res.get("scale10x"):
        cols.append(("10x", res["scale10x"]["timings"]))
    bottom = np.zeros(len(cols))
    for step in STEPS:
        vals = np.array([c.get(step) or 0 for _, c in cols], dtype=float)
        ax.bar([c for c, _ in cols], vals, bottom=bottom, label=step)
        bottom += vals
    if bottom.max() > 60:  # a cold dense encode dwarfs the rest
        ax.set_yscale("symlog", linthresh=1)
    ax.set_ylabel("s")
    ax.set_title(f"Index build ({b.get('encoder')}, {b.get('chunks')} chunks)")
    ax.legend(fontsize=7)

    ax = axes[1][0]
    load = _get(res, "http/load") or {}
    ax.bar(list(load), [v["rps"] or 0 for v in load.values()], color="tab:green")
    ax.axhline(150, color="grey", ls="--", lw=1)
    ax.set_ylabel("req/s")
    ax.set_title("Throughput, 2 workers, concurrency 16")

    ax = axes[1][1]
    s = res.get("scale10x")
    if s:
        ax.bar(["1x", "10x"], [s["bm25_1x"]["p50"] or 0, s["bm25_10x"]["p50"] or 0], color="tab:purple")
        ax.set_title(f"BM25 p50 in-process, {s['chunks'] // s['times']} vs {s['chunks']} chunks")
        ax.set_ylabel("ms")
    else:
        ax.set_axis_off()
    _plot_side_by_side(axes[0][2], res)
    _plot_stages(axes[1][2], res)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_side_by_side(ax, res: dict) -> None:
    """The ratios measured side by side, each against its target."""
    bars = []
    for name in ("hybrid_floor_ratio", "answer_search_ratio.inprocess", "answer_search_ratio.http",
                 "mixed_bm25_p99_ratio"):
        t = (res.get("targets") or {}).get(name)
        if t and t["value"] is not None:
            bars.append((name.replace("answer_search_ratio.", "answer/search ").replace("_ratio", ""),
                         t["value"], float(t["target"].split()[-1]), t["ok"]))
    if not bars:
        ax.set_axis_off()
        return
    x = np.arange(len(bars))
    ax.bar(x, [b[1] for b in bars], color=["tab:green" if b[3] else "tab:red" for b in bars])
    for i, b in enumerate(bars):
        ax.hlines(b[2], i - 0.4, i + 0.4, colors="grey", linestyles="--", lw=1)
    ax.set_xticks(x, [b[0] for b in bars], fontsize=7)
    ax.set_ylabel("ratio (dashed: target)")
    ax.set_title("Side by side: ratios vs targets")


def _plot_stages(ax, res: dict) -> None:
    """Where a hybrid search's time goes (stage p50s) beside its floor; cache on vs off."""
    hf = _get(res, "inprocess/hybrid_floor") or {}
    cols: list[tuple[str, dict]] = []
    if hf.get("has_dense"):
        cols.append(("hybrid stages", {k: v["p50"] for k, v in hf["stages"].items()}))
        cols.append(("floor", {"encode + faiss": hf["floor"]["p50"]}))
    for where in ("inprocess", "http"):
        c = _get(res, f"{where}/cache")
        if c:
            cols += [(f"{where} cache off", {"p50": c["off"]["p50"]}), (f"{where} cache on", {"p50": c["on"]["p50"]})]
    if not cols:
        ax.set_axis_off()
        return
    keys = list(dict.fromkeys(k for _, d in cols for k in d))
    bottom = np.zeros(len(cols))
    for k in keys:
        vals = np.array([d.get(k) or 0 for _, d in cols], dtype=float)
        ax.bar([c for c, _ in cols], vals, bottom=bottom, label=k)
        bottom += vals
    ax.tick_params(axis="x", labelsize=7, rotation=20)
    ax.set_ylabel("ms (p50)")
    ax.set_title("Hybrid search: stages, floor, query cache")
    ax.legend(fontsize=6)
