"""Understand the situation a person states in the question: 我是外省户籍 / 帮8岁的孩子办 / 委托别人去办
/ 个体户 / 我是华侨 / 证件丢了 … → answers to the checklist's questions, each echoed with the phrase
it was read from.

``understand(query, situations=None, region=None) -> Understanding``. It reads by dimension (the
``says`` wordings of :mod:`answer.dimensions`), never by listing questions: ages from numbers
(``15岁``, ``两岁``, ``年满18周岁``) or words (孩子, 未成年, 成年人) mapped onto the age bands the item
asks about; cities onto the place options (a city the item does not name is "其他地区"); 湖南户籍 /
广州户口 against ``region`` (the item's area); generic questions, 因…的 cases, variants and route
options by their own wording found in the query (``不影响交通安全`` answers 否). Only situations in
``situations`` are answered (without them: the fixed dimensions only); a question the query does not
settle stays unanswered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from answer.dimensions import CITIES, DIMENSIONS, PROVINCES, compile_pairs

_SAYS = {d.id: compile_pairs(d.says) for d in DIMENSIONS.values()}
_CUES = {d.id: compile_pairs(d.cues) for d in DIMENSIONS.values()}

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_AGE_NUM = re.compile(r"(年满|已满|满了|满|超过|未满|不满|不到)?\s*(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:周岁|岁)(以上|以下|了)?")
_AGE_WORDS = [(re.compile(r"新生儿|婴儿|宝宝|刚出生"), (0, 3)), (re.compile(r"小学生"), (6, 13)),
              (re.compile(r"初中生"), (12, 16)), (re.compile(r"高中生"), (15, 18)),
              (re.compile(r"孩子|小孩|儿童|小朋友|幼儿"), (0, 14)), (re.compile(r"未成年"), (0, 18)),
              (re.compile(r"(?<!未)成年|成人|大人"), (18, 1000)), (re.compile(r"老人|老年人"), (60, 1000))]
_NEGATION = re.compile(r"不是|并非|没有|没|不|未|非(?!常)|无(?!线|论|关)")
_SPLIT = re.compile(r"[，,。；;！!？?\s]|但是|只是|不过|而且|并且")


@dataclass(frozen=True)
class Understanding:
    answers: dict[str, str] = field(default_factory=dict)
    understood: list[dict] = field(default_factory=list)  # [{situation, question, option, label, phrase}]

    def to_dict(self) -> dict:
        return {"answers": dict(self.answers), "understood": list(self.understood)}


def _cn_number(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if "十" in s:
        a, _, b = s.partition("十")
        tens = _CN_DIGITS.get(a, 1) if a else 1
        return tens * 10 + (_CN_DIGITS.get(b, 0) if b else 0)
    if len(s) == 1 and s in _CN_DIGITS:
        return _CN_DIGITS[s]
    return None


def age_range(query: str) -> tuple[int, int, str] | None:
    """The applicant's age as a half-open range of years, and the phrase it was read from."""
    for m in _AGE_NUM.finditer(query):
        n = _cn_number(m.group(2))
        if n is None or n > 120:
            continue
        pre, post = m.group(1) or "", m.group(3) or ""
        if pre in ("未满", "不满", "不到") or post == "以下":
            return 0, n, m.group(0)
        if pre in ("年满", "已满", "满了", "满", "超过") or post == "以上":
            return n, 1000, m.group(0)
        return n, n + 1, m.group(0)
    for pat, (lo, hi) in _AGE_WORDS:
        m = pat.search(query)
        if m:
            return lo, hi, m.group(0)
    return None


def _province(place: str) -> str | None:
    for p in PROVINCES:
        if place.startswith(p):
            return p
    for c, p in CITIES.items():
        if place.startswith(c):
            return p
    return None


def _household_by_place(query: str, region: str | None) -> tuple[str, str] | None:
    """湖南户籍 / 广州户口 → nonlocal / local, compared with the item's ``region``."""
    home = _province(region or "") if region else None
    if not home:
        return None
    for name in sorted(list(PROVINCES) + list(CITIES), key=len, reverse=True):
        m = re.search(re.escape(name) + r"(?:省|市|自治区)?(?:本地)?(?:户籍|户口|人)", query)
        if m:
            return ("local" if _province(name) == home else "nonlocal"), m.group(0)
    return None


def _bigrams(s: str) -> list[str]:
    s = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", s)
    return [s[i:i + 2] for i in range(len(s) - 1)]


