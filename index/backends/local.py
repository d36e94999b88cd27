"""The in-process backend: everything in this process's memory, read from the index version folder.

Loading checks the manifest against the folder (sizes and sha1s of every file, the corpus hash of the
documents and chunks it holds, the dictionary, the row counts) and fails loudly on any mismatch.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import IndexCorrupt
from core.query import Query
from core.settings import Settings
from index import store
from index.backends.folder import read_version
from index.channels import bm25 as bm25_mod
from index.channels.dense import DenseChannel, faiss_module
from index.docstore import DocStore
from index.engine import Engine
from index.passages import WINDOWS
from index.prepare import PreparedQuery, QueryPreparer
from index.rerank import open_reranker
from index.retrieve import ChannelResult


class LocalBackend(Engine):
    backend = "local"

    def __init__(self, build_dir, manifest, store_: DocStore, preparer: QueryPreparer, settings: Settings,
                 bm25: bm25_mod.Bm25Channel, dense: DenseChannel | None = None, reranker=None):
        super().__init__(build_dir, manifest, store_, preparer, settings, reranker)
        self.bm25 = bm25
        self.dense = dense

    @property
    def has_dense(self) -> bool:
        return self.dense is not None

    def word_weights(self, words: list[str]) -> list[float]:
        return [self.bm25.idf_mass([w]) for w in words]

    def channels(self, pq: PreparedQuery, query: Query, pool: int) -> dict[str, ChannelResult]:
        mask = self.mask(query)
        out: dict[str, ChannelResult] = {}
        if query.mode in ("bm25", "hybrid"):
            rows, s = self.bm25.top(list(pq.bm25_tokens), pool, mask)
            out["bm25"] = ChannelResult("bm25", rows, {r: float(s[r]) for r in rows},
                                        lambda rr, s=s: {r: float(s[r]) for r in rr},
                                        norm=self.bm25.idf_mass(list(pq.bm25_tokens)))
        if query.mode in ("dense", "hybrid") and self.dense is not None:
            qv = pq.vector
            rows, sc = self.dense.top(qv, pool, mask)

            def more(rr, qv=qv):
                rr = list(rr)
                return {int(r): float(v) for r, v in zip(rr, self.dense.scores(qv, np.asarray(rr, dtype=np.int64)))}

            out["dense"] = ChannelResult("dense", rows, sc, more)
        return out

    @classmethod
    def load(cls, build_dir: Path, settings: Settings | None = None, encoder: str | None = None) -> "LocalBackend":
        settings = settings or Settings()
        build_dir = Path(build_dir)
        v = read_version(build_dir, "local", encoder)
        folder, manifest, chunks = v.folder, v.manifest, v.chunks
        try:
            model = bm25_mod.load_bm25(folder / store.BM25_DIR)
        except Exception as e:
            raise IndexCorrupt(f"cannot read the BM25 index in {folder / store.BM25_DIR}: {e}") from e
        if int(model.scores["num_docs"]) != len(chunks):
            raise IndexCorrupt(f"the BM25 index holds {model.scores['num_docs']} rows, expected {len(chunks)}")
        dense = enc = None
        if manifest["encoder"] != "none":
            from index.encoders import get_encoder

            try:
                vectors = np.load(folder / store.VECTORS, allow_pickle=False)
                fi = faiss_module().read_index(str(folder / store.FAISS))
            except (ValueError, OSError, RuntimeError) as e:
                raise IndexCorrupt(f"cannot read the dense index in {folder}: {e}") from e
            if vectors.shape != (len(chunks), manifest["dim"]) or fi.ntotal != len(chunks) or fi.d != manifest["dim"]:
                raise IndexCorrupt(f"dense vectors {vectors.shape} / faiss {fi.ntotal}×{fi.d} do not match "
                                   f"{len(chunks)} chunks × dim {manifest['dim']}")
            windows = _load_windows(folder, manifest, len(chunks))
            blend = float((manifest.get("windows") or {}).get("blend", WINDOWS["blend"]))
            dense = DenseChannel(vectors, fi, windows, blend)
            enc = get_encoder(manifest["encoder"], threads=settings.threads)
        preparer = QueryPreparer(v.tokenizer, enc, size=settings.query_cache)
        reranker = open_reranker(folder, manifest)
        return cls(build_dir, manifest, v.docstore(build_dir.name), preparer, settings, bm25_mod.Bm25Channel(model),
                   dense, reranker)


def _load_windows(folder: Path, manifest: dict, n_chunks: int) -> tuple[np.ndarray, np.ndarray] | None:
    conf = manifest.get("windows")
    if not conf:
        return None
    try:
        wv = np.load(folder / store.WINDOW_VECTORS, allow_pickle=False)
        wr = np.load(folder / store.WINDOW_ROWS, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise IndexCorrupt(f"cannot read the sentence-window vectors in {folder}: {e}") from e
    n = int(conf.get("count", -1))
    if (wv.ndim != 2 or wv.shape != (n, manifest["dim"]) or wr.shape != (n,) or wr.dtype.kind != "i"
            or (n and (wr.min() < 0 or wr.max() >= n_chunks))):
        raise IndexCorrupt(f"sentence windows {wv.shape} / rows {wr.shape} in {folder} do not match the "
                           f"manifest ({n} windows × dim {manifest['dim']} over {n_chunks} chunks)")
    return np.ascontiguousarray(wv, dtype=np.float32), wr.astype(np.int64)
