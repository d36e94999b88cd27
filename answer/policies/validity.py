"""Validity of a policy document: what its text says about when it applies, and its status on a date.

``extract_validity(doc, chunks) -> ValidityFacts`` reads, each with the span that states it:
publication (the record's date, ``YYYY年M月D日印发``), effective date (本办法自…起施行 /
自印发之日起施行 / 现印发施行), end (有效期至… / 有效期N年 / 试行期一年 / 执行至… / 实施期
2013-2025年 / 执行期限为…至… / a plan period in the title, “十四五”), what it repeals
(…同时废止, by 《title》 and 文号) and application windows (see :mod:`answer.policies.windows`).
Only statements about the document itself count: a sentence must name it (本办法 / 本通知 / …,
现予公布) — the validity of a certificate or a measure-level period is not the document's.

``validity(facts, as_of, repealed_by=None) -> Validity`` never invents a status: with no
statement it is ``unknown``.
"""
from __future__ import annotations

import re
from datetime import date

from answer.policies import windows as win
from answer.policies.dates import (
    DATE, END_DATE, RANGE_SEP, YEAR_RANGE_RE, add_months, add_years, five_year_in, make_date, match_date,
    parse_date, to_int,
)
from answer.policies.records import Repeal, RepealedBy, Statement, Validity, ValidityFacts
from answer.policies.spans import Citer, sentences
from core.records import Chunk, Document

DOC_WORDS = ("实施细则|暂行办法|管理办法|实施办法|实施方案|实施意见|行动计划|行动方案|政策措施|若干措施|若干政策|"
             "办法|通知|规定|细则|政策|措施|方案|意见|条例|决定|规范|标准|计划|规划|公告|通告|指引|指南|规则|"
             "预案|纲要|准则|目录|制度|批复|文件|指导意见")
SUBJECT_RE = re.compile(rf"本(?:{DOC_WORDS})|现予(?:以)?(?:公布|发布|印发|转发)|现将[^。]{{0,80}}?(?:公布|发布|印发|转发)|"
                        rf"现(?:转发|印发)给你们")
# A weaker subject for an end date: 政策执行至… / 上述政策…执行期限为…
SUBJECT_END_RE = re.compile(rf"{SUBJECT_RE.pattern}|(?:^|[（(][一二三四五六七八九十]+[)）]|上述|以上|该项?)政策")
NOT_DOC = re.compile(r"(?:证|卡|资格|协议|合同|结果|号牌|名单|目录|证书|认定|评定|许可|备案|指标)$")

_REL = r"(?P<rel>印发|发布|公布|发出|颁布|下发|公告|发文|签发|(?:国务院)?批准)之日"
EFFECTIVE_RE = re.compile(
    rf"(?:自|从|于)\s*(?:{DATE}|{_REL})\s*(?:起)?\s*(?:开始)?(?:施行|实施|执行|试行|生效)")
ISSUED_IN_FORCE_RE = re.compile(r"现(?:予)?印发(?:施行|实施|执行)")
ISSUED_ON_RE = re.compile(rf"{DATE}\s*印发")
UNTIL_RE = re.compile(rf"有效期(?:调整|延长|延续|顺延)?(?:为)?(?:至|到)\s*{DATE}\s*(?:止)?")
EXEC_UNTIL_RE = re.compile(rf"(?:执行|实施|施行)(?:期)?(?:至|到)\s*{DATE}\s*(?:止)?")
DURATION_RE = re.compile(r"(?:有效期|试行期)(?:限)?(?:为|暂定为?)?\s*(?P<n>\d+|[一二三四五六七八九十两]+)\s*(?P<u>年|个月)")
PERIOD_RE = re.compile(
    rf"(?:实施期|规划期|实施期限|执行期限|行动计划期限|规划期限|执行期)(?:为|是|：|:)?\s*(?:自\s*)?"
    rf"(?:(?P<range>{DATE}{RANGE_SEP}{END_DATE})|(?P<years>[12]\d{{3}}\s*(?:年\s*)?{RANGE_SEP}[12]\d{{3}}\s*年?))")
