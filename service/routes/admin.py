"""Admin endpoints, behind the API key ``GOVSEARCH_API_KEY`` (header ``X-API-Key: KEY`` or
``Authorization: Bearer KEY``; without a configured key they are disabled: 403; a missing or wrong key: 401).

- ``POST /admin/reload[?build=NAME]`` swaps in a freshly loaded index without a restart. Without ``build``
  it reloads the build being served; ``build`` may name the configured build or a folder directly beside
  it (symlinks resolved, and nothing it loads may resolve outside it); anything else → 422. The new index
  loads in a thread of its own while the old one keeps serving; a build that cannot be loaded → 422 and
  the previous index keeps serving; a load that takes longer than ``reload_timeout`` is abandoned (422).
  One reload at a time: a second one while one runs → 409.
- ``GET /admin/status``: the index served, reload count, failures, the last attempt and error, and the
  admission queues per request kind.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from core.errors import GovsearchError
from service.deps import AdminDep, LimitsDep, StateDep
from service.schemas import ADMIN_ERRORS, RELOAD_ERRORS, AdminStatus, IndexRef, ReloadAttempt, ReloadResponse
from service.state import close_answers, confined, detail, load_index, now, run_in_thread

log = logging.getLogger("govsearch.service")
router = APIRouter(tags=["admin"], dependencies=[AdminDep], responses=ADMIN_ERRORS)


def reload_target(state, build: str | None) -> Path:
    """The build folder a reload loads: the one served, or ``build`` if it is the configured build or a
    folder directly beside it (after resolving ``..`` and symlinks) whose files all resolve inside it."""
    if build is None:
        return state.build
    root = state.allowed_root()
    name = build.strip()
    try:
        if not name or "\x00" in name:
            raise ValueError("empty or NUL")
        p = Path(name)
        target = (root / p if len(p.parts) == 1 and not p.is_absolute() else p).resolve()
    except (ValueError, OSError, RuntimeError):
        target = None
    if target is None or target.parent != root or target.name.startswith(".") or not confined(target, root):
        raise HTTPException(422, detail=f"build {build!r} is not allowed: give the configured build "
                                        f"({Path(state.settings.build).name}) or the name of a folder beside it "
                                        f"in {root} whose files stay inside it")
    return target


def _discard(fut: asyncio.Future) -> None:
    if not fut.cancelled() and fut.exception() is None:
        close_answers(fut.result())


@router.post("/admin/reload", response_model=ReloadResponse, responses=RELOAD_ERRORS)
async def reload(state: StateDep, build: Annotated[str | None, Query(
        max_length=1024, description="the configured build or the name of a folder beside it; "
                                     "default: the build being served")] = None):
    """Load a build's index in a thread of its own and swap it in; the old index serves meanwhile."""
    target = reload_target(state, build)
    if state.reload_lock.locked():
        raise HTTPException(409, detail="a reload is already running; retry when it has finished "
                                        "(see GET /admin/status)")
    async with state.reload_lock:  # acquired without waiting: checked just above, no await between
        previous = state.current
        t0 = time.perf_counter()
        timeout = float(state.settings.reload_timeout)
        try:
            fut = run_in_thread(load_index, target, state.settings, state.encoder_spec, previous, True)
            loaded = await asyncio.wait_for(fut, timeout=timeout)
        except Exception as e:  # noqa: BLE001 - any failure leaves the previous index serving
            took = round((time.perf_counter() - t0) * 1000, 3)
            fut.add_done_callback(_discard)  # an abandoned load that finishes later is never served
            if isinstance(e, asyncio.TimeoutError):
                why = (f"the load did not finish within {timeout:g} s (GOVSEARCH_RELOAD_TIMEOUT) and was abandoned; "
                       "is a file of the build on a stuck file system, or not a regular file?")
            elif isinstance(e, GovsearchError):
                why = detail(e)
            else:
                why = f"{type(e).__name__}: {e}"
                log.exception("reload of %s failed", target)
            state.reload_failures += 1
            state.last_reload = ReloadAttempt(at=now(), build=str(target), ok=False, took_ms=took, error=why)
            serving = (f"still serving index {previous.index.name} from {previous.build.name} "
                       f"(loaded at {previous.loaded_at})") if previous else "no index is served"
            log.warning("reload of %s failed (%s); %s", target, why, serving)
            raise HTTPException(422, detail=f"reload failed, {serving}: cannot load the index in {target}: {why}")
        state.current = loaded  # the swap: one assignment; requests already running keep the old index
        close_answers(previous)  # its answer workers (if any) finish what they run, then exit
        if previous is not None and previous.index is not loaded.index:
            previous.index.retire(loaded.index)  # e.g. drop a replaced Milvus collection once it is idle
        state.build, state.error = target, None
        state.reload_count += 1
        took = round((time.perf_counter() - t0) * 1000, 3)
        state.last_reload = ReloadAttempt(at=now(), build=str(target), ok=True, took_ms=took)
        info = loaded.info()
        log.info("reloaded index %s from %s in %.0f ms", info["index"], target, took)
        prev = None
        if previous is not None:
            p = previous.info()
            prev = IndexRef(**{k: p[k] for k in IndexRef.model_fields})
        return ReloadResponse(status="reloaded", **info, took_ms=took, reload_count=state.reload_count,
                              previous=prev)


@router.get("/admin/status", response_model=AdminStatus)
def admin_status(state: StateDep, limits: LimitsDep):
    """The index served, when it was loaded, how reloads went, and the admission queues."""
    cur = state.current
    info = cur.info() if cur is not None else {"build": state.build.name}
    info["build"] = str(state.build)
    last = state.last_reload
    return AdminStatus(status="ok" if cur is not None else "unavailable", **info,
                       configured_build=str(state.settings.build), allowed_root=str(state.allowed_root()),
                       reload_count=state.reload_count, reload_failures=state.reload_failures,
                       reloading=state.reload_lock.locked(), last_reload=last,
                       last_reload_error=last.error if last is not None and not last.ok else None,
                       detail=None if cur is not None else f"{state.error}; {state.no_index_hint()}",
                       limits=limits.stats(),
                       query_cache=cur.index.preparer.stats() if cur is not None else None,
                       answer_workers=cur.answers.pids() if cur is not None and cur.answers is not None else None)