def match_wording(text: str, query: str) -> tuple[bool, str, float] | None:
    """Whether ``query`` states ``text`` — found whole (score 1), or at least half of its character
    pairs (two or more, close together) in one clause of the query — and whether it negates it
    (不 / 没有 / 未 … before it in that clause): ``(stated, phrase, score)``, or None."""
    text = re.sub(r"[，,、。；;“”《》（）()\s]", "", text)
    if len(text) < 2:
        return None
    best = None
    for clause in (c for c in _SPLIT.split(query) if c):
        flat = re.sub(r"[、“”《》（）()]", "", clause)
        i = flat.find(text)
        if i >= 0:
            neg = _NEGATION.search(flat[max(0, i - 4):i])
            return (not neg), clause, 1.0
        grams = _bigrams(text)
        hits = [p for p in (flat.find(g) for g in grams) if p >= 0]
        if len(hits) < 2 or len(hits) < 0.5 * len(grams) or (len(hits) == 2 and len(hits) < 0.6 * len(grams)):
            continue
        if max(hits) - min(hits) > 2 * len(text):
            continue
        score = len(hits) / len(grams)
        if best is None or score > best[2]:
            best = (not _NEGATION.search(flat[:max(hits)]), clause, score)
    return best


_TURN = re.compile(r"^(.{2,6}?)变(?![更化动])(.{2,6})$")
_TURN_WORDS = re.compile(r"变更为|转变为|转为|改为|变为|转成|变成|转|改(?![革造建善正])")


def match_turn(wording: str, query: str) -> tuple[bool, str] | None:
    """A change one way (专职变兼职) stated in the query (从专职变兼职: True) or the other way
    round (兼职律师转为专职: False)."""
    t = _TURN.match(wording)
    if not t:
        return None
    a, b = t.group(1), t.group(2)
    q = _TURN_WORDS.sub("变", query)
    m = re.search(f"{re.escape(a)}.{{0,4}}变.{{0,2}}{re.escape(b)}", q)
    if m:
        return True, m.group(0)
    m = re.search(f"{re.escape(b)}.{{0,4}}变.{{0,2}}{re.escape(a)}", q)
    if m:
        return False, m.group(0)
    return None


def _wording_of(s) -> str:
    q = re.sub(r"^(?:是否|此项材料适用于：)", "", s.question).rstrip("？?")
    return re.sub(r"^(?:已经|已)", "", q)


def route_dimension(labels: list[str]) -> tuple[str, list[str]] | None:
    """When a bundle's route options read as one dimension's options (个体工商户 / 企业), that
    dimension and the option id of each label; else None."""
    for dim, pats in _SAYS.items():
        ids = []
        for label in labels:
            hit = {o for p, o in pats + _CUES[dim] if p.search(label)}
            ids.append(hit.pop() if len(hit) == 1 else None)
        if all(ids) and len(set(ids)) == len(ids):
            return dim, ids
    return None


def _fixed(s, query: str, region: str | None) -> tuple[str, str] | None:
    d = DIMENSIONS[s.id]
    ids = {o.id for o in s.options}
    hits: dict[str, str] = {}
    for pat, option in _SAYS[d.id]:
        if option in ids and option not in hits:
            m = pat.search(query)
            if m:
                hits[option] = m.group(0)
    for o in s.options:  # options read from the data (境外签发) answer by their wording
        if o.id not in {x.id for x in d.options} and o.label in query:
            hits.setdefault(o.id, o.label)
    if d.id == "household" and not hits:
        by_place = _household_by_place(query, region)
        if by_place and by_place[0] in ids:
            hits[by_place[0]] = by_place[1]
    if d.id == "agent" and len(hits) > 1:
        hits = {"proxy": hits["proxy"]}
    if d.id == "identity" and len(hits) > 1:
        hits.pop("none", None)
    if len(hits) == 1:
        return next(iter(hits.items()))
    return None


def _age(s, query: str) -> tuple[str, str] | None:
    got = age_range(query)
    if not got:
        return None
    lo, hi, phrase = got
    fits = []
    for o in s.options:
        m = re.fullmatch(r"lt(\d+)|(\d+)-(\d+)|ge(\d+)", o.id)
        if not m:
            continue
        a, b = (0, int(m.group(1))) if m.group(1) else ((int(m.group(2)), int(m.group(3))) if m.group(2)
                                                         else (int(m.group(4)), 1000))
        if a <= lo and hi <= b:
            fits.append(o.id)
    return (fits[0], phrase) if len(fits) == 1 else None


def _place(s, query: str) -> tuple[str, str] | None:
    ids = {o.id for o in s.options}
    named = [c for c in CITIES if c in query] + re.findall(r"([\u4e00-\u9fff]{2,3})市", query)
    for c in named:
        if c in ids:
            return c, c
    if named and "other" in ids:
        return "other", named[0]
    return None


