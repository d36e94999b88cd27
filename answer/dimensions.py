"""The situation dimensions (情形维度) a material's condition is normalised into.

A condition such as 委托他人办理的 / 授权委托书（委托办理的）/ 代办人身份证 means one thing — "someone
else applies for you" — however each guide words it. Each :class:`Dimension` names one such thing,
asks one question, and lists the wordings that select its options: ``cues`` are read in material
names and 适用情形 notes, ``says`` in a question a person typed (我是外省户籍 / 帮孩子办 / 委托别人去办).
The dimensions were found by reading the conditions of the Guangdong export (3,434 material names)
and the demo corpus's 适用情形 column; conditions that fit none become a generic yes/no question
(see :mod:`answer.conditions`).

Two dimensions have options that depend on the data: ``age`` (bands cut at the thresholds the
materials name: 未满16周岁 and 未满18周岁 give 未满16 / 16–18 / 18 and over) and ``place`` (the
cities named in brackets: 电子照片（深圳市）). Their cues live in :mod:`answer.conditions`.

``title``: when an item's own title matches an option's title pattern (港澳医师内地医师资格认定,
外国人签证延期 …), that option is who the item is for, not a condition inside it, and cues for it
are ignored in that item.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    id: str
    label: str

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label}


@dataclass(frozen=True)
class Dimension:
    id: str
    question: str
    options: tuple[Option, ...]
    none: str | None = None  # the "none of these" option of a single-choice dimension (always offered)
    binary: bool = False  # both options are always offered
    cues: tuple[tuple[str, str], ...] = ()  # (regex in a material's text, option id)
    says: tuple[tuple[str, str], ...] = ()  # (regex in a question, option id)
    title: tuple[tuple[str, str], ...] = ()  # (regex in the item title, option id it makes moot)
    bare: bool = False  # cues count in a bare material name, not only in a conditional clause

    def label(self, option_id: str) -> str:
        for o in self.options:
            if o.id == option_id:
                return o.label
        return option_id


_NEG = r"(?<!不是)(?<!并非)(?<!没有)(?<!不)(?<!非)"

AGENT = Dimension(
    "agent", "是否委托他人代为办理？",
    (Option("self", "本人（或法定代表人）亲自办理"), Option("proxy", "委托他人代为办理")),
    binary=True, bare=True,
    cues=((r"委托.{0,14}(?:代为|代办|代领)|委托他人|委托办理|委托代理|委托代办|委托.{0,4}代领|代为(?:办理|申请|领取)|代办(?:人|委托|的)|代办$|代理人|"
           r"(?<!寄养)受托人|代人委托|委托人他人|授权委托|委托书|委托手续|经办人非法定代表人|非办税人员|"
           r"由家属|(?:不能|无法)到场", "proxy"),),
    says=((r"委托|代办|代为|代理人|代领|帮(?:他|她|朋友|别人|同事|家人|老人|父亲|母亲|爸|妈|我爸|我妈|老公|老婆|丈夫|妻子|亲戚|员工|单位|公司)"
           r"|替(?:他|她|朋友|别人|同事|家人|老人|爸|妈|我爸|我妈)|让(?:家属|家人|朋友|别人|同事|亲戚|老婆|老公|子女)"
           r"|(?:家属|家人|朋友|同事|亲戚|子女)(?:帮|替|代)|找人(?:代|帮)?办|中介|财务帮", "proxy"),
          (r"本人(?:亲自)?(?:去|到场|到|办理|办|申请|申领|申报|前往|领取|领|来|打印|开)|本人在[^，,。]{1,8}(?:办|去|查|申|领)|"
           r"自己(?:去|办|申|到|来|开|打印|领|跑|查)|亲自|不委托|没有委托|不找人", "self")),
)

IDENTITY = Dimension(
    "identity", "申请人属于以下哪类人员？",
    (Option("overseas_chinese", "华侨（定居国外的中国公民）"), Option("hk_macao", "港澳居民"),
     Option("taiwan", "台湾居民"), Option("foreigner", "外国人"), Option("military", "现役军人（含武警）"),
     Option("none", "以上都不是（内地居民）")),
    none="none", bare=True,
    cues=((r"华侨|侨居|定居国外|在境外定居|定居国护照", "overseas_chinese"),
          (r"港澳(?:台)?居民|香港居民|澳门居民|港澳同胞|回乡证|(?:香港|澳门)[^，。；]{0,10}?(?:永久性居民|居民身份|医师|行医|律师|法律执业者)",
           "hk_macao"),
          (r"港澳台居民|台湾居民|台胞|台湾同胞|台湾(?:地区)?(?:居民|永久性|医师|户籍|行医|医疗机构|出入境|身份证)", "taiwan"),
          (r"外国人|外籍|外国公民|外国护照|外国籍|外国(?:专家|婴儿)", "foreigner"),
          (r"现役军人|军人身份|驻地部队|部队(?:开具|出具)|武装警察|武警|军官证|士兵证", "military")),
    says=((r"华侨|侨胞|定居(?:在)?国外|在国外定居|国外定居", "overseas_chinese"),
          (r"港澳(?:台)?居民|香港居民|澳门居民|香港人|澳门人|港澳同胞|香港同胞|澳门同胞|港澳人士|我是(?:香港|澳门)", "hk_macao"),
          (r"台湾居民|台湾人|台胞|台湾同胞|我是台湾", "taiwan"),
          (r"外国人|外籍|外国籍|老外|外国(?:留学生|小孩|孩子|婴儿|朋友|友人|专家|学生)", "foreigner"),
          (_NEG + r"(?:现役)?军人|" + _NEG + r"武警|当兵|部队(?:里|服役)|服役|现役", "military"),
          (r"普通(?:人|市民|居民|百姓|老百姓|上班族|群众|职工)|一般市民|内地居民|大陆居民", "none")),
    title=((r"华侨|归侨|侨", "overseas_chinese"), (r"港澳|香港|澳门", "hk_macao"), (r"台湾|台胞", "taiwan"),
           (r"外国|外籍|境外", "foreigner"), (r"军|部队|武警|退役", "military")),
)

HOUSEHOLD = Dimension(
    "household", "申请人是否为本地户籍？",
    (Option("local", "本地户籍"), Option("nonlocal", "外地户籍（非本地户口）")),
    binary=True, bare=True,
    cues=((r"外省户籍|外省|外地户籍|非本(?:市|省|地|县|区)户籍|非.{1,5}户籍|非户籍|(?<!居民)居住证(?!明)|全国通办|异地务工", "nonlocal"),
          (r"^(?:本市|本省|本地|我市|本县)户籍(?:居民)?(?:的|申请)?$", "local")),
    says=((r"外省|外地|非本地|非本市|非本省|不是本地|不是本市|户口不在|户籍不在|非户籍|新市民|持居住证|有居住证", "nonlocal"),
          (r"本地户[口籍]|本市户[口籍]|本省户[口籍]|本地人|户[口籍]在本[市地省]|土生土长", "local")),
    title=((r"全国通办|外省|异地|居住证|流动人口", "nonlocal"), (r"户籍居民|本市户籍|省内户籍", "local")),
)

ENTITY = Dimension(
    "entity", "申请主体是哪一类？",
    (Option("individual", "个体工商户"), Option("company", "企业（公司）"), Option("other", "其他（合伙、个人独资企业、社会组织等）")),
    none="other",
    cues=((r"个体工商户|个体户|个体经营|经营者为个体", "individual"),
          (r"非公司制|合伙企业|个人独资|农民专业合作社|社会组织|事业单位|民办非企业", "other"),
          (r"公司制企业|企业申请|公司申请|(?:有限责任|股份有限)公司|企业法人|^企业$|^公司$|企业或", "company")),
    says=((r"个体户|个体工商户|个体经营|做个体|小个体", "individual"),
          (r"合伙企业|个人独资|合作社|事业单位|社会组织|民办非企业", "other"),
          (r"公司|有限责任|企业法人|办企业|开企业", "company")),
    title=((r"个体", "individual"), (r"公司|企业", "company")),
)

REASON = Dimension(
    "reason", "本次办理属于哪种情形？",
    (Option("new", "首次申请（新办）"), Option("renew", "换发（到期换证）"), Option("reissue", "补发（遗失、损毁）"),
     Option("extend", "延续"), Option("change", "变更"), Option("cancel", "注销"), Option("none", "其他情形")),
    none="none",
    cues=((r"新申请|首次|初次|新办|初始", "new"), (r"换发|换证|换领", "renew"), (r"补发|补办|补领|挂失", "reissue"),
          (r"延续|延期", "extend"), (r"变更", "change"), (r"注销", "cancel")),
    says=((r"第一次|首次|初次|头一次|新办|没办过|从没办|初始", "new"),
          (r"换发|换证|换新|到期|过期|换一本|换本|换领|换个新", "renew"),
          (r"补办|补发|补领|挂失", "reissue"), (r"延续|续期", "extend"),
          (r"变更|改名|更名", "change"), (r"注销", "cancel")),
    title=((r"新申请|首次|初次|新办|初始", "new"), (r"换发|换证|换领", "renew"), (r"补发|补办|补领|挂失|遗失", "reissue"),
           (r"延续|延期", "extend"), (r"变更", "change"), (r"注销", "cancel")),
)

ENDORSE = Dimension(
    "endorse", "是否需要办理加注？",
    (Option("yes", "需要加注"), Option("no", "不需要加注")),
    binary=True,
    cues=((r"加注", "yes"),),
    says=((r"不(?:需要|用|办)?加注|无需加注", "no"), (r"加注", "yes")),
    title=((r"加注", "yes"),),
)

LOST = Dimension(
    "lost", "证件（证书）是否遗失或损毁？",
    (Option("yes", "已遗失或损毁"), Option("no", "未遗失")),
    binary=True,
    cues=((r"遗失|丢失|损毁|损坏|灭失", "yes"),),
    says=((r"没(?:有)?(?:丢|遗失|弄丢|损坏)|未(?:遗失|丢失|损毁)|(?:证书|证件|执照|证)(?:还在|完好)", "no"),
          (r"丢了|丢失|遗失|弄丢|被偷|被盗|找不到了|损坏|损毁|坏了|烧了|补办|补发", "yes")),
    title=((r"遗失|丢失|损毁|补发|补办", "yes"),),
)

COMMITMENT = Dimension(
    "commitment", "是否选择告知承诺方式办理？",
    (Option("yes", "选择告知承诺"), Option("no", "不选择告知承诺")),
    binary=True,
    cues=((r"告知承诺|承诺制|承诺方式", "yes"),),
    says=((r"不(?:选|选择|用|采用)告知承诺|不承诺", "no"), (r"告知承诺|承诺制|承诺方式", "yes")),
    title=((r"告知承诺", "yes"),),
)

DIMENSIONS: dict[str, Dimension] = {d.id: d for d in (AGENT, IDENTITY, HOUSEHOLD, ENTITY, REASON, ENDORSE, LOST,
                                                      COMMITMENT)}

# The order situations are asked in (who applies first, then why, then the rest).
ORDER = ("route", "entity", "agent", "identity", "age", "household", "place", "reason", "endorse", "lost", "cause",
         "commitment",
         "variant", "generic")

AGE_QUESTION = "申请人的年龄？"
PLACE_QUESTION = "在哪个城市办理？"
PLACE_NONE = Option("other", "其他地区")

# Places a person may name (广东 and its 21 cities, the provinces and their capitals), for
# 在深圳 / 湖南户籍 / 广州户口: city → province.
PROVINCES = ("北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 上海 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 海南 "
             "重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆 香港 澳门 台湾").split()
CITIES: dict[str, str] = {c: "广东" for c in (
    "广州 深圳 珠海 汕头 佛山 韶关 湛江 肇庆 江门 茂名 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮").split()}
CITIES.update({"石家庄": "河北", "太原": "山西", "呼和浩特": "内蒙古", "沈阳": "辽宁", "长春": "吉林", "哈尔滨": "黑龙江",
               "南京": "江苏", "杭州": "浙江", "合肥": "安徽", "福州": "福建", "厦门": "福建", "南昌": "江西", "济南": "山东",
               "青岛": "山东", "郑州": "河南", "武汉": "湖北", "长沙": "湖南", "南宁": "广西", "海口": "海南", "成都": "四川",
               "贵阳": "贵州", "昆明": "云南", "拉萨": "西藏", "西安": "陕西", "兰州": "甘肃", "西宁": "青海", "银川": "宁夏",
               "乌鲁木齐": "新疆"})


def compile_pairs(pairs: tuple[tuple[str, str], ...]) -> list[tuple[re.Pattern, str]]:
    return [(re.compile(p), o) for p, o in pairs]
