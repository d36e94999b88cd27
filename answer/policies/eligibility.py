"""Eligibility criteria, support standards and materials of a policy, each cited.

Every line of a 申报条件 / 支持对象 / 申报主体 section becomes at least one criterion: the facets
it states (region 注册地在…, entity type, qualifications, industries, numeric thresholds), each
citing the phrase that states it, or — when none is recognised — the line itself (kind
``other``, which a profile can neither meet nor fail). Titles 《…》 and remarks （…） are not
conditions (（高新技术企业不低于50万元） relaxes a threshold, it does not require the title);
a remark that is itself a quantity (（年主营业务收入2000万元以上）) is read.
"""
from __future__ import annotations

import re

from answer.policies import taxonomy as tx
from answer.policies.dates import to_number
from answer.policies.records import ApplicationMaterial, ConditionLine, Criterion, Eligibility, Support
from answer.policies.sections import sections_of
from answer.policies.spans import Citer, Span, mask
from core.records import Chunk, Document

_MARKER = re.compile(r"^\s*(?:[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|[一二三四五六七八九十\d]{1,3}\s*[、．.](?!\d)|"
                     r"第[一二三四五六七八九十百\d]{1,4}条|[①-⑳])\s*")
_REGION = (r"(?:本市|本区|本省|本县|辖区|[\u4e00-\u9fff]{1,10}?(?:特别行政区|自治区|省|市|区|县|州|盟|旗))"
           r"(?:[\u4e00-\u9fff]{1,6}?(?:区|县|镇|街道))?")
_REGION_START = r"(?:^|(?<=[，；：:。、\s在于及或和的（(□]))"
REGION_RES = [
    re.compile(rf"(?:在|于)(?P<r>{_REGION})(?:内)?(?:依法)?(?:登记)?(?:注册|登记|纳税|参保|参加|缴纳|就业|创业|创办|设立|落户|"
               rf"辖区|行政区域|范围内)"),
    re.compile(rf"注册地[^，；。]{{0,12}}?(?:在|为|位于|属于)(?P<r>{_REGION})"),
    re.compile(rf"(?:注册|登记)在(?P<r>{_REGION})"),
    re.compile(rf"位于(?P<r>{_REGION})"),
    re.compile(rf"{_REGION_START}(?P<r>{_REGION})(?:户籍|范围内注册|辖区内|行政区域内|规模以上)"),
]
LOCAL = {"本市", "本区", "本省", "本县", "辖区"}
RESIDUAL_MIN = 10  # Han characters of a line left unread by its facets → the line is also a criterion

_NUM = r"\d+(?:\.\d+)?|[一二三四五六七八九十百千两]+"
_UNIT = r"亿美元|万美元|美元|亿元|万元|元|人|名|%|个百分点|周岁|岁|个月|年|平方米|千瓦|吨标准煤|家|项|件|台|套"
_OP1 = r"不低于|不少于|不小于|不得低于|达到|超过|高于|大于|不超过|不高于|不多于|不大于|未超过|低于|小于|少于|≥|≤|>|<"
_OP2 = r"及以上|（含）以上|以上|及以下|（含）以下|以下|以内|之内"
METRICS = [
    ("rd_ratio", r"研发(?:投入|费用|经费)(?:总额)?占[^，；。]{0,12}?(?:比例|比重)"),
    ("revenue_10k", r"主营业务收入|营业收入|销售收入|营收|年销售额|年营业额"),
    ("tax_10k", r"纳税(?:总)?额|缴纳税收|税收贡献|实缴税金|纳税"),
    ("employees", r"从业人员|从业人数|职工人数|员工人数|在职职工|职工总数|员工总数|参保职工|职工"),
    ("rd_expense_10k", r"研发(?:投入|费用|经费)"),
    ("investment_10k", r"投资额|投资总额|总投资|投资"),
    ("export_usd_10k", r"进出口额|进出口总额|出口额"),
    ("age", r"年龄|周岁"),
]
_GENERIC_METRIC = r"[\u4e00-\u9fff]{0,4}?(?:价格|面积|容量|节能量|数量|人数|比例|比重|率|额)"
THRESHOLD_RE = re.compile(
    rf"(?P<metric>{'|'.join(p for _, p in METRICS)}|{_GENERIC_METRIC})"
    rf"(?P<mid>[^，；。、\d（）()]{{0,24}}?)(?:(?P<op1>{_OP1})\s*)?(?P<num>{_NUM})\s*(?P<unit>{_UNIT})?\s*(?P<op2>{_OP2})?")
