"""Behaviour of the shipped action models on real data (skipped without ../shared/data)."""

from __future__ import annotations

import numpy as np

from har_ros.action_config import shipped_model_path
from har_ros.classifier import ActionClassifier
from har_ros.skeleton import L_HIP, NECK, R_HIP


def _walk_windows(shared_data, clf):
    from har_ros.data.utd import load_utd_mhad
    from har_ros.training import build_windows

    # walk (a23) and jog (a22) of two test subjects the model never saw
    ds = load_utd_mhad(shared_data / "utd_mhad", subjects=[2, 4], actions=[22, 23])
    wi = build_windows(ds.sequences, clf.rate_hz, clf.window_frames, 3)
    return wi.gather(np.arange(len(wi)))


def test_default_model_treats_walking_across_the_image_like_walking_on_the_spot(shared_data):
    """UTD-MHAD people walk on the spot; a camera sees them cross the image. The shipped
    model leaves horizontal body displacement out (root_motion_horizontal: false), so the
    same walk shifted 2.5 torso lengths sideways over the window gets the same answer (with
    that channel it became bowling / baseball_swing / tennis_swing: measured)."""
    clf = ActionClassifier.load(shipped_model_path("default"))
    w = _walk_windows(shared_data, clf)
    hips = 0.5 * (w[:, :, R_HIP, :2] + w[:, :, L_HIP, :2])
    torso = np.median(np.linalg.norm(w[:, :, NECK, :2] - hips, axis=-1), axis=1)
    across = w.copy()
    shift = np.linspace(0.0, 1.0, w.shape[1])[None, :] * 2.5 * torso[:, None]
    present = across[..., 2] > 0
    across[..., 0] = np.where(present, across[..., 0] + shift[..., None], 0.0)
    p_spot, p_across = clf.predict_proba(w), clf.predict_proba(across)
    np.testing.assert_allclose(p_across, p_spot, atol=1e-4)
    walkish = np.isin(p_spot.argmax(1), [clf.classes.index("walk"), clf.classes.index("jog")])
    assert walkish.mean() >= 0.9, walkish.mean()
