"""Matching a company profile against policies.

``match(profile, policies, as_of)`` marks every criterion ``met: true | false | null`` (null: the
profile does not say) and splits the policies: a policy is a match when no unconditional
criterion fails, at least one of its branches (“个人：” / “小微企业：”) passes where the branches are
the only way in, and it is not expired or not yet in force on ``as_of``. The others are
``not_eligible`` with the reasons. Policies without any criterion are not listed (nothing to
match). Matches are ranked by fit (the share of decidable criteria met) and, when the caller
passes ``relevance`` (doc_id → score from retrieval over the profile's ``need``), by relevance.
"""
from __future__ import annotations

from datetime import date

from answer.policies import taxonomy as tx
from answer.policies.eligibility import extract_eligibility
from answer.policies.records import (
    CompanyProfile, Criterion, CriterionResult, MatchResult, PolicyAnalysis, PolicyMatch, RepealedBy,
)
from answer.policies.validity import extract_validity, validity
from core.records import Chunk, Document

_PROFILE_FIELDS = {"revenue_10k", "tax_10k", "employees", "rd_ratio", "investment_10k"}
_RELEVANCE_WEIGHT = 0.5


def analyse_policy(doc: Document, chunks: list[Chunk]) -> PolicyAnalysis:
    """Validity facts and eligibility of one document (independent of any date or profile)."""
    return PolicyAnalysis(doc_id=doc.doc_id, title=doc.title, url=doc.url, region=doc.region,
                          facts=extract_validity(doc, chunks), eligibility=extract_eligibility(doc, chunks))


def analyse_policies(docs: list[Document], chunks_by_doc: dict[str, list[Chunk]]) -> list[PolicyAnalysis]:
    return [analyse_policy(d, chunks_by_doc.get(d.doc_id, [])) for d in docs if d.kind in ("policy", "article")]


def _founded_years(founded: date | int | None, as_of: date) -> float | None:
    if founded is None:
        return None
    if isinstance(founded, int):
        return float(as_of.year - founded)
    return round((as_of - founded).days / 365.25, 2)


def _compare(x: float, op: str, v: float) -> bool:
    return {">=": x >= v, ">": x > v, "<=": x <= v, "<": x < v, "==": x == v}[op]


def _holds(profile: CompanyProfile, qual: str, quals: set[str] | None) -> bool | None:
    """Does the profile hold a qualification? A given list is complete; sizes are inferred from
    employees / revenue / industry when the list does not state one."""
    if qual in tx.SIZE_QUALS:
        stated = (quals or set()) & tx.SIZE_QUALS
        if stated:
            if qual in stated:
                return True
            if "小微企业" in stated or "大型企业" in stated:
                return tx.size_qualifies(qual, "小型" if "小微企业" in stated else "大型")
            return None if qual == "小微企业" else qual != "大型企业"  # 中小(微)企业 stated
        return tx.size_qualifies(qual, tx.size_classes(profile.industry, profile.employees, profile.revenue_10k))
    if quals is not None and qual in quals:
        return True
    if qual == "规上企业" and profile.revenue_10k is not None and profile.revenue_10k < 2000:
        return False
    if quals is None:
        return None
    return False


def evaluate(c: Criterion, profile: CompanyProfile, as_of: date) -> tuple[bool | None, str | None]:
    """(met, why) of one criterion for a profile."""
    if c.kind == "region":
        met = tx.region_covers(profile.region, c.values[0] if c.values else None)
        return met, None if met is None else f"注册地 {profile.region}"
    if c.kind == "entity_type":
        met = tx.entity_admits(profile.entity_type, c.values)
        return met, None if met is None else f"主体类型 {profile.entity_type}"
    if c.kind == "industry":
        met = tx.industry_in(profile.industry, c.values)
        return met, None if met is None else f"行业 {profile.industry}"
    if c.kind == "qualification":
        quals = tx.canonical_qualifications(profile.qualifications)
        verdicts = [_holds(profile, q, quals) for q in c.values]
        met = True if True in verdicts else (None if None in verdicts else False)
        held = sorted(quals) if quals else []
        return met, None if met is None else f"资质 {'、'.join(held) or '无'}"
    if c.kind == "threshold" and c.field and c.op and c.value is not None and not c.conditional:
        if c.field == "years_founded":
            x = _founded_years(profile.founded, as_of)
        elif c.field in _PROFILE_FIELDS:
            x = getattr(profile, c.field)
        else:
            x = None
        if x is None:
            return None, None
        return _compare(float(x), c.op, c.value), f"{c.field} = {x}"
    return None, None


