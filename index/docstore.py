"""The document store of a loaded index: documents and chunks in memory, by id and by row, with the
facets (computed once, at load) that filters are checked against.

Rows are chunk positions in the index (the order of ``chunks.jsonl``); every backend keeps its
channels aligned to them.
"""
from __future__ import annotations

from typing import Callable, Hashable, Iterable, Mapping

import numpy as np

from core.errors import BadQuery, DocumentNotFound
from core.query import FACETS
from core.records import Chunk, Document

MAX_LISTED = 30  # allowed values listed in an error message


def region_matches(value: str | None, want: str) -> bool:
    """Regions are hierarchical: 示例市 covers 示例市临江区 (a value that starts with the one asked for)."""
    return bool(value) and (value == want or value.startswith(want))


def _listed(values: Iterable[str]) -> str:
    vals = sorted(values)
    more = f" … ({len(vals) - MAX_LISTED} more)" if len(vals) > MAX_LISTED else ""
    return ", ".join(vals[:MAX_LISTED]) + more


class DocStore:
    def __init__(self, docs: list[Document], chunks: list[Chunk], name: str = ""):
        self.name = name
        self._docs = {d.doc_id: d for d in docs}
        self._doc_list = docs
        self._chunks = chunks
        self._chunk_by_id = {c.chunk_id: i for i, c in enumerate(chunks)}
        doc_pos = {d.doc_id: i for i, d in enumerate(docs)}
        self.chunk_doc = np.array([doc_pos.get(c.doc_id, -1) for c in chunks], dtype=np.int64)
        self._doc_rows: dict[str, list[int]] = {}
        for row, c in enumerate(chunks):
            self._doc_rows.setdefault(c.doc_id, []).append(row)
        for rows in self._doc_rows.values():
            rows.sort(key=lambda r: chunks[r].start)
        self._aliases = {a: d.doc_id for d in docs for a in d.fields.get("duplicate_ids") or [] if a not in self._docs}
        self._facet_values: dict[str, list[str | None]] = {f: [getattr(d, f) for d in docs] for f in FACETS}
        self._facets = {f: frozenset(v for v in vals if v) for f, vals in self._facet_values.items()}
        self._masks: dict[tuple, np.ndarray] = {}

    # -- documents and chunks

    def __len__(self) -> int:
        return len(self._doc_list)

    @property
    def rows(self) -> int:
        return len(self._chunks)

    def documents(self) -> list[Document]:
        """Every document (already in memory), in build order."""
        return list(self._doc_list)

    def canonical(self, doc_id: str) -> str:
        """The id a document is indexed under: ingestion keeps one copy of duplicates and lists the
        others in ``fields["duplicate_ids"]``; those ids resolve to the copy kept."""
        return self._aliases.get(doc_id, doc_id)

    def is_alias(self, doc_id: str) -> bool:
        return doc_id in self._aliases

    def doc(self, doc_id: str) -> Document:
        try:
            return self._docs[self.canonical(doc_id)]
        except KeyError:
            raise DocumentNotFound(f"no document {doc_id!r} in index {self.name}",
                                   hint="search for it first; ids are the sources' own") from None

    def chunks(self, doc_id: str) -> list[Chunk]:
        """The chunks of a document (an alias gives the kept copy's chunks), in text order."""
        d = self.doc(doc_id)
        return [self._chunks[r] for r in self._doc_rows.get(d.doc_id, [])]

    def chunk(self, chunk_id: str) -> Chunk:
        try:
            return self._chunks[self._chunk_by_id[chunk_id]]
        except KeyError:
            raise DocumentNotFound(f"no chunk {chunk_id!r} in index {self.name}") from None

    def chunk_at(self, row: int) -> Chunk:
        return self._chunks[row]

    def row_of(self, chunk_id: str) -> int:
        return self._chunk_by_id[chunk_id]

    def doc_rows(self, doc_id: str) -> list[int]:
        return self._doc_rows.get(doc_id, [])

    def doc_of_row(self, row: int) -> str:
        return self._chunks[row].doc_id

    # -- facets and filters

    def facets(self) -> Mapping[str, frozenset[str]]:
        """The values each facet takes in this index (computed at load)."""
        return self._facets

    def check_filters(self, filters: Mapping[str, tuple[str, ...]]) -> None:
        """BadQuery naming the allowed values for a filter value no document has."""
        for name, values in filters.items():
            allowed = self._facets.get(name, frozenset())
            for v in values:
                ok = any(region_matches(a, v) for a in allowed) if name == "region" else v in allowed
                if not ok:
                    raise BadQuery(f"unknown {name} {v!r}; allowed values: {_listed(allowed)}")

    def doc_mask(self, key: Hashable, keep: Callable[[str], bool]) -> np.ndarray:
        """Boolean mask over chunk rows of the documents ``keep`` accepts; cached under ``key`` (e.g.
        ``("valid_on", date)``: the caller names what ``keep`` depends on)."""
        m = self._masks.get(("doc", key))
        if m is None:
            ok = np.fromiter((keep(d.doc_id) for d in self._doc_list), dtype=bool, count=len(self._doc_list))
            m = ok[self.chunk_doc] & (self.chunk_doc >= 0)
            if len(self._masks) < 256:
                self._masks[("doc", key)] = m
        return m

    def mask(self, filters: Mapping[str, tuple[str, ...]] | None) -> np.ndarray | None:
        """Boolean mask over chunk rows for the filters (None when nothing is filtered); cached per filter set."""
        if not filters:
            return None
        key = tuple(sorted((f, tuple(sorted(v))) for f, v in filters.items()))
        m = self._masks.get(key)
        if m is None:
            ok = np.ones(len(self._doc_list), dtype=bool)
            for f, want in filters.items():
                vals = self._facet_values[f]
                if f == "region":
                    hit = (any(region_matches(v, w) for w in want) for v in vals)
                else:
                    allowed = set(want)
                    hit = (v in allowed for v in vals)
                ok &= np.fromiter(hit, dtype=bool, count=len(vals))
            m = ok[self.chunk_doc] & (self.chunk_doc >= 0)
            if len(self._masks) < 256:
                self._masks[key] = m
        return m
