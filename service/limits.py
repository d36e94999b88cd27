"""Admission per request kind, so requests of one kind cannot starve another.

Each kind (``bm25`` searches, ``dense`` searches that need the encoder, ``answer`` requests) has its own
number of slots; a request waits (in the event loop, holding no worker thread) for a slot of its kind
at most ``queue_timeout`` seconds and is then refused with 503 and ``Retry-After`` instead of waiting
without end. The work itself runs in a worker thread, outside the event loop.
"""
from __future__ import annotations

import asyncio
import math
from contextlib import asynccontextmanager

from core.errors import Overloaded
from core.settings import Settings

KINDS = ("bm25", "dense", "answer")


class Limits:
    def __init__(self, settings: Settings):
        self.sizes = {"bm25": settings.limit_bm25, "dense": settings.limit_dense, "answer": settings.limit_answer}
        self.timeout = float(settings.queue_timeout)
        self._sems: dict[str, asyncio.Semaphore] = {}
        self.waiting = {k: 0 for k in KINDS}
        self.refused = {k: 0 for k in KINDS}

    def _sem(self, kind: str) -> asyncio.Semaphore:
        sem = self._sems.get(kind)
        if sem is None:  # created on first use, inside the running loop
            sem = self._sems[kind] = asyncio.Semaphore(max(1, int(self.sizes[kind])))
        return sem

    @asynccontextmanager
    async def slot(self, kind: str):
        sem = self._sem(kind)
        self.waiting[kind] += 1
        try:
            await asyncio.wait_for(sem.acquire(), timeout=self.timeout)
        except asyncio.TimeoutError:
            self.refused[kind] += 1
            raise Overloaded(f"too many {kind} requests are running; waited {self.timeout:g} s for a turn",
                             retry_after=max(1, math.ceil(self.timeout / 2)),
                             hint="retry after the number of seconds in the Retry-After header") from None
        finally:
            self.waiting[kind] -= 1
        try:
            yield
        finally:
            sem.release()

    def stats(self) -> dict:
        return {k: {"slots": self.sizes[k], "waiting": self.waiting[k], "refused": self.refused[k]} for k in KINDS}
