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
