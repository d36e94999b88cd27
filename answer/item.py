"""Answer "what materials do I need for X": pick one service item (or "一件事" bundle) and list its
materials and facts, each cited — or say honestly that nothing fits, with the closest items as choices.

``answer(engine, query, situation=None) -> dict`` (the shape of the API's ``AnswerResponse``). The query
is prepared (tokenized, encoded) once; candidates come from one retrieval (:mod:`answer.candidates`); the
choice is :mod:`answer.decision`'s; materials and facts come from :mod:`answer.materials`; the
applicant's checklist (situations, what the question says, ``applies`` per material) from
:mod:`answer.fit`. When the whole question finds no item but states the applicant's situation
(我是个体户… / 第一次办…), the item is chosen once more without those words
(:func:`answer.understand.situation_free`: who applies, for any item; the words the closest item's
own questions answer, for that item only); they still fit the checklist.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from answer.candidates import ItemCandidate, item_candidates, term_weights
from answer.decision import Decision, Ranked, decide
from answer.fit import check_syntax, fit
from answer.materials import item_facts, item_materials, item_ref, merge_materials
from answer.situations import build_situations
from answer.terms import content_terms
from answer.understand import situation_free
from core.errors import DocumentNotFound
from core.query import Query
from core.records import Chunk, Document
from index.hits import passage_hit

MAX_ALTERNATIVES = 5
MIN_ALTERNATIVES = 2
ALTERNATIVE_SHARE = 0.05  # a choice offered needs this share of the best candidate's probability


def _hit(engine, c: ItemCandidate, confidence: float | None = None) -> dict:
    """The candidate as a search hit (its citing chunk's passage), with its retrieval ranks."""
    h = passage_hit(engine.store, c.row, c.score)
    return h.model_copy(update={"ranks": {"bm25": c.ranks.get("bm25"), "dense": c.ranks.get("dense")},
                                "confidence": None if confidence is None else round(confidence, 4)}).model_dump()


def _empty(query: str, reason: str, alternatives: list[dict] | None = None, terms=None,
           evidence: dict | None = None, question: str | None = None, confidence: float | None = None) -> dict[str, Any]:
    return {"query": query, "item": None, "reason": reason, "question": question, "confidence": confidence,
            "materials": [], "time_limit": None, "phone": None,
            "location": None, "fee": None, "conditions": None, "field_citations": {}, "members": [],
            "citations": [], "alternatives": alternatives or [], "terms": terms or [], "evidence": evidence,
            "notes": []}


def choices(ranked: list[Ranked], exclude: set[str] = frozenset()) -> list[Ranked]:
    """The items to offer: the most likely first, at least :data:`MIN_ALTERNATIVES` and at most
    :data:`MAX_ALTERNATIVES`, the ones beyond the minimum only while their probability is at least
    :data:`ALTERNATIVE_SHARE` of the best one's."""
    rest = [r for r in ranked if r.doc.doc_id not in exclude]
    if not rest:
        return []
    top = rest[0].p
    return [r for i, r in enumerate(rest[:MAX_ALTERNATIVES]) if i < MIN_ALTERNATIVES or r.p >= ALTERNATIVE_SHARE * top]


def ask(options: list[Ranked]) -> str | None:
    """The choice as a question: 您要办理的是“A”、“B”还是“C”？"""
    titles = [f"“{r.doc.title}”" for r in options]
    if not titles:
        return None
    if len(titles) == 1:
        return f"您要办理的是{titles[0]}吗？"
    return f"您要办理的是{'、'.join(titles[:-1])}还是{titles[-1]}？"


def answer(engine, query: Query | str, situation: str | None = None) -> dict[str, Any]:
    """The materials answer for ``query`` (see the module docstring), fitted to the applicant's
    situation: the one the question states and the request's answers ``situation="ID:OPTION,…"``.
    Raises BadQuery for an empty or over-long query, or a situation answer this item has no question
    or option for."""
    check_syntax(situation)
    result = _answer(engine, query)
    if result["item"] is None and result["terms"]:
        result = _situated(engine, query, result)
    return fit(engine, result, result["query"], situation)


def _situated(engine, query: Query | str, result: dict[str, Any]) -> dict[str, Any]:
    """When the whole question finds no item, choose again without the words that state the
    applicant's situation: first who applies (any item), then the words the closest item's own
    questions answer (that item only). The words still fit its checklist."""
    text = result["query"]
    tries = [(*situation_free(text), None)]
    if result["alternatives"]:
        top = engine.doc(result["alternatives"][0]["doc_id"])
        mats = item_materials(top, engine.chunks(top.doc_id))
        sits = build_situations(mats, title=top.title, routes=top.fields.get("routes"), members=top.fields.get("members"))
        tries.append((*situation_free(text, sits, top.region), top.doc_id))
    for core, phrases, only in tries:
        if not phrases or core == text:
            continue
        again = _answer(engine, replace(query, text=core) if isinstance(query, Query) else core)
        if again["item"] and only in (None, again["item"]["doc_id"]):
            note = f"问题中的“{'、'.join(phrases)}”是办理人的情形，用于筛选材料；选择事项时未计入。"
            return {**again, "query": text, "notes": [*again["notes"], note]}
    return result


def _answer(engine, query: Query | str) -> dict[str, Any]:
    """The item and its materials for ``query``, before the applicant's situation is applied."""
    q = engine.resolve(query) if isinstance(query, Query) else engine.resolve(query, k=10)
    pq = engine.prepare(q)
    terms = content_terms(pq.tokens)
    weights = term_weights(engine, terms)
    got = item_candidates(engine, q, pq, terms, weights)
    docs = {c.doc_id: engine.doc(c.doc_id) for c in got.cands}
    dec = decide(engine, q.text, got, docs, terms, weights)

    def alternatives(exclude: set[str]) -> list[dict]:
        return [_hit(engine, r.cand, r.p) for r in choices(dec.ranked, exclude)]

    if not terms:
        opts = choices(dec.ranked)
        return _empty(q.text, "问题里没有说明要办理的事项（只有“材料”“办理”一类的词），请写明事项名称，例如“食品经营许可需要什么材料”。",
                      alternatives(set()), terms, question=ask(opts), confidence=round(dec.confidence, 4))
    if not dec.ranked:
        return _empty(q.text, "索引中没有找到相关的办事事项。", [], terms, confidence=0.0)
    if not dec.answered:
        return _unsure(engine, q.text, dec, terms, alternatives)
    return _item_answer(engine, q.text, dec, terms, alternatives)


def _unsure(engine, query: str, dec: Decision, terms: list[str], alternatives) -> dict[str, Any]:
    """No item is sure enough: the most likely ones, offered as a choice."""
    best = dec.best
    opts = choices(dec.ranked)
    share = sum(r.p for r in opts)
    if share >= dec.threshold:
        # together the options are likely: the question is which one, not whether
        reason = (f"有 {len(opts)} 个相近的办事事项都可能是您要办的（最可能的“{best.doc.title}”置信度 {best.p:.0%}，"
                  f"低于作答所需的 {dec.threshold:.0%}），请从中选择。")
    else:
        reason = (f"没有足够匹配的办事事项：最接近的“{best.doc.title}”置信度只有 {best.p:.0%}（作答需要 {dec.threshold:.0%}），"
                  f"标题覆盖问题关键词（{'、'.join(terms)}）的 {best.features['title_cov']:.0%}。"
                  "以下是最接近的事项，请核对后再办理。")
    return _empty(query, reason, alternatives(set()), terms, best.summary(), ask(opts), round(dec.confidence, 4))


def _item_answer(engine, query: str, dec: Decision, terms: list[str], alternatives) -> dict[str, Any]:
    best = dec.best
    doc: Document = best.doc
    chunks = engine.chunks(doc.doc_id)
    notes: list[str] = []
    members: list[dict[str, Any]] = []
    by_id: dict[str, tuple[Document, Chunk]] = {c.chunk_id: (doc, c) for c in chunks}
    if doc.kind == "bundle":
        lists = []
        for mid in doc.fields.get("members") or []:
            try:
                mdoc = engine.doc(mid)
            except DocumentNotFound:
                notes.append(f"包含事项 {mid} 不在索引中，其材料未列出。")
                continue
            mchunks = engine.chunks(mid)
            by_id.update({c.chunk_id: (mdoc, c) for c in mchunks})
            lists.append(item_materials(mdoc, mchunks))
            mfacts, mcites = item_facts(mdoc, mchunks)
            members.append({**item_ref(mdoc), "time_limit": mfacts["time_limit"], "phone": mfacts["phone"],
                            "location": mfacts["location"], "field_citations": mcites})
        lists.append(item_materials(doc, chunks))
        materials = merge_materials(lists)
        why = (f"“一件事”：合并了 {len(members)} 个包含事项和本事项自身的材料，去除重复后共 {len(materials)} 项；"
               f"每项材料注明来源事项。")
    else:
        materials = [dict(m, names=[m["name"]]) for m in item_materials(doc, chunks)]
        why = ""
    used: dict[str, tuple[Document, Chunk]] = {}
    for m in materials:
        m.pop("key", None)
        if not m["citations"]:
            notes.append(f"材料“{m['name']}”未在申请材料原文中找到对应段落。")
        for c in m["citations"]:
            if c["chunk_id"] in by_id:
                used.setdefault(c["chunk_id"], by_id[c["chunk_id"]])
    facts, field_cites = item_facts(doc, chunks)
    for c in field_cites.values():
        used.setdefault(c["chunk_id"], by_id[c["chunk_id"]])
    if not materials:
        notes.append("该事项的办事指南没有列出申请材料。")
    channels = "、".join(f"{k} 第{v}名" for k, v in best.cand.ranks.items() if v)
    f = best.features
    reason = (f"置信度 {best.p:.0%}（作答需要 {dec.threshold:.0%}）；事项标题覆盖问题关键词（{'、'.join(terms)}）的 "
              f"{f['title_cov']:.0%}，全文覆盖 {f['text_cov']:.0%}" + (f"；检索排名：{channels}" if channels else "")
              + "。" + why)
    store = engine.store
    return {
        "query": query,
        "item": item_ref(doc),
        "reason": reason,
        "question": None,
        "confidence": round(dec.confidence, 4),
        "materials": materials,
        **facts,
        "field_citations": field_cites,
        "members": members,
        "citations": [passage_hit(store, store.row_of(cid)).model_dump() for cid in used],
        "alternatives": alternatives({doc.doc_id} | {m["doc_id"] for m in members}),
        "terms": terms,
        "evidence": best.summary(),
        "notes": notes,
    }
