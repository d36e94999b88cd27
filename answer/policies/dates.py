"""Dates, durations and periods as Chinese policy texts write them.

``2021年12月31日``, ``二〇二一年十二月三十一日`` / ``二○一一年十二月八日``, ``2021年1月`` (a month),
``有效期三年``, ``（2021—2023年）``, ``“十四五”``. Numerals written in Chinese are converted by
cn2an; the regexes here only find where a date is, so every match keeps its span in the text.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta

CN_DIGITS = "〇○零一二三四五六七八九"
CN_NUM = CN_DIGITS + "十两"
_SP = r"\s{0,2}"
YEAR = rf"(?:[12]\d{{3}}|[一二][{CN_DIGITS}]{{3}})"
MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
DAY = r"(?:3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"

# A date: year, month, optional day; the groups are named so one pattern serves everywhere.
DATE = rf"(?P<y>{YEAR}){_SP}年{_SP}(?P<m>{MONTH}){_SP}月(?:{_SP}(?P<d>{DAY}){_SP}[日号])?"
DATE_RE = re.compile(DATE)
# The second end of a range may omit the year (2025年3月15日至4月30日) or the month (至30日).
END_DATE = (rf"(?:(?P<y2>{YEAR}){_SP}年{_SP})?(?:(?P<m2>{MONTH}){_SP}月{_SP})?"
            rf"(?:(?P<d2>{DAY}){_SP}[日号])?")
RANGE_SEP = r"\s{0,2}(?:至|到|—|－|–|~|～|-)\s{0,2}"
YEAR_RANGE_RE = re.compile(
    rf"(?P<a>[12]\d{{3}}){_SP}(?:年{_SP})?(?:{RANGE_SEP})(?P<b>[12]\d{{3}}){_SP}(?:年)?")

MIN_YEAR, MAX_YEAR = 1949, 2100


def to_int(s: str | None) -> int | None:
    """'12' / '１２' / '十二' / '二〇二一' / '二○一一' → int; None when it is not a number."""
    if not s:
        return None
    s = unicodedata.normalize("NFKC", s).strip().replace("○", "〇").replace("零", "〇")
    if s.isdigit():
        return int(s)
    import cn2an  # maintained Chinese-numeral conversion; imported on first use (~0.2 s)

    try:
        v = cn2an.cn2an(s, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return int(v) if float(v).is_integer() else None


def to_number(s: str) -> float | None:
    """'1.5' / '三' / '1,500' → float; None when it is not a number."""
    s = unicodedata.normalize("NFKC", s).replace(",", "").strip()
    try:
        return float(s)
    except ValueError:
        pass
    v = to_int(s)
    return float(v) if v is not None else None


def make_date(y: int | None, m: int | None, d: int | None, end_of_month: bool = False) -> date | None:
    """A real date or None (year out of range, 5355年65月06日 as scrambled digits give, 2月30日)."""
    if y is None or m is None or not (MIN_YEAR <= y <= MAX_YEAR) or not 1 <= m <= 12:
        return None
    if d is None:
        d = calendar.monthrange(y, m)[1] if end_of_month else 1
    try:
        return date(y, m, d)
    except ValueError:
        return None


def match_date(m: re.Match, end_of_month: bool = False) -> date | None:
    """The date of a ``DATE`` match (a month alone is its first day, or its last with end_of_month)."""
    return make_date(to_int(m.group("y")), to_int(m.group("m")), to_int(m.group("d")), end_of_month)


def parse_date(s: str | None) -> date | None:
    """An ISO date (the record's ``date`` field) or a Chinese one; a year alone gives None."""
    if not s:
        return None
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", s)
    if m:
        return make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = DATE_RE.search(s)
    return match_date(m) if m else None


def add_years(d: date, n: int) -> date:
    """The last day of a term of n years starting on d (自2025年3月1日起，有效期3年 → 2028-02-29)."""
    try:
        end = d.replace(year=d.year + n)
    except ValueError:  # 29 February
        end = d.replace(year=d.year + n, day=28) + timedelta(days=1)
    return end - timedelta(days=1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return date(y, m + 1, day) - timedelta(days=1)


def five_year_plan(n: int) -> tuple[int, int] | None:
    """The years of the n-th five-year plan: 七五 → 1986–1990, 十四五 → 2021–2025 (from the 3rd on)."""
    if n < 3 or n > 30:
        return None
    start = 1966 + 5 * (n - 3)
    return start, start + 4


FIVE_YEAR_RE = re.compile(r"[“\"‘']?(?P<n>[一二三四五六七八九十]{1,3})五[”\"’']?(?=规划|期间|时期|发展规划|计划|[”\"’'])")


def five_year_in(text: str) -> tuple[re.Match, tuple[int, int]] | None:
    for m in FIVE_YEAR_RE.finditer(text):
        n = to_int(m.group("n"))
        span = five_year_plan(n) if n else None
        if span:
            return m, span
    return None
