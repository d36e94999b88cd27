"""The ingest stage: adapters → clean → dedup → chunk → ``docs.jsonl``, ``chunks.jsonl``, ``report.json``.

``run_ingest(data_dir, out_dir)`` runs every registered source (``SOURCES`` for a real
data folder, the ``demo`` source for the project's own corpus when ``data_dir`` is None),
and accounts for every input record: for each source
``records == documents + skipped + duplicates``, where ``skipped`` are records an
adapter could not use (each one a problem with ``path:line`` and a reason) and
``duplicates`` the records dropped as exact duplicates (same kind and same normalised
text as an earlier document of the same source; the kept one lists them in
``fields["duplicate_ids"]``) or as repeated document ids.
Documents with the same text in *different* sources are kept (their ids are judged
separately) and only reported. Nothing is printed; files are written atomically.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable

from govsearch.records import Chunk, Document
from ingest.adapters import DEMO_SOURCES, SOURCES, Problem, SourceResult, load_source
from ingest.chunk import chunk
from ingest.clean import clean_document

REPO = Path(__file__).resolve().parent.parent
DEMO_CORPUS = REPO / "corpus"
MAX_CHARS = 400


def _text_key(doc: Document) -> str:
    norm = re.sub(r"\s+", "", doc.text)
    return hashlib.sha1(f"{doc.kind}\x00{norm}".encode()).hexdigest()


def _write_atomic(path: Path, lines: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line)
                f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _clean_all(name: str, result: SourceResult) -> list[Document]:
    docs = []
    for doc in result.documents:
        try:
            cleaned = clean_document(doc)
        except Exception as e:  # never lose the other records
            result.problems.append(Problem(f"{name}:{doc.doc_id}", f"cleaning failed: {type(e).__name__}: {e}"))
            continue
        if not cleaned.text.strip():
            result.problems.append(Problem(f"{name}:{doc.doc_id}", "no text left after cleaning; skipped"))
            continue
        docs.append(cleaned)
    return docs


def ingest_sources(sources: list[tuple[str, str]], root: Path, max_chars: int = MAX_CHARS):
    """Run ``sources`` on ``root``: returns (documents, chunks, report)."""
    all_docs: list[Document] = []
    all_chunks: list[Chunk] = []
    report: dict = {"documents": 0, "chunks": 0, "sources": {}}
    seen_ids: dict[str, str] = {}  # doc_id -> source
    seen_text: dict[str, tuple[str, str]] = {}  # text key -> (doc_id, source), across sources
    for name, target in sources:
        result = load_source(name, target, root)
        docs = _clean_all(name, result)
        local_text: dict[str, str] = {}
        kept: list[Document] = []
        dup_of: dict[str, list[str]] = {}  # kept doc id -> ids dropped as its duplicates
        duplicates = 0
        for doc in docs:
            if doc.doc_id in seen_ids:
                other = seen_ids[doc.doc_id]
                where = f"{name}:{doc.doc_id}"
                why = ("duplicate document id; kept the first" if other == name
                       else f"document id already used by source {other!r}; kept the first")
                result.problems.append(Problem(where, why))
                duplicates += 1
                continue
            key = _text_key(doc)
            if key in local_text:
                result.problems.append(Problem(f"{name}:{doc.doc_id}", f"duplicate of {local_text[key]}"))
                dup_of.setdefault(local_text[key], []).append(doc.doc_id)
                duplicates += 1
                continue
            if key in seen_text:
                other_id, other_source = seen_text[key]
                result.problems.append(Problem(
                    f"{name}:{doc.doc_id}", f"same text as {other_id} in source {other_source!r}; kept both"))
            else:
                seen_text[key] = (doc.doc_id, name)
            local_text[key] = doc.doc_id
            seen_ids[doc.doc_id] = name
            kept.append(doc)
        # the kept document remembers the ids dropped as its duplicates (fields["duplicate_ids"]),
        # so search / evaluation can map them back
        kept = [d.model_copy(update={"fields": {**d.fields, "duplicate_ids": dup_of[d.doc_id]}})
                if d.doc_id in dup_of else d for d in kept]
        n_chunks = 0
        for doc in kept:
            chunks = chunk(doc, max_chars=max_chars)
            n_chunks += len(chunks)
            all_chunks.extend(chunks)
        all_docs.extend(kept)
        records = max(result.records, len(result.documents))
        skipped = records - len(kept) - duplicates
        report["sources"][name] = {
            "documents": len(kept),
            "chunks": n_chunks,
            "skipped": skipped,
            "duplicates": duplicates,
            "records": records,
            "problems": [p.as_dict() for p in result.problems],
        }
    report["documents"] = len(all_docs)
    report["chunks"] = len(all_chunks)
    return all_docs, all_chunks, report


def run_ingest(data_dir: Path | None, out_dir: Path, max_chars: int = MAX_CHARS) -> dict:
    """Ingest a data folder (every real source) or, with ``data_dir=None``, the demo corpus.

    Writes ``out_dir/docs.jsonl``, ``chunks.jsonl`` and ``report.json`` and returns the report.
    """
    if data_dir is None:
        sources, root = DEMO_SOURCES, DEMO_CORPUS
    else:
        sources, root = SOURCES, Path(data_dir)
    docs, chunks, report = ingest_sources(sources, root, max_chars=max_chars)
    report["data"] = str(root)
    out_dir = Path(out_dir)
    _write_atomic(out_dir / "docs.jsonl", (d.model_dump_json() for d in docs))
    _write_atomic(out_dir / "chunks.jsonl", (c.model_dump_json() for c in chunks))
    _write_atomic(out_dir / "report.json", [json.dumps(report, ensure_ascii=False, indent=2)])
    return report


__all__ = ["run_ingest", "ingest_sources", "DEMO_CORPUS"]