_METRIC_FIELDS = [(f, re.compile(p)) for f, p in METRICS]


_FIELD_UNITS = {"revenue_10k": {"万元"}, "tax_10k": {"万元"}, "rd_expense_10k": {"万元"}, "investment_10k": {"万元"},
                "export_usd_10k": {"万美元"}, "employees": {"人", None}, "age": {"周岁"}, "rd_ratio": {"%"}}


def metric_field(metric: str, unit: str | None) -> str | None:
    """The profile field a threshold is about, when its metric and unit say so (职工…3个月 is not
    a head count)."""
    field = next((f for f, pat in _METRIC_FIELDS if pat.search(metric)), None)
    return field if field and unit in _FIELD_UNITS.get(field, {unit}) else None


FOUNDED_RE = re.compile(rf"(?:成立|注册成立|设立|注册)(?:时间|年限)?(?P<op1>满|已满|超过|不少于|不足|不超过|未满|在)?\s*"
                        rf"(?P<num>{_NUM})\s*(?:个)?(?P<unit>年|个月)(?P<op2>{_OP2})?")
_CHANGE = re.compile(r"下降|增长|增幅|降幅|减少|增加|较|同比|环比")
_CONDITIONAL_AFTER = re.compile(r"^[^，；。]{0,10}?的(?:企业|单位|项目|人员|个人)?[，,]")
_LINE_CONDITIONAL = re.compile(r"^[^，；。：:]{2,40}?的[，,]")
_PROGRAMME = re.compile(r"^(?P<label>[^，；。：:（(]{2,10}?)(?:支持|适用于|面向)")
_LABEL = re.compile(r"^(?P<label>[^，；。：:（(]{2,14})[：:]")
_ANY_OF = re.compile(r"(?:条件|情形|要求|资格)之一|之一的")
_NOT_BRANCH = re.compile(r"年龄|学历|时间|地点|条件|要求|对象|范围|方式|注意|说明|其他|备注")
_MONEY = {"亿元": ("万元", 10000.0), "万元": ("万元", 1.0), "元": ("万元", 0.0001),
          "亿美元": ("万美元", 10000.0), "万美元": ("万美元", 1.0), "美元": ("万美元", 0.0001),
          "名": ("人", 1.0), "岁": ("周岁", 1.0)}
_OPS = {"不低于": ">=", "不少于": ">=", "不小于": ">=", "不得低于": ">=", "达到": ">=", "≥": ">=", "满": ">=",
        "已满": ">=", "在": ">=", "超过": ">", "高于": ">", "大于": ">", ">": ">",
        "不超过": "<=", "不高于": "<=", "不多于": "<=", "不大于": "<=", "未超过": "<=", "≤": "<=", "不足": "<",
        "未满": "<", "低于": "<", "小于": "<", "少于": "<", "<": "<",
        "及以上": ">=", "（含）以上": ">=", "以上": ">=", "及以下": "<=", "（含）以下": "<=", "以下": "<=", "以内": "<=",
        "之内": "<="}


def _quantity_remark(inner: str) -> bool:
    """（含） and a remark that is only a quantity (（年主营业务收入2000万元以上）) are read."""
    inner = inner.strip()
    if inner == "含":
        return True
    m = THRESHOLD_RE.search(inner)
    return bool(m and m.start() <= 2 and m.end() == len(inner) and not tx.find_qualifications(inner))


def _inclusion_remark(inner: str) -> bool:
    """（含个体工商户…） widens who may apply: entity types read it."""
    return _quantity_remark(inner) or bool(re.match(r"\s*(?:含|包括|包含)", inner))


def _threshold(m: re.Match, metric_field: str | None) -> tuple | None:
    op = _OPS.get((m.group("op2") or "").strip()) or _OPS.get(m.group("op1") or "")
    if not op:
        return None
    value = to_number(m.group("num"))
    if value is None:
        return None
    unit = m.group("unit")
    if unit in _MONEY:
        unit, factor = _MONEY[unit]
        value = round(value * factor, 6)
    return op, value, unit


