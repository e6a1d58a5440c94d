"""Draw COCO-18 skeletons, track ids and action labels on a BGR image.

Limbs on the person's right side are drawn in warm colours (orange/red), on the left side in
cool colours (blue/cyan), and the head-neck line in white, so a left/right swap is visible at a
glance. Text (``id N`` and an optional label) is placed just above the person's head. Positions
are image pixels (origin top-left).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from har_ros.errors import InputError
from har_ros.skeleton import JOINT_NAMES, LIMBS, NUM_JOINTS

#: BGR colours by body side.
RIGHT_COLOUR = (0, 120, 255)
LEFT_COLOUR = (255, 150, 0)
CENTRE_COLOUR = (255, 255, 255)
TEXT_COLOUR = (255, 255, 255)
TEXT_BACKGROUND = (40, 40, 40)


def limb_side(parent: int, child: int) -> str:
    """"right", "left" or "centre": the side of the body a limb belongs to."""
    for joint in (child, parent):
        name = JOINT_NAMES[joint]
        if name.startswith("r_"):
            return "right"
        if name.startswith("l_"):
            return "left"
    return "centre"


_SIDE_COLOURS = {"right": RIGHT_COLOUR, "left": LEFT_COLOUR, "centre": CENTRE_COLOUR}
_LIMB_COLOURS = tuple(_SIDE_COLOURS[limb_side(a, b)] for a, b in LIMBS)
_JOINT_COLOURS = tuple(
    _SIDE_COLOURS["right" if n.startswith("r_") else "left" if n.startswith("l_") else "centre"]
    for n in JOINT_NAMES
)


def draw_skeletons(
    image_bgr: np.ndarray,
    skeletons: np.ndarray,
    track_ids: Sequence[int] | None = None,
    labels: Sequence[str | None] | None = None,
    min_confidence: float = 0.0,
) -> np.ndarray:
    """Return a copy of ``image_bgr`` with the (P, 18, 3) ``skeletons`` drawn on it.

    Joints with confidence <= ``min_confidence`` are not drawn, nor limbs touching them.
    ``track_ids`` and ``labels`` (one per person; a label may be None) are written above each
    head. Line width and font scale grow with the image size.
    """
    if not isinstance(image_bgr, np.ndarray) or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
        shape = getattr(image_bgr, "shape", None)
        raise InputError(f"image must be a BGR (H, W, 3) array, got {shape}")
    people = np.asarray(skeletons, dtype=np.float32)
    if people.size == 0:
        return image_bgr.copy()
    if people.ndim == 2:
        people = people[None]
    if people.ndim != 3 or people.shape[1:] != (NUM_JOINTS, 3):
        raise InputError(f"skeletons must be (P, {NUM_JOINTS}, 3), got {people.shape}")
    for name, seq in (("track_ids", track_ids), ("labels", labels)):
        if seq is not None and len(seq) != len(people):
            raise InputError(f"{name} has {len(seq)} entries for {len(people)} skeletons")
    out = np.ascontiguousarray(image_bgr.copy())
    scale = max(out.shape[0], out.shape[1]) / 640.0
    thickness = max(1, int(round(2 * scale)))
    radius = max(2, int(round(3 * scale)))
    for p, person in enumerate(people):
        ok = np.isfinite(person).all(axis=1) & (person[:, 2] > min_confidence)
        pts = np.rint(np.nan_to_num(person[:, :2])).astype(np.int32)
        for (a, b), colour in zip(LIMBS, _LIMB_COLOURS):
            if ok[a] and ok[b]:
                cv2.line(out, tuple(pts[a]), tuple(pts[b]), colour, thickness, cv2.LINE_AA)
        for j in np.flatnonzero(ok):
            cv2.circle(out, tuple(pts[j]), radius, _JOINT_COLOURS[j], -1, cv2.LINE_AA)
        text = _caption(
            None if track_ids is None else track_ids[p], None if labels is None else labels[p]
        )
        if text and ok.any():
            _put_text(out, text, pts[ok], scale, radius)
    return out


def _caption(track_id: int | None, label: str | None) -> str:
    parts = []
    if track_id is not None:
        parts.append(f"id {int(track_id)}")
    if label:
        parts.append(str(label))
    return ": ".join(parts)


def _put_text(image: np.ndarray, text: str, pts: np.ndarray, scale: float, pad: int) -> None:
    """Write ``text`` on a dark box centred above the highest of ``pts`` (kept in the image)."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    font_scale = 0.45 * max(scale, 0.6)
    weight = max(1, int(round(scale)))
    (tw, th), base = cv2.getTextSize(text, font, font_scale, weight)
    top = int(pts[:, 1].min())
    cx = int(pts[:, 0].mean())
    x = int(np.clip(cx - tw // 2, 0, max(0, image.shape[1] - tw - 1)))
    y = int(np.clip(top - pad - base - 2, th + 1, image.shape[0] - base - 1))
    cv2.rectangle(image, (x - 1, y - th - 1), (x + tw + 1, y + base), TEXT_BACKGROUND, -1)
    cv2.putText(image, text, (x, y), font, font_scale, TEXT_COLOUR, weight, cv2.LINE_AA)
