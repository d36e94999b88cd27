"""GET /answer: "what materials do I need for X" — the item, its materials and facts, each cited, fitted to the
applicant's situation (stated in the question, or answered with ``situation=ID:OPTION,…``)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from answer.item import answer
from service.deps import LimitsDep, LoadedDep
from service.schemas import ERRORS, AnswerResponse

router = APIRouter(tags=["answer"])


@router.get("/answer", response_model=AnswerResponse, responses=ERRORS)
async def answer_(loaded: LoadedDep, limits: LimitsDep,
                  q: Annotated[str, Query(description="a question like 开餐馆需要什么材料")],
                  situation: Annotated[str | None, Query(
                      max_length=1000,
                      description="answers to the item's situations: ID:OPTION[,ID:OPTION] with the ids of "
                                  "`situations` (they win over what the question says); an unknown id → 422")] = None):
    async with limits.slot("answer"):
        if loaded.answers is not None:  # worker processes of their own (GOVSEARCH_ANSWER_PROCESSES)
            return await loaded.answers.answer(q, situation)
        return await run_in_threadpool(answer, loaded.index, q, situation)
