"""Answers computed in worker processes of their own (opt-in: ``GOVSEARCH_ANSWER_PROCESSES=N``).

An answer is ~100 ms of pure-Python work; in the server's process it holds the GIL that every BM25
search and the event loop also need, so cheap requests wait behind expensive ones even with their own
admission slots (:mod:`service.limits`). With ``answer_processes`` > 0, ``/answer`` runs in a pool of
that many processes, each with its own copy of the index (loaded when the pool starts: memory grows by
about one index per process), and the server's own threads serve everything else.

A pool belongs to one loaded index: a reload starts the new index's pool (and waits until its workers
have loaded it) before the swap, and the old pool finishes the answers it is running, then exits.
Processes are started with ``spawn`` (a forked copy of a process whose encoder has started OpenMP
threads can hang). A worker that dies (killed, out of memory) breaks the pool: the next answer starts a
fresh pool and is retried once; if that fails too the client gets 503 with Retry-After.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from core.errors import Overloaded

log = logging.getLogger("govsearch.service")

_ENGINE = None  # the index of this worker process


def _init(build: str, settings_json: str, encoder: str | None) -> None:
    global _ENGINE
    from answer.policies.service import attach
    from core.settings import Settings
    from index import open_index

    # what service.state.load_index does: the policies' validity computed while loading
    _ENGINE = attach(open_index(Path(build), Settings.model_validate_json(settings_json), encoder=encoder), warm=True)


def _ready() -> bool:
    return _ENGINE is not None


def _answer(query: str, situation: str | None = None) -> dict:
    from answer.item import answer

    return answer(_ENGINE, query, situation)


class AnswerPool:
    """``processes`` worker processes answering over the index of ``build``."""

    def __init__(self, processes: int, build: Path, settings, encoder: str | None = None):
        self.processes = int(processes)
        self._args = (str(build), settings.model_dump_json(), encoder)
        self._lock = threading.Lock()
        self._closed = False
        self.restarts = 0
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.processes, mp_context=mp.get_context("spawn"), initializer=_init,
                                   initargs=self._args)

    def _renew(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self.executor is broken and not self._closed:
                log.warning("an answer worker died; starting a fresh pool of %d", self.processes)
                broken.shutdown(wait=False, cancel_futures=True)
                self.executor = self._new()
                self.restarts += 1

    def start(self, timeout: float | None = None) -> None:
        """Start every worker and wait until each has loaded the index (blocking: call it off the loop)."""
        futures = [self.executor.submit(_ready) for _ in range(self.processes * 2)]
        for f in futures:
            if not f.result(timeout=timeout):
                raise RuntimeError("an answer worker did not load the index")

    def pids(self) -> list[int]:
        """The worker processes' ids (for /admin/status)."""
        return sorted(p.pid for p in (getattr(self.executor, "_processes", None) or {}).values())

    async def answer(self, query: str, situation: str | None = None) -> dict:
        loop = asyncio.get_running_loop()
        for _ in range(2):
            executor = self.executor
            try:
                return await loop.run_in_executor(executor, _answer, query, situation)
            except BrokenProcessPool:
                self._renew(executor)
        raise Overloaded("the answer worker processes stopped and could not be started again", retry_after=5,
                         hint="retry in a few seconds; see the server log (memory?)")

    def close(self, wait: bool = False) -> None:
        """Let the running answers finish, then let the workers exit; returns at once unless ``wait``."""
        with self._lock:
            self._closed = True
        self.executor.shutdown(wait=wait, cancel_futures=False)
