"""Shared pytest fixtures: where the real data lives, and the ROS environment for node tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Set before any message module is imported (the generated classes read it at import time),
# and so that no node started in this process can send DDS traffic off loopback.
os.environ["ROS_PYTHON_CHECK_FIELDS"] = "1"
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HAR_ROS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips the test with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set HAR_ROS_SHARED_DATA)")
    return SHARED_DATA


def require_file(path: Path) -> Path:
    """Return ``path`` or skip the calling test, naming the missing file."""
    if not path.exists():
        pytest.skip(f"needs {path}, which is absent here")
    return path


@pytest.fixture
def ros_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, str]]:
    """A fresh ROS domain for one test: (domain_id, env vars). Also sets them in os.environ."""
    from ros_harness import next_domain_id, ros_env

    domain_id = next_domain_id()
    env = ros_env(tmp_path, domain_id)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return domain_id, env
