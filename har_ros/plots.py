"""PNG figures for training runs and evaluations (matplotlib, Agg backend, imported lazily)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(cm: np.ndarray, classes: list[str], path: str | Path, title: str = "") -> Path:
    """Row-normalised confusion matrix (rows = true class) with counts; saved as PNG."""
    plt = _plt()
    cm = np.asarray(cm, dtype=np.float64)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    n = len(classes)
    size = max(5.0, 0.38 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), classes, rotation=90, fontsize=7)
    ax.set_yticks(range(n), classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_title(title or "confusion matrix (row-normalised)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_history(history: list[dict], path: str | Path, title: str = "") -> Path:
    """Training curves: train/val loss and val accuracy per epoch; saved as PNG."""
    plt = _plt()
    ep = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    a1.plot(ep, [h["train_loss"] for h in history], label="train")
    a1.plot(ep, [h["val_loss"] for h in history], label="validation")
    a1.set_xlabel("epoch")
    a1.set_ylabel("cross-entropy")
    a1.legend()
    a2.plot(ep, [h["train_acc"] for h in history], label="train (augmented windows)")
    a2.plot(ep, [h["val_acc"] for h in history], label="validation windows")
    a2.set_xlabel("epoch")
    a2.set_ylabel("accuracy")
    a2.set_ylim(0, 1)
    a2.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_cell_demo(decisions: list[tuple[float, str]], speeds: list[tuple[float, float]],
                   fault: tuple[float, float] | None, path: Path) -> Path:
    """Two panels over one time axis (s since start): the operator's labels, the speed."""
    from har_ros.timeline import segments

    plt = _plt()
    labels = sorted({lab for _, lab in decisions})
    cmap = plt.get_cmap("tab20")
    grey = {"unknown": "#999999", "warming_up": "#dddddd", "no_person": "#f5deb3",
            "stale": "#000000"}
    colours = {lab: grey.get(lab, cmap(i % 20)) for i, lab in enumerate(labels)}
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(11, 4.2),
                                      gridspec_kw={"height_ratios": [1, 2]})
    for a, b, lab in segments(decisions):
        top.barh(0, max(b - a, 0.1), left=a, color=colours[lab], edgecolor="none")
    top.set_yticks([0], ["operator"])
    top.legend([plt.Rectangle((0, 0), 1, 1, color=colours[lab]) for lab in labels], labels,
               loc="upper left", bbox_to_anchor=(1.01, 1.3), fontsize=8)
    if speeds:
        t, v = zip(*speeds)
        bottom.step(t, v, where="post", color="tab:blue")
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_ylabel("speed fraction")
    bottom.set_xlabel("time since start (s)")
    if fault:
        for ax in (top, bottom):
            ax.axvspan(*fault, color="tab:red", alpha=0.2, lw=0)
        bottom.text(fault[0], 1.0, " action node frozen", color="tab:red", va="top", fontsize=8)
    top.set_title("Cell in a box: operator decisions and the safety gate's speed fraction")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
