"""The pose detector's own errors as a training augmentation (no ROS, no torch).

Training skeletons (UTD-MHAD Kinect joints, Penn Action hand annotations) are complete and
smooth; the skeletons the pose node serves are not. A :class:`DetectorErrorModel` holds what
``bench/bench_pose_errors.py`` measured on real footage for one backend (shipped for
``openpose_mobilenet`` as ``har_ros/pose/openpose_mobilenet_errors.json``), and
:func:`apply_detector_errors` puts those errors into pixel windows (B, T, 18, 3):

- misses per joint as a function of the window's person height in pixels, in two measured
  parts: joints missing for a whole window (``miss_window``) and per-frame flicker in the other
  windows (``miss_frame``);
- jitter: Gaussian, per joint, its standard deviation a measured fraction of the person height;
- left/right swaps: a left/right joint pair exchanged in single frames at the measured rate.

A joint missing in the input stays missing (eyes and ears absent from the training data stay
absent: the model masks joints it was not trained with). The measurements have no ground
truth: a miss is a joint the detector did not output, jitter is its frame-to-frame wobble.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har_ros.errors import ConfigError, DataError
from har_ros.skeleton import JOINT_INDEX, JOINT_NAMES, L_HIP, NECK, NUM_JOINTS, R_HIP

FORMAT = "har_ros.detector_errors/1"
SHIPPED_DIR = Path(__file__).resolve().parent / "pose"


def person_height_px(skeletons: np.ndarray, torso_ratio: float = 0.0) -> np.ndarray:
    """Person height in pixels of (..., 18, 3) skeletons, shape (...).

    The vertical extent of the detected joints; with ``torso_ratio`` > 0 it is at least
    ``torso_ratio`` times the neck-to-hip-centre distance, so a person whose legs are missing
    or cut by the image border is not taken as a small one. 0 where no joint is present.
    """
    sk = np.asarray(skeletons, dtype=np.float64)
    present = sk[..., 2] > 0
    y = sk[..., 1]
    ymax = np.where(present, y, -np.inf).max(axis=-1)
    ymin = np.where(present, y, np.inf).min(axis=-1)
    height = np.where(present.any(axis=-1), ymax - ymin, 0.0)
    if torso_ratio > 0:
        hips = present[..., R_HIP] | present[..., L_HIP]
        both = present[..., R_HIP] & present[..., L_HIP]
        hip_xy = np.where(both[..., None], (sk[..., R_HIP, :2] + sk[..., L_HIP, :2]) / 2,
                          np.where(present[..., R_HIP, None], sk[..., R_HIP, :2],
                                   sk[..., L_HIP, :2]))
        torso = np.linalg.norm(sk[..., NECK, :2] - hip_xy, axis=-1)
        ok = present[..., NECK] & hips
        height = np.where(ok, np.maximum(height, torso_ratio * torso), height)
    return height


def window_height_px(windows: np.ndarray, torso_ratio: float = 0.0) -> np.ndarray:
    """(B,) median person height in pixels over the frames of (B, T, 18, 3) windows that have
    a joint (0 for a window without any)."""
    h = person_height_px(windows, torso_ratio)  # (B, T)
    seen = (np.asarray(windows)[..., 2] > 0).any(axis=-1)
    masked = np.where(seen, h, np.nan)
    out = np.zeros(h.shape[0])
    rows = seen.any(axis=1)
    if rows.any():
        out[rows] = np.nanmedian(masked[rows], axis=1)
    return out


@dataclass(frozen=True)
class DetectorErrorModel:
    """Measured error rates of one pose backend.

    - ``height_bins_px`` (K,): increasing bin edges of the person height in pixels; K + 1
      bins (below the first edge, between edges, from the last edge up).
    - ``miss_window`` (K+1, 18): probability a joint is missing throughout a window.
    - ``miss_frame`` (K+1, 18): probability a joint is missing in one frame of a window in
      which it is not missing throughout.
    - ``jitter`` (K+1, 18): standard deviation of the per-frame position noise of a joint,
      per axis, as a fraction of the person height.
    - ``swap_pairs`` (P, 2) joint indices and ``swap_frame`` (P,): probability that a pair is
      exchanged in one frame.
    - ``torso_ratio``: person height / neck-to-hip distance (see :func:`person_height_px`).
    """

    backend: str
    height_bins_px: np.ndarray
    miss_window: np.ndarray
    miss_frame: np.ndarray
    jitter: np.ndarray
    swap_pairs: np.ndarray
    swap_frame: np.ndarray
    torso_ratio: float
    source: str = ""

    @classmethod
    def from_dict(cls, data: object, source: str = "") -> DetectorErrorModel:
        """Validate a parsed JSON object; DataError says what is wrong."""
        where = source or "detector error model"

        def bad(msg: str) -> DataError:
            return DataError(f"{where}: {msg}")

        if not isinstance(data, dict):
            raise bad("expected a JSON object")
        if data.get("format") != FORMAT:
            raise bad(f"'format' must be {FORMAT!r}, got {data.get('format')!r}")
        if list(data.get("joints", [])) != list(JOINT_NAMES):
            raise bad("'joints' must list the 18 COCO-18 joint names in har_ros order")
        def array(key: str) -> np.ndarray:
            if key not in data:
                raise bad(f"missing key '{key}'")
            try:
                return np.asarray(data[key], dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise bad(f"'{key}' is malformed ({exc})") from None

        edges = array("height_bins_px")
        tables = {k: array(k) for k in ("miss_window", "miss_frame", "jitter")}
        swap = array("swap_frame")
        torso = array("torso_ratio")
        if torso.shape != () or not np.isfinite(torso) or torso < 0:
            raise bad("'torso_ratio' must be a number >= 0")
        torso_ratio = float(torso)
        try:
            pairs = [[JOINT_INDEX[a], JOINT_INDEX[b]] for a, b in data.get("swap_pairs", [])]
        except KeyError as exc:
            raise bad(f"'swap_pairs' names an unknown joint {exc}") from None
        except (TypeError, ValueError):
            raise bad("'swap_pairs' must be pairs of joint names") from None
        if edges.ndim != 1 or edges.size == 0 or not np.all(np.isfinite(edges)) \
                or np.any(edges <= 0) or np.any(np.diff(edges) <= 0):
            raise bad("'height_bins_px' must be increasing positive pixel heights")
        shape = (edges.size + 1, NUM_JOINTS)
        for key, table in tables.items():
            if table.shape != shape or not np.all(np.isfinite(table)) or np.any(table < 0):
                raise bad(f"'{key}' must be {shape[0]} rows (height bins) of 18 values >= 0")
            if key != "jitter" and np.any(table > 1):
                raise bad(f"'{key}' holds probabilities: values must be in [0, 1]")
        if np.any(tables["jitter"] > 1):
            raise bad("'jitter' is a fraction of the person height: values must be <= 1")
        if swap.shape != (len(pairs),) or np.any(~np.isfinite(swap)) or np.any(swap < 0) \
                or np.any(swap > 1):
            raise bad("'swap_frame' must be one probability in [0, 1] per swap pair")
        return cls(str(data.get("backend", "")), edges, tables["miss_window"],
                   tables["miss_frame"], tables["jitter"],
                   np.asarray(pairs, dtype=np.int64).reshape(-1, 2), swap, torso_ratio, source)

    @classmethod
    def load(cls, path: str | Path) -> DetectorErrorModel:
        """Read and validate a JSON file written by bench/bench_pose_errors.py."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise DataError(f"cannot read detector error model {path}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} is not valid JSON: {exc}") from None
        return cls.from_dict(data, str(path))

    def height_bin(self, height_px: np.ndarray) -> np.ndarray:
        """Bin index (0..K) of person heights in pixels."""
        return np.searchsorted(self.height_bins_px, np.asarray(height_px), side="right")