class _Reader:
    def __init__(self, doc: Document, citer: Citer):
        self.doc, self.citer = doc, citer
        self.entity_seen: set[str | None] = set()

    def wants_entity(self, branch: str | None) -> bool:
        """Who may apply is said once, in the first line naming an entity type (per branch); later
        lines name the applicant as the subject of other conditions (企业近三年无…)."""
        return branch not in self.entity_seen

    def criteria_of_line(self, line: Span, n: int, branch: str | None, conditional: bool,
                         any_of: int | None = None) -> list[Criterion]:
        text, base = line.text, line.start
        masked = mask(text, "《（(〈", keep=_quantity_remark)
        wide = mask(text, "《（(〈", keep=_inclusion_remark)
        found: list[Criterion] = []

        def add(kind, s, e, **kw):
            found.append(Criterion(kind=kind, text=text[s:e], citation=self.citer.cite(base + s, base + e),
                                   branch=branch, conditional=kw.pop("conditional", conditional), line=n,
                                   any_of=any_of, **kw))

        regions: dict[str, tuple[int, int]] = {}
        for pat in REGION_RES:
            for m in pat.finditer(masked):
                r = re.sub(r"(?:行政区|辖区|园区|社区|片区)$", "", re.sub(r"^(?:以及|项目位于|项目|位于)", "", m.group("r")))
                if r.startswith("非") or m.group(0).startswith("非"):
                    continue
                if r in LOCAL:
                    r = self.doc.region or r
                regions.setdefault(r, (m.start(), m.end()))
        for r, (s, e) in regions.items():
            add("region", s, e, values=[r])
        nouns, spans = [], []
        body_start = len(_MARKER.match(text).group(0)) if _MARKER.match(text) else 0
        masked = text[:body_start] + masked[body_start:]
        wide = text[:body_start] + wide[body_start:]
        for m in tx.ENTITY_RE.finditer(wide):
            nxt, prev = wide[m.end():m.end() + 3], wide[max(0, m.start() - 2):m.start()]
            at_start = wide[body_start:m.start()].strip(" 　：:") in ("", branch or "")
            if (at_start or re.match(r"^(?:$|[，；。、）)和及或与：:□]|（含|\s)", nxt) or re.search(r"(?:含|包括)$", prev)
                    or m.group(0) in ("独立法人", "企业法人")):
                nouns.append(tx.entity_noun(m.group(0)))
                spans.append((m.start(), m.end()))
        if re.search(r"本人|学历|学位|职称|周岁|年龄", masked) and "个人" not in nouns:
            m = re.search(r"本人|学历|学位|职称|周岁|年龄", masked)
            nouns.append("个人")
            spans.append((m.start(), m.end()))
        legal = [n for n in nouns if n in ("独立法人", "企业法人")]
        if not self.wants_entity(branch):
            nouns = legal
        if nouns:
            self.entity_seen.add(branch)
            add("entity_type", min(s for s, _ in spans), max(e for _, e in spans), values=list(dict.fromkeys(nouns)))
        quals = tx.find_qualifications(masked)
        if quals:
            add("qualification", quals[0][1], quals[-1][2], values=list(dict.fromkeys(q for q, _, _ in quals)))
        inds = [(i, s, e) for i, s, e in tx.find_industries(masked)]
        if inds:
            add("industry", inds[0][1], inds[-1][2], values=list(dict.fromkeys(i for i, _, _ in inds)))
        for m in THRESHOLD_RE.finditer(masked):
            t = _threshold(m, None)
            if not t:
                continue
            op, value, unit = t
            field = None if _CHANGE.search(m.group("mid") or "") else metric_field(m.group("metric"), unit)
            cond = conditional or bool(_CONDITIONAL_AFTER.match(masked[m.end():]))
            add("threshold", m.start(), m.end(), field=field, op=op, value=value, unit=unit, conditional=cond)
        for m in FOUNDED_RE.finditer(masked):
            op = _OPS.get(m.group("op2") or "") or _OPS.get(m.group("op1") or "")
            v = to_number(m.group("num"))
            if op and v is not None and v <= 100:
                v = v if m.group("unit") == "年" else round(v / 12, 3)
                add("threshold", m.start(), m.end(), field="years_founded", op=op, value=v, unit="年")
        residual = list(masked)
        for c in found:
            s0, e0 = c.citation.start - base, c.citation.end - base
            residual[s0:e0] = " " * (e0 - s0)
        rest = re.sub(r"依法|登记|注册|具有|资格|符合|条件|下列|以下|申报|申请|并且|同时", "", "".join(residual[body_start:]))
        if not found or len(re.findall(r"[\u4e00-\u9fff]", rest)) >= RESIDUAL_MIN:
            add("other", body_start, len(text.rstrip("；;。，, ")))
        return found

    def criteria(self) -> tuple[list[Criterion], list[ConditionLine]]:
        out, lines_out = [], []
        items = [it for sec in sections_of(self.doc.text, "criteria") for it in sec.items]
        labelled = [_LABEL.match(_MARKER.sub("", it.text)) for it in items]
        real = [m for m in labelled if m and not _NOT_BRANCH.search(m.group("label"))]
        group = None
        for n, (it, lab) in enumerate(zip(items, labelled)):
            body = _MARKER.sub("", it.text)
            intro = bool(re.search(r"[：:]$", body.rstrip()))
            in_group = group if not intro else None
            group = n if intro and _ANY_OF.search(body) else (None if intro else group)
            branch = lab.group("label") if lab and len(real) >= 2 and not _NOT_BRANCH.search(lab.group("label")) else None
            plain = mask(body, "《（(〈")
            conditional = bool(_LINE_CONDITIONAL.match(plain) or (not branch and _PROGRAMME.match(plain)))
            lines_out.append(ConditionLine(text=it.text, citation=self.citer.cite(it.start, it.end)))
            out.extend(self.criteria_of_line(it, n, branch, conditional, in_group))
        return out, lines_out

    def implicit_region(self, criteria: list[Criterion]) -> Criterion | None:
        region = self.doc.region
        if not region or region in tx.NATIONAL or any(
                c.kind == "region" and not c.branch and not c.conditional for c in criteria):
            return None
        text = self.doc.text
        dept = self.doc.department or ""
        pos = text.find(dept) if dept and region in dept else -1
        phrase = dept if pos >= 0 else region
        pos = pos if pos >= 0 else text.find(region)
        if pos < 0:
            return None
        return Criterion(kind="region", text=phrase, values=[region], implicit=True,
                         citation=self.citer.cite(pos, pos + len(phrase)))

    def support(self) -> list[Support]:
        out = []
        for sec in sections_of(self.doc.text, "support"):
            for it in sec.items:
                out.extend(self._support_line(it))
        return out

    def _support_line(self, line: Span) -> list[Support]:
        text, base = line.text, line.start
        found, taken = [], []

        def add(kind, m, value, unit):
            taken.append((m.start(), m.end()))
            found.append(Support(kind=kind, text=m.group(0), value=value, unit=unit,
                                 citation=self.citer.cite(base + m.start(), base + m.end())))

        money = rf"(?P<num>{_NUM})\s*(?P<unit>亿元|万元|元)"
        for m in re.finditer(rf"(?:最高|最多|上限|封顶|不超过|最高不超过)(?:补助|补贴|奖励|资助|贴息|额度|给予|为)?\s*{money}", text):
            v = to_number(m.group("num"))
            if v is not None:
                add("max_amount", m, round(v * _MONEY[m.group("unit")][1], 6), "万元")
        for m in re.finditer(r"(?:按|给予|补助|补贴|奖励|资助|贴息|返还)[^，；。]{0,30}?(?P<num>\d+(?:\.\d+)?)\s*%", text):
            add("ratio", m, float(m.group("num")), "%")
        for m in re.finditer(rf"(?:(?:奖励|补助|补贴|资助|给予|补贴标准为?)(?:企业)?\s*|(?:按|每)[^，；。]{{0,10}}?(?<![\d.])){money}", text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            v = to_number(m.group("num"))
            if v is not None:
                add("amount", m, round(v * _MONEY[m.group("unit")][1], 6), "万元")
        if not found:
            body = _MARKER.match(text)
            s = body.end() if body else 0
            found.append(Support(kind="other", text=text[s:], citation=self.citer.cite(base + s, line.end)))
        return found

    def materials(self) -> list[ApplicationMaterial]:
        out = []
        for sec in sections_of(self.doc.text, "materials"):
            for it in sec.items:
                m = _MARKER.match(it.text)
                s = m.end() if m else 0
                name = it.text[s:].rstrip("；;。，, ")
                if name:
                    out.append(ApplicationMaterial(name=name, citation=self.citer.cite(it.start + s, it.start + s + len(name))))
        return out


def extract_eligibility(doc: Document, chunks: list[Chunk]) -> Eligibility:
    reader = _Reader(doc, Citer(doc, chunks))
    criteria, lines = reader.criteria()
    implicit = reader.implicit_region(criteria) if criteria else None
    if implicit:
        criteria.append(implicit)
    return Eligibility(doc_id=doc.doc_id, criteria=criteria, support=reader.support(), materials=reader.materials(),
                       condition_lines=lines)
