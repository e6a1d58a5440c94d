"""The demo's embedded default input: OpenCV's sample clip of people walking (vtest.avi,
768x576, 10 fps, 795 frames), taken from Debian's ``opencv-doc`` package at set-up time.

Nothing is committed: ``fetch_demo_video`` downloads the .deb with ``apt-get download`` (no
root needed when the package lists are present; ``apt-get update`` runs first only as root),
extracts the one file and checks its md5.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from har_ros.errors import DataError

DEB_PACKAGE = "opencv-doc"
MEMBER = "./usr/share/doc/opencv-doc/examples/data/vtest.avi"
MD5 = "d401fe2028f78dd585e2ade0a0d678c0"


def demo_video_path() -> Path:
    """Where the demo video lives: $HAR_ROS_DEMO_DIR or <prefix>/share/har_ros/demo."""
    root = os.environ.get("HAR_ROS_DEMO_DIR") or Path(sys.prefix) / "share" / "har_ros" / "demo"
    return Path(root) / "vtest.avi"


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_demo_video(dest: Path | None = None) -> Path:
    """Make sure the demo video exists (idempotent); returns its path."""
    dest = dest or demo_video_path()
    if dest.is_file() and _md5(dest) == MD5:
        return dest
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise DataError(f"'{tool}' not found: the demo video comes from Debian's {DEB_PACKAGE}"
                            " package; pass --video FILE to use another clip")
    with tempfile.TemporaryDirectory() as tmp:
        get = subprocess.run(["apt-get", "download", DEB_PACKAGE], cwd=tmp,
                             capture_output=True, text=True)
        if get.returncode != 0 and os.geteuid() == 0:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            get = subprocess.run(["apt-get", "download", DEB_PACKAGE], cwd=tmp,
                                 capture_output=True, text=True)
        debs = list(Path(tmp).glob(f"{DEB_PACKAGE}_*.deb"))
        if get.returncode != 0 or not debs:
            raise DataError(f"apt-get download {DEB_PACKAGE} failed: {get.stderr.strip()[-300:]}"
                            " (run 'sudo apt-get update' once, or pass --video FILE)")
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_suffix(".part")
        with part.open("wb") as out:
            tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(debs[0])],
                                   stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-O", MEMBER], stdin=tar.stdout, stdout=out, check=True)
            tar.wait()
    if _md5(part) != MD5:
        part.unlink()
        raise DataError(f"{MEMBER} from {DEB_PACKAGE} has an unexpected checksum")
    part.replace(dest)
    return dest