REPEAL_RE = re.compile(r"(?:同时|一并|予以|即行|相应)?(?:废止|停止执行|不再执行|同时失效)")
TITLE_RE = re.compile(r"《([^《》]{2,120}?)》")
DOC_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fff]{1,14}\s*[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*第?\s*\d{1,4}\s*号|[\u4e00-\u9fff]{0,10}令第\s*\d{1,4}\s*号")
TITLE_PERIOD_RE = YEAR_RANGE_RE


def _subject_before(text: str, sent_start: int, pos: int, pat: re.Pattern = SUBJECT_RE, gap: int = 40) -> bool:
    """A subject naming this document in the same sentence before pos, not followed by 的
    (本通知规定的标准自…起执行 is about the standards, not the notice)."""
    head = text[sent_start:pos]
    for m in pat.finditer(head):
        between = head[m.end():]
        if "的" not in between and len(between) <= gap:
            return True
    return False


def publication(doc: Document, citer: Citer) -> tuple[date | None, Statement | None]:
    """The date the document was issued: ``…YYYY年M月D日印发`` in the text, else the record's date."""
    for m in ISSUED_ON_RE.finditer(doc.text):
        d = match_date(m)
        if d:
            return d, Statement(fact="published", text=m.group(0), value=d.isoformat(),
                                citation=citer.cite(m.start(), m.end()))
    d = parse_date(doc.date)
    if d:
        st = Statement(fact="published", text=doc.date or "", value=d.isoformat(), source="metadata")
        for m in re.finditer(rf"{DATE}", doc.text):  # the signature date, when it is the same day
            if match_date(m) == d:
                st = Statement(fact="published", text=m.group(0), value=d.isoformat(),
                               citation=citer.cite(m.start(), m.end()))
                break
        return d, st
    # no full date on record (climate: "1991"): the signature, a line that is only a date
    for m in reversed(list(re.finditer(rf"(?m)^\s*{DATE}\s*$", doc.text))):
        d = match_date(m)
        if d:
            s0 = m.start("y")
            return d, Statement(fact="published", text=doc.text[s0:m.end()].strip(), value=d.isoformat(),
                                citation=citer.cite(s0, s0 + len(doc.text[s0:m.end()].strip())))
    return None, None


def _statement(fact, m: re.Match, citer: Citer, value: str | None) -> Statement:
    return Statement(fact=fact, text=m.group(0), value=value, citation=citer.cite(m.start(), m.end()))


def _title_period(doc: Document, citer: Citer) -> tuple[tuple[int, int], Statement] | None:
    """A plan period in the title: （2021—2023年）, (2024-2026), “十四五”. Cited where the title is
    in the text, else stated as coming from the title."""
    title = doc.title or ""
    span = None
    m = TITLE_PERIOD_RE.search(title)
    if m:
        a, b = int(m.group("a")), int(m.group("b"))
        if a <= b <= a + 30:
            span = (a, b), m.group(0)
    if span is None:
        fm = five_year_in(title)
        if fm:
            span = fm[1], fm[0].group(0)
    if span is None:
        return None
    (a, b), phrase = span
    value = f"{a}–{b}"
    pos = doc.text.find(title) if len(title) >= 6 else -1
    if pos >= 0:
        at = pos + title.find(phrase)
        return (a, b), Statement(fact="period", text=phrase, value=value, citation=citer.cite(at, at + len(phrase)))
    return (a, b), Statement(fact="period", text=phrase, value=value, source="title")


def _repeals(doc: Document, sent, citer: Citer) -> list[Repeal]:
    text = doc.text
    m = REPEAL_RE.search(text, sent.start, sent.end)
    if not m:
        return []
    head = text[sent.start:m.start()]
    # units: 《title》 with the （文号） right after it, or a 文号 alone
    units: list[list] = []  # [start, end, title, number]
    titles = [(t.start(), t.end(), t.group(1)) for t in TITLE_RE.finditer(head)]
    for ts, te, title in titles:
        units.append([ts, te, title, None])
    for n in DOC_NUMBER_RE.finditer(head):
        ns, ne, num = n.start(), n.end(), _clean_number(re.sub(r"\s+", "", n.group(0)))
        if any(ts <= ns < te for ts, te, _ in titles):
            continue
        owner = next((u for u in units if u[2] and u[3] is None and 0 <= ns - u[1] <= 2), None)
        if owner:
            owner[1], owner[3] = ne + (1 if head[ne:ne + 1] in "）)" else 0), num
        else:
            units.append([ns, ne, None, num])
    units.sort()
    # only the list right before 废止 is repealed: 《A》（号）、《B》同时废止 — not a title mentioned earlier
    chain: list[list] = []
    limit = len(head)
    for u in reversed(units):
        gap = head[u[1]:limit]
        if len(gap) > (10 if not chain else 3) or re.search(r"[。；;]", gap) or (chain and re.search(r"[^\s、，,和及与）)]", gap)):
            break
        chain.insert(0, u)
        limit = u[0]
    out = []
    for s0, e0, title, number in chain:
        if title and _same_title(title, doc.title):
            continue
        out.append(Repeal(title=title, doc_number=number, citation=citer.cite(sent.start + s0, sent.start + e0)))
    return out


def _clean_number(num: str) -> str:
    return num.lstrip("（(").replace("[", "〔").replace("]", "〕").replace("［", "〔").replace("］", "〕")


def normalise_number(num: str | None) -> str:
    if not num:
        return ""
    s = re.sub(r"\s+", "", num)
    return re.sub(r"[〔\[［【(（]", "〔", re.sub(r"[〕\]］】)）]", "〕", s))


def normalise_title(title: str | None) -> str:
    """A title without brackets, spaces and the 关于印发〈…〉的通知 wrapper: what a repeal names."""
    if not title:
        return ""
    t = re.sub(r"[\s《》〈〉<>“”\"]", "", title)
    m = re.search(r"关于(?:印发|发布|转发|公布)(.+?)的通知$", t)
    if m:
        t = m.group(1)
    return t


def _same_title(a: str | None, b: str | None) -> bool:
    """The same document named twice (not merely an older version issued under the same name)."""
    na, nb = re.sub(r"[\s《》〈〉<>“”\"]", "", a or ""), re.sub(r"[\s《》〈〉<>“”\"]", "", b or "")
    return bool(na) and na == nb


def extract_validity(doc: Document, chunks: list[Chunk]) -> ValidityFacts:
    citer = Citer(doc, chunks)
    text = doc.text
    statements: list[Statement] = []
    published, st = publication(doc, citer)
    if st:
        statements.append(st)
    eff_date, eff_rel, duration, until, period, repeals = None, False, None, None, None, []
    for sent in sentences(text):
        for m in EFFECTIVE_RE.finditer(text, sent.start, sent.end):
            if not _subject_before(text, sent.start, m.start()):
                continue
            d = match_date(m) if m.group("y") else None
            if d and eff_date is None:
                eff_date = d
                statements.append(_statement("effective_from", m, citer, d.isoformat()))
            elif m.group("rel") and not eff_rel:
                eff_rel = True
                statements.append(_statement("effective_from", m, citer, "on publication"))
        m = ISSUED_IN_FORCE_RE.search(text, sent.start, sent.end)
        if m and not eff_rel:
            eff_rel = True
            statements.append(_statement("effective_from", m, citer, "on publication"))
        for pat in (UNTIL_RE, EXEC_UNTIL_RE):
            for m in pat.finditer(text, sent.start, sent.end):
                if pat is EXEC_UNTIL_RE and not _subject_before(text, sent.start, m.start(), SUBJECT_END_RE, 60):
                    continue
                if pat is UNTIL_RE and NOT_DOC.search(text[max(sent.start, m.start() - 6):m.start()]):
                    continue
                d = match_date(m, end_of_month=True)
                if d and until is None:
                    until = d
                    statements.append(_statement("effective_until", m, citer, d.isoformat()))
        for m in DURATION_RE.finditer(text, sent.start, sent.end):
            if NOT_DOC.search(text[max(sent.start, m.start() - 6):m.start()]):
                continue
            if not (_subject_before(text, sent.start, m.start(), gap=60)
                    or EFFECTIVE_RE.search(text, sent.start, m.start())):
                continue
            n = to_int(m.group("n"))
            if n and duration is None:
                duration = (n, m.group("u"))
                statements.append(_statement("duration", m, citer, f"{n}{m.group('u')}"))
        for m in PERIOD_RE.finditer(text, sent.start, sent.end):
            if period is not None:
                break
            if m.group("range"):
                a = make_date(to_int(m.group("y")), to_int(m.group("m")), to_int(m.group("d")))
                y2 = to_int(m.group("y2")) or (a.year if a else None)
                b = make_date(y2, to_int(m.group("m2")) or 12, to_int(m.group("d2")), end_of_month=True)
            else:
                ys = re.findall(r"[12]\d{3}", m.group("years"))
                a, b = make_date(int(ys[0]), 1, 1), make_date(int(ys[1]), 12, 31)
            if a and b and a <= b:
                period = (a, b)
                statements.append(_statement("period", m, citer, f"{a.isoformat()}–{b.isoformat()}"))
        if REPEAL_RE.search(text, sent.start, sent.end):
            found = _repeals(doc, sent, citer)
            repeals.extend(found)
            for r in found:
                statements.append(Statement(fact="repeals", text=text[r.citation.start:r.citation.end],
                                            value=r.doc_number or r.title, citation=r.citation))
    title_period = _title_period(doc, citer)
    period_years = None
    if period is None and title_period:
        (a, b), st = title_period
        period_years = (a, b)
        statements.append(st)
        period = (make_date(a, 1, 1), make_date(b, 12, 31))
    elif period:
        period_years = (period[0].year, period[1].year)
    effective_from = eff_date or (published if eff_rel else None)
    start = effective_from or published
    if until is None and duration and start:
        n, unit = duration
        until = add_years(start, n) if unit == "年" else add_months(start, n)
    if until is None and period:
        until = period[1]
    if effective_from is None and period and not eff_rel:
        effective_from = period[0]
    return ValidityFacts(
        doc_id=doc.doc_id, title=doc.title, doc_number=doc.doc_number, url=doc.url, published=published,
        effective_from=effective_from, effective_stated=bool(eff_date or eff_rel), until=until,
        period=period_years, repeals=repeals, windows=win.extract_windows(doc, citer, published),
        statements=statements)


def validity(facts: ValidityFacts, as_of: date | None = None, repealed_by: RepealedBy | None = None) -> Validity:
    """The status on ``as_of`` (default today) from what the document states — and, when another
    document repeals it, ``expired`` from that document's effective date."""
    as_of = as_of or date.today()
    frm, until = facts.effective_from, facts.until
    stated = facts.effective_stated or until is not None or facts.period is not None
    if repealed_by and (repealed_by.on is None or as_of >= repealed_by.on):
        status = "expired"
    elif until and as_of > until:
        status = "expired"
    elif frm and as_of < frm:
        status = "not_yet"
    elif facts.published and as_of < facts.published:
        status = "not_yet"
        frm = frm or facts.published
    elif stated:
        status = "in_force"
    else:
        status = "unknown"
    if frm is None and stated and facts.published:
        frm = facts.published
    statements = [s for s in facts.statements if s.fact != "window"]
    window = win.current_window(facts.windows, as_of, frm or facts.published, until, status)
    if window:
        statements.append(Statement(fact="window", text=window.text, citation=window.citation))
    if repealed_by:
        statements.append(Statement(fact="repealed_by", text=repealed_by.title, value=repealed_by.doc_id,
                                    citation=repealed_by.citation))
    evidence = []
    for s in statements:
        if s.citation and s.citation not in evidence:
            evidence.append(s.citation)
    return Validity(status=status, from_=frm, until=until, repeals=facts.repeals, repealed_by=repealed_by,
                    window=window, evidence=evidence, statements=statements, as_of=as_of)


def link_repeals(facts: dict[str, ValidityFacts]) -> dict[str, RepealedBy]:
    """doc_id → the document of the corpus that repeals it (by 文号, else by title), with the date
    the repeal takes effect (the repealing document's effective or publication date)."""
    by_number: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for doc_id, f in facts.items():
        if f.doc_number:
            by_number.setdefault(normalise_number(f.doc_number), doc_id)
        if normalise_title(f.title):
            by_title.setdefault(normalise_title(f.title), doc_id)
    out: dict[str, RepealedBy] = {}
    for doc_id, f in facts.items():
        for r in f.repeals:
            if r.doc_number:  # a 文号 names one document; the title may be shared by its successor
                target = by_number.get(normalise_number(r.doc_number))
            else:
                target = by_title.get(normalise_title(r.title))
            if not target or target == doc_id:
                continue
            older = facts[target].published
            if older and f.published and older > f.published:
                continue
            on = f.effective_from or f.published
            prev = out.get(target)
            if prev is None or (on and prev.on and on < prev.on):
                out[target] = RepealedBy(doc_id=doc_id, title=f.title, on=on, citation=r.citation)
    return out


def corpus_facts(docs: list[Document], chunks_by_doc: dict[str, list[Chunk]]) -> dict[str, ValidityFacts]:
    """Validity facts of every policy (and article) document: compute once per build."""
    return {d.doc_id: extract_validity(d, chunks_by_doc.get(d.doc_id, [])) for d in docs
            if d.kind in ("policy", "article")}


def corpus_validity(docs: list[Document], chunks_by_doc: dict[str, list[Chunk]],
                    as_of: date | None = None) -> dict[str, Validity]:
    facts = corpus_facts(docs, chunks_by_doc)
    repealed = link_repeals(facts)
    return {k: validity(f, as_of, repealed.get(k)) for k, f in facts.items()}


def is_current(v: Validity) -> bool:
    """For ``/search?valid_on=``: in force on that date, or its application window is open."""
    return v.status == "in_force" or bool(v.window and v.window.open)


__all__ = ["extract_validity", "validity", "link_repeals", "corpus_facts", "corpus_validity", "is_current",
           "normalise_title", "normalise_number"]
