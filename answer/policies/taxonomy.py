"""The vocabulary criteria are written in, and how a profile's values compare with it:
regions (hierarchical: 示例市 covers 示例市临江区), entity types, qualifications, industries
(a small tree after GB/T 4754 sections) and enterprise size classes (the 2011 中小企业划型标准,
工信部联企业〔2011〕300号). Every comparison answers True, False or None (cannot tell)."""
from __future__ import annotations

import re

# ---- regions -------------------------------------------------------------------------------
_REGION_PART = re.compile(r".+?(?:特别行政区|自治区|自治州|地区|省|市|盟|区|县|旗|镇|乡|街道)")
_LEVEL = [("province", re.compile(r"(?:省|自治区|特别行政区)$")), ("city", re.compile(r"(?:市|自治州|盟|地区)$")),
          ("district", re.compile(r"(?:区|县|旗)$")), ("town", re.compile(r"(?:镇|乡|街道)$"))]
NATIONAL = {"全国", "中国", "中华人民共和国", "国家"}


def region_parts(region: str | None) -> list[str]:
    """'示例市临江区' → ['示例市', '临江区']; '广东省广州市天河区' → ['广东省', '广州市', '天河区']."""
    if not region:
        return []
    s = re.sub(r"\s+", "", region)
    parts = _REGION_PART.findall(s)
    rest = s[sum(len(p) for p in parts):]
    return parts + ([rest] if rest else [])


def _level(part: str) -> str | None:
    for name, pat in _LEVEL:
        if pat.search(part):
            return name
    return None


_SUFFIX = re.compile(r"(?:特别行政区|自治区|自治州|地区|省|市|盟|区|县|旗|镇|乡|街道)$")


def _core(part: str) -> str:
    return _SUFFIX.sub("", part) or part


def _same_place(a: str, b: str) -> bool:
    """广州 = 广州市; 示例市 ≠ 示例高新区."""
    if a == b:
        return True
    la, lb = _level(a), _level(b)
    return _core(a) == _core(b) and (la is None or lb is None or la == lb)


def region_covers(profile_region: str | None, required: str | None) -> bool | None:
    """Is a company registered in ``profile_region`` inside ``required``? None when the profile is
    less precise (示例市 for 临江区) or names a part the requirement does not mention (临江区 for 示例市)."""
    if not profile_region or not required:
        return None
    if required in NATIONAL:
        return True
    have, need = region_parts(profile_region), region_parts(required)
    if all(any(_same_place(h, n) for h in have) for n in need):
        return True
    for n in need:
        if any(_same_place(h, n) for h in have):
            continue
        lv = _level(n)
        levels = [_level(h) or "city" for h in have]  # a bare name (广州) is taken for a city
        if lv and lv in levels:
            return False  # another city / province / district of the same level
        if lv is None and any(_level(h) == "city" for h in have) and len(need) == 1:
            return False  # 广州 (a city named without 市) vs 示例市
    return None


# ---- entity types --------------------------------------------------------------------------
ENTITY_TYPES = ("企业法人", "个体工商户", "社会组织", "事业单位", "个人")
_PROFILE_ENTITY = [
    ("个体工商户", re.compile(r"个体")),
    ("社会组织", re.compile(r"社会组织|社会团体|社团|基金会|社会服务机构|民办非企业|民非")),
    ("事业单位", re.compile(r"事业单位|高校|高等院校|学校|科研院所|科研机构|医院")),
    ("个人", re.compile(r"个人|自然人|居民|人才")),
    ("企业法人", re.compile(r"企业|公司|法人")),
]
# a noun of a criterion → the profile types it admits (True) or may admit (None: a subtype)
ENTITY_NOUNS = {
    "企业法人": {"企业法人": True}, "企业": {"企业法人": True},
    "市场主体": {"企业法人": True, "个体工商户": True}, "经营主体": {"企业法人": True, "个体工商户": True},
    "个体工商户": {"个体工商户": True},
    "社会组织": {"社会组织": True}, "其他组织": {"社会组织": True, "事业单位": True},
    "社会团体": {"社会组织": None}, "基金会": {"社会组织": None}, "社会服务机构": {"社会组织": None},
    "民办非企业单位": {"社会组织": None},
    "事业单位": {"事业单位": True}, "高等院校": {"事业单位": None}, "科研机构": {"事业单位": None},
    "个人": {"个人": True}, "自然人": {"个人": True},
    "独立法人": {"企业法人": True, "社会组织": True, "事业单位": True},
}
ENTITY_RE = re.compile(r"企业法人|独立法人|市场主体|经营主体|个体工商户|社会组织|其他组织|社会团体|基金会|社会服务机构|"
                       r"民办非企业单位|事业单位|高等院校|高校|科研机构|科研院所|个人|自然人|企业")
