"""How a chunk becomes the text each channel indexes. Recorded in the manifest: changing any of
these rules means rebuilding (and re-encoding what changed; the embedding cache keeps the rest).

- :func:`passage_text`: title + section + chunk text, for both channels.
- :func:`dense_worthy`: fact-only sections of service items are not embedded
  (:data:`core.sections.FACT_SECTIONS`; BM25 finds them, and skipping them halves the encoding of the
  Guangdong export).
- :func:`sentence_windows`: FAQ answers also get one vector per window of sentences (see WINDOWS).
- :func:`bm25_tokens`: words plus Han bigrams; the title is repeated ``title_repeat`` times.
"""
from __future__ import annotations

import re

from core.records import Chunk
from core.sections import FACT_SECTIONS
from index.tokenize import han_bigrams

BM25_PARAMS = {"k1": 1.2, "b": 0.75, "method": "lucene", "title_repeat": 2, "bigrams": True}
TOKENIZER_MODE = "search"
PASSAGE_FORMAT = 3  # 2: fact-only sections are not encoded; 3: FAQ answers get sentence windows

# An FAQ answer often answers several sub-questions at once (1、… 2、…), and one vector for the
# whole answer blurs them; a question about one of them is closer to its sentence. Chunks of
# documents of these kinds therefore also get one vector per sentence window (consecutive
# sentences up to ``max_chars``), and their dense score is
# ``blend × cos(chunk) + (1 − blend) × max cos(window)``. Measured with `govsearch eval` on beijing-qa
# over the full index (nDCG@10): dense 0.776 → 0.791, hybrid (dense weight 0.7) 0.783 → 0.791; the other
# sets have no FAQ answers.
WINDOWS = {"kinds": ["qa"], "max_chars": 100, "min_chars": 12, "blend": 0.5}
_WINDOW_CUT = re.compile(r"(?<=[。！？；;!?\n])|(?=(?:[（(]?[0-9一二三四五六七八九十]{1,2}[)）、]|[①-⑳]))")


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


def dense_worthy(c: Chunk) -> bool:
    """Whether a chunk gets a dense vector (fact-only sections do not)."""
    return (c.section or "") not in FACT_SECTIONS


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


def bm25_text(c: Chunk, title_repeat: int = BM25_PARAMS["title_repeat"]) -> str:
    """The text the BM25 channel indexes for a chunk: the title repeated, then :func:`passage_text`."""
    extra = ((c.title or "") + "\n") * max(title_repeat - 1, 0)
    return extra + passage_text(c)


def window_passages(chunks: list[Chunk], rows: list[int], kind_of: dict[str, str]) -> tuple[list[int], list[str]]:
    """(chunk row, window text) of every sentence window of the embedded chunks ``rows`` whose document
    kind gets windows."""
    win_rows, win_texts = [], []
    for i in rows:
        if kind_of.get(chunks[i].doc_id) in WINDOWS["kinds"]:
            for w in sentence_windows(chunks[i].text):
                win_rows.append(i)
                win_texts.append(w)
    return win_rows, win_texts
