"""When does a material apply? Read it from the material's name and its 适用情形 note.

``material_conditions(name, condition=None, required=None, title="") -> tuple[Cond, ...]``: the
conditions under which the material is needed (all must hold), each normalised into a dimension of
:mod:`answer.dimensions` where one fits, else a ``generic`` yes/no condition carrying its wording.
An empty tuple means the material always applies. The parser is general: no rule names an item.

Where conditions are read
-------------------------
1. The 适用情形 column (``condition``), split at ；。 into clauses. A clause is a condition when
   it is ``…的`` (for a 必需 material only when nothing follows the 的: ``换发纸质执照的``; for an
   optional one also ``以住所申领的，提交…``), when it opens with 如果/若/凡/仅, or — for an optional
   (非必需/容缺) material — when it is a bare phrase (``锅炉``, ``公司制企业``). Exemptions
   (``系统已共享的免于提交``) and instructions (``由全体股东签署``, ``红色背景``) are notes, not conditions:
   the material still applies.
2. The name: a leading ``…的，提交…`` / ``如…，`` / ``因…的`` clause; a subject before 提交/交验
   (``华侨交验…``, ``就学人员提交在学证明``); a bracket that states a case (``（多次运输的）``,
   ``（加注需要）``, ``（仅注册证书遗失时）``, ``（年满18周岁除外）``, ``（换发、加注）``, ``（深圳市）``);
   brackets that describe the document (``（含营业执照、授权委托书等）``, ``（正反面）``) are ignored.
3. Words of the ``bare`` dimensions anywhere in the name: 授权委托书 / 代办人身份证 (agent),
   监护人身份证明 / 未满16周岁 (age), 现役军人身份证明 / 港澳居民居住证 (identity), 广东省居住证
   (household).

A dimension option that the item's own title names is who the item is for, not a condition
(港澳医师内地医师资格认定 has no 港澳 question); its clause falls back to a generic condition.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from answer.dimensions import CITIES, DIMENSIONS, ENDORSE, REASON, compile_pairs


@dataclass(frozen=True)
class Cond:
    """One condition of a material. ``dim``: a dimension id, ``age``, ``place``, ``cause`` or
    ``generic``. ``options``: the option ids that keep the material (``age``: ``lt:16`` / ``ge:18``
    constraints; ``place``: city names; ``cause``: the case's wording; ``generic``: ``yes`` or
    ``no``). ``text``: the wording it was read from. ``key``: a generic condition's normalised
    wording. ``bracket``: read from a bracket after the name (variants of one form are grouped)."""

    dim: str
    options: frozenset[str]
    text: str
    key: str = ""
    bracket: bool = False
    alts: tuple["Cond", ...] = ()  # dim "any": the material applies when any one of these holds


_CUES = {d.id: compile_pairs(d.cues) for d in DIMENSIONS.values()}
LOST_WORDS = DIMENSIONS["lost"].cues[0][0]
_TITLE = {d.id: compile_pairs(d.title) for d in DIMENSIONS.values()}
_CLAUSE_DIMS = ("agent", "identity", "household", "entity", "endorse", "lost", "commitment")
_BARE_DIMS = tuple(d.id for d in DIMENSIONS.values() if d.bare)
_FLIP_ON_NEGATION = ("lost", "commitment")

_LT = [re.compile(r"(?:未满|不满|不足|小于|低于)\s*(\d{1,3})\s*周?岁"), re.compile(r"(\d{1,3})\s*周?岁(?:以下|及以下)")]
_GE = [re.compile(r"(?:年满|已满|超过|大于)\s*(\d{1,3})\s*周?岁"), re.compile(r"(\d{1,3})\s*周?岁(?:以上|及以上)")]
_MINOR = re.compile(r"未成年|监护")

_PAREN = re.compile(r"[（(]([^（）()]*)[）)]")
_EXEMPT = re.compile(r"(?:免于|免予|无需|无须|不需|不必|不用|可不|不再)(?:另行)?(?:提交|提供|交)|免交|免提交")
_NOTE_START = re.compile(r"^(?:由(?!家属)|在|用于|须|需(?!要)|应|可|含|包括|如(?!果|已|涉|有|需)|例如|比如|加盖|网上|线上|批量|"
                         r"系统|男女|每|租期|按|经(?!营)|全体|所有|填写|签字|提交|现场|入学|附|红色|蓝色|白色|注明|详见|"
                         r"登录|通过|一窗|使用|凭)")
_NOTE_END = re.compile(r"(?:签字|签署|填写|填报|出具|提供|提交|生成|盖章|为准|背景|等|之一|确认|导入|模板|拍摄)$")
_IF_START = re.compile(r"^(?:如果|若|凡|仅在|仅限|仅|只有|只在)")
_VERB = r"(?:还应当?|应当?|需要|需|须|另需)?(?:提交|提供|交验|报送|附送|附有|附)"
_LEAD_DE = re.compile(r"^(?P<c>[^，,；;：:]{2,40}?的)(?:[，,]|(?=" + _VERB + r"))(?P<rest>.*)$")
_LEAD_IF = re.compile(r"^(?P<c>(?:如果|若|如|凡)[^，,；;]{2,30}?)(?:者)?[，,](?P<rest>.+)$")
_LEAD_APPLY = re.compile(r"^(?P<c>(?:申请|因|属于|对于|涉及)[^，,；;]{2,30}?)[，,]\s*" + _VERB + r"(?P<rest>.+)$")
_DOC_HEAD = re.compile(r"(?:证|书|表|件|材料|证明|报告|协议|合同|函|照片|相片|照|执照|凭证|清单|说明|方案|图|原件|复印件|文本|资料|簿|卡|声明|本|回执|单|票据|批文|决议|章程|意见|记录)$")
_LEAD_COMMA = re.compile(r"^(?P<c>[^，,；;：:]{2,20})[，,]\s*" + _VERB + r"(?P<rest>.+)$")
_LEAD_COLON = re.compile(r"^(?P<c>[^：:，,]{2,20})[：:](?P<rest>.+)$")
_SUBJECT = re.compile(r"^(?P<c>[^，,；;《》“”]{2,24}?(?:人员|居民|军人|华侨|同胞|关系|者))(?:需|须|应当?|还应)?(?:提交|交验)(?P<rest>.+)$")
_MIDDLE = re.compile(r"^[^，,]{2,}[，,][^，,]{2,}?的[，,]")
_CAUSE = re.compile(r"^因(?:申请)?(?P<x>.{1,24}?)的?$")
_BASIS = re.compile(r"^以(?P<x>.{1,10}?)(?:申领|申请|申报|办理)的?$")
_REASON_WORDS = re.compile(r"^(?:" + "|".join(p for p, _ in REASON.cues + ENDORSE.cues) + r")(?:申请|需要|的)?$")
_PLACE = re.compile(r"^(.{2,4}?)(?:市|区|县)?$")
_STOP = re.compile(r"符合|条件|内地|申请人|申请|本人|人员|居民|办理|申领|提交|交验|提供|的|时|需要|需|仅|只|在|如果|如|若|因|者|及|或|和|、|，|,|\s")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _bracket_kind(p: str) -> str | None:
    """``condition`` / ``reason`` / ``place`` for a bracket that states a case, else None."""
    t = p.strip(" 。.")
    if not t:
        return None
    tokens = [x for x in re.split(r"[、，,/／]", t) if x]
    if any(_REASON_WORDS.match(x) for x in tokens) and all(_REASON_WORDS.match(x) or len(x) <= 4 for x in tokens):
        return "reason"
    if all(_PLACE.match(x) and (_PLACE.match(x).group(1) in CITIES or x.endswith("市")) for x in tokens) and \
            all(len(x) <= 5 for x in tokens):
        return "place"
    if t.startswith(("仅供", "详见")):
        return None
    if t.endswith(("的", "时", "除外", "才需提供", "需要")) or "需要" in t or _IF_START.match(t) or t.startswith(("因", "适用于")):
        return "condition"
    return None


def _clean(clause: str) -> str:
    c = clause.strip(" 。.；;，,")
    c = re.sub(r"^(?:如果|若|如|凡|仅在|仅限|仅|只有|只在|适用于|对于)", "", c)
    c = re.sub(r"(?:才需提供|需要|时|的)+$", "", c)
    return c.strip(" ，,") or clause


_OTHER_PERSON = re.compile(r"^(?:职工|员工|雇员|股东|投资人|配偶|父母|父亲|母亲|子女|新户主|户主|被探望人|亲属|供养亲属)为")
_FORM = re.compile(r"申请表|申请书|登记表|审核表|申报表")
_JOINED = re.compile(r"[及和与、/]")


def title_options(dim: str, title: str, forms: str = "") -> set[str]:
    """The options of a dimension the item's own title names: who (or which case) the item is for.
    For ``identity`` the item's application forms count too (外国人签证证件申请表: a visa item is for
    foreigners); a ``reason`` counts only when the title names it alone (办理及加注普通护照 is not
    an item for 加注 only)."""
    out = set()
    for p, o in _TITLE.get(dim, ()):
        for m in p.finditer(title or ""):
            if dim in ("reason", "endorse") and (_JOINED.search(title[max(0, m.start() - 2):m.start()]) or
                                    _JOINED.search(title[m.end():m.end() + 2])):
                continue
            out.add(o)
    if dim == "identity" and forms:
        out |= {o for p, o in _CUES[dim] for f in forms.split("｜") if p.search(f)}
    return out


def item_forms(names: list[str]) -> str:
    """The application forms among an item's material names (外国人签证证件申请表; not
    华侨交验《境外人员临时住宿登记表》, which asks some applicants for a form): see :func:`title_options`."""
    out = []
    for n in names:
        t = re.sub(r"[《》“”\s]", "", _PAREN.sub("", n))
        if re.search(r"(?:申请表|申请书|登记表|审核表|申报表)$", t) and not re.search(r"交验|提交|提供", t):
            out.append(t)
    return "｜".join(out)


def _age(text: str) -> tuple[set[str], list[tuple[int, int]]]:
    found, spans = set(), []
    for pats, op in ((_LT, "lt"), (_GE, "ge")):
        for p in pats:
            for m in p.finditer(text):
                found.add(f"{op}:{int(m.group(1))}")
                spans.append(m.span())
    if not found:
        for m in _MINOR.finditer(text):
            found.add("lt:18")
            spans.append(m.span())
    return found, spans


def _flip_age(options: set[str]) -> set[str]:
    return {("ge:" if o.startswith("lt:") else "lt:") + o.split(":")[1] for o in options}


def _dim_cues(text: str, dims: tuple[str, ...], title: str, forms: str = "") -> tuple[list[Cond], list[tuple[int, int]]]:
    """Conditions of the given dimensions found in ``text`` and the spans their words cover. A
    condition whose options the item's title names is met by every applicant of that item: its
    words are covered, but it is not a condition."""
    conds, spans = [], []
    for dim in dims:
        opts: set[str] = set()
        for pat, option in _CUES[dim]:
            if dim == "household" and option == "local" and "nonlocal" in opts:
                continue
            for m in pat.finditer(text):
                opts.add(option)
                spans.append(m.span())
        named = title_options(dim, title, forms)
        if opts and not (named and opts <= named):
            conds.append(Cond(dim, frozenset(opts), text))
    ages, age_spans = _age(text)
    if ages and "名下" not in text:  # 出售未成年人名下房产: someone else's age
        spans += age_spans
        if not re.search(r"未成年|周?岁", title or ""):
            conds.append(Cond("age", frozenset(ages), text))
    return conds, spans


def _residual(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(_HAN.findall(_STOP.sub("", "".join(chars))))


def read_clause(clause: str, title: str = "", bracket: bool = False, forms: str = "") -> list[Cond]:
    """The conditions one conditional clause states (``委托他人办理的`` → agent=proxy)."""
    raw = clause.strip(" 。.；;，,")
    negated = raw.endswith("除外")
    text = _clean(raw[:-2] if negated else raw)
    tokens = [x for x in re.split(r"[、，,/／]", text) if x]
    if tokens and any(_REASON_WORDS.match(x) for x in tokens) and all(_REASON_WORDS.match(x) or len(x) <= 4 for x in tokens):
        opts, endorse = set(), False
        for x in tokens:
            if re.search(ENDORSE.cues[0][0], x):
                endorse = True
                continue
            opts.update([o for p, o in REASON.cues if re.search(p, x)] or [f"x:{x}"])
        out = []
        named = title_options("reason", title)
        if opts and not (named and opts <= named):
            out.append(Cond("reason", frozenset(opts), raw))
        if endorse and not title_options("endorse", title):
            out.append(Cond("endorse", frozenset({"yes"}), raw))
        if len(out) == 2:  # 换发、加注: either case needs it
            return [Cond("any", frozenset(), raw, alts=tuple(out))]
        return out
    m = _CAUSE.match(text) or _BASIS.match(text)
    if m and not _dim_cues(text, ("agent", "identity", "household"), "")[0]:
        x = m.group("x")
        return [Cond("cause", frozenset({"其他原因" if re.fullmatch(r"其[他它]原因", x) else x}), raw)]
    conds, spans = _dim_cues(text, _CLAUSE_DIMS, title, forms)
    if _OTHER_PERSON.match(text):  # 职工为外国人: about someone else, not the applicant
        conds, spans = [c for c in conds if c.dim not in ("identity", "household", "entity", "age")], []
    if negated or re.match(r"^(?:未|尚未|没有|不|非(?!.{0,5}户籍))", text):
        flipped = []
        for c in conds:
            if c.dim in _FLIP_ON_NEGATION:
                other = {o.id for o in DIMENSIONS[c.dim].options} - set(c.options)
                c = Cond(c.dim, frozenset(other), c.text)
            elif c.dim == "age" and negated:
                c = Cond("age", frozenset(_flip_age(set(c.options))), c.text)
            flipped.append(c)
        conds = flipped
    substantial = (not conds and not spans) or len(_residual(text, spans)) >= 8
    if substantial and "或" in text and not negated:  # 申请人为未成年人或无民事行为能力人: either case needs it
        parts = [read_clause(p, title, bracket, forms) for p in text.split("或") if len(p) >= 2]
        if len(parts) > 1 and all(len(p) == 1 for p in parts) and any(p[0].dim != "generic" for p in parts):
            return [Cond("any", frozenset(), raw, alts=tuple(p[0] for p in parts))]
    if substantial:
        conds.append(Cond("generic", frozenset({"no" if negated else "yes"}), raw, key=_key(text), bracket=bracket))
    return conds


def _key(text: str) -> str:
    return re.sub(r"[\s，,、。；;“”\"'（）()]", "", text)


def column_clauses(condition: str | None, required: bool | None) -> list[str]:
    """The conditional clauses of a 适用情形 note (notes and exemptions left out)."""
    out = []
    for piece in re.split(r"[；;。]", condition or ""):
        piece = piece.strip(" ，,")
        if not piece or piece in ("无", "—", "/"):
            continue
        if _EXEMPT.search(piece):
            continue
        m = re.match(r"^(?P<c>.+?的)[，,]?(?P<rest>.*)$", piece)
        if m and len(m.group("c")) >= 3:
            rest = m.group("rest").strip()
            if rest and re.search(LOST_WORDS, m.group("c")) and re.match(r"^(?:提交|提供|出具)", rest):
                out.append(m.group("c") + "除外")  # 正副本遗失的，提交遗失说明: this one is needed unless lost
            elif not rest or required is not True:
                out.append(m.group("c"))
            continue
        if _IF_START.match(piece):
            out.append(piece)
            continue
        if _NOTE_START.match(piece) or _NOTE_END.search(piece):
            continue
        if required is not True and (required is False or _dim_cues(piece, _CLAUSE_DIMS, "")[0]):
            out.append(piece)
    return out


def name_parts(name: str) -> tuple[list[str], list[str], list[str], str]:
    """(clauses, bracket clauses, places, remainder) of a material name; the remainder (brackets
    and clauses removed) is where bare-dimension words are looked for."""
    clauses, bracket_clauses, places = [], [], []
    for p in _PAREN.findall(name):
        kind = _bracket_kind(p)
        if kind == "place":
            places += [_PLACE.match(x).group(1) for x in re.split(r"[、，,/／]", p.strip()) if x]
        elif kind in ("condition", "reason"):
            bracket_clauses.append(p)
    rest = _PAREN.sub("", name).strip(" 。.；;")
    if not _MIDDLE.match(rest):
        for pat in (_LEAD_DE, _LEAD_IF, _LEAD_APPLY, _LEAD_COMMA, _SUBJECT, _LEAD_COLON):
            m = pat.match(rest)
            if not m:
                continue
            c = m.group("c")
            if pat is _LEAD_COMMA and _DOC_HEAD.search(c):
                continue
            if pat is _LEAD_COLON and not _dim_cues(c, _CLAUSE_DIMS, "")[0]:
                continue
            if pat is _SUBJECT and re.match(r"^(?:其他|其它|申请人$|本人)", c):
                continue
            clauses.append(c)
            rest = m.group("rest")
            break
    return clauses, bracket_clauses, places, rest


def material_conditions(name: str, condition: str | None = None, required: bool | None = None,
                        title: str = "", forms: str = "") -> tuple[Cond, ...]:
    """The conditions under which one material applies (empty: it always applies). ``title``: the
    title of the item it belongs to; ``forms``: :func:`item_forms` of that item's materials."""
    clauses, bracket_clauses, places, rest = name_parts(name)
    column = column_clauses(condition, required)
    conds: list[Cond] = []
    for c in column + clauses:
        conds += read_clause(c, title, forms=forms)
    for c in bracket_clauses:
        conds += read_clause(c, title, bracket=True, forms=forms)
    if places and not any(p in title for p in places):
        conds.append(Cond("place", frozenset(places), "、".join(places)))
    have = {c.dim for c in conds}
    bare, _ = _dim_cues(rest, _BARE_DIMS, title, forms) if not column else ([], [])
    parts = [p for p in re.split(r"和|以及|及", rest) if p]
    if len(parts) > 1:  # 授权委托书和营业执照: a word in one of two documents does not condition both
        bare = [c for c in bare if all((_age(p)[0] if c.dim == "age" else _dim_cues(p, (c.dim,), title, forms)[0])
                                       for p in parts)]
    conds += [c for c in bare if c.dim not in have or c.dim == "age"]
    return tuple(_merge(conds))