_NOUN_ALIAS = {"高校": "高等院校", "科研院所": "科研机构"}


def canonical_entity(value: str | None) -> str | None:
    if not value:
        return None
    for name, pat in _PROFILE_ENTITY:
        if pat.search(value):
            return name
    return None


def entity_noun(word: str) -> str:
    return _NOUN_ALIAS.get(word, word)


def entity_admits(profile_type: str | None, nouns: list[str]) -> bool | None:
    p = canonical_entity(profile_type)
    if p is None:
        return None
    verdicts = [ENTITY_NOUNS.get(n, {}).get(p, False) for n in nouns]
    if True in verdicts:
        return True
    if None in verdicts:
        return None
    return False


# ---- qualifications ------------------------------------------------------------------------
QUALIFICATIONS: list[tuple[str, str]] = [  # canonical, pattern — longest first
    ("专精特新“小巨人”", r"专精特新\s*[“\"']?\s*小巨人\s*[”\"']?(?:企业)?|小巨人企业"),
    ("专精特新中小企业", r"专精特新中小企业|[“\"]专精特新[”\"]\s*(?:中小)?企业|专精特新(?:中小)?企业|专精特新"),
    ("创新型中小企业", r"创新型中小企业"),
    ("科技型中小企业", r"科技型中小企业"),
    ("高新技术企业", r"高新技术企业|(?<![提升])高企(?!业)"),
    ("技术先进型服务企业", r"技术先进型服务企业"),
    ("规上企业", r"规模以上(?:工业)?(?:企业|统计)|规上(?:工业)?企业|规上"),
    ("中小微企业", r"中小微(?:型)?企业"),
    ("小微企业", r"小微(?:型)?企业|小型微型企业|小型、微型企业"),
    ("中小企业", r"中小企业(?!划型|股份转让|发展|服务|公共|促进|局|数字化|梯度)"),
    ("大型企业", r"大型企业"),
    ("进出口经营资格", r"对外贸易经营者备案|进出口货物收发货人备案|进出口经营(?:资格|权)|外贸经营(?:资格|权)"),
    ("绿色工厂", r"绿色工厂"), ("绿色供应链管理企业", r"绿色供应链管理企业"), ("绿色设计产品", r"绿色设计产品"),
    ("企业技术中心", r"企业技术中心"), ("工程技术研究中心", r"工程技术研究中心"), ("重点实验室", r"重点实验室"),
    ("新型研发机构", r"新型研发机构"),
    ("瞪羚企业", r"瞪羚企业"), ("独角兽企业", r"独角兽企业"), ("单项冠军", r"单项冠军"),
]
QUAL_RE = re.compile("|".join(f"(?P<q{i}>{p})" for i, (_, p) in enumerate(QUALIFICATIONS)))
SIZE_QUALS = {"中小微企业", "小微企业", "中小企业", "大型企业"}


def find_qualifications(text: str) -> list[tuple[str, int, int]]:
    """(canonical, start, end) of every qualification named in text."""
    out = []
    for m in QUAL_RE.finditer(text):
        i = int(next(k for k, v in m.groupdict().items() if v)[1:])
        out.append((QUALIFICATIONS[i][0], m.start(), m.end()))
    return out


def canonical_qualifications(values: list[str] | None) -> set[str] | None:
    if values is None:
        return None
    out = set()
    for v in values:
        found = find_qualifications(v or "")
        out.update(q for q, _, _ in found) if found else out.add(v)
    if "专精特新“小巨人”" in out:
        out.add("专精特新中小企业")
    return out


