"""UTD-MHAD (Chen et al., ICIP 2015) Kinect v1 skeletons -> image-like COCO-18 2D sequences.

Files ``a{action}_s{subject}_t{trial}_skeleton.mat`` hold ``d_skel`` (20 x 3 x T, metres).
Projection: orthographic, ``u = cx - s*x``, ``v = cy - s*y`` with ``s`` = 200 px/m and
(cx, cy) = (320, 240), i.e. roughly what a 640x480 camera with f = 525 px sees at the usual
2.6 m distance. With u = -x the person's right side lands at image-left for a person facing
the camera, as in a real image (checked in ``test/test_data_utd.py``).

Joint mapping (Kinect -> COCO-18): head -> nose (the Kinect head point sits on the face, the
nearest COCO joint; there is no face detail, so eyes and ears are missing); shoulder_center ->
neck; shoulders, elbows, hips, knees, ankles one to one; Kinect *wrist* -> COCO wrist
(``hand``, ``foot``, ``spine`` and ``hip_center`` are dropped). Kinect names are person-centric
(left_shoulder = the person's left). Frame rate ~30 fps.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from har_ros.data.common import SkeletonDataset, SkeletonSequence, uniform_stamps
from har_ros.errors import DataError
from har_ros.skeleton import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NECK,
    NOSE,
    NUM_JOINTS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
)

UTD_CLASSES: list[str] = [
    "swipe_left", "swipe_right", "wave", "clap", "throw", "arm_cross", "basketball_shoot",
    "draw_x", "draw_circle_CW", "draw_circle_CCW", "draw_triangle", "bowling", "boxing",
    "baseball_swing", "tennis_swing", "arm_curl", "tennis_serve", "push", "knock", "catch",
    "pickup_throw", "jog", "walk", "sit2stand", "stand2sit", "lunge", "squat",
]
UTD_FPS = 30.0
PIXELS_PER_METRE = 200.0
CENTRE_PX = (320.0, 240.0)
#: (Kinect row 0-based, COCO-18 index).
KINECT_TO_COCO: tuple[tuple[int, int], ...] = (
    (0, NOSE), (1, NECK),
    (4, L_SHOULDER), (5, L_ELBOW), (6, L_WRIST),
    (8, R_SHOULDER), (9, R_ELBOW), (10, R_WRIST),
    (12, L_HIP), (13, L_KNEE), (14, L_ANKLE),
    (16, R_HIP), (17, R_KNEE), (18, R_ANKLE),
)
_NAME = re.compile(r"a(\d+)_s(\d+)_t(\d+)_skeleton\.mat$")


def kinect_to_coco(d_skel: np.ndarray) -> np.ndarray:
    """(20, 3, T) Kinect metres -> (T, 18, 3) float32 COCO-18 pixels (orthographic projection).

    Joints at the Kinect origin (0, 0, 0, "not tracked") or non-finite become missing.
    """
    xyz = np.transpose(np.asarray(d_skel, dtype=np.float64), (2, 0, 1))  # (T, 20, 3)
    t = xyz.shape[0]
    sk = np.zeros((t, NUM_JOINTS, 3), dtype=np.float64)
    for k, c in KINECT_TO_COCO:
        p = xyz[:, k]
        ok = np.isfinite(p).all(axis=1) & (np.abs(p).sum(axis=1) > 0)
        sk[ok, c, 0] = CENTRE_PX[0] - PIXELS_PER_METRE * p[ok, 0]
        sk[ok, c, 1] = CENTRE_PX[1] - PIXELS_PER_METRE * p[ok, 1]
        sk[ok, c, 2] = 1.0
    return sk.astype(np.float32)


def kinect_to_coco_3d(d_skel: np.ndarray) -> np.ndarray:
    """(20, 3, T) Kinect metres -> (T, 18, 3) float32 COCO-18 joints in metres, in the Kinect
    frame (the body frame of :mod:`har_ros.viewpoint`); missing joints are NaN."""
    xyz = np.transpose(np.asarray(d_skel, dtype=np.float64), (2, 0, 1))
    out = np.full((xyz.shape[0], NUM_JOINTS, 3), np.nan)
    for k, c in KINECT_TO_COCO:
        p = xyz[:, k]
        ok = np.isfinite(p).all(axis=1) & (np.abs(p).sum(axis=1) > 0)
        out[ok, c] = p[ok]
    return out.astype(np.float32)


def load_utd_mhad(root: str | Path, subjects: list[int] | None = None,
                  actions: list[int] | None = None, trials: list[int] | None = None
                  ) -> SkeletonDataset:
    """Load ``root/*_skeleton.mat`` (``root`` = ``.../utd_mhad/skeleton`` or its parent).

    ``subjects``, ``actions`` (1-based, as in the file names) and ``trials`` filter the files.
    ``subject`` of each sequence is ``s<k>``; ``camera`` is ``kinect``. Each sequence also
    carries its 3D joints (``points3d``) for virtual-camera rendering.
    """
    import scipy.io

    root = Path(root)
    if (root / "skeleton").is_dir():
        root = root / "skeleton"
    files = sorted(root.glob("*_skeleton.mat"))
    if not files:
        raise DataError(f"{root}: no UTD-MHAD *_skeleton.mat files")
    seqs = []
    for path in files:
        m = _NAME.search(path.name)
        if not m:
            raise DataError(f"{path}: file name is not a{{action}}_s{{subject}}_t{{trial}}")
        a, s, tr = (int(g) for g in m.groups())
        if not 1 <= a <= len(UTD_CLASSES):
            raise DataError(f"{path}: unknown action a{a} (1..{len(UTD_CLASSES)})")
        if (subjects and s not in subjects) or (actions and a not in actions) or (
                trials and tr not in trials):
            continue
        try:
            d = scipy.io.loadmat(str(path))["d_skel"]
        except Exception as exc:  # noqa: BLE001
            raise DataError(f"{path}: cannot read d_skel ({exc})") from exc
        if d.ndim != 3 or d.shape[:2] != (20, 3):
            raise DataError(f"{path}: d_skel must be 20 x 3 x T, got {d.shape}")
        sk = kinect_to_coco(d)
        seqs.append(SkeletonSequence(sk, uniform_stamps(sk.shape[0], UTD_FPS), a - 1,
                                     subject=f"s{s}", camera="kinect", clip_id=path.stem,
                                     points3d=kinect_to_coco_3d(d)))
    return SkeletonDataset("utd_mhad", list(UTD_CLASSES), UTD_FPS, seqs)
