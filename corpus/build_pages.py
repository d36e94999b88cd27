"""Render the demo corpus (示例数据) from its structured source into saved-page-style HTML.

Source: ``corpus/src/*.json`` (site chrome and departments, service items, bundles,
policies, demo queries). Output: ``corpus/pages/<doc_id>.html`` in the layout that
``corpus/LAYOUT.md`` specifies, and ``corpus/queries.jsonl`` (the demo queries, with
their ``expect`` values filled in from the items they point at).

Standard library only, deterministic: the same source always renders byte-identical
files (no clocks, no randomness, sorted iteration), so the committed pages can be
checked against a fresh render::

    python corpus/build_pages.py           # write pages/ and queries.jsonl
    python corpus/build_pages.py --check   # exit 1 if the committed files differ
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
PAGES = HERE / "pages"
QUERIES = HERE / "queries.jsonl"

ID_RE = re.compile(r"^(item|bundle|policy)-[a-z0-9]+(-[a-z0-9]+)*$")
REQUIRED_VALUES = {"必需", "非必需", "容缺"}
ORIGINAL_VALUES = {"原件", "复印件", "原件和复印件", "电子版"}
DEFAULT_COLUMNS = ["序号", "材料名称", "份数", "原件或复印件", "是否必需", "适用情形"]
# Column header -> index in a source material row [name, copies, original_or_copy, required, condition].
COLUMN_FIELDS = {"材料名称": 0, "份数": 1, "原件或复印件": 2, "是否必需": 3, "适用情形": 4}
# Section key -> default heading (LAYOUT.md); items may override with a listed synonym.
HEADINGS = {
    "summary": "事项概况",
    "members": "包含事项",
    "routes": "情形引导",
    "conditions": "受理条件",
    "materials": "申请材料",
    "process": "办理流程",
    "time_limit": "办理时限",
    "fee": "收费标准",
    "location": "办理地点",
    "phone": "咨询电话",
    "complaint": "监督投诉电话",
    "basis": "设定依据",
}
SYNONYMS = {
    "materials": {"申请材料", "所需材料", "材料清单"},
    "conditions": {"受理条件", "申请条件", "办理条件"},
    "time_limit": {"办理时限", "承诺时限"},
    "fee": {"收费标准", "是否收费"},
    "location": {"办理地点", "窗口地址"},
    "phone": {"咨询电话", "咨询方式"},
    "complaint": {"监督投诉电话", "投诉电话"},
    "basis": {"设定依据", "法律依据"},
}
CN_NUM = "一二三四五六七八九十"


class CorpusError(ValueError):
    """The corpus source is inconsistent (unknown member, bad id, bad material row ...)."""


# --------------------------------------------------------------------------- loading

def load_source(src: Path = SRC) -> dict:
    """Read every ``src/*.json``: ``site.json``, ``items-*.json``, ``bundles*.json``,
    ``policies*.json``, ``queries.json``; return one dict and validate it."""
    if not (src / "site.json").exists():
        raise CorpusError(f"{src / 'site.json'} missing: the corpus source folder is incomplete")
    data = {"site": _read(src / "site.json"), "items": [], "bundles": [], "policies": [], "queries": []}
    for path in sorted(src.glob("*.json")):
        stem = path.stem
        for key in ("items", "bundles", "policies", "queries"):
            if stem == key or stem.startswith(key + "-"):
                records = _read(path)
                if not isinstance(records, list):
                    raise CorpusError(f"{path}: expected a JSON list")
                for r in records:
                    r["_file"] = path.name
                data[key].extend(records)
    validate(data)
    return data


def _read(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise CorpusError(f"{path}:{e.lineno}: invalid JSON ({e.msg})") from e


def validate(data: dict) -> None:
    depts = data["site"]["departments"]
    seen: set[str] = set()
    for kind, prefix in (("items", "item-"), ("bundles", "bundle-"), ("policies", "policy-")):
        for r in data[kind]:
            rid = r.get("id", "")
            where = f"{r.get('_file')}: {rid or '<no id>'}"
            if not ID_RE.match(rid) or not rid.startswith(prefix):
                raise CorpusError(f"{where}: id must be lowercase ASCII starting with {prefix!r}")
            if rid in seen:
                raise CorpusError(f"{where}: duplicate id")
            seen.add(rid)
            if r.get("dept") not in depts:
                raise CorpusError(f"{where}: unknown department key {r.get('dept')!r}")
            if not re.match(r"^\d{4}-\d{2}-\d{2}$", r.get("date", "")):
                raise CorpusError(f"{where}: date must be YYYY-MM-DD")
            if kind != "policies":
                _validate_guide(r, where, is_item=kind == "items")
            else:
                if not r.get("doc_number") or not r.get("sections"):
                    raise CorpusError(f"{where}: a policy needs doc_number and sections")
    item_ids = {r["id"] for r in data["items"]}
    for b in data["bundles"]:
        for m in b.get("members", []):
            if m not in item_ids:
                raise CorpusError(f"{b['_file']}: {b['id']}: member {m!r} is not an item")
        if len(b.get("members", [])) < 2:
            raise CorpusError(f"{b['_file']}: {b['id']}: a bundle needs at least two members")
        for route in b.get("routes") or []:
            opts = route.get("options") or []
            if not route.get("question") or len(opts) < 2 or not all(o.get("label") for o in opts):
                raise CorpusError(f"{b['_file']}: {b['id']}: a route needs a question and two or more labelled options")
            if not any(o.get("members") for o in opts):
                raise CorpusError(f"{b['_file']}: {b['id']}: route {route['question']!r} routes no member")
            for o in opts:
                for m in o.get("members") or []:
                    if m not in b["members"]:
                        raise CorpusError(f"{b['_file']}: {b['id']}: route option {o['label']!r}: {m!r} is not a member")
    for q in data["queries"]:
        for doc_id in q.get("relevant", {}):
            if doc_id not in seen:
                raise CorpusError(f"queries: {q.get('qid')}: unknown doc id {doc_id!r}")
        if q.get("primary") and q["primary"] not in q.get("relevant", {}):
            raise CorpusError(f"queries: {q.get('qid')}: primary must be among relevant")


def _validate_guide(r: dict, where: str, is_item: bool) -> None:
    for key in ("title", "type", "audience", "process", "fee", "basis"):
        if not r.get(key):
            raise CorpusError(f"{where}: missing {key!r}")
    mats = r.get("materials") or []
    if is_item and not 3 <= len(mats) <= 12:
        raise CorpusError(f"{where}: an item needs 3-12 materials, has {len(mats)}")
    for m in mats:
        if len(m) not in (5, 6) or (len(m) == 6 and not isinstance(m[5], dict)):
            raise CorpusError(f"{where}: material row must be [name, copies, original, required, condition, optional extra-column dict]: {m}")
        if m[2] not in ORIGINAL_VALUES or m[3] not in REQUIRED_VALUES:
            raise CorpusError(f"{where}: bad 原件或复印件/是否必需 in {m}")
    for key, heading in (r.get("headings") or {}).items():
        if heading not in SYNONYMS.get(key, ()):
            raise CorpusError(f"{where}: heading {heading!r} is not a listed synonym for {key!r}")
    cols = r.get("columns")
    if cols and (not set(DEFAULT_COLUMNS) <= set(cols) or len(set(cols)) != len(cols)):
        raise CorpusError(f"{where}: columns must contain every default column: {cols}")


# --------------------------------------------------------------------------- helpers

def item_code(rid: str, dept: dict) -> str:
    """A fictional but stable 事项编码: department prefix + digits from the id's hash."""
    digits = str(int(hashlib.sha256(rid.encode()).hexdigest(), 16))[:13]
    return f"{dept['code']}{digits}"


def _paras(value) -> str:
    if isinstance(value, str):
        value = [value]
    return "".join(f"<p>{escape(v)}</p>" for v in value)


def merged_materials(bundle: dict, items: dict[str, dict]) -> list[list]:
    """The bundle's 一次性告知 list: its own rows, then each member's, de-duplicated by name."""
    rows: list[list] = []
    seen: set[str] = set()
    for m in bundle.get("materials") or []:
        rows.append(list(m))
        seen.add(m[0])
    for mid in bundle["members"]:
        for m in items[mid]["materials"]:
            if m[0] not in seen:
                seen.add(m[0])
                rows.append(list(m))
    return rows


# --------------------------------------------------------------------------- chrome

def _head(title: str, meta: dict, site: dict, url: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{escape(title)}_{escape(site['name'])}</title>\n"
        f"<meta name=\"SiteName\" content=\"{escape(site['name'])}\">\n"
        f"<meta name=\"ArticleTitle\" content=\"{escape(title)}\">\n"
        f"<meta name=\"PubDate\" content=\"{meta['date']}\">\n"
        f"<meta name=\"ContentSource\" content=\"{escape(meta['source'])}\">\n"
        f"<meta name=\"Region\" content=\"{escape(meta['region'])}\">\n"
        f"<meta name=\"keywords\" content=\"{escape(meta.get('keywords', title))}\">\n"
        f"<link rel=\"canonical\" href=\"{url}\">\n"
        "<link rel=\"stylesheet\" href=\"/static/css/portal.css\">\n</head>\n"
    )


def _header(site: dict, crumbs: list[str]) -> str:
    nav = "".join(f"<li><a href=\"{escape(href)}\">{escape(name)}</a></li>" for name, href in site["nav"])
    crumb = " &gt; ".join(escape(c) for c in crumbs)
    return (
        "<body>\n<div class=\"top-bar\"><span>" + escape(site["top_bar"]) + "</span>"
        "<a href=\"/login\">登录</a> <a href=\"/register\">注册</a> <a href=\"/care\">长者模式</a> "
        "<a href=\"/accessible\">无障碍</a></div>\n"
        f"<div class=\"header\"><div class=\"logo\">{escape(site['name'])}</div>"
        "<form class=\"search-box\" action=\"/search\"><input name=\"q\" placeholder=\"搜索事项、政策\">"
        "<button>搜索</button></form></div>\n"
        f"<div class=\"nav\"><ul>{nav}</ul></div>\n"
        f"<div class=\"breadcrumb\">当前位置：{crumb}</div>\n"
    )


def _share_bar() -> str:
    return (
        "<div class=\"share-bar\">分享到：<a class=\"wx\">微信</a> <a class=\"wb\">微博</a> "
        "<a class=\"qz\">QQ空间</a>　【字体：<a>大</a> <a>中</a> <a>小</a>】　"
        "<a href=\"javascript:window.print()\">【打印本页】</a> <a href=\"javascript:window.close()\">【关闭窗口】</a></div>\n"
    )


def _related(related: list[tuple[str, str]]) -> str:
    lis = "".join(f"<li><a href=\"{rid}.html\">{escape(t)}</a></li>" for rid, t in related)
    return f"<div class=\"related\"><h3>相关推荐</h3><ul>{lis}</ul></div>\n"


def _footer(site: dict) -> str:
    f = site["footer"]
    links = "　|　".join(escape(x) for x in f["links"])
    return (
        "<div class=\"footer\">\n"
        f"<p class=\"footer-links\">{links}</p>\n"
        f"<p>主办单位：{escape(f['host'])}　承办单位：{escape(f['operator'])}</p>\n"
        f"<p>版权所有：{escape(f['copyright'])}　{escape(f['icp'])}　{escape(f['police'])}</p>\n"
        f"<p>网站标识码：{escape(f['site_code'])}　服务热线：{escape(f['hotline'])}</p>\n"
        "</div>\n"
        "<script src=\"/static/js/jquery.min.js\"></script>\n"
        "<script>\n"
        "var _hmt = _hmt || [];\n"
        "(function () { var hm = document.createElement('script'); hm.src = '/static/js/stat.js?v=20250101';\n"
        "  var s = document.getElementsByTagName('script')[0]; s.parentNode.insertBefore(hm, s); })();\n"
        "function shareTo(t) { window.open('/share?to=' + t + '&url=' + encodeURIComponent(location.href)); }\n"
        "</script>\n</body>\n</html>\n"
    )


def _related_for(rid: str, group: list[tuple[str, str]], k: int = 5) -> list[tuple[str, str]]:
    """k neighbours of ``rid`` in a sorted group (wrapping), excluding itself."""
    ids = [g[0] for g in group]
    i = ids.index(rid)
    out = []
    for step in range(1, len(group)):
        cand = group[(i + step) % len(group)]
        if cand[0] != rid:
            out.append(cand)
        if len(out) == k:
            break
    return out


# --------------------------------------------------------------------------- pages

def _section(heading: str, inner: str) -> str:
    return f"  <div class=\"guide-section\"><h2>{escape(heading)}</h2>{inner}</div>\n"


def _material_table(rows: list[list], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for n, m in enumerate(rows, 1):
        cells = []
        for c in columns:
            if c == "序号":
                v = str(n)
            elif c in COLUMN_FIELDS:
                v = str(m[COLUMN_FIELDS[c]])
            else:  # an extra column (备注, 来源渠道 ...) the item supplies per row in m[5:]
                extra = m[5] if len(m) > 5 and isinstance(m[5], dict) else {}
                v = extra.get(c, "无")
            cells.append(f"<td>{escape(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "\n    <table class=\"material-table\">\n"
        f"      <thead><tr>{head}</tr></thead>\n"
        "      <tbody>" + "\n        ".join(body) + "</tbody>\n    </table>\n  "
    )


def _routes(routes: list[dict], items: dict[str, dict]) -> str:
    """The 情形引导 block of a bundle: one question per route, each option with the member items it
    takes (or a note when it takes none)."""
    blocks = []
    for route in routes:
        lis = []
        for o in route["options"]:
            links = "、".join(f"<a href=\"{m}.html\" data-item-id=\"{m}\">{escape(items[m]['title'])}</a>"
                             for m in o.get("members") or [])
            note = escape(o.get("note") or "")
            body = (links + (f"（{note}）" if note else "")) if links else (note or "无需办理上述事项")
            lis.append(f"<li><span class=\"option-label\">{escape(o['label'])}</span>：{body}</li>")
        blocks.append(f"\n    <div class=\"situation\"><p class=\"situation-question\">{escape(route['question'])}</p>"
                      f"\n      <ul class=\"situation-options\">{''.join(lis)}</ul></div>")
    return "".join(blocks) + "\n  "


def render_guide(r: dict, site: dict, related: list[tuple[str, str]], items: dict[str, dict],
                 is_bundle: bool) -> str:
    dept = site["departments"][r["dept"]]
    url = f"{site['base_url']}/guide/{r['id']}.html"
    region = r.get("region", dept.get("region", site["region"]))
    heads = {**HEADINGS, **(r.get("headings") or {})}
    side = r.get("side", "法人办事")
    crumbs = ["首页", "一件事" if is_bundle else side, r.get("crumb", dept["short"]), r["title"]]
    out = [_head(r["title"], {"date": r["date"], "source": dept["name"], "region": region,
                              "keywords": r.get("keywords", r["title"])}, site, url),
           _header(site, crumbs), "<div class=\"main-wrap\">\n", _share_bar()]
    if not is_bundle:
        out.append("<div class=\"apply-bar\"><a class=\"btn\" href=\"/apply\">在线办理</a> "
                   "<a class=\"btn\" href=\"/appoint\">预约办理</a> <a class=\"btn\" href=\"/consult\">我要咨询</a> "
                   "<a class=\"btn\" href=\"/fav\">收藏</a></div>\n")
    out.append("<div class=\"guide-main\">\n")
    out.append(f"  <h1 class=\"guide-title\">{escape(r['title'])}</h1>\n")
    info = [
        ("事项名称", r["title"], "事项类型", r["type"]),
        ("实施主体", r.get("implementer", dept["name"]), "服务对象", r["audience"]),
        ("事项编码", r.get("code") or item_code(r["id"], dept), "办件类型", r.get("handle_type", "承诺件")),
    ]
    if r.get("visits") or r.get("online"):
        info.append(("到办事现场次数", r.get("visits", "1次"), "网上办理深度", r.get("online", "全程网办")))
    rows = "".join(f"\n    <tr><th>{a}</th><td>{escape(b)}</td><th>{c}</th><td>{escape(d)}</td></tr>"
                   for a, b, c, d in info)
    out.append(f"  <table class=\"basic-info\">{rows}\n  </table>\n")
    if r.get("summary"):
        out.append(_section(heads["summary"], f"<div class=\"content\">{_paras(r['summary'])}</div>"))
    if is_bundle:
        lis = "".join(
            f"<li><a href=\"{m}.html\" data-item-id=\"{m}\">{escape(items[m]['title'])}</a></li>"
            for m in r["members"])
        out.append(_section(heads["members"], f"\n    <ul class=\"member-items\">{lis}</ul>\n  "))
        if r.get("routes"):
            out.append(_section(heads["routes"], _routes(r["routes"], items)))
    order = r.get("order") or ["conditions", "materials", "process", "time_limit", "fee", "location",
                                "phone", "complaint", "basis"]
    columns = r.get("columns") or DEFAULT_COLUMNS
    for key in order:
        if key == "conditions" and r.get("conditions"):
            out.append(_section(heads["conditions"], f"<div class=\"content\">{_paras(r['conditions'])}</div>"))
        elif key == "materials":
            mats = merged_materials(r, items) if r.get("merged_table") else r.get("materials")
            if mats:
                out.append(_section(heads["materials"], _material_table(mats, columns)))
        elif key == "process" and r.get("process"):
            lis = "".join(f"<li>{escape(s)}</li>" for s in r["process"])
            out.append(_section(heads["process"], f"<div class=\"content\"><ol>{lis}</ol></div>"))
        elif key == "time_limit" and (r.get("time_legal") or r.get("time_promised")):
            ps = []
            if r.get("time_legal"):
                ps.append(f"法定办结时限：{r['time_legal']}")
            if r.get("time_promised"):
                ps.append(f"承诺办结时限：{r['time_promised']}")
            ps += r.get("time_note") or []
            out.append(_section(heads["time_limit"], f"<div class=\"content\">{_paras(ps)}</div>"))
        elif key == "fee":
            out.append(_section(heads["fee"], f"<div class=\"content\">{_paras(r['fee'])}</div>"))
        elif key == "location":
            out.append(_section(heads["location"],
                                f"<div class=\"content\">{_paras(r.get('location') or dept['window'])}</div>"))
        elif key == "phone":
            out.append(_section(heads["phone"],
                                f"<div class=\"content\">{_paras(r.get('phone') or dept['phone'])}</div>"))
        elif key == "complaint":
            out.append(_section(heads["complaint"],
                                f"<div class=\"content\">{_paras(r.get('complaint') or dept['complaint'])}</div>"))
        elif key == "basis":
            out.append(_section(heads["basis"], f"<div class=\"content\">{_paras(r['basis'])}</div>"))
    for heading, body in r.get("extra") or []:
        out.append(_section(heading, f"<div class=\"content\">{_paras(body)}</div>"))
    out.append("</div>\n")
    out.append(_related(related))
    out.append("</div>\n")
    out.append(_footer(site))
    return "".join(out)


def render_policy(p: dict, site: dict, related: list[tuple[str, str]]) -> str:
    dept = site["departments"][p["dept"]]
    url = f"{site['base_url']}/zcwj/{p['id']}.html"
    region = p.get("region", dept.get("region", site["region"]))
    crumbs = ["首页", "政策", "惠企政策", "申报通知"]
    out = [_head(p["title"], {"date": p["date"], "source": dept["name"], "region": region}, site, url),
           _header(site, crumbs), "<div class=\"main-wrap\">\n"]
    out.append("<div class=\"article\">\n")
    out.append(f"  <h1 class=\"article-title\">{escape(p['title'])}</h1>\n")
    out.append(f"  <div class=\"article-meta\">发布日期：{p['date']}　来源：{escape(dept['name'])}　"
               f"文号：{escape(p['doc_number'])}</div>\n")
    out.append(_share_bar())
    paras = [p.get("greeting", "各有关单位：")] + list(p.get("intro") or [])
    for n, (heading, body) in enumerate(p["sections"]):
        paras.append(f"{CN_NUM[n]}、{heading}")
        paras.extend(body)
    if p.get("attachments"):
        paras.append("附件：" + p["attachments"][0])
        paras.extend(f"　　　{a}" for a in p["attachments"][1:])
    body = "".join(f"\n    <p>{escape(x)}</p>" for x in paras)
    y, m, d = (int(x) for x in p["date"].split("-"))
    body += (f"\n    <p class=\"sign\">{escape(p.get('signer', dept['name']))}</p>"
             f"\n    <p class=\"sign\">{y}年{m}月{d}日</p>")
    out.append(f"  <div class=\"article-content\">{body}\n  </div>\n")
    out.append("</div>\n")
    out.append(_related(related))
    out.append("</div>\n")
    out.append(_footer(site))
    return "".join(out)


def render_all(data: dict) -> dict[str, str]:
    """Every page: ``{file name: html}``."""
    site = data["site"]
    items = {r["id"]: r for r in data["items"]}
    pages: dict[str, str] = {}
    # Related lists: items by department, bundles among bundles, policies among policies.
    by_dept: dict[str, list[tuple[str, str]]] = {}
    for r in sorted(data["items"], key=lambda r: r["id"]):
        by_dept.setdefault(r["dept"], []).append((r["id"], r["title"]))
    bundles = sorted((b["id"], b["title"]) for b in data["bundles"])
    policies = sorted((p["id"], p["title"]) for p in data["policies"])
    for r in data["items"]:
        group = by_dept[r["dept"]]
        related = _related_for(r["id"], group) if len(group) > 1 else []
        if len(related) < 3:  # small departments: fill with bundles
            related += bundles[: 3 - len(related)]
        pages[f"{r['id']}.html"] = render_guide(r, site, related, items, is_bundle=False)
    for b in data["bundles"]:
        pages[f"{b['id']}.html"] = render_guide(b, site, _related_for(b["id"], bundles), items, is_bundle=True)
    for p in data["policies"]:
        pages[f"{p['id']}.html"] = render_policy(p, site, _related_for(p["id"], policies))
    return dict(sorted(pages.items()))


# --------------------------------------------------------------------------- queries

def build_queries(data: dict) -> list[dict]:
    """Demo queries with ``expect`` derived from the primary document's source record."""
    items = {r["id"]: r for r in data["items"]}
    bundles = {b["id"]: b for b in data["bundles"]}
    depts = data["site"]["departments"]
    out = []
    for q in data["queries"]:
        rec = {"qid": q["qid"], "query": q["query"], "relevant": q["relevant"]}
        kind = q.get("kind")
        if kind:
            rec["kind"] = kind
        primary = q.get("primary")
        guide = items.get(primary) or bundles.get(primary)
        if kind in ("materials", "time", "phone", "location") and guide is None:
            raise CorpusError(f"queries: {q['qid']}: kind {kind!r} needs a primary item or bundle")
        if kind == "materials":
            rows = merged_materials(guide, items) if primary in bundles else guide["materials"]
            rec["expect"] = [m[0] for m in rows]
        elif kind == "time":
            rec["expect"] = {k2: guide[k1] for k1, k2 in (("time_legal", "handle_time"),
                                                         ("time_promised", "handle_time_limit"))
                             if guide.get(k1)}
        elif kind == "phone":
            rec["expect"] = _first(guide.get("phone") or depts[guide["dept"]]["phone"])
        elif kind == "location":
            rec["expect"] = _first(guide.get("location") or depts[guide["dept"]]["window"])
        elif "expect" in q:
            rec["expect"] = q["expect"]
        if primary:
            rec["primary"] = primary
        out.append(rec)
    return out


def _first(value) -> str:
    return value[0] if isinstance(value, list) else value


def render_queries(data: dict) -> str:
    return "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in build_queries(data))


# --------------------------------------------------------------------------- main

def build(src: Path = SRC) -> tuple[dict[str, str], str]:
    data = load_source(src)
    return render_all(data), render_queries(data)


def write(pages_dir: Path = PAGES, queries_path: Path = QUERIES, src: Path = SRC) -> int:
    pages, queries = build(src)
    pages_dir.mkdir(parents=True, exist_ok=True)
    for stale in pages_dir.glob("*.html"):
        if stale.name not in pages:
            stale.unlink()
    for name, html in pages.items():
        (pages_dir / name).write_text(html, encoding="utf-8")
    queries_path.write_text(queries, encoding="utf-8")
    return len(pages)


def differences(pages_dir: Path = PAGES, queries_path: Path = QUERIES, src: Path = SRC) -> list[str]:
    """Files whose committed content differs from a fresh render (empty list: all equal)."""
    pages, queries = build(src)
    diff = [n for n, h in pages.items()
            if not (pages_dir / n).exists() or (pages_dir / n).read_text(encoding="utf-8") != h]
    diff += [p.name + " (stale)" for p in pages_dir.glob("*.html") if p.name not in pages]
    if not queries_path.exists() or queries_path.read_text(encoding="utf-8") != queries:
        diff.append(queries_path.name)
    return sorted(diff)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = ap.parse_args(argv)
    try:
        if args.check:
            diff = differences()
            if diff:
                print("out of date (run python corpus/build_pages.py):", ", ".join(diff), file=sys.stderr)
                return 1
            print("corpus pages are up to date")
            return 0
        n = write()
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {n} pages to {PAGES} and {QUERIES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