# ---- industries ----------------------------------------------------------------------------
PARENT = {
    "制造业": "工业", "采矿业": "工业", "电力、热力、燃气及水生产和供应业": "工业",
    "装备制造": "制造业", "食品制造业": "制造业", "农副食品加工业": "制造业", "纺织业": "制造业",
    "纺织服装、服饰业": "制造业", "化学原料和化学制品制造业": "制造业", "医药制造业": "制造业",
    "橡胶和塑料制品业": "制造业", "非金属矿物制品业": "制造业", "家具制造业": "制造业",
    "金属制品业": "装备制造", "通用设备制造业": "装备制造", "专用设备制造业": "装备制造", "汽车制造业": "装备制造",
    "铁路、船舶、航空航天和其他运输设备制造业": "装备制造", "电气机械和器材制造业": "装备制造",
    "计算机、通信和其他电子设备制造业": "装备制造", "仪器仪表制造业": "装备制造",
    "批发业": "批发和零售业", "零售业": "批发和零售业", "批发和零售业": "服务业",
    "住宿业": "住宿和餐饮业", "餐饮业": "住宿和餐饮业", "住宿和餐饮业": "服务业",
    "软件和信息技术服务业": "服务业", "科技服务业": "服务业", "交通运输、仓储和邮政业": "服务业",
    "金融业": "服务业", "房地产业": "服务业", "租赁和商务服务业": "服务业", "居民服务业": "服务业",
    "教育": "服务业", "卫生和社会工作": "服务业", "社会工作": "卫生和社会工作", "文化、体育和娱乐业": "服务业",
    "工业": None, "服务业": None, "建筑业": None, "农、林、牧、渔业": None,
}
INDUSTRIES: list[tuple[str, str]] = [  # canonical, pattern — longest first
    ("计算机、通信和其他电子设备制造业", r"计算机、?通信和其他电子设备制造业?|电子(?:信息|设备)制造业?"),
    ("铁路、船舶、航空航天和其他运输设备制造业", r"铁路、?船舶、?航空航天和其他运输设备制造业?|航空航天装备"),
    ("电气机械和器材制造业", r"电气机械(?:和器材)?制造业?"), ("仪器仪表制造业", r"仪器仪表制造业?"),
    ("通用设备制造业", r"通用设备制造业?"), ("专用设备制造业", r"专用设备制造业?"), ("汽车制造业", r"汽车(?:整车)?制造业?"),
    ("金属制品业", r"金属制品业"), ("装备制造", r"装备制造(?:业|企业)?|装备工业"),
    ("食品制造业", r"食品制造业?|食品生产"), ("农副食品加工业", r"农副食品加工业?"), ("医药制造业", r"医药制造业?|生物医药"),
    ("橡胶和塑料制品业", r"橡胶和塑料制品业|塑料制品业?"), ("纺织业", r"纺织业"),
    ("化学原料和化学制品制造业", r"化学原料和化学制品制造业|化工(?:企业|行业)"), ("家具制造业", r"家具制造业?"),
    ("制造业", r"制造业|制造企业"), ("采矿业", r"采矿业|矿山企业"),
    ("电力、热力、燃气及水生产和供应业", r"电力、热力、燃气及水生产和供应业"),
    ("软件和信息技术服务业", r"软件(?:和|与|及)?信息(?:技术)?服务业?|信息技术服务业|软件业|软件企业"),
    ("科技服务业", r"科技服务业?|科学研究和技术服务业|研究和试验发展"),
    ("批发和零售业", r"批发和零售业|批发零售业?|商贸业"), ("批发业", r"批发业|批发企业"), ("零售业", r"零售业|零售企业"),
    ("住宿和餐饮业", r"住宿和餐饮业|住宿餐饮业"), ("餐饮业", r"餐饮业|餐饮企业|餐饮"), ("住宿业", r"住宿业|酒店业"),
    ("交通运输、仓储和邮政业", r"交通运输、仓储和邮政业|交通运输业"), ("金融业", r"金融业|金融机构"),
    ("房地产业", r"房地产业|房地产企业"), ("租赁和商务服务业", r"租赁和商务服务业"), ("建筑业", r"建筑业|建筑企业"),
    ("农、林、牧、渔业", r"农、林、牧、渔业|农林牧渔业|农业企业"), ("卫生和社会工作", r"卫生和社会工作"),
    ("社会工作", r"社会工作"), ("文化、体育和娱乐业", r"文化、体育和娱乐业|文化体育娱乐业"),
    ("服务业", r"服务业"), ("工业", r"工业(?!和信息化|园|互联网|设计|软件|旅游|遗产|机器人)"),
]
INDUSTRY_RE = re.compile("|".join(f"(?P<i{k}>{p})" for k, (_, p) in enumerate(INDUSTRIES)))


