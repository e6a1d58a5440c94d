"""Shared pytest fixtures: where the real data lives, and the ROS environment for node tests."""

from __future__ import annotations

import os
import subprocess
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


@pytest.fixture(scope="session")
def demo_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clip vtest.avi: the copy 'har-ros demo' fetched, else one fetched now from
    Debian's opencv-doc into a session cache folder (md5-checked, as the demo does); skips
    with the fetch's reason when neither works (e.g. no apt-get, no package lists)."""
    from har_ros.demo_assets import demo_video_path, fetch_demo_video
    from har_ros.errors import DataError

    if demo_video_path().is_file():
        return demo_video_path()
    try:
        return fetch_demo_video(tmp_path_factory.mktemp("demo_clip") / "vtest.avi")
    except (DataError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"demo clip {demo_video_path()} is absent and fetching it failed: {exc}")


@pytest.fixture
def ros_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, str]]:
    """A fresh ROS domain for one test: (domain_id, env vars). Also sets them in os.environ."""
    from ros_harness import next_domain_id, ros_env

    domain_id = next_domain_id()
    env = ros_env(tmp_path, domain_id)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return domain_id, env


@pytest.fixture(scope="session")
def action_model_path() -> Path:
    """The shipped action model (or $HAR_ROS_TEST_MODEL); skips when neither exists."""
    from har_ros.action_config import default_model_path

    path = Path(os.environ.get("HAR_ROS_TEST_MODEL") or default_model_path())
    if not (path / "model.json").is_file():
        pytest.skip(f"no action model at {path} (the shipped model is har_ros/models/default)")
    return path


@pytest.fixture(scope="session")
def penn_clip(shared_data: Path):
    """One real Penn Action clip (0001: 151 frames at 30 fps, one person) in pixels."""
    from har_ros.data.penn import load_penn_clip

    seq, _ = load_penn_clip(require_file(shared_data / "penn_action/labels/0001.mat"))
    return seq
