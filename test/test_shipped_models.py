"""Behaviour of the shipped action models on real data (skipped without ../shared/data)."""

from __future__ import annotations

import numpy as np

from har_ros.action_config import shipped_model_path
from har_ros.classifier import ActionClassifier


def test_default_model_recognises_walkers_crossing_side_and_ceiling_views(shared_data):
    """Walk and jog clips of two test subjects the model never saw, rendered through virtual
    cameras at the side, oblique above and behind-above, the body travelling across the view
    (1.2 m/s walking, 2.4 m/s jogging) or on the spot: every placement is read as walk (the
    default model's one class for walking and jogging: merge_classes in its recipe; the model
    trained on frontal projections read 0-9 % of these windows as walk or jog)."""
    from har_ros.data.utd import load_utd_mhad
    from har_ros.training import evaluate_sequences
    from har_ros.viewpoint import VirtualCamera, render_sequence

    clf = ActionClassifier.load(shipped_model_path("default"))
    assert "jog" not in clf.classes
    walkish = [clf.classes.index("walk")]
    ds = load_utd_mhad(shared_data / "utd_mhad", subjects=[2, 4], actions=[22, 23])
    for az, el in ((90, 20), (45, 30), (180, 45)):
        for speed in (0.0, 1.2):
            seqs = [render_sequence(s, VirtualCamera(az, el, 5.0), None,
                                    speed * (2 if ds.classes[s.label] == "jog" else 1))
                    for s in ds.sequences]
            pred = evaluate_sequences(clf, seqs)
            share = np.isin(pred["win_pred"], walkish).mean()
            assert share >= 0.9, (az, el, speed, share)
