"""Records of the policy stage: validity facts read from a text, the validity as of a date,
eligibility criteria and support standards, a company profile and the match result.

JSON shapes follow DESIGN.md ("Validity", "Policy matching"). Fields named ``from`` are
``from_`` in Python with the alias ``from``: dump with ``model_dump(mode="json", by_alias=True)``
(FastAPI response models do this by default).
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from answer.policies import taxonomy as tx
from core.records import Citation

Status = Literal["in_force", "expired", "not_yet", "unknown"]
FactKind = Literal[
    "published", "effective_from", "effective_until", "duration", "period", "window", "repeals",
    "repealed_by",
]
CriterionKind = Literal["region", "entity_type", "qualification", "industry", "threshold", "other"]
SupportKind = Literal["ratio", "max_amount", "amount", "other"]
Met = bool | None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Statement(_Frozen):
    """One fact as the document states it: ``text`` is the exact phrase; ``citation`` points at it
    in the clean text (``doc.text[start:end] == text``). ``source`` is ``title`` or ``metadata``
    when the fact comes from the title or the record's date and the text does not contain it
    (then ``citation`` is None)."""

    fact: FactKind
    text: str
    value: str | None = None  # the normalised value (ISO date, "3年", a title or 文号)
    source: Literal["text", "title", "metadata"] = "text"
    citation: Citation | None = None


class Repeal(_Frozen):
    """A document this one repeals (…同时废止), by title and/or 文号."""

    title: str | None = None
    doc_number: str | None = None
    citation: Citation


class WindowFact(_Frozen):
    """An application window as written: a dated range, a yearly one (每年M月D日至M月D日) or
    an open-ended one (常年受理)."""

    start: date | None = None
    end: date | None = None
    yearly: tuple[int, int, int, int] | None = None  # (m1, d1, m2, d2)
    ongoing: bool = False
    label: str | None = None  # 第一批 / 标准化资助 …
    text: str
    citation: Citation


class ValidityFacts(_Frozen):
    """Everything about validity one document states; ``validity()`` turns it into a status."""

    doc_id: str
    title: str
    doc_number: str | None = None
    url: str | None = None
    published: date | None = None
    effective_from: date | None = None
    effective_stated: bool = False  # 自…起施行 found (even when its date is unknown)
    until: date | None = None
    period: tuple[int, int] | None = None  # plan period in years (规划期 / title "（2021—2023年）")
    repeals: list[Repeal] = Field(default_factory=list)
    windows: list[WindowFact] = Field(default_factory=list)
    statements: list[Statement] = Field(default_factory=list)


class RepealedBy(_Frozen):
    doc_id: str
    title: str
    on: date | None = None  # the repealing document's effective (or publication) date
    citation: Citation  # the 废止 sentence in the repealing document


class Window(_Frozen):
    from_: date | None = Field(default=None, alias="from")
    until: date | None = None
    open: bool | None = None
    ongoing: bool = False
    label: str | None = None
    text: str
    citation: Citation


class Validity(_Frozen):
    status: Status
    from_: date | None = Field(default=None, alias="from")
    until: date | None = None
    repeals: list[Repeal] = Field(default_factory=list)
    repealed_by: RepealedBy | None = None
    window: Window | None = None
    evidence: list[Citation] = Field(default_factory=list)
    statements: list[Statement] = Field(default_factory=list)
    as_of: date


class Criterion(_Frozen):
    """One eligibility condition. ``values`` are the normalised terms (regions, entity types,
    qualifications — any one of them suffices — or industries); thresholds carry ``field``,
    ``op``, ``value`` and ``unit`` (money in 万元). ``branch`` names a sub-programme or an
    applicant class (“个人：”, “小微企业：”) — the policy needs one branch to pass; ``conditional``
    marks a rule that applies only in a case the profile does not state (“…的，”)."""

    kind: CriterionKind
    text: str
    citation: Citation
    values: list[str] = Field(default_factory=list)
    field: str | None = None
    op: Literal[">=", ">", "<=", "<", "=="] | None = None
    value: float | None = None
    unit: str | None = None
    branch: str | None = None
    any_of: int | None = None  # lines after “符合下列条件之一：” share a group; one line of it must pass
    conditional: bool = False
    implicit: bool = False  # the issuer's region, when no condition names a region
    line: int | None = None  # index of the condition line it was read from


class Support(_Frozen):
    kind: SupportKind
    text: str
    citation: Citation
    value: float | None = None
    unit: str | None = None  # "%" or "万元"


class ApplicationMaterial(_Frozen):
    name: str
    citation: Citation


class ConditionLine(_Frozen):
    """A line of a 申报条件 section (what "every condition is covered" is measured against)."""

    text: str
    citation: Citation


class Eligibility(_Frozen):
    doc_id: str
    criteria: list[Criterion] = Field(default_factory=list)
    support: list[Support] = Field(default_factory=list)
    materials: list[ApplicationMaterial] = Field(default_factory=list)
    condition_lines: list[ConditionLine] = Field(default_factory=list)


class PolicyAnalysis(_Frozen):
    """What matching needs of one policy, computed once per document (no as_of)."""

    doc_id: str
    title: str
    url: str | None = None
    region: str | None = None
    facts: ValidityFacts
    eligibility: Eligibility


class CompanyProfile(BaseModel):
    """A company (or person) as the user describes it. Unknown attributes stay None; a given
    ``qualifications`` list is taken as complete (a qualification not in it is not held)."""

    model_config = ConfigDict(extra="ignore")

    region: str | None = None
    industry: str | None = None
    entity_type: str | None = None  # 企业法人 | 个体工商户 | 社会组织 | 事业单位 | 个人
    qualifications: list[str] | None = None
    employees: int | None = None
    revenue_10k: float | None = None  # 营业收入, 万元
    founded: date | int | None = None  # date or year
    tax_10k: float | None = None
    rd_ratio: float | None = None  # 研发投入占营业收入比例, %
    investment_10k: float | None = None
    need: str | None = None


def _bad(message: str) -> PydanticCustomError:
    """A validation error whose message is shown as is (no "Value error, " in front)."""
    return PydanticCustomError("bad_profile", message.replace("{", "(").replace("}", ")"))


PROFILE_FACTS = ("region", "industry", "entity_type", "qualifications", "employees", "revenue_10k", "founded",
                 "tax_10k", "rd_ratio", "investment_10k")


class ProfileInput(CompanyProfile):
    """A profile as a user sends it (the API body, the CLI's ``--profile`` file): unknown keys, negative
    figures, an entity type none of :data:`taxonomy.ENTITY_TYPES` names, a founding date in the future
    and a profile that states nothing are refused, each with the field it concerns."""

    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(None, max_length=60, description="注册地, e.g. 示例市临江区")
    industry: str | None = Field(None, max_length=60, description="行业, e.g. 软件和信息技术服务业")
    entity_type: str | None = Field(None, max_length=30, description="企业法人 | 个体工商户 | 社会组织 | 事业单位 | 个人")
    qualifications: list[str] | None = Field(None, max_length=40, description="资质; a list given is taken as complete")
    employees: int | None = Field(None, ge=0, le=10_000_000, description="从业人数")
    revenue_10k: float | None = Field(None, ge=0, le=1e10, description="营业收入, 万元")
    founded: date | int | None = Field(None, description="成立日期 (YYYY-MM-DD) or year")
    tax_10k: float | None = Field(None, ge=0, le=1e10)
    rd_ratio: float | None = Field(None, ge=0, le=100)
    investment_10k: float | None = Field(None, ge=0, le=1e10)
    need: str | None = Field(None, max_length=200, description="what the company is looking for, in words")

    @model_validator(mode="after")
    def _check(self) -> "ProfileInput":
        if self.entity_type and tx.canonical_entity(self.entity_type) is None:
            raise _bad(f"entity_type {self.entity_type!r} names none of {', '.join(tx.ENTITY_TYPES)}")
        for q in self.qualifications or []:
            if not isinstance(q, str) or not q.strip() or len(q) > 40:
                raise _bad("qualifications must be names of 1-40 characters, e.g. 高新技术企业")
        today = date.today()
        if isinstance(self.founded, int) and not 1800 <= self.founded <= today.year:
            raise _bad(f"founded must be a year from 1800 to {today.year} or a date, not {self.founded}")
        if isinstance(self.founded, date) and self.founded > today:
            raise _bad(f"founded {self.founded.isoformat()} is in the future")
        if not any(getattr(self, f) not in (None, "", []) for f in PROFILE_FACTS):
            raise _bad("the profile states nothing: give at least one of " + ", ".join(PROFILE_FACTS))
        return self


class CriterionResult(_Frozen):
    text: str
    kind: CriterionKind
    met: Met
    citation: Citation
    why: str | None = None
    branch: str | None = None
    any_of: int | None = None
    conditional: bool = False
    implicit: bool = False


class PolicyMatch(_Frozen):
    doc_id: str
    title: str
    url: str | None = None
    validity: Validity
    support: list[Support] = Field(default_factory=list)
    window: Window | None = None
    criteria: list[CriterionResult] = Field(default_factory=list)
    fit: float = 0.0  # share of decidable criteria met
    relevance: float | None = None
    score: float = 0.0  # what the list is sorted by, higher is better
    reasons: list[str] = Field(default_factory=list)  # why not eligible


class MatchResult(_Frozen):
    as_of: date
    matches: list[PolicyMatch] = Field(default_factory=list)
    not_eligible: list[PolicyMatch] = Field(default_factory=list)


class MatchPage(MatchResult):
    """What ``/policies/match`` and ``govsearch match`` return: the first ``k`` matches and the first
    ``k`` policies not eligible (with the reasons), and how many there are in all."""

    need: str | None = None
    k: int
    total_matches: int
    total_not_eligible: int
    policies: int = Field(description="policy documents of the index that were matched against")
