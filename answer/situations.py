"""The applicant's own checklist (情形引导): questions about their situation, and which materials
each answer keeps.

    situations = build_situations(materials, title=doc.title, routes=doc.fields.get("routes"))
    answers = understand(query, situations).answers          # 我是外省户籍 → {"household": "nonlocal"}
    answers.update(parse_answers("agent:self"))             # the request's situation=ID:OPTION,…
    rows = checklist(materials, situations, answers)        # answer.checklist: every material, applies / when

``materials`` are plain dicts ``{name, condition, required, …}`` as the item (or the merged 一件事
list) carries them; ``sources`` / ``source_titles`` (the items a merged material comes from) and
``citations`` are used when present and passed through untouched.

A :class:`Situation` is one question (``id``, ``question``, ``options``), the materials it
decides (``affects``) and, per option, the materials that option keeps. Questions that mean the
same thing are asked once whatever item of a bundle raised them (every 委托他人办理的 / 授权委托书 /
代办人身份证 is the one ``agent`` question); see :mod:`answer.dimensions`.

Applying answers (:func:`answer.checklist.checklist`) and reading them from the question
(:func:`answer.understand.understand`) live beside this module.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from answer.conditions import Cond, flat, item_forms, material_conditions, name_parts
from answer.dimensions import AGE_QUESTION, DIMENSIONS, ORDER, PLACE_NONE, PLACE_QUESTION


@dataclass(frozen=True)
class SituationOption:
    id: str
    label: str
    keeps: tuple[str, ...] = ()  # names of the affected materials this answer keeps

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "keeps": list(self.keeps)}


@dataclass(frozen=True)
class Situation:
    id: str
    question: str
    dimension: str  # a dimension id, "age", "place", "cause", "variant", "generic" or "route"
    options: tuple[SituationOption, ...]
    affects: tuple[str, ...]  # names of the materials this question decides
    evidence: tuple[dict, ...] = ()  # [{material, text, source}]: the wording each condition was read from
    citation: dict | None = None  # the citation of the first material (or route section) it was read from
    # material name → condition ids of other situations that also satisfy it (提交所持护照原件（换发、加注）:
    # reason:renew or endorse:yes)
    or_with: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def option(self, option_id: str) -> SituationOption | None:
        return next((o for o in self.options if o.id == option_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "dimension": self.dimension,
                "options": [o.to_dict() for o in self.options], "affects": list(self.affects),
                "evidence": list(self.evidence), "citation": self.citation,
                **({"or_with": {n: list(ids) for n, ids in self.or_with}} if self.or_with else {})}


class BadSituation(ValueError):
    """An answer names a situation or option that does not exist (``situation=ID:OPTION``)."""


def _h(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:8]


def _sources(m: dict, title: str) -> list[tuple[str, str]]:
    srcs = list(m.get("sources") or [])
    titles = list(m.get("source_titles") or [])
    if not srcs:
        return [("", title)]
    return [(s, titles[i] if i < len(titles) else title) for i, s in enumerate(srcs)]


def _either(alternatives: list[list[Cond]]) -> list[Cond]:
    """The conditions of a material needed by any one of several sources (or condition notes): a
    source that needs it always makes it unconditional; otherwise only dimensions every source
    restricts stay, with the options of all of them."""
    if not alternatives or any(not a for a in alternatives):
        return []
    out = []
    for c in alternatives[0]:
        same = [next((d for d in a if d.dim == c.dim and (c.dim != "generic" or d.key == c.key)
                      and (c.dim != "any" or d == c)), None) for a in alternatives[1:]]
        if all(s is not None for s in same):
            opts = set(c.options)
            for s in same:
                opts |= s.options
            out.append(Cond(c.dim, frozenset(opts), c.text, c.key, c.bracket, c.alts))
    return out


def material_conds(materials: list[dict], title: str = "", members: list[str] | None = None) -> list[tuple[list[Cond], str]]:
    """Per material: its conditions and the source (item id) they were read in (a member item
    rather than the bundle that repeats it in its merged list)."""
    by_source: dict[str, list[str]] = {}
    for m in materials:
        for s, _ in _sources(m, title):
            by_source.setdefault(s, []).append(str(m.get("name") or ""))
    forms = {s: item_forms(names) for s, names in by_source.items()}
    out = []
    for m in materials:
        name = str(m.get("name") or "")
        notes = [p for p in re.split(r"\s+/\s+", str(m.get("condition") or "")) if p] or [None]
        alts = [list(material_conditions(name, note, m.get("required"), title=t, forms=forms[s]))
                for s, t in _sources(m, title) for note in notes]
        srcs = [s for s, _ in _sources(m, title)]
        out.append((_either(alts), next((s for s in srcs if members and s in members), srcs[0])))
    return out


# --------------------------------------------------------------------------- questions


def _core(text: str) -> str:
    c = re.sub(r"^(?:如果|若|如|凡|仅在|仅限|仅|只有|只在|适用于|对于)", "", text.strip(" 。.；;，,"))
    return re.sub(r"(?:才需提供|需要|时|的)+$", "", c).strip(" ，,") or text


_TURN = re.compile(r"(?:申请)?(.{2,6}?)(?:变更为|转变为|转为|改为|变为|变(?![更化动])|改(?![革造建善正]))(.{2,6})$")


def _base_key(key: str) -> tuple[str, bool]:
    """A generic condition's wording without a leading 已 / 未 (negated: True); a change one way
    and back (专职变兼职 / 兼职变更为专职) is one question, the second read as its negation."""
    t = _TURN.fullmatch(key)
    if t and t.group(1) != t.group(2):
        a, b = t.group(1), t.group(2)
        return (f"{a}变{b}", False) if a < b else (f"{b}变{a}", True)
    m = re.match(r"^(?:如已|已经|已)(.{2,})$", key)
    if m:
        return m.group(1), False
    m = re.match(r"^(?:尚未|未|没有)(.{2,})$", key)
    if m:
        return m.group(1), True
    return key, False


def _key_of(text: str) -> str:
    return re.sub(r"[\s，,、。；;“”\"'（）()]", "", text)


def _yes_no_question(text: str) -> str:
    core = _core(text)
    return f"是否{core}？" if len(core) <= 24 and "是否" not in core else f"此项材料适用于：{core}？"


def _age_bands(thresholds: list[int]) -> list[tuple[str, str, int, int]]:
    ts = sorted(set(thresholds))
    bands = [(f"lt{ts[0]}", f"未满{ts[0]}周岁", 0, ts[0])]
    for a, b in zip(ts, ts[1:]):
        bands.append((f"{a}-{b}", f"{a}周岁至未满{b}周岁", a, b))
    bands.append((f"ge{ts[-1]}", f"{ts[-1]}周岁及以上", ts[-1], 10**3))
    return bands


def _band_ok(constraints: frozenset[str], lo: int, hi: int) -> bool:
    for c in constraints:
        op, n = c.split(":")
        if (op == "lt" and hi > int(n)) or (op == "ge" and lo < int(n)):
            return False
    return True


@dataclass
class _Q:
    id: str
    question: str
    dimension: str
    options: list[tuple[str, str]]  # (id, label)
    keeps: dict[str, list[str]] = field(default_factory=dict)  # material name → option ids
    evidence: list[dict] = field(default_factory=list)
    citation: dict | None = None
    route: bool = False  # a bundle's route question (its options are the page's, nothing added)
    or_with: dict[str, list[str]] = field(default_factory=dict)


def build_situations(materials: list[dict], title: str = "", routes: list[dict] | None = None,
                     members: list[str] | None = None) -> list[Situation]:
    """The questions that decide these materials, deduplicated by meaning (see the module doc).
    ``routes`` / ``members``: a bundle's alternative routes and member items (``Document.fields``);
    a merged material that some member outside every route needs stays unconditional, one that only
    routed members need is kept by the route options that take those members."""
    qs: dict[str, _Q] = {}
    conds = material_conds(materials, title, members)

    def keep(q: _Q, m: dict, option_ids: list[str], text: str, source: str) -> None:
        name = str(m.get("name") or "")
        prev = q.keeps.get(name)
        q.keeps[name] = [o for o in option_ids if prev is None or o in prev]
        if len(q.evidence) < 12:
            q.evidence.append({"material": name, "text": text, "source": source or None})
        if q.citation is None and m.get("citations"):
            q.citation = m["citations"][0]

    # ages and places: the options depend on what the materials name
    thresholds = [int(o.split(":")[1]) for cs, _ in conds for c in flat(cs) if c.dim == "age" for o in c.options]
    bands = _age_bands(thresholds) if thresholds else []
    cities = sorted({o for cs, _ in conds for c in flat(cs) if c.dim == "place" for o in c.options})
    # generic conditions: pair 已X / 未X, group bracket variants of one form and 因…的 cases of one item
    bases: dict[str, set[bool]] = {}
    for cs, _ in conds:
        for c in flat(cs):
            if c.dim == "generic":
                b, neg = _base_key(c.key)
                bases.setdefault(b, set()).add(neg)
    variants: dict[tuple[str, str], set[str]] = {}
    for (cs, src), m in zip(conds, materials):
        base = name_parts(str(m.get("name") or ""))[3]
        for c in flat(cs):
            if c.dim == "generic" and c.bracket:
                variants.setdefault((src, base), set()).add(c.key)
    causes: dict[str, set[str]] = {}
    for cs, src in conds:
        for c in flat(cs):
            if c.dim == "cause":
                causes.setdefault(src, set()).update(c.options)

    def place(c: Cond, m: dict, src: str) -> tuple[str, list[str]] | None:
        """Register one condition of material ``m``: its situation and the options that keep it."""
        if c.dim in DIMENSIONS:
            d = DIMENSIONS[c.dim]
            q = qs.get(d.id) or qs.setdefault(d.id, _Q(d.id, d.question, d.id, []))
            for o in sorted(c.options):
                if o.startswith("x:") and ("o" + _h(o), o[2:]) not in q.options:
                    q.options.append(("o" + _h(o), o[2:]))
            ids = ["o" + _h(o) if o.startswith("x:") else o for o in c.options]
        elif c.dim == "age":
            q = qs.get("age") or qs.setdefault("age", _Q("age", AGE_QUESTION, "age", [(b[0], b[1]) for b in bands]))
            ids = [b[0] for b in bands if _band_ok(c.options, b[2], b[3])]
        elif c.dim == "place":
            q = qs.get("place") or qs.setdefault("place", _Q("place", PLACE_QUESTION, "place", []))
            ids = sorted(c.options)
        elif c.dim == "cause" and (len(causes[src]) > 1 or causes[src] == {"其他原因"}):
            labels = sorted(causes[src], key=lambda x: (x == "其他原因", x))
            sid = "cause-" + _h(src, *labels)
            q = qs.get(sid) or qs.setdefault(sid, _Q(sid, "属于以下哪种申请情形？", "cause",
                                                    [("o" + _h(x), x) for x in labels]))
            ids = ["o" + _h(x) for x in c.options]
        elif c.dim in ("cause", "generic"):
            base = name_parts(str(m.get("name") or ""))[3]
            group = variants.get((src, base), set())
            if c.dim == "generic" and c.bracket and len(group) > 1:
                sid = "variant-" + _h(src, base, *sorted(group))
                opts = [("o" + _h(k), _core(k)) for k in sorted(group)]
                q = qs.get(sid) or qs.setdefault(sid, _Q(sid, f"{base}：适用哪种情形？", "variant", opts))
                ids = ["o" + _h(c.key)]
            else:
                key = c.key or _key_of(c.text)
                b, neg = _base_key(key)
                paired = len(bases.get(b, ())) > 1
                sid = "if-" + _h(b if paired else key)
                question = _yes_no_question(b if paired else c.text)
                q = qs.get(sid) or qs.setdefault(sid, _Q(sid, question, "generic", [("yes", "是"), ("no", "否")]))
                yes = c.dim == "cause" or "yes" in c.options
                ids = ["yes" if (yes != (paired and neg)) else "no"]
        else:
            return None
        keep(q, m, ids, c.text, src)
        return q.id, ids

    for (cs, src), m in zip(conds, materials):
        for c in cs:
            if c.dim != "any":
                place(c, m, src)
                continue
            placed = [p for p in (place(a, m, src) for a in c.alts) if p]
            for sid, _ in placed:
                qs[sid].or_with[str(m.get("name") or "")] = [f"{s2}:{o}" for s2, ids2 in placed if s2 != sid
                                                             for o in ids2]
    _add_routes(qs, materials, routes or [], members)
    return _finish(qs, bands, cities)


def _add_routes(qs: dict[str, _Q], materials: list[dict], routes: list[dict], members: list[str] | None) -> None:
    """A bundle's alternative routes: each option keeps the materials of its member items; a
    material that also comes from an item outside the question (or from the bundle itself) stays."""
    from answer.understand import route_dimension  # the route labels are read like a question

    for n, r in enumerate(routes):
        options = [o for o in r.get("options") or [] if o.get("label")]
        if len(options) < 2 and not any(not o.get("members") for o in options):
            continue
        dim = route_dimension([o["label"] for o in options])
        if dim:
            d = DIMENSIONS[dim[0]]
            sid, qtext, ids = d.id, r.get("question") or d.question, dim[1]
        else:
            sid, qtext = "route-" + _h(r.get("question") or "", *(o["label"] for o in options)), r.get("question") or "选择办理路径"
            ids = ["o" + _h(o["label"]) for o in options]
        q = qs.get(sid) or qs.setdefault(sid, _Q(sid, qtext, "route" if not dim else sid, []))
        q.question, q.route = qtext, True
        for oid, o in zip(ids, options):
            if (oid, o["label"]) not in q.options:
                q.options = [x for x in q.options if x[0] != oid] + [(oid, o["label"])]
        routed = {mid for o in options for mid in o.get("members") or []}
        for m in materials:
            srcs = list(m.get("sources") or [])
            if members:  # the bundle's own (merged 一次性告知) list repeats its members' rows
                srcs = [s for s in srcs if s in members]
            if not srcs or any(s not in routed for s in srcs):
                continue
            keeps = [oid for oid, o in zip(ids, options) if set(srcs) & set(o.get("members") or [])]
            name = str(m.get("name") or "")
            prev = q.keeps.get(name)
            q.keeps[name] = [o for o in keeps if prev is None or o in prev]
            q.evidence.append({"material": name, "text": r.get("question") or qtext, "source": srcs[0]})
        if r.get("citation") and q.citation is None:
            q.citation = r["citation"]


def _finish(qs: dict[str, _Q], bands: list, cities: list[str]) -> list[Situation]:
    out = []
    for q in qs.values():
        if not q.keeps:
            continue
        if q.dimension == "place":
            q.options = [(c, f"{c}市") for c in cities] + [(PLACE_NONE.id, PLACE_NONE.label)]
        elif q.id in DIMENSIONS:
            d = DIMENSIONS[q.id]
            used = {o for ids in q.keeps.values() for o in ids}
            own = dict(q.options)  # labels a route page gave, and options read from the data (境外签发)
            known = {o.id for o in d.options}
            opts = [(o.id, own.get(o.id, o.label)) for o in d.options
                    if o.id != d.none and (d.binary or o.id in used or o.id in own or (d.id == "reason" and o.id == "new"))]
            opts += [(i, label) for i, label in q.options if i not in known]
            if d.none and not (q.route and d.none not in used):
                opts.append((d.none, own.get(d.none, d.label(d.none))))
            q.options = opts
        options = tuple(SituationOption(oid, label, tuple(n for n, ids in q.keeps.items() if oid in ids))
                        for oid, label in q.options)
        if all(set(q.keeps[n]) >= {o.id for o in options} for n in q.keeps):
            continue  # every answer keeps every material: nothing to ask
        out.append(Situation(q.id, q.question, q.dimension, options, tuple(q.keeps), tuple(q.evidence), q.citation,
                             tuple((n, tuple(ids)) for n, ids in q.or_with.items())))
    rank = {d: i for i, d in enumerate(ORDER)}
    return sorted(out, key=lambda s: (rank.get(s.dimension, rank["generic"]), s.id))