def find_industries(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in INDUSTRY_RE.finditer(text):
        k = int(next(g for g, v in m.groupdict().items() if v)[1:])
        out.append((INDUSTRIES[k][0], m.start(), m.end()))
    return out


def canonical_industry(value: str | None) -> str | None:
    found = find_industries(value or "")
    return found[0][0] if found else None


def _ancestors(name: str) -> list[str]:
    out, cur = [], PARENT.get(name)
    while cur:
        out.append(cur)
        cur = PARENT.get(cur)
    return out


def industry_in(profile_industry: str | None, allowed: list[str]) -> bool | None:
    """True when the profile's industry is one of ``allowed`` or under one; None when it is broader
    (制造业 for 装备制造) or not in the vocabulary; False otherwise."""
    p = canonical_industry(profile_industry)
    if p is None:
        return None
    up = [p] + _ancestors(p)
    if any(a in up for a in allowed):
        return True
    if any(p in _ancestors(a) for a in allowed):
        return None
    return False


# ---- size classes (中小企业划型标准, 2011) ----------------------------------------------------
# sector: (large: employees, revenue), (medium: …), (small: …); revenue in 万元, None = not used
_SIZE = {
    "工业": ((1000, 40000), (300, 2000), (20, 300)),
    "软件和信息技术服务业": ((300, 10000), (100, 1000), (10, 50)),
    "批发业": ((200, 40000), (20, 5000), (5, 1000)),
    "零售业": ((300, 20000), (50, 500), (10, 100)),
    "住宿业": ((300, 10000), (100, 2000), (10, 100)),
    "餐饮业": ((300, 10000), (100, 2000), (10, 100)),
    "其他": ((300, None), (100, None), (10, None)),
}


def _ge(x, t) -> bool | None:
    if t is None:
        return True
    return None if x is None else x >= t


def _both(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def size_classes(industry: str | None, employees: int | None, revenue_10k: float | None) -> set[str]:
    """The classes (大型 / 中型 / 小型 / 微型) the figures given allow: one when they decide it."""
    p = canonical_industry(industry)
    up = [p] + _ancestors(p) if p else []
    sector = next((s for s in ("软件和信息技术服务业", "批发业", "零售业", "住宿业", "餐饮业", "工业") if s in up), "其他")
    out: set[str] = set()
    for name, (e, r) in zip(("大型", "中型", "小型"), _SIZE[sector]):
        v = _both(_ge(employees, e), _ge(revenue_10k, r))
        if v is not False:
            out.add(name)
        if v is True:
            return out
    out.add("微型")
    return out


def size_class(industry: str | None, employees: int | None, revenue_10k: float | None) -> str | None:
    """大型 / 中型 / 小型 / 微型, or None when the figures given do not decide it."""
    classes = size_classes(industry, employees, revenue_10k)
    return next(iter(classes)) if len(classes) == 1 else None


_SIZE_OK = {"小微企业": {"小型", "微型"}, "中小企业": {"中型", "小型", "微型"}, "中小微企业": {"中型", "小型", "微型"},
            "大型企业": {"大型"}}


def size_qualifies(qual: str, classes: set[str] | str | None) -> bool | None:
    """Does a company of these possible classes count as ``qual``? None when some would and some not."""
    if not classes or qual not in _SIZE_OK:
        return None
    classes = {classes} if isinstance(classes, str) else classes
    ok = [c in _SIZE_OK[qual] for c in classes]
    return True if all(ok) else (False if not any(ok) else None)
