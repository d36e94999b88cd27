"""Apply answers to a checklist, read answers from a request, and score a labelled case.

``checklist(materials, situations, answers)`` never drops a row: each material gets ``applies`` —
true (always, or every question it depends on is answered its way), false (an answer excluded it:
``excluded_by`` names the ``situation:option``), null (it depends on a question not answered yet:
``pending``) — and ``when``: the condition ids (``situation:option``) under which it applies; ids
of one situation are alternatives (OR), different situations must all hold (AND); ``when_all``
gives the same ids grouped exactly (an either-case such as （换发、加注） is one group spanning two
situations).
"""
from __future__ import annotations

import re
from typing import Any

from answer.conditions import alternatives
from answer.situations import BadSituation, Situation, build_situations

def parse_answers(text: str | list[str] | None, situations: list[Situation] | None = None) -> dict[str, str]:
    """``"agent:self,age:lt16"`` (or a list of such parts) → ``{"agent": "self", "age": "lt16"}``.
    With ``situations``, an unknown situation or option raises :class:`BadSituation`."""
    parts = text if isinstance(text, list) else re.split(r"[,，;；]", text or "")
    out: dict[str, str] = {}
    for p in parts:
        p = p.strip()
        if not p:
            continue
        sid, sep, oid = p.partition(":")
        if not sep or not sid.strip() or not oid.strip():
            raise BadSituation(f"situation answer {p!r} is not ID:OPTION")
        out[sid.strip()] = oid.strip()
    if situations is not None:
        known = {s.id: s for s in situations}
        for sid, oid in out.items():
            if sid not in known:
                raise BadSituation(f"unknown situation {sid!r} (known: {', '.join(known) or 'none'})")
            if known[sid].option(oid) is None:
                raise BadSituation(f"situation {sid!r} has no option {oid!r} "
                                   f"(options: {', '.join(o.id for o in known[sid].options)})")
    return out


def checklist(materials: list[dict], situations: list[Situation], answers: dict[str, str] | None = None) -> list[dict]:
    """Every material with ``applies`` (true / false / null), ``when`` (condition ids),
    ``when_all`` (the same ids as groups: each group is satisfied by any one of its ids, and every
    group must be; a group spans two situations only for an either-case such as （换发、加注）),
    ``excluded_by`` (the answers that excluded it), ``pending`` (the questions it waits on) and, for
    a material that accepts one document or another (居民身份证或户口簿), ``one_of``.
    Answers to situations or options that do not exist are ignored (see :func:`parse_answers`)."""
    answers = answers or {}
    out = []
    for m in materials:
        name = str(m.get("name") or "")
        groups: list[list[tuple[str, str]]] = []
        for s in situations:
            if name not in s.affects:
                continue
            terms = [(s.id, o.id) for o in s.options if name in o.keeps]
            terms += [tuple(t.split(":", 1)) for t in dict(s.or_with).get(name, ())]
            if set(terms) not in [set(g) for g in groups]:
                groups.append(terms)
        known = {s.id: s for s in situations}
        excluded, pending = [], []
        for g in groups:
            answered = {sid: answers.get(sid) for sid, _ in g
                        if sid in known and answers.get(sid) is not None and known[sid].option(answers[sid])}
            if any(answered.get(sid) == o for sid, o in g):
                continue
            open_ = sorted({sid for sid, _ in g if sid not in answered})
            if open_:
                pending += [sid for sid in open_ if sid not in pending]
            else:
                excluded += [f"{sid}:{ans}" for sid, ans in answered.items() if f"{sid}:{ans}" not in excluded]
        when = []
        for g in groups:
            when += [f"{sid}:{o}" for sid, o in g if f"{sid}:{o}" not in when]
        applies = False if excluded else (None if pending else True)
        row = {**m, "applies": applies, "when": when, "when_all": [[f"{sid}:{o}" for sid, o in g] for g in groups],
               "excluded_by": excluded, "pending": pending}
        one_of = alternatives(name)
        if one_of:
            row["one_of"] = one_of
        out.append(row)
    return out


def score_situation_case(case: dict, materials: list[dict], title: str = "", region: str | None = None,
                         routes: list[dict] | None = None, members: list[str] | None = None) -> dict[str, Any]:
    """One ``situation_expect`` case: understand the situation stated in ``case["query"]``, apply
    it to the item's ``materials`` and compare with the expected ``keep`` / ``drop`` names
    (:func:`score_rows`)."""
    from answer.understand import understand

    situations = build_situations(materials, title=title, routes=routes, members=members)
    got = understand(case["query"], situations, region=region)
    return score_rows(case, checklist(materials, situations, got.answers), got.answers, got.understood)


def score_rows(case: dict, rows: list[dict], answers: dict | None = None, understood: list | None = None) -> dict[str, Any]:
    """Compare checklist ``rows`` (each with ``name`` and ``applies``: from :func:`checklist`, or the
    materials of an ``/answer`` response) with a case's ``situation_expect`` ``keep`` / ``drop`` names.

    A keep is right when the material ``applies`` is true, a drop when it is false (null — still
    undecided — is wrong for both). Names are matched as written, else by
    :func:`answer.materials.material_key` (营业执照复印件 = 营业执照). ``wrong_drops`` lists every
    material dropped that the case does not list under ``drop``; ``unconditional_drops`` those of
    them that carry no condition at all (``when`` empty): the target for both is none."""
    from answer.materials import material_key

    expect = case.get("situation_expect") or {}
    applies: dict[str, Any] = {}
    by_key: dict[str, Any] = {}
    for r in rows:
        applies.setdefault(r["name"], r["applies"])
        by_key.setdefault(material_key(r["name"])[0], r["applies"])

    def got(name: str) -> Any:
        return applies[name] if name in applies else by_key.get(material_key(name)[0])

    def known(name: str) -> bool:
        return name in applies or material_key(name)[0] in by_key

    keep, drop = list(expect.get("keep") or []), list(expect.get("drop") or [])
    missing = [n for n in keep + drop if not known(n)]
    kept_wrong = [n for n in keep if got(n) is not True]
    dropped_wrong = [n for n in drop if got(n) is not False]
    drop_keys = {material_key(n)[0] for n in drop}
    wrong = [r for r in rows if r["applies"] is False and r["name"] not in drop
             and material_key(r["name"])[0] not in drop_keys]
    n = len(keep) + len(drop)
    correct = n - len(kept_wrong) - len(dropped_wrong)
    return {"qid": case.get("qid"), "n": n, "correct": correct, "share": correct / n if n else 1.0,
            "n_keep": len(keep), "n_drop": len(drop), "kept_wrong": kept_wrong, "dropped_wrong": dropped_wrong,
            "wrong_drops": sorted({r["name"] for r in wrong}),
            "unconditional_drops": sorted({r["name"] for r in rows if r["applies"] is False and not r.get("when")}),
            "missing": missing, "answers": dict(answers or {}), "understood": list(understood or [])}