def alternatives(name: str) -> list[str]:
    """The documents a material accepts instead of one another (居民身份证或户口簿 → both), when
    every part names a document; else []. Not a question: any one of them will do."""
    text = _PAREN.sub("", name).strip(" 。.；;")
    if "或" not in text:
        return []
    parts = [p.strip(" ，,") for p in re.split(r"或者|或|、", text)]
    if len(parts) < 2 or not all(len(p) >= 2 and _DOC_HEAD.search(p) for p in parts):
        return []
    return parts


def flat(conds) -> list[Cond]:
    """The conditions with those inside an either-case (``any``) listed too."""
    return [x for c in conds for x in ((c,) + c.alts)]


def _merge(conds: list[Cond]) -> list[Cond]:
    """One condition per dimension (options intersected; ages kept as constraints), generic ones
    kept apart by their wording."""
    out: dict[tuple[str, str], Cond] = {}
    for c in conds:
        k = (c.dim, c.key if c.dim == "generic" else (repr(c.alts) if c.dim == "any" else ""))
        if k in out and c.dim != "generic":
            prev = out[k]
            opts = prev.options | c.options if c.dim == "age" else (prev.options & c.options or prev.options | c.options)
            out[k] = Cond(c.dim, opts, prev.text if prev.text == c.text else f"{prev.text}；{c.text}", bracket=prev.bracket)
        else:
            out.setdefault(k, c)
    return list(out.values())