def resolve_error_model(name_or_path: str) -> Path:
    """A shipped model's name (e.g. 'openpose_mobilenet') or a JSON file path -> the path.

    Raises ConfigError naming 'detector_errors' when neither exists.
    """
    shipped = SHIPPED_DIR / f"{name_or_path}_errors.json"
    if "/" not in name_or_path and shipped.is_file():
        return shipped
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    names = sorted(p.name.removesuffix("_errors.json") for p in SHIPPED_DIR.glob("*_errors.json"))
    raise ConfigError(f"augment.detector_errors={name_or_path!r} is neither a shipped detector "
                      f"error model ({', '.join(names)}) nor a JSON file; set it to one of "
                      "those, a path, or '' to turn it off")


@functools.lru_cache(maxsize=8)
def load_error_model(name_or_path: str) -> DetectorErrorModel:
    """:func:`resolve_error_model` + :meth:`DetectorErrorModel.load`, cached per name."""
    return DetectorErrorModel.load(resolve_error_model(name_or_path))


def apply_detector_errors(windows: np.ndarray, rng: np.random.Generator,
                          model: DetectorErrorModel, strength: float = 1.0,
                          heights_px: np.ndarray | None = None) -> np.ndarray:
    """Put the detector's measured errors into pixel windows (B, T, 18, 3); a new float32 array.

    Each window's rates are those of its person-height bin (``heights_px`` (B,) pixels, by
    default :func:`window_height_px`). ``strength`` scales every probability and the jitter
    (0 = unchanged, 1 = as measured). In order: single-frame left/right swaps of pairs present
    on both sides, Gaussian jitter of present joints, whole-window misses, per-frame misses.
    Missing joints (confidence 0) stay missing with x = y = 0.
    """
    w = np.array(windows, dtype=np.float32, copy=True)
    if w.ndim != 4 or w.shape[2:] != (NUM_JOINTS, 3):
        raise ValueError(f"windows must be (B, T, {NUM_JOINTS}, 3), got {w.shape}")
    b, t = w.shape[:2]
    if b == 0 or t == 0 or strength <= 0:
        return w
    height = (window_height_px(w, model.torso_ratio) if heights_px is None
              else np.asarray(heights_px, dtype=np.float64).reshape(b))
    k = model.height_bin(height)  # (B,)
    present = w[..., 2] > 0
    for (right, left), p in zip(model.swap_pairs, model.swap_frame, strict=True):
        swap = rng.random((b, t)) < min(1.0, strength * p)
        swap &= present[..., right] & present[..., left]
        if swap.any():
            w[swap, right], w[swap, left] = w[swap, left].copy(), w[swap, right].copy()
    sigma = strength * model.jitter[k] * height[:, None]  # (B, 18) pixels
    noise = rng.normal(0.0, 1.0, (b, t, NUM_JOINTS, 2)) * sigma[:, None, :, None]
    w[..., :2] += np.where(present[..., None], noise, 0.0).astype(np.float32)
    p_window = np.clip(strength * model.miss_window[k], 0.0, 1.0)  # (B, 18)
    p_frame = np.clip(strength * model.miss_frame[k], 0.0, 1.0)
    keep = present & (rng.random((b, 1, NUM_JOINTS)) >= p_window[:, None, :])
    keep &= rng.random((b, t, NUM_JOINTS)) >= p_frame[:, None, :]
    w[~keep] = 0.0
    return w
