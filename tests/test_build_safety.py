"""What a build leaves on disk: files another user can read, no leftovers of a killed run after the next
one, and an embedding cache that heals itself. Real ingest, real index builds, the real CLI."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import build_index, open_index, store
from ingest import run_ingest

ROOT = Path(__file__).resolve().parent.parent


def govsearch(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "govsearch", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=ROOT)


# -- modes


def test_build_files_are_readable_by_others_whatever_the_umask(tmp_path):
    """A server running as another user must be able to read what ingest and index wrote (0644 files,
    0755 folders), even when they ran under umask 077."""
    build = tmp_path / "demo"
    old = os.umask(0o077)
    try:
        run_ingest(None, build)
        build_index(build, encoder="none", cache_dir=tmp_path / "cache", progress=False)
    finally:
        os.umask(old)
    for name in ("docs.jsonl", "chunks.jsonl", "report.json"):
        assert stat.S_IMODE((build / name).stat().st_mode) == 0o644, name
    version = store.current_version(build)
    assert version is not None and version.parent == build
    assert stat.S_IMODE(build.stat().st_mode) == 0o755
    paths = [version, *version.rglob("*")]
    assert len(paths) > 8
    for p in paths:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), (p.relative_to(build), oct(mode))


# -- leftovers of killed runs


def test_leftovers_of_a_killed_build_are_removed_by_the_next_index(tmp_path, make_test_build):
    build = make_test_build(tmp_path / "b")
    version = store.current_version(build)
    manifest = json.loads((build / "index" / "manifest.json").read_text("utf-8"))
    # what a build killed at various points leaves: a half-written version folder, a symlink made but
    # never renamed over `index`, temp files of interrupted writes, an old-style temp folder
    half = build / ".index-20260101T000000-deadbeef"
    (half / "bm25").mkdir(parents=True)
    (half / "bm25" / "params.index.json").write_text("{", "utf-8")
    (build / ".index-link-0badf00d").symlink_to(half.name)
    (build / ".index.tmp-1234").mkdir()
    (build / ".docs.jsonl.1a2b3c4d.tmp").write_text("half a line", "utf-8")
    (half / ".manifest.json.5e6f7a8b.tmp").write_text("{", "utf-8")

    r = govsearch("index", "--build", str(build), "--encoder", "none")
    assert r.returncode == 0, r.stderr
    left = {p.name for p in build.iterdir() if p.name.startswith(".")}
    assert left == {".lock", version.name}, left
    assert store.current_version(build) == version  # unchanged corpus: the same index, reused
    assert json.loads((build / "index" / "manifest.json").read_text("utf-8"))["files"] == manifest["files"]
    assert open_index(build).search("营业执照", k=3)


def test_leftovers_of_a_killed_ingest_are_removed_by_the_next_ingest(tmp_path):
    build = tmp_path / "demo"
    run_ingest(None, build)
    (build / ".chunks.jsonl.0a1b2c3d.tmp").write_text("{\"half\": ", "utf-8")
    (build / ".report.json.99999999.tmp").write_text("", "utf-8")
    r = govsearch("ingest", "--out", str(build))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in build.iterdir()) == [".lock", "chunks.jsonl", "docs.jsonl", "report.json"]
    store.verify_build(build)


# -- a damaged embedding cache


def _damage_truncated_shard(folder: Path) -> None:
    npy = sorted(folder.glob("shard-*.npy"))[0]
    data = npy.read_bytes()
    npy.write_bytes(data[: len(data) // 3])


def _damage_meta(folder: Path) -> None:
    (folder / "meta.json").write_bytes(b"\x00garbage{")


def _damage_keys_without_vectors(folder: Path) -> None:
    sorted(folder.glob("shard-*.npy"))[0].unlink()


def _damage_keys_garbage(folder: Path) -> None:
    sorted(folder.glob("shard-*.json"))[0].write_text('["abc", ', "utf-8")


def _damage_wrong_shape(folder: Path) -> None:
    npy = sorted(folder.glob("shard-*.npy"))[0]
    np.save(npy, np.zeros((3, 7), dtype=np.float32), allow_pickle=False)


DAMAGE = {"truncated shard": _damage_truncated_shard, "garbage meta.json": _damage_meta,
          "key list without vectors": _damage_keys_without_vectors, "garbage key list": _damage_keys_garbage,
          "shard of the wrong shape": _damage_wrong_shape}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_embedding_cache_is_quarantined_and_re_encoded(tmp_path, make_test_build, tiny_st_model, damage):
    enc = f"st:{tiny_st_model}"
    cache = tmp_path / "cache"
    first = make_test_build(tmp_path / "first", encoder=enc, cache_dir=cache)
    m1 = json.loads((first / "index" / "manifest.json").read_text("utf-8"))
    assert m1["encoded"] > 0
    (folder,) = [p for p in cache.iterdir() if p.is_dir()]
    DAMAGE[damage](folder)

    # the next build over the same cache: no manual deletion, the damaged part encoded again
    second = make_test_build(tmp_path / "second", encoder=enc, cache_dir=cache)
    m2 = json.loads((second / "index" / "manifest.json").read_text("utf-8"))
    if damage == "garbage meta.json":
        assert m2["encoded"] == 0  # the shards were intact: only meta.json is rewritten
    else:
        assert 0 < m2["encoded"] <= m1["encoded"]
    quarantine = folder / "quarantine"
    assert quarantine.is_dir() and (quarantine / "why.txt").read_text("utf-8").strip()
    assert json.loads((folder / "meta.json").read_text("utf-8"))["dim"] == m1["dim"]
    v1 = np.load(store.current_version(first) / store.VECTORS)
    v2 = np.load(store.current_version(second) / store.VECTORS)
    np.testing.assert_allclose(v1, v2, rtol=1e-5, atol=1e-6)
    # and the build after that finds a healthy cache: nothing to encode, nothing more quarantined
    n_quarantined = len(list(quarantine.iterdir()))
    third = make_test_build(tmp_path / "third", encoder=enc, cache_dir=cache)
    assert json.loads((third / "index" / "manifest.json").read_text("utf-8"))["encoded"] == 0
    assert len(list(quarantine.iterdir())) == n_quarantined
