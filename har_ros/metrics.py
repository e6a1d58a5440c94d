"""Classification metrics from integer labels (no sklearn): accuracy, P/R/F1, confusion matrix."""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C) int64 counts; rows = true class, columns = predicted class."""
    yt, yp = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (yt, yp), 1)
    return cm


def per_class_prf(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion matrix (0 where undefined)."""
    tp = np.diag(cm).astype(np.float64)
    pred = cm.sum(axis=0).astype(np.float64)
    true = cm.sum(axis=1).astype(np.float64)
    precision = np.divide(tp, pred, out=np.zeros_like(tp), where=pred > 0)
    recall = np.divide(tp, true, out=np.zeros_like(tp), where=true > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": true.astype(np.int64)}


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict:
    """JSON-ready summary: accuracy, macro-F1 (over classes present in y_true), per-class P/R/F1,
    confusion matrix (list of lists) and the number of samples."""
    cm = confusion_matrix(y_true, y_pred, len(classes))
    prf = per_class_prf(cm)
    present = prf["support"] > 0
    n = int(cm.sum())
    return {
        "n": n,
        "accuracy": float(np.trace(cm) / n) if n else 0.0,
        "macro_f1": float(prf["f1"][present].mean()) if present.any() else 0.0,
        "per_class": {
            c: {"precision": float(prf["precision"][i]), "recall": float(prf["recall"][i]),
                "f1": float(prf["f1"][i]), "support": int(prf["support"][i])}
            for i, c in enumerate(classes)
        },
        "confusion_matrix": cm.tolist(),
    }
