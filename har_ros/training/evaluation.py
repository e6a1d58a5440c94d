"""Evaluation of a classifier on labelled sequences: window and clip predictions, reports."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from har_ros.data.common import SkeletonSequence
from har_ros.metrics import classification_report
from har_ros.resample import DEFAULT_MAX_GAP_S
from har_ros.resample import subsample as subsample_fps
from har_ros.training.data import build_windows, segments


def evaluate_windows(model: nn.Module, feats: torch.Tensor, labels: torch.Tensor,
                     batch: int = 2048) -> tuple[float, float, np.ndarray]:
    """(cross-entropy loss, window accuracy, (N, C) probabilities) of ``model`` on features."""
    model.eval()
    outs = []
    with torch.inference_mode():
        for i in range(0, feats.shape[0], batch):
            outs.append(model(feats[i:i + batch]))
    logits = torch.cat(outs)
    loss = float(nn.functional.cross_entropy(logits, labels))
    proba = torch.softmax(logits, -1).numpy()
    return loss, float((proba.argmax(1) == labels.numpy()).mean()), proba


def clip_accuracy(proba: np.ndarray, clips: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the clip-averaged window probabilities (a clip's label: its last window's)."""
    ok = []
    for c in np.unique(clips):
        m = clips == c
        ok.append(proba[m].mean(0).argmax() == labels[m][-1])
    return float(np.mean(ok)) if ok else float("nan")


def evaluate_sequences(classifier, seqs: list[SkeletonSequence], input_fps: float | None = None,
                       max_gap_s: float = DEFAULT_MAX_GAP_S, stride_frames: int | None = None
                       ) -> dict:
    """Window- and clip-level predictions of ``classifier`` (an ActionClassifier) on ``seqs``.

    Per-frame-labelled sequences are split into constant-label clips first. With ``input_fps``
    each clip is first subsampled to that rate (simulating a slower pose source), then
    resampled to the model rate. Returns arrays: win_true, win_pred, clip_true, clip_pred,
    clip_proba, and the window count.
    """
    clips = [c for s in seqs for c in segments(s)]
    if input_fps:
        clips = [subsample_fps(c, input_fps) for c in clips]
    wi = build_windows(clips, classifier.rate_hz, classifier.window_frames,
                       stride_frames or classifier.stride_frames, (1.0,), max_gap_s)
    proba = classifier.predict_proba(wi.gather(np.arange(len(wi))))
    n_cls = proba.shape[1]
    clip_proba = np.zeros((len(clips), n_cls), dtype=np.float64)
    np.add.at(clip_proba, wi.clips, proba)
    clip_proba /= np.maximum(np.bincount(wi.clips, minlength=len(clips)), 1)[:, None]
    clip_true = np.array([c.label for c in clips], dtype=np.int64)
    return {"win_true": wi.labels, "win_pred": proba.argmax(1), "clip_true": clip_true,
            "clip_pred": clip_proba.argmax(1), "clip_proba": clip_proba, "windows": len(wi),
            "clip_subject": [c.subject for c in clips], "clip_camera": [c.camera for c in clips]}


def evaluation_report(pred: dict, classes: list[str]) -> dict:
    """Clip- and window-level classification reports (accuracy, macro-F1, per class, CM), and
    clip accuracy per subject and per camera (view) where the test set has several."""
    out = {"clip": classification_report(pred["clip_true"], pred["clip_pred"], classes),
           "window": classification_report(pred["win_true"], pred["win_pred"], classes)}
    ok = pred["clip_true"] == pred["clip_pred"]
    for key, name in (("clip_subject", "clip_accuracy_by_subject"),
                      ("clip_camera", "clip_accuracy_by_camera")):
        groups = np.asarray(pred.get(key, []), dtype=object)
        if len(set(groups.tolist())) > 1:
            out[name] = {str(g): {"n": int((groups == g).sum()),
                                  "accuracy": float(ok[groups == g].mean())}
                         for g in sorted(set(groups.tolist()))}
    return out


#: Loader options that pick a subset of the data rather than say how to read it: never
#: carried over from the model's training config.
SUBSET_OPTIONS = frozenset({"split", "limit", "subjects", "actions", "trials"})


def reading_options(training_config: dict, dataset: str) -> dict:
    """The loader options the model was trained with (e.g. Penn Action's
    ``invisible_as_missing``), when ``dataset`` is the format it was trained on: evaluating
    with other options would feed it joints prepared differently from its training data."""
    if training_config.get("dataset") != dataset:
        return {}
    opts = training_config.get("dataset_options") or {}
    return {k: v for k, v in opts.items() if k not in SUBSET_OPTIONS}


def native_rate(seqs: list[SkeletonSequence]) -> float | None:
    """The data's own frame rate (Hz, one decimal): the median over sequences of each one's
    median frame interval; None when no sequence has two frames."""
    rates = [1.0 / float(np.median(np.diff(s.stamps_s))) for s in seqs if s.num_frames > 1]
    return round(float(np.median(rates)), 1) if rates else None


def _row(report: dict) -> dict:
    return {"clip_accuracy": report["clip"]["accuracy"],
            "clip_macro_f1": report["clip"]["macro_f1"],
            "window_accuracy": report["window"]["accuracy"]}


def rate_rows(classifier, seqs: list[SkeletonSequence], classes: list[str],
              input_fps: list[float] | tuple[float, ...], native_report: dict,
              max_gap_s: float = DEFAULT_MAX_GAP_S) -> dict:
    """Accuracy by input rate, saying what was measured.

    ``native_report``: :func:`evaluation_report` of ``seqs`` as they are; it is the first row,
    keyed by the data's own rate (:func:`native_rate`, e.g. "15") and marked ``native``. Each
    rate of ``input_fps`` (Hz) below it gets a row measured on clips subsampled to that rate; a
    rate equal to it is the native row; a rate above it is listed in ``skipped_input_fps``
    (subsampling cannot make frames the data does not have). Returns ``native_fps``,
    ``accuracy_by_input_fps`` (rate string -> clip_accuracy, clip_macro_f1, window_accuracy)
    and ``skipped_input_fps``.
    """
    native = native_rate(seqs)
    rows: dict[str, dict] = {}
    skipped: list[float] = []
    if native is not None:
        rows[f"{native:g}"] = {**_row(native_report), "native": True}
    for fps in input_fps:
        if native is not None and abs(fps - native) <= 0.01 * native:
            continue
        if native is not None and fps > native:
            skipped.append(float(fps))
            continue
        rows[f"{fps:g}"] = _row(evaluation_report(
            evaluate_sequences(classifier, seqs, input_fps=fps, max_gap_s=max_gap_s), classes))
    return {"native_fps": native, "accuracy_by_input_fps": rows, "skipped_input_fps": skipped}


def rate_rows_text(rates: dict) -> str:
    """One line of :func:`rate_rows`' clip accuracies: "native (15 fps) 0.950, 10 fps 0.900;
    30 fps skipped (above the data's 15 fps)"."""
    parts = [(f"native ({k} fps)" if row.get("native") else f"{k} fps")
             + f" {row['clip_accuracy']:.3f}"
             for k, row in rates["accuracy_by_input_fps"].items()]
    text = ", ".join(parts)
    if rates.get("skipped_input_fps"):
        text += ("; " + ", ".join(f"{f:g}" for f in rates["skipped_input_fps"])
                 + f" fps skipped (above the data's {rates['native_fps']:g} fps)")
    return text
