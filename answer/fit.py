"""The applicant's own checklist on an answer (情形引导 in ``/answer``): the questions that decide the
chosen item's materials, what the question itself already says, and every material marked.

``fit(engine, result, query, situation=None) -> result`` takes an answer of :func:`answer.item.answer`
whose item is chosen and materials listed, and adds

- ``situations``: ``[{id, question, dimension, options: [{id, label}], affects, evidence, citation,
  or_with, answer, answered_from}]`` (:func:`answer.situations.build_situations`; a bundle's routes
  are cited to the span of their question in its 情形引导 section);
- ``understood``: what the question states (我是个体户 → entity: individual), each with the phrase it
  was read from and ``overridden`` when the request answered that question otherwise
  (:func:`answer.understand.understand`);
- per material ``applies`` (true / false / null), ``when``, ``when_all``, ``excluded_by``, ``pending``
  and, for 居民身份证或户口簿, ``one_of`` (:func:`answer.checklist.checklist`). Nothing is dropped: a
  material that does not apply stays in the list with ``applies: false`` and the answer that excluded it.

``situation`` is the request's answers (``"entity:individual,agent:self"``); they win over what the
question says. An answer that names no question or option of this item raises
:class:`~core.errors.BadQuery` with the ids there are. Every situation carries a citation: the
passage its first condition was read from, else the route section, else the item's 申请材料 section.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from answer.checklist import checklist, parse_answers
from answer.materials import citation_of, section_chunk
from answer.situations import BadSituation, Situation, build_situations
from answer.understand import understand
from core.errors import BadQuery
from core.records import Chunk, Document
from core.sections import is_section
from index.hits import passage_hit

SITUATION_HINT = "write situation as ID:OPTION[,ID:OPTION], with the ids of the answer's `situations`"


def check_syntax(situation: str | None) -> dict[str, str]:
    """The request's answers parsed (no item needed yet); BadQuery when one is not ``ID:OPTION``."""
    try:
        return parse_answers(situation)
    except BadSituation as e:
        raise BadQuery(f"situation: {e}", hint=SITUATION_HINT) from None


def route_citations(doc: Document, chunks: list[Chunk], routes: list[dict] | None) -> list[dict]:
    """A bundle's routes, each with the ``citation`` of its question in the 情形引导 section (the
    span of the question's words where they are found, else the whole section chunk)."""
    sections = [c for c in chunks if is_section(c.section, "routes")]
    out = []
    for r in routes or []:
        question = str(r.get("question") or "")
        cite = None
        for c in sections:
            pos = doc.text.find(question, c.start, c.end) if question else -1
            if pos >= 0:
                cite = citation_of(doc, c, pos, pos + len(question))
                break
        if cite is None and sections:
            cite = citation_of(doc, sections[0])
        out.append({**r, "citation": cite.model_dump() if cite else None})
    return out


def _cited(s: Situation, materials: list[dict], doc: Document, chunks: list[Chunk]) -> Situation:
    if s.citation:
        return s
    for m in materials:
        if m.get("name") in s.affects and m.get("citations"):
            return replace(s, citation=m["citations"][0])
    sec = section_chunk(chunks, "materials") or (chunks[0] if chunks else None)
    return replace(s, citation=citation_of(doc, sec).model_dump()) if sec else s


def _situation_out(s: Situation, answers: dict[str, str], explicit: dict[str, str],
                   from_question: dict[str, str]) -> dict[str, Any]:
    d = s.to_dict()
    d["options"] = [{"id": o.id, "label": o.label} for o in s.options]
    d.setdefault("or_with", {})
    d["answer"] = answers.get(s.id)
    d["answered_from"] = "request" if s.id in explicit else ("question" if s.id in from_question else None)
    return d


def fit(engine, result: dict[str, Any], query: str, situation: str | None = None) -> dict[str, Any]:
    """``result`` with its situations, what was understood and every material marked (see the
    module docstring). A result without an item gets empty ``situations`` and ``understood``."""
    explicit = check_syntax(situation)
    if not result.get("item"):
        return {**result, "situations": [], "understood": []}
    doc = engine.doc(result["item"]["doc_id"])
    chunks = engine.chunks(doc.doc_id)
    materials = result["materials"]
    routes = route_citations(doc, chunks, doc.fields.get("routes"))
    situations = [_cited(s, materials, doc, chunks)
                  for s in build_situations(materials, title=doc.title, routes=routes,
                                            members=doc.fields.get("members"))]
    got = understand(query, situations, region=doc.region)
    try:
        explicit = parse_answers(situation, situations)
    except BadSituation as e:
        raise BadQuery(f"situation: {e}", hint=SITUATION_HINT) from None
    answers = {**got.answers, **explicit}
    understood = [{**u, "overridden": u["situation"] in explicit and explicit[u["situation"]] != u["option"]}
                  for u in got.understood]
    rows = checklist(materials, situations, answers)
    citations = list(result.get("citations") or [])
    cited = {h["chunk_id"] for h in citations}
    store = engine.store
    for s in situations:
        cid = (s.citation or {}).get("chunk_id")
        if cid and cid not in cited:
            cited.add(cid)
            citations.append(passage_hit(store, store.row_of(cid)).model_dump())
    return {**result, "materials": rows, "citations": citations,
            "situations": [_situation_out(s, answers, explicit, got.answers) for s in situations],
            "understood": understood}
