"""Metrics against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.metrics import classification_report, confusion_matrix


def test_against_hand_computed_values():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 1, 2, 2])
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    r = classification_report(y_true, y_pred, ["a", "b", "c"])
    assert r["accuracy"] == pytest.approx(4 / 6)
    # a: P 2/2, R 2/3, F1 0.8; b: P 1/2, R 1/2, F1 0.5; c: P 1/2, R 1, F1 2/3
    assert r["per_class"]["a"] == pytest.approx(
        {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert r["per_class"]["b"]["f1"] == pytest.approx(0.5)
    assert r["per_class"]["c"]["precision"] == pytest.approx(0.5)
    assert r["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_absent_class_is_excluded_from_macro_f1_and_never_divides_by_zero():
    r = classification_report(np.array([0, 0, 1]), np.array([0, 1, 1]), ["a", "b", "c"])
    assert r["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert r["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 2)
