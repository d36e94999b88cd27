"""The ingest stage: adapters → clean → dedup → chunk → ``docs.jsonl``, ``chunks.jsonl``, ``report.json``.

``run_ingest(data_dir, out_dir)`` runs every registered source (``SOURCES`` for a real
data folder, the ``demo`` source for the project's own corpus when ``data_dir`` is None),
and accounts for every input record: for each source
``records == documents + skipped + duplicates``, where ``skipped`` are records an
adapter could not use (each one a problem with ``path:line`` and a reason) and
``duplicates`` the records dropped as duplicates (same kind and the same text, ignoring
whitespace, punctuation and a leading greeting, as an earlier document of the same source;
the kept one lists them in ``fields["duplicate_ids"]``) or as repeated document ids.
Documents with the same text in *different* sources are kept (their ids are judged
separately) and only reported. Nothing is printed; files are written atomically.

``--snapshot DIR`` adds the ``snapshot`` source (:data:`ingest.adapters.SNAPSHOT_SOURCE`) read
from a crawl snapshot folder; pages the crawl found gone (404/410) are not documents.

Own documents (``paths``): a PDF or DOCX whose bytes (sha1), reader code and requested kind are
those of the previous build is not read again — its previous document is reused (reading a PDF,
and above all OCR, is the slow part); every other file is read again.

Incremental ingestion: when ``out_dir`` already holds a build, every source is still read and
cleaned (that is what tells what changed), but each document is compared with the previous
``docs.jsonl`` by the hash of its JSON line. Only new and changed documents are chunked again;
an unchanged document keeps its chunks from the previous ``chunks.jsonl`` as they were, and a
document that is no longer there is dropped. Reuse needs the same chunker (``CHUNKER``: the
``max_chars`` and a hash of the chunking code, kept in the report); otherwise everything is
chunked again. The report gains ``changes`` (ids added / changed / removed, each list capped at
``CHANGE_IDS``, with ``counts``) and ``corpus_version`` (``number`` goes up by one whenever the
corpus files change; ``corpus_hash`` is sha1 over ``docs.jsonl`` then ``chunks.jsonl``, the
same hash the index manifest records).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Iterable

from core.build import build_lock, remove_temp_files, sealed_hash, write_lines
from core.errors import UnknownKind
from core.records import KINDS, Chunk, Document
from ingest.adapters import DEMO_SOURCES, SNAPSHOT_SOURCE, SOURCES, Problem, SourceResult, load_source
from ingest.chunk import chunk
from ingest.clean import clean_document
from ingest.structure import locate_materials

REPO = Path(__file__).resolve().parent.parent
DEMO_CORPUS = REPO / "corpus"
MAX_CHARS = 400
FILES_SOURCE = "files"  # one's own files and folders (ingest.files)
CHANGE_IDS = 100  # ids listed per kind of change in report["changes"] (counts are exact)
# the code whose output the chunks are: a change to any of these files re-chunks everything
_CHUNKER_FILES = (REPO / "ingest" / "chunk.py", REPO / "ingest" / "structure.py", REPO / "core" / "records.py")


def chunker_id(max_chars: int = MAX_CHARS) -> str:
    """Identifies the chunking (``max_chars`` + sha1 of the chunking code); recorded in the report."""
    h = hashlib.sha1(f"max_chars={max_chars}".encode())
    for p in _CHUNKER_FILES:
        h.update(p.read_bytes() if p.exists() else b"")
    return f"{max_chars}:{h.hexdigest()[:16]}"


def doc_hash(line: str) -> str:
    """Hash of a document's JSON line (``Document.model_dump_json()``)."""
    return hashlib.sha1(line.encode("utf-8")).hexdigest()


def files_hash(docs_path: Path, chunks_path: Path) -> str:
    """sha1 over docs.jsonl then chunks.jsonl (bytes): the index manifest's ``corpus_hash``."""
    h = hashlib.sha1()
    for p in (docs_path, chunks_path):
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