def _by_wording(s, query: str) -> tuple[str, str] | None:
    if s.dimension == "generic":
        wording = _wording_of(s)
        turn = match_turn(wording, query)
        if turn:
            return ("yes" if turn[0] else "no"), turn[1]
        got = match_wording(wording, query)
        if got:
            return ("yes" if got[0] else "no"), got[1]
        return None
    found = []
    for o in s.options:
        got = match_wording(o.label, query)
        if got and got[0]:
            found.append((got[2], o.id, got[1]))
    if not found:
        return None
    top = max(f[0] for f in found)
    best = [f for f in found if f[0] == top]
    return (best[0][1], best[0][2]) if len(best) == 1 else None


def understand(query: str, situations: list | None = None, region: str | None = None) -> Understanding:
    """Answers to ``situations`` that the query states, with what was understood."""
    if situations is None:
        from answer.situations import Situation, SituationOption

        situations = [Situation(d.id, d.question, d.id, tuple(SituationOption(o.id, o.label) for o in d.options), ())
                      for d in DIMENSIONS.values()]
    answers, understood = {}, []
    for s in situations:
        if s.id in DIMENSIONS:
            got = _fixed(s, query, region)
        elif s.dimension == "age":
            got = _age(s, query)
        elif s.dimension == "place":
            got = _place(s, query)
        else:
            got = _by_wording(s, query)
        if got:
            option = s.option(got[0])
            answers[s.id] = got[0]
            understood.append({"situation": s.id, "question": s.question, "option": got[0],
                               "label": option.label if option else got[0], "phrase": got[1]})
    return Understanding(answers, understood)


# who is applying (not what is applied for): words of these dimensions rarely name the item itself,
# while 注销 / 补办 / 加注 / 告知承诺 (reason, lost, endorse, commitment) and 公司 / 企业 often do
_WHO_OPTIONS = {("agent", "proxy"), ("agent", "self"), ("identity", None), ("household", None), ("entity", "individual")}
_PLACE_OF_HOME = re.compile("(?:" + "|".join(sorted(list(PROVINCES) + list(CITIES), key=len, reverse=True))
                            + r")(?:省|市|自治区)?(?:本地|本市)?(?:户籍|户口)")
_LEAD = re.compile(r"(?:我们是|我是|本人是|我家|我们|我|今年|已经|是|帮|替|给|为|作为|找)+$")
_TAILS = {"agent": r"别人|他人|朋友|家人|亲戚|同事|去办|代办|办理|去|来|的", "identity": r"人士|人员|居民|同胞|的",
          "household": r"户籍|户口|人|的", "entity": r"的", "age": r"的|了"}
_CLAUSE = re.compile(r"[，,。；;！!？?\s]+")


def situation_free(query: str, situations: list | None = None, region: str | None = None) -> tuple[str, list[str]]:
    """The question without the words that state the applicant's situation, and those phrases: for
    choosing the item again when the whole question finds none. Without ``situations``: the words of
    who applies (我是个体户 / 委托别人去办 / 帮8岁的孩子 / 湖南户籍) — never 注销 / 补办 / 公司, which
    may be what the item is; with an item's ``situations``: every phrase that answers one of them
    (第一次 → 首次申请 where the item asks it). Each phrase goes with the filler around it (我是… /
    …的); a clause left (nearly) empty goes."""
    if situations is None:
        found = [(u["phrase"], u["situation"]) for u in understand(query).understood
                 if (u["situation"], u["option"]) in _WHO_OPTIONS or (u["situation"], None) in _WHO_OPTIONS]
        found += [(m.group(0), "household") for m in _PLACE_OF_HOME.finditer(query)]
        found += [(m.group(0), "age") for m in _AGE_NUM.finditer(query)]
        found += [(m.group(0), "age") for pat, _ in _AGE_WORDS for m in pat.finditer(query)]
    else:
        dims = {s.id: s.dimension for s in situations}
        found = [(u["phrase"], dims.get(u["situation"], "")) for u in understand(query, situations, region).understood]
    phrases = {p: dim for p, dim in reversed(found) if p}
    if not phrases:
        return query, []
    kept = []
    for clause in _CLAUSE.split(query):
        text = clause
        for p in sorted(phrases, key=len, reverse=True):
            tail = re.compile(f"^(?:{_TAILS.get(phrases[p], '的|了')})+")
            while p in text:
                j = text.index(p)
                text = _LEAD.sub("", text[:j]) + tail.sub("", text[j + len(p):])
        if len(text) > 1:  # a clause left with a stray 人 / 办 goes too
            kept.append(text)
    out = "，".join(kept)
    return (out, list(phrases)) if out else (query, [])
