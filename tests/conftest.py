import os
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def demo_records(tmp_path_factory):
    """The demo corpus ingested for real (documents by id, chunks by document id)."""
    from answer.policies.scoring import read_build
    from ingest import run_ingest

    build = tmp_path_factory.mktemp("demo-build")
    run_ingest(None, build)
    return read_build(build)
