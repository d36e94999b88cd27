"""Fault injection (issue 12): ``govsearch ingest`` and ``govsearch index`` killed with SIGKILL at random
points, 20 runs each, seeded. After every kill: what is served is the previous build unchanged or the new
one complete, never a mix; the build folder holds the previous sealed pair, the new one, or a pair every
reader refuses; the next run completes without any manual clean-up and leaves no leftovers.

The corpus: the demo build's documents written out as Markdown files (version ``a``), and a second
version ``b`` with some documents edited (a marker sentence) and some removed. Real subprocesses, real
files, the real loader (:func:`index.open_index`, what the service's reload calls)."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.build import verify_build, write_lines
from core.errors import BuildIncomplete
from index import open_index, store

ROOT = Path(__file__).resolve().parent.parent
RUNS = 20  # kills after a delay drawn uniformly from [0, t_run]
TARGETED = 5  # and kills aimed at the writes: a moment after the first temp file appears
MARKER = "故障注入核验事项须携带蓝色登记卡"
QUERIES = ["营业执照", "开餐馆需要什么材料", "蓝色登记卡", "护照"]

pytestmark = pytest.mark.slow


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "govsearch", *args]


ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def run(*args: str) -> subprocess.CompletedProcess:
    r = subprocess.run(_cmd(*args), capture_output=True, text=True, env=ENV, timeout=300, cwd=ROOT)
    return r


def killed(args: tuple[str, ...], delay: float) -> int:
    """Start ``govsearch ARGS``, SIGKILL it after ``delay`` seconds (if still running); its exit code."""
    p = subprocess.Popen(_cmd(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=ROOT)
    try:
        p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
    return p.returncode


def killed_while_writing(args: tuple[str, ...], build: Path, pattern: str, delay: float) -> int:
    """Start ``govsearch ARGS`` and SIGKILL it ``delay`` seconds after a new file matching ``pattern``
    appears in ``build`` (its writes have begun); its exit code."""
    before = {p.name for p in build.glob(pattern)}
    p = subprocess.Popen(_cmd(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=ROOT)
    deadline = time.monotonic() + 120
    while p.poll() is None and time.monotonic() < deadline:
        if any(q.name not in before for q in build.glob(pattern)):
            time.sleep(delay)
            break
        time.sleep(0.0005)
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait()
    return p.returncode


def timed(*args: str) -> float:
    t = time.perf_counter()
    r = run(*args)
    assert r.returncode == 0, r.stderr
    return time.perf_counter() - t


def served(build: Path) -> dict:
    """What a loader serves from ``build``: counts, corpus hash and the results of a few queries."""
    idx = open_index(build)
    s = idx.stats()
    return {"documents": s["documents"], "chunks": s["chunks"], "corpus_hash": idx.manifest["corpus_hash"],
            "results": {q: [(h.doc_id, h.chunk_id, round(h.score, 6)) for h in idx.search(q, k=5, mode="bm25")]
                        for q in QUERIES}}


def leftovers(build: Path) -> list[str]:
    """Files and folders a finished run must not leave: temp files, version folders not served, stray links."""
    keep = store.current_version(build)
    out = [p.name for p in build.iterdir()
           if p.name.endswith(".tmp") or (p.name.startswith(".index") and p.resolve() != keep)
           or (p.name.startswith(".index") and p.is_symlink())]
    if keep is not None:
        out += [str(p.relative_to(build)) for p in keep.rglob("*.tmp")]
    return out


@pytest.fixture(scope="module")
def versions(tmp_path_factory, demo_build) -> dict:
    """Two versions of a folder of Markdown files, and for each: its ingested pair (docs, chunks, report)
    and what a loader serves once it is indexed (built with the CLI, as the runs below are)."""
    root = tmp_path_factory.mktemp("fault")
    docs = [json.loads(line) for line in (demo_build / "docs.jsonl").read_text("utf-8").splitlines()]
    out = {}
    for name in ("a", "b"):
        src = root / name / "src"
        src.mkdir(parents=True)
        for i, d in enumerate(docs):
            text = d["text"]
            if name == "b":
                if i % 9 == 0:
                    continue  # removed in b
                if i % 5 == 0:
                    text += f"\n\n{MARKER}。"  # edited in b
            (src / f"{d['doc_id'].replace('/', '_')}.md").write_text(f"# {d['title']}\n\n{text}\n", "utf-8")
        ref = root / name / "build"
        r = run("ingest", str(src), "--out", str(ref))
        assert r.returncode == 0, r.stderr
        assert run("index", "--build", str(ref), "--encoder", "none").returncode == 0
        out[name] = {"src": src, "hash": verify_build(ref), "served": served(ref),
                     "pair": {n: (ref / n).read_bytes() for n in (store.DOCS, store.CHUNKS, store.REPORT)}}
    assert out["a"]["hash"] != out["b"]["hash"]
    assert out["a"]["served"]["results"] != out["b"]["served"]["results"]
    return out


def _fresh_build(tmp_path: Path, versions: dict, name: str) -> Path:
    build = tmp_path / "build"
    assert run("ingest", str(versions[name]["src"]), "--out", str(build)).returncode == 0
    assert run("index", "--build", str(build), "--encoder", "none").returncode == 0
    assert served(build) == versions[name]["served"]
    return build


def test_killed_ingest_never_changes_what_is_served(tmp_path, versions):
    rng = random.Random(1201)
    build = _fresh_build(tmp_path, versions, "a")
    indexed = "a"  # the version the index serves (ingest never changes it)
    cur = "a"  # the version of the last complete ingest
    t_run = max(timed("ingest", str(versions["b"]["src"]), "--out", str(tmp_path / "timing")), 0.5)
    outcomes = {"previous": 0, "new": 0, "refused": 0, "left temp files": 0}
    for run_no in range(RUNS + TARGETED):
        new = "b" if cur == "a" else "a"
        args = ("ingest", str(versions[new]["src"]), "--out", str(build))
        if run_no < RUNS:
            delay = rng.uniform(0, t_run)
            killed(args, delay)
        else:
            delay = rng.uniform(0, 0.15)
            killed_while_writing(args, build, ".*.tmp", delay)
        outcomes["left temp files"] += bool(leftovers(build))

        # what is served: the index's own copy, untouched by ingest
        assert served(build) == versions[indexed]["served"], (run_no, delay)
        # the build folder: the previous sealed pair, the new one, or a pair every reader refuses
        try:
            chash = verify_build(build)
        except BuildIncomplete:
            outcomes["refused"] += 1
            r = run("index", "--build", str(build), "--encoder", "none")
            assert r.returncode != 0 and "govsearch ingest" in r.stderr + r.stdout, r.stderr
            assert served(build) == versions[indexed]["served"]
        else:
            assert chash in (versions[cur]["hash"], versions[new]["hash"]), (run_no, delay)
            outcomes["previous" if chash == versions[cur]["hash"] else "new"] += 1
            want = versions[cur] if chash == versions[cur]["hash"] else versions[new]
            assert (build / store.DOCS).read_bytes() == want["pair"][store.DOCS]
            assert (build / store.CHUNKS).read_bytes() == want["pair"][store.CHUNKS]

        # the next run completes without clean-up by hand and leaves nothing behind
        r = run("ingest", str(versions[new]["src"]), "--out", str(build))
        assert r.returncode == 0, (run_no, delay, r.stderr)
        assert verify_build(build) == versions[new]["hash"]
        assert leftovers(build) == [], (run_no, delay)
        cur = new
        if run_no % 5 == 4:  # now and then index it: later kills then leave a different version served
            assert run("index", "--build", str(build), "--encoder", "none").returncode == 0
            indexed = cur
            assert served(build) == versions[indexed]["served"] and leftovers(build) == []
    print(f"ingest killed {RUNS} + {TARGETED} times (t_run {t_run:.2f} s): {outcomes}")
    assert outcomes["previous"] + outcomes["new"] + outcomes["refused"] == RUNS + TARGETED


def test_killed_index_serves_the_previous_index_or_the_new_one_complete(tmp_path, versions):
    rng = random.Random(1202)
    build = _fresh_build(tmp_path, versions, "a")
    cur = "a"
    timing = tmp_path / "timing"
    timing.mkdir()
    for n, data in versions["b"]["pair"].items():
        (timing / n).write_bytes(data)
    t_run = max(timed("index", "--build", str(timing), "--encoder", "none"), 0.5)
    outcomes = {"previous": 0, "new": 0, "left a version folder": 0}
    for run_no in range(RUNS + TARGETED):
        new = "b" if cur == "a" else "a"
        for n in (store.DOCS, store.CHUNKS, store.REPORT):  # the new corpus, sealed (as ingest leaves it)
            write_lines(build / n, [versions[new]["pair"][n].decode("utf-8").rstrip("\n")])
        assert verify_build(build) == versions[new]["hash"]
        args = ("index", "--build", str(build), "--encoder", "none")
        if run_no < RUNS:
            delay = rng.uniform(0, t_run)
            killed(args, delay)
        else:
            delay = rng.uniform(0, 0.5)
            killed_while_writing(args, build, ".index-2*", delay)
        outcomes["left a version folder"] += bool(leftovers(build))

        got = served(build)  # loads completely or not at all; never a mix
        assert got in (versions[cur]["served"], versions[new]["served"]), (run_no, delay)
        outcomes["previous" if got == versions[cur]["served"] else "new"] += 1

        r = run("index", "--build", str(build), "--encoder", "none")
        assert r.returncode == 0, (run_no, delay, r.stderr)
        assert store.read_manifest(build)["corpus_hash"] == versions[new]["hash"]
        assert leftovers(build) == [], (run_no, delay)
        assert {p.name for p in build.iterdir()} == {store.DOCS, store.CHUNKS, store.REPORT, ".lock", "index",
                                                      store.current_version(build).name}
        cur = new
    print(f"index killed {RUNS} + {TARGETED} times (t_run {t_run:.2f} s): {outcomes}")
    assert outcomes["previous"] + outcomes["new"] == RUNS + TARGETED
