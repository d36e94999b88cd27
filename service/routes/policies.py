"""POST /policies/match: the policies a company qualifies for, each criterion marked met / unmet / unknown
and cited; GET /policies/vocabulary: the terms a profile is written in (for forms)."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from answer.policies import taxonomy as tx
from answer.policies.records import MatchPage, ProfileInput
from answer.policies.service import MAX_K, match_policies
from service.deps import IndexDep, LimitsDep
from service.schemas import ERRORS

router = APIRouter(tags=["policies"])


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: ProfileInput
    need: str | None = Field(None, max_length=200, description="what the company looks for, e.g. 研发费用补贴; "
                                                              "ranks the matches by relevance to it too")
    as_of: date | None = Field(None, description="the date eligibility and validity are judged on (default today)")
    k: int = Field(10, ge=1, le=MAX_K, description="how many matches (and how many not eligible) to return")


class Vocabulary(BaseModel):
    entity_types: list[str]
    qualifications: list[str]
    industries: list[str]


@router.post("/policies/match", response_model=MatchPage, responses=ERRORS)
async def match_(idx: IndexDep, limits: LimitsDep, body: MatchRequest):
    async with limits.slot("answer"):
        return await run_in_threadpool(match_policies, idx, body.profile, need=body.need, as_of=body.as_of, k=body.k)


@router.get("/policies/vocabulary", response_model=Vocabulary)
def vocabulary():
    return Vocabulary(entity_types=list(tx.ENTITY_TYPES), qualifications=[q for q, _ in tx.QUALIFICATIONS],
                      industries=[i for i, _ in tx.INDUSTRIES])
