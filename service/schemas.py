"""Response models of the HTTP API (so the OpenAPI schema at /openapi.json is exact)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from answer.policies.records import Validity
from core.records import Chunk, Citation, Document, Hit


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str = ""


class ErrorResponse(BaseModel):
    detail: str = Field(description="what went wrong and what to do next")
    errors: list[FieldError] | None = Field(None, description="for invalid parameters: one entry per field")


ERRORS = {422: {"model": ErrorResponse, "description": "invalid parameter (the message says which and why)"},
          503: {"model": ErrorResponse, "description": "no index loaded (the message names the commands to run), "
                                                       "or overloaded (retry after the Retry-After header)"}}
NOT_FOUND = {404: {"model": ErrorResponse, "description": "no such document"}}
ADMIN_ERRORS = {
    401: {"model": ErrorResponse, "description": "missing or wrong API key (X-API-Key or Authorization: Bearer)"},
    403: {"model": ErrorResponse, "description": "admin endpoints disabled: no GOVSEARCH_API_KEY configured"}}
RELOAD_ERRORS = {
    409: {"model": ErrorResponse, "description": "another reload is running; retry when it has finished"},
    422: {"model": ErrorResponse, "description": "`build` is not an allowed folder, or its index cannot be loaded "
                                                 "(missing, half-written, corrupt, stale, or too slow to load); the "
                                                 "previous index keeps serving"}}


class SearchResponse(BaseModel):
    query: str
    mode: str = Field(description="the retrieval mode used (hybrid falls back to bm25 on an index without vectors)")
    hits: list[Hit]
    took_ms: float
    no_good_match: bool = Field(False, description="nothing matches well: the best hit's confidence is below the "
                                                   "index's calibrated threshold (false when the index has no "
                                                   "confidence model)")


class ItemRef(BaseModel):
    doc_id: str
    title: str
    department: str | None = None
    url: str | None = None
    kind: str
    region: str | None = None


class MaterialOut(BaseModel):
    name: str
    copies: str | None = None
    original_or_copy: str | None = None
    required: bool | None = None
    condition: str | None = None
    citations: list[Citation] = Field(description="the 申请材料 passage(s) naming this material, one per source item")
    sources: list[str] = Field(description="doc ids of the item(s) that list this material")
    source_titles: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list, description="the spellings merged into this entry")


class ChecklistMaterial(MaterialOut):
    """A material of the applicant's checklist: never dropped, marked whether it applies to them."""

    applies: bool | None = Field(description="true: needed (always, or every question it depends on is answered "
                                             "its way); false: an answer excluded it (see excluded_by); null: it "
                                             "depends on a question not answered yet (see pending)")
    when: list[str] = Field(description="condition ids (situation:option) under which it applies; ids of one "
                                        "situation are alternatives, different situations must all hold; "
                                        "empty: it always applies")
    when_all: list[list[str]] = Field(description="the same ids grouped exactly: every group must hold, each by "
                                                  "any one of its ids (a group spans two situations only for an "
                                                  "either-case such as （换发、加注）)")
    excluded_by: list[str] = Field(description="the answers (situation:option) that excluded it")
    pending: list[str] = Field(description="the situations (ids) it waits on")
    one_of: list[str] | None = Field(None, description="documents of which any one will do (居民身份证或户口簿)")


class SituationOptionOut(BaseModel):
    id: str
    label: str


class SituationEvidence(BaseModel):
    material: str = Field(description="the material whose condition raised the question")
    text: str = Field(description="the wording the condition was read from")
    source: str | None = Field(None, description="the item (doc id) it was read in")


class SituationOut(BaseModel):
    """One question of 情形引导: which situation the applicant is in decides which materials apply."""

    id: str = Field(description="the id to answer with: situation=ID:OPTION")
    question: str
    dimension: str = Field(description="what it asks about: agent, identity, household, entity, reason, endorse, "
                                       "lost, commitment, age, place, cause, variant, generic or route")
    options: list[SituationOptionOut]
    affects: list[str] = Field(description="names of the materials this question decides")
    evidence: list[SituationEvidence] = Field(description="where the conditions were read (up to 12)")
    citation: Citation | None = Field(description="the passage the question was read from (a material's span, "
                                                  "the route in 情形引导, else the 申请材料 section)")
    or_with: dict[str, list[str]] = Field(description="material name → condition ids of other situations that "
                                                      "also make it apply")
    answer: str | None = Field(description="the option in force: from the request, else read from the question")
    answered_from: Literal["request", "question"] | None = Field(description="where the answer came from")


class Understood(BaseModel):
    """A situation the question states (我是个体户 → entity: individual)."""

    situation: str
    question: str
    option: str
    label: str
    phrase: str = Field(description="the words of the question it was read from")
    overridden: bool = Field(description="the request's situation= answered this question otherwise")


class TimeLimit(BaseModel):
    legal: str | None = None
    promised: str | None = None


class MemberOut(ItemRef):
    time_limit: TimeLimit | None = None
    phone: str | None = None
    location: str | None = None
    field_citations: dict[str, Citation] = Field(default_factory=dict)


class Evidence(BaseModel):
    title_coverage: float
    text_coverage: float
    title_precision: float
    agreement: int
    material_hit: bool
    evidence: float


