"""Hits: the chunk a result cites, its snippet and highlights. Built only for what is returned."""
from __future__ import annotations

import unicodedata
from typing import Iterable

from core.records import Citation, Hit
from core.query import CHANNELS
from index.docstore import DocStore

SNIPPET_CHARS = 160


def content_words(tokens: Iterable[str]) -> list[str]:
    """The query words worth showing a match for: those longer than one character (all when none is)."""
    toks = [t for t in tokens if t]
    return [t for t in toks if len(t) > 1] or toks


def shows_match(store: DocStore, row: int, tokens: Iterable[str]) -> int:
    """The row to cite for a document: ``row`` when its own text holds a query word; else the
    document's chunk holding the most query words. Every chunk is indexed with the title in front, so a
    short chunk (a phone number) can win on the title alone; its text would then show nothing the user
    searched for."""
    # tokens come from the normalised query and chunk text is clean (NFKC, simplified) already:
    # lowercasing is all that is left to match them (as make_snippet does)
    words = content_words(tokens)

    def hits(r: int) -> int:
        text = store.chunk_at(r).text.lower()
        return sum(1 for t in words if t in text)

    if not words or hits(row):
        return row
    rows = store.doc_rows(store.doc_of_row(row))
    best = max(rows, key=lambda r: (hits(r), -r), default=row)
    return best if hits(best) else row


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
    from index.tokenize import _t2s

    n = _t2s().convert(unicodedata.normalize("NFKC", text)).lower()
    return n if len(n) == len(text) else text.lower()


def make_hit(store: DocStore, row: int, score: float, scores: dict, ranks: dict, tokens: Iterable[str],
             confidence: float | None = None) -> Hit:
    """The Hit citing chunk ``row``, with the snippet around the query words."""
    c = store.chunk_at(row)
    d = store.doc(c.doc_id)
    snippet, highlights = make_snippet(c.text, tokens)
    return Hit(
        doc_id=c.doc_id, chunk_id=c.chunk_id, title=d.title, section=c.section,
        snippet=snippet, score=float(score),
        scores={**{ch: None for ch in CHANNELS}, **{k: None if v is None else float(v) for k, v in scores.items()}},
        ranks={ch: ranks.get(ch) for ch in CHANNELS},
        url=d.url, kind=d.kind, source=d.source, department=d.department,
        citation=Citation(doc_id=c.doc_id, chunk_id=c.chunk_id, section=c.section, start=c.start, end=c.end,
                          url=d.url),
        highlights=highlights, confidence=confidence,
    )


def passage_hit(store: DocStore, row: int, score: float = 0.0, max_snippet: int = 240) -> Hit:
    """A cited passage as a Hit (the shape search results use), its snippet the passage's start."""
    c = store.chunk_at(row)
    d = store.doc(c.doc_id)
    snippet = c.text if len(c.text) <= max_snippet else c.text[:max_snippet] + "…"
    return Hit(doc_id=d.doc_id, chunk_id=c.chunk_id, title=d.title, section=c.section, snippet=snippet,
               score=score, url=d.url, kind=d.kind, source=d.source, department=d.department,
               citation=Citation(doc_id=c.doc_id, chunk_id=c.chunk_id, section=c.section, start=c.start,
                                 end=c.end, url=d.url))