def _decidable(c: Criterion) -> bool:
    """A criterion a profile can meet or fail (a policy with none of them is not matched at all)."""
    if c.implicit or c.conditional:
        return False
    return c.kind in ("region", "entity_type", "qualification", "industry") or (c.kind == "threshold" and bool(c.field))


def _decide(criteria: list[Criterion], results: list[CriterionResult]) -> tuple[bool, list[str]]:
    reasons = [f"不符合：{r.text}（{r.why}）" if r.why else f"不符合：{r.text}"
               for c, r in zip(criteria, results)
               if r.met is False and not c.branch and not c.conditional and c.any_of is None]
    groups: dict[int, dict[int, list[bool | None]]] = {}
    for c, r in zip(criteria, results):
        if c.any_of is not None and not c.branch and not c.conditional:
            groups.setdefault(c.any_of, {}).setdefault(c.line, []).append(r.met)
    for lines in groups.values():
        if lines and all(False in mets for mets in lines.values()):
            reasons.append("不符合下列条件中的任何一项：" + "；".join(
                r.text for c, r in zip(criteria, results) if c.line in lines and r.met is False))
    branches: dict[str, list[bool | None]] = {}
    for c, r in zip(criteria, results):
        if c.branch:
            branches.setdefault(c.branch, []).append(r.met)
    if branches and not reasons:
        main_path = any(not c.branch and not c.conditional and not c.implicit
                        and c.kind in ("entity_type", "industry", "qualification") for c in criteria)
        passing = [b for b, mets in branches.items() if False not in mets]
        if not passing and not main_path:
            reasons.append("不符合任一类申请对象：" + "、".join(branches))
    return not reasons, reasons


def _rank(matches: list[PolicyMatch], relevance: dict[str, float] | None) -> list[PolicyMatch]:
    """Sort by fit, blended with relevance min-max normalised over the policies listed (0 when a
    policy has no relevance score); in force and an open window break ties."""
    vals = [relevance[m.doc_id] for m in matches if relevance and m.doc_id in relevance]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    span = (hi - lo) or 1.0
    out = []
    for m in matches:
        score, rel = m.fit, None
        if relevance:
            raw = relevance.get(m.doc_id)
            rel = round((raw - lo) / span, 4) if raw is not None else 0.0
            score = _RELEVANCE_WEIGHT * rel + (1 - _RELEVANCE_WEIGHT) * m.fit
        bonus = 0.05 if m.validity.status == "in_force" else 0.0
        bonus += 0.05 if m.window and m.window.open else 0.0
        out.append(m.model_copy(update={"score": round(score + bonus, 4), "relevance": rel}))
    return sorted(out, key=lambda m: (-m.score, m.doc_id))


def match(profile: CompanyProfile | dict, policies: list[PolicyAnalysis], as_of: date | None = None, *,
          repealed_by: dict[str, RepealedBy] | None = None, relevance: dict[str, float] | None = None) -> MatchResult:
    """Which of ``policies`` the profile qualifies for on ``as_of`` (default today)."""
    if not isinstance(profile, CompanyProfile):
        profile = CompanyProfile.model_validate(profile)
    as_of = as_of or date.today()
    repealed_by = repealed_by or {}
    matches, rejected = [], []
    for p in policies:
        criteria = p.eligibility.criteria
        if not any(_decidable(c) for c in criteria):
            continue
        results = []
        for c in criteria:
            met, why = evaluate(c, profile, as_of)
            results.append(CriterionResult(text=c.text, kind=c.kind, met=met, citation=c.citation, why=why,
                                           branch=c.branch, any_of=c.any_of, conditional=c.conditional,
                                           implicit=c.implicit))
        ok, reasons = _decide(criteria, results)
        v = validity(p.facts, as_of, repealed_by.get(p.doc_id))
        if v.status == "expired":
            reasons.append(f"已失效（{v.until or (v.repealed_by and v.repealed_by.on)}）")
        elif v.status == "not_yet":
            reasons.append(f"尚未施行（{v.from_}）")
        decidable = [r for c, r in zip(criteria, results) if r.met is not None and not c.branch]
        branch_ok = [r for c, r in zip(criteria, results) if c.branch and r.met is True]
        met_true = sum(r.met is True for r in decidable) + len(branch_ok)
        n = len([c for c in criteria if not c.conditional]) or 1
        fit = round(met_true / n, 4)
        pm = PolicyMatch(doc_id=p.doc_id, title=p.title, url=p.url, validity=v, support=p.eligibility.support,
                         window=v.window, criteria=results, fit=fit, reasons=reasons)
        (matches if not reasons else rejected).append(pm)
    return MatchResult(as_of=as_of, matches=_rank(matches, relevance),
                       not_eligible=sorted(rejected, key=lambda m: m.doc_id))