class AnswerResponse(BaseModel):
    query: str
    item: ItemRef | None = Field(description="the chosen service item or bundle; null when none fits well enough")
    reason: str
    question: str | None = Field(None, description="when item is null: the alternatives as a question "
                                                   "(您要办理的是“A”、“B”还是“C”？)")
    confidence: float | None = Field(None, description="how likely the best candidate is the item meant, in [0, 1] "
                                                       "(the item is answered at or above the model's threshold)")
    materials: list[ChecklistMaterial] = Field(description="every material of the item, each marked whether it "
                                                           "applies to the applicant's situation (none is dropped)")
    situations: list[SituationOut] = Field(description="questions about the applicant's situation that decide "
                                                       "which materials apply (情形引导)")
    understood: list[Understood] = Field(description="situations read from the question itself")
    time_limit: TimeLimit | None = None
    phone: str | None = None
    location: str | None = None
    fee: str | None = None
    conditions: str | None = None
    field_citations: dict[str, Citation] = Field(default_factory=dict,
                                                 description="citation of time_limit / phone / location / fee / conditions")
    members: list[MemberOut] = Field(default_factory=list, description="member items of a bundle")
    citations: list[Hit] = Field(description="every passage cited above")
    alternatives: list[Hit]
    terms: list[str] = Field(default_factory=list, description="the query's content terms")
    evidence: Evidence | None = None
    notes: list[str] = Field(default_factory=list)


class ItemResponse(BaseModel):
    doc_id: str
    title: str
    kind: str
    source: str
    department: str | None = None
    region: str | None = None
    url: str | None = None
    date: str | None = None
    fields: dict[str, Any] = Field(description="structured fields (materials are listed, cited, under `materials`)")
    materials: list[MaterialOut]
    time_limit: TimeLimit | None = None
    phone: str | None = None
    location: str | None = None
    fee: str | None = None
    conditions: str | None = None
    field_citations: dict[str, Citation] = Field(default_factory=dict)
    members: list[ItemRef] = Field(default_factory=list)


class DocResponse(BaseModel):
    document: Document
    chunks: list[Chunk]
    requested_id: str | None = Field(None, description="the id asked for, when it is a duplicate ingestion "
                                                       "dropped and `document` is the copy kept")
    validity: Validity | None = Field(None, description="policies and articles: in force or not as of `as_of`, "
                                                        "each statement cited; null for other kinds")


class HealthResponse(BaseModel):
    status: str = Field(description="ok, or unavailable when the index could not be loaded")
    index: str | None = None
    build: str
    documents: int | None = None
    chunks: int | None = None
    encoder: str | None = None
    backend: str | None = None
    built_at: str | None = None
    loaded_at: str | None = Field(None, description="when this index was loaded (ISO 8601, UTC)")
    corpus_version: int | None = Field(None, description="the build's corpus version (from ingest's report.json)")
    corpus_hash: str | None = Field(None, description="sha1 of the build's docs.jsonl + chunks.jsonl")
    kinds: dict[str, int] | None = Field(None, description="documents per kind in the index (the page offers only these)")
    detail: str | None = None


class ReloadAttempt(BaseModel):
    at: str = Field(description="when the reload finished (ISO 8601, UTC)")
    build: str
    ok: bool
    took_ms: float
    error: str | None = None


class IndexRef(BaseModel):
    index: str | None = None
    build: str
    loaded_at: str | None = None
    corpus_version: int | None = None
    corpus_hash: str | None = None


class ReloadResponse(BaseModel):
    status: str = Field(description="reloaded")
    index: str
    build: str
    documents: int
    chunks: int
    encoder: str
    backend: str | None = None
    built_at: str | None = None
    loaded_at: str
    corpus_version: int | None = None
    corpus_hash: str
    took_ms: float = Field(description="time to load (and warm up) the new index; the old one served meanwhile")
    reload_count: int
    previous: IndexRef | None = Field(None, description="the index served before the swap (null if none was)")


class AdminStatus(BaseModel):
    status: str = Field(description="ok, or unavailable when no index is loaded")
    index: str | None = None
    build: str = Field(description="the build folder being served (or that failed to load at startup)")
    configured_build: str = Field(description="GOVSEARCH_BUILD; reloads may target it or a folder beside it")
    allowed_root: str = Field(description="the folder whose direct subfolders `POST /admin/reload?build=` accepts")
    documents: int | None = None
    chunks: int | None = None
    encoder: str | None = None
    built_at: str | None = None
    loaded_at: str | None = None
    corpus_version: int | None = None
    corpus_hash: str | None = None
    reload_count: int = Field(description="successful reloads since the service started")
    reload_failures: int = Field(description="failed reloads since the service started")
    reloading: bool = Field(description="a reload is running right now")
    last_reload: ReloadAttempt | None = None
    last_reload_error: str | None = Field(None, description="why the latest reload failed; null once one succeeds")
    detail: str | None = None
    backend: str | None = None
    limits: dict[str, Any] | None = Field(None, description="per request kind: slots, waiting, refused")
    query_cache: dict[str, Any] | None = Field(None, description="prepared-query cache: size, hits, misses, encodes")
    answer_workers: list[int] | None = Field(None, description="process ids of the answer worker processes "
                                                               "(GOVSEARCH_ANSWER_PROCESSES); null: answers run in threads")
