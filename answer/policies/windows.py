"""Application windows of a notice: 申报时间：2025年3月15日至4月30日 / 即日起至2025年5月15日 /
每年6月1日至6月30日 / 截止日期为… / 常年受理 — read from the 申报时间 section and from sentences
that name an application time; ranges inside （…） are remarks (参展时间 …), not windows."""
from __future__ import annotations

import re
from datetime import date

from answer.policies.dates import DATE, DAY, END_DATE, MONTH, RANGE_SEP, make_date, to_int
from answer.policies.records import Window, WindowFact
from answer.policies.sections import sections_of
from answer.policies.spans import Citer, mask, sentences
from core.records import Document

KEYS = re.compile(r"申报时间|申请时间|受理时间|报名时间|申报截止|截止时间|截止日期|申报期限|申请期限|集中申报|"
                  r"集中受理|网上报名|申报日期|受理期限|确认时间")
ONGOING_RE = re.compile(r"常年受理|全年常态化受理|常态化受理|长期受理|随时申报|全年受理|常年申报|常年开放")
_TIME = r"(?:\s*(?:上午|下午)?\s*\d{1,2}\s*(?:时|点|:\d{2})(?:\s*\d{1,2}\s*分)?)?"
RANGE_RE = re.compile(rf"{DATE}{_TIME}{RANGE_SEP}{END_DATE}{_TIME}")
FROM_NOW_RE = re.compile(rf"即日起\s*(?:至|到)\s*{DATE}")
MD_RANGE_RE = re.compile(rf"(?P<yearly>每年)?\s*(?P<m>{MONTH})\s*月\s*(?P<d>{DAY})\s*[日号]{_TIME}{RANGE_SEP}"
                         rf"(?:(?P<m2>{MONTH})\s*月\s*)?(?P<d2>{DAY})\s*[日号]")
DEADLINE_RES = (re.compile(rf"截止(?:日期|时间)?(?:为|是|到|至|于)?\s*{DATE}"), re.compile(rf"{DATE}{_TIME}\s*(?:前)?截止"))
_LABEL_CUT = re.compile(r"[，,；;：:。\n]")
_MARKER = re.compile(r"^[（(]?[一二三四五六七八九十\d]{1,3}[)）、．.]\s*")


def _label(text: str, span_start: int, at: int) -> str | None:
    head = text[span_start:at].rstrip().rstrip("：:")
    parts = _LABEL_CUT.split(head)
    lab = _MARKER.sub("", parts[-1].strip()) if parts else ""
    lab = re.sub(r"^(?:申报时间|申请时间|受理时间|报名时间|时间)$", "", lab).strip()
    return lab if 0 < len(lab) <= 12 else None


def _scopes(doc: Document) -> list[tuple[int, int]]:
    scopes = [(s.start, s.end) for s in sections_of(doc.text, "time")]
    for sent in sentences(doc.text):
        if KEYS.search(sent.text) and not any(a <= sent.start < b for a, b in scopes):
            scopes.append((sent.start, sent.end))
    return sorted(scopes)


def extract_windows(doc: Document, citer: Citer, published: date | None) -> list[WindowFact]:
    text = doc.text
    masked = mask(text, "（(")
    out: list[WindowFact] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return not any(a < y and x < b for x, y in taken)

    def add(m: re.Match, scope_start: int, **kw) -> None:
        taken.append((m.start(), m.end()))
        out.append(WindowFact(text=text[m.start():m.end()], citation=citer.cite(m.start(), m.end()),
                              label=_label(text, scope_start, m.start()), **kw))

    for a, b in _scopes(doc):
        for m in RANGE_RE.finditer(masked, a, b):
            y1 = to_int(m.group("y"))
            start = make_date(y1, to_int(m.group("m")), to_int(m.group("d")))
            y2 = to_int(m.group("y2")) or y1
            m2 = to_int(m.group("m2")) or (to_int(m.group("m")) if m.group("d2") else None)
            end = make_date(y2, m2, to_int(m.group("d2")), end_of_month=True)
            if start and end and start <= end:
                add(m, a, start=start, end=end)
        for m in FROM_NOW_RE.finditer(masked, a, b):
            end = make_date(to_int(m.group("y")), to_int(m.group("m")), to_int(m.group("d")), end_of_month=True)
            if end and free(m.start(), m.end()):
                add(m, a, start=published, end=end)
        for m in MD_RANGE_RE.finditer(masked, a, b):
            if not free(m.start(), m.end()):
                continue
            m1, d1 = to_int(m.group("m")), to_int(m.group("d"))
            m2, d2 = to_int(m.group("m2")) or m1, to_int(m.group("d2"))
            if not (m1 and d1 and m2 and d2) or make_date(2000, m1, d1) is None or make_date(2000, m2, d2) is None:
                continue
            if m.group("yearly"):
                add(m, a, yearly=(m1, d1, m2, d2))
            elif published:
                start, end = make_date(published.year, m1, d1), make_date(published.year, m2, d2)
                if start and end and start <= end:
                    add(m, a, start=start, end=end)
        for pat in DEADLINE_RES:
            for m in pat.finditer(masked, a, b):
                if not free(m.start(), m.end()):
                    continue
                end = make_date(to_int(m.group("y")), to_int(m.group("m")), to_int(m.group("d")), end_of_month=True)
                if end:
                    add(m, a, start=published if published and published <= end else None, end=end)
        for m in ONGOING_RE.finditer(text, a, b):
            if free(m.start(), m.end()):
                add(m, a, ongoing=True)
    return out


def _instances(w: WindowFact, as_of: date) -> list[tuple[date | None, date | None]]:
    if w.yearly:
        m1, d1, m2, d2 = w.yearly
        out = []
        for y in (as_of.year - 1, as_of.year, as_of.year + 1):
            s, e = make_date(y, m1, d1), make_date(y, m2, d2)
            if s and e:
                out.append((s, e))
        return out
    return [(w.start, w.end)]


def current_window(windows: list[WindowFact], as_of: date, frm: date | None, until: date | None,
                   status: str) -> Window | None:
    """The window that matters on as_of: the one open then, else the next, else an open-ended
    one (常年受理, open while the document is not expired), else the last one that closed."""
    dated: list[tuple[date | None, date | None, WindowFact]] = []
    for w in windows:
        if w.ongoing:
            continue
        for s, e in _instances(w, as_of):
            if w.yearly and ((until and s and s > until) or (frm and e and e < frm)):
                continue
            dated.append((s, e, w))

    def make(s, e, w, is_open, ongoing=False) -> Window:
        return Window(from_=s, until=e, open=is_open, ongoing=ongoing, label=w.label, text=w.text,
                      citation=w.citation)

    for s, e, w in dated:
        if (s is None or s <= as_of) and e is not None and as_of <= e:
            return make(s, e, w, True)
    upcoming = sorted((x for x in dated if x[0] and x[0] > as_of), key=lambda x: x[0])
    if upcoming:
        return make(*upcoming[0], False)
    ongoing = [w for w in windows if w.ongoing]
    if ongoing:
        return make(frm, until, ongoing[0], status not in ("expired", "not_yet"), ongoing=True)
    past = sorted((x for x in dated if x[1]), key=lambda x: x[1])
    if past:
        return make(*past[-1], False)
    return None
