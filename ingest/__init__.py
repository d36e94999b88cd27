"""The ingest stage: source adapters → clean → dedup → chunk → a build folder.

Public API: :func:`run_ingest` (the CLI's ``govsearch ingest``), :func:`ingest.clean.clean`,
:func:`ingest.chunk.chunk`. See :mod:`ingest.pipeline` for the report's accounting.
"""
from __future__ import annotations


def run_ingest(data_dir=None, out_dir="build/demo", max_chars: int = 400, snapshot=None, incremental: bool = True,
               paths=None, kind: str | None = None) -> dict:
    """See :func:`ingest.pipeline.run_ingest`. ``paths``: one's own files and folders
    (:mod:`ingest.files`); ``kind``: their kind instead of the detected one."""
    from ingest.pipeline import run_ingest as _run

    return _run(data_dir, out_dir, max_chars=max_chars, snapshot=snapshot, incremental=incremental,
                paths=paths, kind=kind)


__all__ = ["run_ingest"]
