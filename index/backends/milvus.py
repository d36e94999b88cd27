"""The Milvus backend: the channels run in Milvus (a server or cluster, or milvus-lite in this process),
everything else — the query path, fusion, hits, answers — is :class:`index.engine.Engine`'s.

Per query, with the facet filters pushed down as a Milvus expression (:func:`milvus_client.filter_expr`):

- **bm25**: one sparse inner-product search of the query vector ``count · idf`` per token id against the
  chunks' term-frequency parts (:mod:`index.lexical`) — bm25s's scores, to float rounding.
- **dense**: one search over the chunk vectors and, when the index has sentence windows of FAQ answers,
  one over the window vectors; the union of the chunks found is scored exactly as the local backend
  does (``blend · cos(chunk) + (1 − blend) · max cos(window)``), reading from Milvus only the vectors
  the two searches did not already give.
- **more(rows)** (the channel's score for a candidate it did not return): the rows' vectors are read
  back by id and scored here — never a filtered ANN search, which may return fewer rows than asked.

Documents and chunks are served from the index version folder's own copy, as the local backend does
(see :mod:`index.backends.folder`); the collection holds the passage text too, for other readers.

The engine keeps to the collection its version folder names (the alias's target when it loaded): a
build that switches the alias does not change what a running service answers until its /admin/reload,
after which :meth:`MilvusBackend.retire` drops the replaced collection once no request uses it.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path

import numpy as np

from core.errors import IndexCorrupt, ManifestMismatch
from core.query import Query
from core.settings import Settings
from index import lexical as lx
from index import store
from index.backends import milvus_client as mc
from index.backends.folder import read_version
from index.backends.milvus_build import LEX_DF, LEX_VOCAB
from index.docstore import DocStore
from index.engine import Engine
from index.passages import WINDOWS
from index.prepare import PreparedQuery, QueryPreparer
from index.rerank import open_reranker
from index.retrieve import ChannelResult

log = logging.getLogger("govsearch.index")


def _ordered(scores: dict[int, float], n: int | None = None) -> list[int]:
    """Rows best first, ties by row (as the local channels order them)."""
    rows = sorted(scores, key=lambda r: (-scores[r], r))
    return rows if n is None else rows[:n]


def _margin(n: int) -> int:
    """Extra hits asked for, so rows tied at the cut-off (duplicate passages) are cut by row as the local
    backend cuts them, not by Milvus's arbitrary order among equals."""
    return max(8, n // 8)


def _memo(known: dict[int, float], fn):
    """``more(rows)`` that reads each row from Milvus once per query (the answering stage ranks the same
    candidates once per document kind) and never the rows the channel already scored."""
    cache: dict[int, float | None] = dict(known)

    def more(rows) -> dict[int, float]:
        rows = [int(r) for r in rows]
        todo = [r for r in dict.fromkeys(rows) if r not in cache]
        if todo:
            got = fn(todo)
            for r in todo:
                cache[r] = got.get(r)
        return {r: cache[r] for r in rows if cache.get(r) is not None}

    return more


def _top(hits: list[tuple[int, float]], n: int) -> dict[int, float]:
    scores = dict(hits)
    return {r: scores[r] for r in _ordered(scores, n)}


class MilvusBackend(Engine):
    backend = "milvus"

    def __init__(self, build_dir, manifest, store_: DocStore, preparer: QueryPreparer, settings: Settings,
                 conn: tuple[str, str | None, str | None], client, vocab: lx.Vocabulary, idf: np.ndarray,
                 win_count: np.ndarray | None, reranker=None, df: np.ndarray | None = None):
        super().__init__(build_dir, manifest, store_, preparer, settings, reranker)
        self.df = df  # per token id, the chunks holding it (for idf_mass)
        m = manifest["milvus"]
        self.conn = conn
        self.client = client
        self.collection: str = m["collection"]
        self.win_collection: str | None = m.get("windows_collection") if win_count is not None else None
        self.alias: str = m["alias"]
        self.search_params = ((m.get("dense_index") or {}).get("search_params")) or {}
        self.vocab, self.idf, self.win_count = vocab, idf, win_count
        self.blend = float((manifest.get("windows") or {}).get("blend", WINDOWS["blend"]))
        self._active = 0
        self._active_lock = threading.Lock()
        self._closed = False

    @property
    def has_dense(self) -> bool:
        return self.manifest["encoder"] != "none"

    # -- Milvus calls (counted, so a retired collection is dropped only when none is running)

    def _call(self, fn, *args, **kw):
        with self._active_lock:
            self._active += 1
        try:
            return fn(*args, **kw)
        except mc.pymilvus().exceptions.MilvusException as e:
            raise mc.MilvusUnavailable(f"Milvus at {mc.display_uri(self.conn[0])} failed: "
                                       f"{getattr(e, 'message', None) or e}") from e
        finally:
            with self._active_lock:
                self._active -= 1

    def _search(self, collection: str, field: str, data, limit: int, expr: str, params: dict) -> list[tuple[int, float]]:
        """(row, score) of the hits, best first; chunks this engine's store does not hold (written by an
        update it has not reloaded yet) are skipped."""
        res = self._call(self.client.search, collection, data=[data], anns_field=field, limit=limit, filter=expr,
                         output_fields=["chunk_id"], search_params={"params": params})
        out = []
        for h in res[0] if res else []:
            try:
                out.append((self.store.row_of(h["chunk_id"]), float(h["distance"])))
            except KeyError:
                continue
        return out

    def _fetch(self, collection: str, rows, fields: list[str]) -> list[tuple[int, dict]]:
        ids = [self.store.chunk_at(r).chunk_id for r in rows]
        got = self._call(mc.fetch, self.client, collection, "chunk_id", ids, fields)
        out = []
        for g in got:
            try:
                out.append((self.store.row_of(g["chunk_id"]), g))
            except KeyError:
                continue
        return out

    # -- channels

    def channels(self, pq: PreparedQuery, query: Query, pool: int) -> dict[str, ChannelResult]:
        expr = mc.filter_expr(query.filters, self.store.facets())
        out: dict[str, ChannelResult] = {}
        if query.mode in ("bm25", "hybrid"):
            qv = lx.query_vector(pq.bm25_tokens, self.vocab, self.idf)
            scores: dict[int, float] = {}
            if qv:
                hits = self._search(self.collection, "lex", qv, pool + _margin(pool), expr, {})
                scores = _top([(r, s) for r, s in hits if s > 0], pool)
            out["bm25"] = ChannelResult("bm25", _ordered(scores), scores,
                                        _memo(scores, lambda rr, qv=qv: self.lex_scores(qv, rr)),
                                        norm=self.idf_mass(list(pq.bm25_tokens)))
        if query.mode in ("dense", "hybrid") and self.has_dense:
            qv = np.ascontiguousarray(pq.vector, dtype=np.float32)
            scores = self.dense_top(qv, pool, expr)
            out["dense"] = ChannelResult("dense", _ordered(scores), scores,
                                         _memo(scores, lambda rr, qv=qv: self.dense_scores(qv, rr)))
        return out

    def idf_mass(self, tokens: list[str]) -> float:
        """The most a row can score for ``tokens`` (as :meth:`index.channels.bm25.Bm25Channel.idf_mass`:
        the same figure for the same chunks, so both backends give the same confidences)."""
        if self.df is None:
            return 0.0
        n = int(self.manifest["chunks"])
        k1 = float((self.manifest.get("lex") or {}).get("k1", 1.2))
        rare = math.log1p((n + 0.5) / 0.5)
        total = 0.0
        for t in tokens:
            if not t:
                continue
            i = self.vocab.ids.get(t)
            d = int(self.df[i]) if i is not None and i < len(self.df) else 0
            total += math.log1p((n - d + 0.5) / (d + 0.5)) if d else rare
        return total * (k1 + 1)

    def word_weights(self, words: list[str]) -> list[float]:
        return [self.idf_mass([w]) for w in words]

    def lex_scores(self, qv: dict[int, float], rows) -> dict[int, float]:
        """BM25 scores of chunk ``rows`` (0 where no query token occurs)."""
        if not qv:
            return {int(r): 0.0 for r in rows}
        return {r: lx.dot(qv, g["lex"]) for r, g in self._fetch(self.collection, rows, ["lex"])}

    def dense_top(self, qv: np.ndarray, n: int, expr: str) -> dict[int, float]:
        """The ``n`` best chunks of the dense channel and their scores."""
        sp = dict(self.search_params)  # HNSW needs ef ≥ limit
        if "ef" in sp:
            sp["ef"] = max(int(sp["ef"]), n + _margin(n))
        cos = _top(self._search(self.collection, "dense", qv, n + _margin(n), expr, sp), n)
        if self.win_collection is None:
            return cos
        best_win: dict[int, float] = {}
        # the best windows overall: a chunk with one among them has its best window among them
        for r, s in self._search(self.win_collection, "dense", qv, n, expr, sp):
            if s > best_win.get(r, -np.inf):
                best_win[r] = s
        union = sorted(set(cos) | set(best_win))
        need_cos = [r for r in union if r not in cos]
        if need_cos:
            cos.update(self._cosines(qv, need_cos))
            union = [r for r in union if r in cos]
        need_win = [r for r in union if self.win_count[r] and r not in best_win]
        if need_win:
            best_win.update(self._window_best(qv, need_win))
        scores = self._blend(union, cos, best_win)
        return {r: scores[r] for r in _ordered(scores, n)}

    def dense_scores(self, qv: np.ndarray, rows) -> dict[int, float]:
        """Exact dense scores of chunk ``rows`` (the local backend's :meth:`DenseChannel.scores`)."""
        rows = sorted({int(r) for r in rows})
        if not rows:
            return {}
        cos = self._cosines(qv, rows)
        best = {}
        if self.win_collection is not None:
            best = self._window_best(qv, [r for r in rows if r in cos and self.win_count[r]])
        return self._blend(list(cos), cos, best)

    def _cosines(self, qv: np.ndarray, rows: list[int]) -> dict[int, float]:
        got = self._fetch(self.collection, rows, ["dense"])
        if not got:
            return {}
        m = np.asarray([g["dense"] for _, g in got], dtype=np.float32)
        return {r: float(s) for (r, _), s in zip(got, m @ qv)}

    def _window_best(self, qv: np.ndarray, rows: list[int]) -> dict[int, float]:
        got = self._fetch(self.win_collection, rows, ["dense"])
        if not got:
            return {}
        s = np.asarray([g["dense"] for _, g in got], dtype=np.float32) @ qv
        best: dict[int, float] = {}
        for (r, _), v in zip(got, s):
            if v > best.get(r, -np.inf):
                best[r] = float(v)
        return best

    def _blend(self, rows, cos: dict[int, float], best: dict[int, float]) -> dict[int, float]:
        b = self.blend
        out = {}
        for r in rows:
            c = np.float32(cos[r])
            w = best.get(r)
            out[r] = float(np.float32(b) * c + np.float32(1 - b) * np.float32(w)) if w is not None else float(c)
        return out

    # -- lifetime

    def stats(self) -> dict:
        s = super().stats()
        s["milvus"] = {"uri": mc.display_uri(self.conn[0]), "alias": self.alias, "collection": self.collection,
                       "windows_collection": self.win_collection}
        return s

    def close(self) -> None:
        """Give back the connection (the last user of a milvus-lite file releases its lock)."""
        if not self._closed:
            self._closed = True
            mc.disconnect(*self.conn)

    def retire(self, successor=None) -> threading.Thread | None:
        """Called after a reload swapped ``successor`` in: drop this engine's collection (after
        ``settings.milvus_drop_delay`` seconds, once no request holds this index and no call runs on it),
        unless the successor serves it too or the alias still points at it. Returns the thread doing it
        (None when nothing is to be dropped)."""
        if (isinstance(successor, MilvusBackend) and successor.conn == self.conn
                and successor.collection == self.collection):
            self.close()
            return None
        th = threading.Thread(target=self._drop_when_idle, name="govsearch-milvus-retire", daemon=True)
        th.start()
        return th

    def _drop_when_idle(self) -> None:
        try:
            time.sleep(max(0.0, float(self.settings.milvus_drop_delay)))
            deadline = time.monotonic() + max(60.0, float(self.settings.reload_timeout))
            while (self._active or self.users) and time.monotonic() < deadline:
                time.sleep(0.05)
            if mc.alias_target(self.client, self.alias) == self.collection:
                log.info("not dropping %s: alias %s still points at it", self.collection, self.alias)
                return
            for c in (self.win_collection, self.collection):
                if c and self.client.has_collection(c):
                    self.client.drop_collection(c)
                    log.info("dropped the replaced Milvus collection %s", c)
        except Exception:  # noqa: BLE001 - a failed drop leaves a collection behind, nothing worse
            log.exception("dropping the replaced collection %s failed", self.collection)
        finally:
            self.close()

    @classmethod
    def load(cls, build_dir: Path, settings: Settings | None = None, encoder: str | None = None) -> "MilvusBackend":
        """Open the index of ``build_dir``. A build publishes its version folder, then switches the alias:
        a load that falls between the two reads the folder again once."""
        try:
            return cls._load(build_dir, settings, encoder)
        except AliasMoved:
            time.sleep(1.0)
            return cls._load(build_dir, settings, encoder)

    @classmethod
    def _load(cls, build_dir: Path, settings: Settings | None = None, encoder: str | None = None) -> "MilvusBackend":
        settings = settings or Settings()
        build_dir = Path(build_dir)
        v = read_version(build_dir, "milvus", encoder)
        manifest, folder = v.manifest, v.folder
        m = manifest.get("milvus") or {}
        lex = manifest.get("lex") or {}
        try:
            vocab = lx.Vocabulary.load(folder / LEX_VOCAB)
            df = np.load(folder / LEX_DF, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise IndexCorrupt(f"cannot read the lexical vocabulary in {folder}: {e}") from e
        if vocab.digest() != lex.get("vocab_hash") or df.shape != (len(vocab),):
            raise IndexCorrupt(f"the lexical vocabulary in {folder} does not match the manifest")
        win_count = None
        if manifest["encoder"] != "none" and m.get("windows_collection"):
            try:
                wr = np.load(folder / store.WINDOW_ROWS, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise IndexCorrupt(f"cannot read the window rows in {folder}: {e}") from e
            win_count = np.bincount(wr, minlength=len(v.chunks)) if len(wr) else np.zeros(len(v.chunks), np.int64)
        uri = (mc.resolve_uri(build_dir, settings.milvus_uri)[0] if settings.milvus_uri
               else mc.recorded_uri(build_dir, m.get("uri") or mc.LITE_FILE))
        conn = (uri, settings.milvus_token, settings.milvus_db)
        client = mc.connect(*conn)
        try:
            for c in (m.get("collection"), m.get("windows_collection")):
                if c and not client.has_collection(c):
                    raise IndexCorrupt(f"Milvus at {mc.display_uri(uri)} has no collection {c}, which the index "
                                       f"in {folder} was built into", hint="rebuild it with `govsearch index --backend milvus`")
            target = mc.alias_target(client, m["alias"])
            if target != m["collection"]:
                raise AliasMoved(f"the alias {m['alias']} points at {target}, but the index in {folder} was "
                                       f"built into {m['collection']}",
                                       hint="another build switched the alias: re-run `govsearch index --backend "
                                            "milvus` here, or give each build its own alias (GOVSEARCH_MILVUS_ALIAS)")
            mc.ensure_loaded(client, m["collection"])
            mc.check_count(client, m["collection"], manifest["chunks"])
            if win_count is not None:
                mc.ensure_loaded(client, m["windows_collection"])
        except BaseException:
            mc.disconnect(*conn)
            raise
        enc = None
        if manifest["encoder"] != "none":
            from index.encoders import get_encoder

            enc = get_encoder(manifest["encoder"], threads=settings.threads)
        preparer = QueryPreparer(v.tokenizer, enc, size=settings.query_cache)
        return cls(build_dir, manifest, v.docstore(build_dir.name), preparer, settings, conn, client, vocab,
                   lx.idf(df, manifest["chunks"]), win_count, open_reranker(folder, manifest), df=df)


class AliasMoved(ManifestMismatch):
    """The alias points at another collection than the one the index folder was built into."""