class Previous:
    """What an earlier build in ``out_dir`` holds: document hashes, its chunks, its version."""

    def __init__(self, out_dir: Path, max_chars: int = MAX_CHARS):
        out_dir = Path(out_dir)
        docs_path, chunks_path, report_path = (out_dir / n for n in ("docs.jsonl", "chunks.jsonl", "report.json"))
        self.exists = docs_path.exists() and chunks_path.exists()
        self.doc_hashes: dict[str, str] = {}  # doc_id -> doc_hash(line), in file order
        self.problem: str | None = None  # why chunks cannot be reused (None: they can)
        self.report: dict = {}
        self.corpus_hash: str | None = None
        self._chunk_lines: dict[str, list[str]] = {}
        self.file_documents: dict[str, dict] = {}  # own documents read from PDF/DOCX, reusable when unchanged
        if not self.exists:
            return
        try:
            self.report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
        except ValueError:
            self.report = {}
        if not isinstance(self.report, dict):
            self.report = {}
        try:
            self.corpus_hash = files_hash(docs_path, chunks_path)
            with open(docs_path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    line = line.rstrip("\n")
                    if line.strip():
                        obj = json.loads(line)
                        self.doc_hashes[obj["doc_id"]] = doc_hash(line)
                        if obj.get("source") == FILES_SOURCE and (obj.get("fields") or {}).get("source_sha1"):
                            self.file_documents[obj["doc_id"]] = obj
            with open(chunks_path, encoding="utf-8") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if line.strip():
                        self._chunk_lines.setdefault(json.loads(line)["doc_id"], []).append(line)
        except (OSError, ValueError, KeyError, TypeError) as e:
            # an unreadable earlier build: everything counts as new, nothing is reused
            self.problem = f"previous build unreadable ({type(e).__name__}: {e}); everything chunked again"
            self.doc_hashes, self._chunk_lines, self.file_documents = {}, {}, {}
            return
        sealed = sealed_hash(out_dir)
        if sealed is not None and self.corpus_hash != sealed:
            # docs.jsonl and chunks.jsonl are not the pair report.json seals: an ingest was interrupted
            # between its renames. Nothing of it is trusted; the new run rewrites the build whole.
            self.problem = ("the previous build was incomplete (an ingest was interrupted); everything chunked "
                            "again")
            self.doc_hashes, self._chunk_lines, self.file_documents = {}, {}, {}
            return
        if "chunker" not in self.report:
            self.problem = "the previous build does not record its chunking; everything chunked again"
        elif self.report["chunker"] != chunker_id(max_chars):
            self.problem = "chunking changed since the previous build; everything chunked again"

    @property
    def version_hash(self) -> str | None:
        """The corpus hash the previous version number stands for (the files' hash when unrecorded)."""
        v = self.report.get("corpus_version")
        if isinstance(v, dict) and isinstance(v.get("corpus_hash"), str):
            return v["corpus_hash"]
        return self.corpus_hash

    @property
    def version(self) -> int:
        """The previous corpus version number (an older build without one counts as version 1)."""
        v = self.report.get("corpus_version")
        if isinstance(v, dict) and isinstance(v.get("number"), int):
            return v["number"]
        return 1 if self.exists else 0

    def chunks(self, doc: Document, line: str) -> list[Chunk] | None:
        """The previous chunks of ``doc`` when it is unchanged and they can be reused, else None."""
        if self.problem or self.doc_hashes.get(doc.doc_id) != doc_hash(line):
            return None
        lines = self._chunk_lines.get(doc.doc_id)
        if not lines:
            return None
        try:
            chunks = [Chunk.model_validate_json(x) for x in lines]
        except ValueError:
            return None
        if any(doc.text[c.start:c.end] != c.text for c in chunks):  # must still be spans of the text
            return None
        return chunks


_GREETING = re.compile(r"^\s*(?:您好|你好)[，,！!。：:、\s]*")
_NOT_WORD = re.compile(r"[\W_]+")  # whitespace and punctuation


def _text_key(doc: Document) -> str:
    """Duplicate key: the kind and the text without whitespace, punctuation and a leading
    greeting (您好，). Official answers are republished with and without the greeting, or
    with different punctuation; for a reader they are the same answer."""
    text = doc.text
    norm = _NOT_WORD.sub("", _GREETING.sub("", text)) or re.sub(r"\s+", "", text)
    return hashlib.sha1(f"{doc.kind}\x00{norm}".encode()).hexdigest()


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
        docs.append(locate_materials(cleaned))
    return docs


def _files_loader(paths: list[str], kind: str | None, reuse: dict[str, dict] | None):
    def load(_root) -> SourceResult:
        from ingest.files import load_paths

        return load_paths(paths, kind=kind, reuse=reuse)
    return load


def ingest_sources(sources: list[tuple], root: Path | None, max_chars: int = MAX_CHARS,
                   previous: Previous | None = None):
    """Run ``sources`` on ``root``: returns (documents, chunks, report).

    A source is ``(name, "module:function")`` read from ``root``, or ``(name, "module:function",
    its_own_root)``. With ``previous`` (an earlier build), unchanged documents keep their previous
    chunks; ``report["rechunked"]`` counts the documents chunked in this run.
    """
    all_docs: list[Document] = []
    all_chunks: list[Chunk] = []
    report: dict = {"documents": 0, "chunks": 0, "sources": {}}
    seen_ids: dict[str, str] = {}  # doc_id -> source
    seen_text: dict[str, tuple[str, str]] = {}  # text key -> (doc_id, source), across sources
    rechunked = 0
    for name, target, *own_root in sources:
        result = load_source(name, target, Path(own_root[0]) if own_root else root)
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
        chunked: list[Document] = []
        for doc in kept:
            chunks = previous.chunks(doc, doc.model_dump_json()) if previous is not None else None
            if chunks is None:
                try:
                    chunks = chunk(doc, max_chars=max_chars)
                except Exception as e:  # one document's failure is only that document's
                    result.problems.append(Problem(f"{name}:{doc.doc_id}", f"chunking failed ({type(e).__name__}: {e}); skipped"))
                    continue
                rechunked += 1
            n_chunks += len(chunks)
            all_chunks.extend(chunks)
            chunked.append(doc)
        kept = chunked
        all_docs.extend(kept)
        if result.files is not None:
            report["files"] = account_files(name, result, kept)
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
        if result.files is not None:
            report["sources"][name]["reused"] = result.reused
    report["documents"] = len(all_docs)
    report["chunks"] = len(all_chunks)
    report["rechunked"] = rechunked
    return all_docs, all_chunks, report


def account_files(name: str, result: SourceResult, kept: list[Document]) -> list[dict]:
    """``report["files"]``: each own-document file with the documents it kept after cleaning,
    de-duplication and chunking; a file whose documents were all dropped becomes ``skipped``
    with the reasons."""
    kept_by_file: dict[str, int] = {}
    for d in kept:
        f = d.fields.get("file")
        kept_by_file[f] = kept_by_file.get(f, 0) + 1
    ids_by_file: dict[str, list[str]] = {}
    for d in result.documents:
        ids_by_file.setdefault(d.fields.get("file"), []).append(d.doc_id)
    why_by_where = {}
    for p in result.problems:
        why_by_where.setdefault(p.where, p.why)
    for f in result.files:
        if f["status"] != "ingested":
            continue
        n = kept_by_file.get(f["path"], 0)
        f["documents"] = n
        if n == 0:
            reasons = [why_by_where.get(f"{name}:{i}") for i in ids_by_file.get(f["path"], [])]
            f["status"], f["why"] = "skipped", "; ".join(r for r in reasons if r) or "no document kept"
    return result.files


def diff_documents(old: dict[str, str], new: dict[str, str]) -> dict:
    """``report["changes"]`` from {doc_id: hash} of the previous and the new build."""
    added = [d for d in new if d not in old]
    changed = [d for d in new if d in old and old[d] != new[d]]
    removed = [d for d in old if d not in new]
    return {
        "added": added[:CHANGE_IDS], "changed": changed[:CHANGE_IDS], "removed": removed[:CHANGE_IDS],
        "unchanged": len(new) - len(added) - len(changed),
        "counts": {"added": len(added), "changed": len(changed), "removed": len(removed)},
    }


def run_ingest(data_dir: Path | None, out_dir: Path, max_chars: int = MAX_CHARS, snapshot: Path | None = None,
               incremental: bool = True, paths: list[str | Path] | None = None, kind: str | None = None) -> dict:
    """Ingest a data folder (every real source), a crawl snapshot, one's own files and folders
    (``paths``, see :mod:`ingest.files`; ``kind`` overrides their detected kind), any mix of
    them, or — with none — the demo corpus.

    Writes ``out_dir/docs.jsonl``, ``chunks.jsonl`` and ``report.json`` and returns the report.
    When ``out_dir`` holds an earlier build (and ``incremental``), unchanged documents keep their
    chunks; ``report["changes"]`` and ``report["corpus_version"]`` say what changed.
    """
    sources: list[tuple] = []
    if kind is not None and kind not in KINDS:
        raise UnknownKind(f"unknown kind {kind!r}")
    if data_dir is None and snapshot is None and not paths:
        sources, root = list(DEMO_SOURCES), DEMO_CORPUS
    else:
        root = Path(data_dir) if data_dir is not None else None
        if root is not None:
            sources += SOURCES
        if snapshot is not None:
            sources.append((*SNAPSHOT_SOURCE, Path(snapshot)))

    out_dir = Path(out_dir)
    with build_lock(out_dir):
        return _run_ingest(sources, root, out_dir, max_chars, snapshot, incremental, paths, kind)


def _run_ingest(sources: list[tuple], root: Path | None, out_dir: Path, max_chars: int, snapshot: Path | None,
                incremental: bool, paths: list[str | Path] | None, kind: str | None) -> dict:
    remove_temp_files(out_dir)
    previous = Previous(out_dir, max_chars=max_chars)
    if paths:
        reuse = previous.file_documents if incremental else None
        sources.append((FILES_SOURCE, _files_loader([str(p) for p in paths], kind, reuse)))
    docs, chunks, report = ingest_sources(sources, root, max_chars=max_chars,
                                          previous=previous if (incremental and previous.exists) else None)
    report["data"] = str(root) if root is not None else None
    if snapshot is not None:
        report["snapshot"] = str(snapshot)
    if paths:
        report["paths"] = [str(p) for p in paths]
    doc_lines = [d.model_dump_json() for d in docs]
    report["chunker"] = chunker_id(max_chars)
    report["changes"] = diff_documents(previous.doc_hashes, {d.doc_id: doc_hash(x) for d, x in zip(docs, doc_lines)})
    report["changes"]["previous"] = previous.exists
    if previous.problem and incremental:
        report["changes"]["note"] = previous.problem
    write_lines(out_dir / "docs.jsonl", doc_lines)
    write_lines(out_dir / "chunks.jsonl", (c.model_dump_json() for c in chunks))
    chash = files_hash(out_dir / "docs.jsonl", out_dir / "chunks.jsonl")
    number = previous.version if (previous.exists and chash == previous.version_hash) else previous.version + 1
    report["corpus_version"] = {"number": number, "corpus_hash": chash}
    write_lines(out_dir / "report.json", [json.dumps(report, ensure_ascii=False, indent=2)])
    return report


__all__ = ["run_ingest", "ingest_sources", "diff_documents", "chunker_id", "Previous", "DEMO_CORPUS", "CHANGE_IDS"]
