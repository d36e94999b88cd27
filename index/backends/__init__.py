"""Search backends behind one interface (:class:`index.engine.Engine`): ``open_index(build, settings)``
opens the backend the index manifest names — ``local`` (in-process files) or ``milvus`` (a Milvus
server or milvus-lite) — and every backend returns the same hits, per-channel scores and ranks included."""
from __future__ import annotations

from pathlib import Path

from core.errors import IndexCorrupt
from core.settings import Settings
from index import store

BACKENDS = ("local", "milvus")


def open_index(build_dir: Path | str, settings: Settings | None = None, encoder: str | None = None):
    """The loaded index of a build folder, by the backend its manifest records."""
    settings = settings or Settings()
    manifest = store.read_manifest(Path(build_dir))
    backend = manifest.get("backend", "local")
    if backend == "local":
        from index.backends.local import LocalBackend

        return LocalBackend.load(Path(build_dir), settings, encoder=encoder)
    if backend == "milvus":
        from index.backends.milvus import MilvusBackend

        return MilvusBackend.load(Path(build_dir), settings, encoder=encoder)
    raise IndexCorrupt(f"the index in {build_dir} names an unknown backend {backend!r}",
                       hint=f"backends: {', '.join(BACKENDS)}")
