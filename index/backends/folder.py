"""What every backend reads from an index version folder before it opens its channels: the manifest
checked against the folder (sizes and sha1s of every file, the corpus hash of the documents and chunks
it holds, the dictionary, the row counts), the tokenizer, and the document store.

Documents and chunks are served from the version folder's own copy for every backend: the engine needs
all of them in memory anyway (facets, a document's rows, the answering stage reads structured fields),
and a copy that is part of the published version can never disagree with the index it was built with.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.errors import IndexCorrupt, ManifestMismatch
from core.records import Chunk, Document
from index import store
from index.docstore import DocStore
from index.passages import TOKENIZER_MODE
from index.tokenize import Tokenizer, dictionary_hash, load_dictionary, shared_tokenizer


@dataclass
class VersionFolder:
    folder: Path  # the resolved version folder (a build published meanwhile cannot mix into this load)
    manifest: dict
    tokenizer: Tokenizer
    docs: list[Document]
    chunks: list[Chunk]

    def docstore(self, name: str) -> DocStore:
        return DocStore(self.docs, self.chunks, self.manifest.get("name") or name)


def read_version(build_dir: Path, backend: str, encoder: str | None = None) -> VersionFolder:
    """The current version folder of ``build_dir``, checked; raises IndexCorrupt / ManifestMismatch."""
    build_dir = Path(build_dir)
    manifest = store.read_manifest(build_dir)
    if manifest.get("backend", "local") != backend:
        raise ManifestMismatch(f"the index in {build_dir} uses the {manifest.get('backend', 'local')} backend, "
                               f"not {backend}")
    if encoder is not None and encoder.strip() != manifest["encoder"]:
        raise ManifestMismatch(f"the index in {store.index_dir(build_dir)} was built with encoder "
                               f"{manifest['encoder']!r}, not {encoder!r}")
    folder = store.index_dir(build_dir).resolve()
    store.verify_files(folder, manifest)
    cdir = folder if manifest.get("corpus_in_index") else build_dir
    chash = store.files_hash([cdir / n for n in store.CORPUS_FILES])
    if chash != manifest["corpus_hash"]:
        raise ManifestMismatch(f"the documents and chunks of {folder} are not the ones it was indexed from "
                               "(corpus hash differs)", hint="re-run `govsearch index` on it")
    words = load_dictionary(folder / store.DICTIONARY)
    if dictionary_hash(words) != manifest["dictionary_hash"]:
        raise IndexCorrupt(f"{folder / store.DICTIONARY} does not match the manifest")
    tok_conf = manifest.get("tokenizer", {})
    tokenizer = shared_tokenizer(words, tok_conf.get("mode", TOKENIZER_MODE), tok_conf.get("backend", "rjieba"),
                                 manifest["dictionary_hash"])
    docs = store.read_jsonl(cdir / store.DOCS, store.Document)
    chunks = store.read_jsonl(cdir / store.CHUNKS, store.Chunk)
    if len(docs) != manifest["documents"] or len(chunks) != manifest["chunks"]:
        raise IndexCorrupt(f"manifest counts ({manifest['documents']} docs, {manifest['chunks']} chunks) do "
                           f"not match the corpus ({len(docs)}, {len(chunks)})")
    try:
        ids = json.loads((folder / store.CHUNK_IDS).read_text(encoding="utf-8"))
    except ValueError as e:
        raise IndexCorrupt(f"{folder / store.CHUNK_IDS} is not valid JSON: {e}") from e
    if ids != [c.chunk_id for c in chunks]:
        raise IndexCorrupt(f"{folder / store.CHUNK_IDS} does not list the corpus's chunks in order")
    return VersionFolder(folder, manifest, tokenizer, docs, chunks)
