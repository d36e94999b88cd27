"""Shared fixtures: the real data, the test builds (made once per session), a real uvicorn on loopback,
a loopback web site, and a tiny offline sentence-transformers model."""
import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Property tests check behaviour, not speed: on a shared 2-core machine input generation can be slow.
hypothesis_settings.register_profile("govsearch", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("govsearch")

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"


def _shared_data() -> Path:
    return Path(os.environ.get("GOVSEARCH_SHARED_DATA", ROOT.parent / "shared" / "data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data beside the checkout. In CI its absence is a failure, not a skip."""
    path = _shared_data()
    if not (path / "README.md").exists():
        if os.environ.get("CI"):
            pytest.fail(f"../shared/data not found at {path}")
        pytest.skip(f"real data not found at {path}")
    return path


@pytest.fixture(scope="session")
def seeds_dir(shared_data) -> Path:
    return shared_data.parent / "seeds"


BUILD_API = TEST_DATA / "build_api"


def _make_test_build(dest: Path, encoder: str = "none", cache_dir: Path | None = None) -> Path:
    """Copy tests/data/build_api (docs.jsonl + chunks.jsonl) to ``dest``, seal it and index it there."""
    from index import build_index, store

    dest.mkdir(parents=True, exist_ok=True)
    for name in ("docs.jsonl", "chunks.jsonl"):
        shutil.copy(BUILD_API / name, dest / name)
    store.seal(dest)
    build_index(dest, encoder=encoder, cache_dir=cache_dir or dest / "cache", progress=False)
    return dest


@contextmanager
def _live_server(settings, timeout: float = 60.0):
    """A real uvicorn serving ``create_app(settings)`` on 127.0.0.1 (a free port), in a thread.
    Yields the base URL once /health answers (200 or 503)."""
    import uvicorn

    from service.app import create_app
    from service.server import uvicorn_config

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn_config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                r = httpx.get(base + "/health", timeout=5)
                if r.status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"uvicorn did not come up on {base}")
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def _loopback_site(handler_class):
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) serving ``handler_class`` in a thread;
    yields its base URL and shuts it down afterwards."""
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _make_tiny_st_model(path: Path, texts: list[str] | None = None, dim: int = 256) -> Path:
    """A character-level StaticEmbedding model built offline (no hub), saved to ``path``; its
    vocabulary is the characters of ``texts`` (default: the small test build's chunks)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    torch = pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer
    try:
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import StaticEmbedding
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    if texts is None:
        from index import store

        _, chunks = store.read_build(TEST_DATA / "build_small")
        texts = [c.text + c.title for c in chunks]
    chars = sorted({ch for t in texts for ch in t if not ch.isspace()})
    vocab = {"[UNK]": 0, "[PAD]": 1, **{ch: i + 2 for i, ch in enumerate(chars)}}
    tk = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tk.normalizer = BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tk.pre_tokenizer = BertPreTokenizer()
    torch.manual_seed(0)
    model = SentenceTransformer(modules=[StaticEmbedding(tk, embedding_dim=dim)], device="cpu")
    model.save(str(path))
    return path




@pytest.fixture(scope="session")
def build_api_dir() -> Path:
    """The invented test build's source files (docs.jsonl + chunks.jsonl; read them, never write)."""
    return BUILD_API


@pytest.fixture(scope="session")
def make_test_build():
    """``make_test_build(dest, encoder="none", cache_dir=None) -> dest``: a fresh, indexed copy of the test build."""
    return _make_test_build


@pytest.fixture(scope="session")
def live_server():
    """``with live_server(settings) as base_url:`` — a real uvicorn on loopback."""
    return _live_server


@pytest.fixture(scope="session")
def loopback_site():
    """``with loopback_site(HandlerClass) as base_url:`` — a small web site on loopback."""
    return _loopback_site


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> Path:
    """The project's demo corpus ingested and indexed (BM25 only), once per session. Read-only."""
    from index import build_index
    from ingest import run_ingest

    dest = tmp_path_factory.mktemp("demo") / "demo"
    run_ingest(None, dest)
    build_index(dest, encoder="none", cache_dir=dest / "cache", progress=False)
    return dest


@pytest.fixture(scope="session")
def st_model_factory():
    """``st_model_factory(path, texts=None, dim=256) -> path``: a tiny offline sentence-transformers model
    (skips the test when the `st` extra is not installed)."""
    return _make_tiny_st_model


@pytest.fixture(scope="session")
def tiny_st_model(tmp_path_factory) -> str:
    """A tiny offline sentence-transformers model over the small test build's characters, built once."""
    return str(_make_tiny_st_model(tmp_path_factory.mktemp("st") / "tiny"))

@pytest.fixture(scope="session")
def demo_records(demo_build):
    """The demo corpus ingested for real (documents by id, chunks by document id)."""
    from answer.policies.scoring import read_build

    return read_build(demo_build)
