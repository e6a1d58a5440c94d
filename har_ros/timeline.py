"""Action timelines: merge per-window labels into segments, print them, plot them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def segments(events: Sequence[tuple[float, str]], max_gap_s: float = 1.0
             ) -> list[tuple[float, float, str]]:
    """Merge time-ordered (t, label) events into (start, end, label) segments.

    Consecutive events with the same label join one segment; a gap longer than ``max_gap_s``
    ends a segment (the person was not seen). Times in seconds.
    """
    out: list[list] = []
    for t, label in events:
        if out and out[-1][2] == label and t - out[-1][1] <= max_gap_s:
            out[-1][1] = t
        else:
            out.append([t, t, label])
    return [(a, b, lab) for a, b, lab in out]


def format_timeline(tracks: dict[str, Sequence[tuple[float, str]]], t0: float = 0.0,
                    min_segment_s: float = 0.0) -> str:
    """Human-readable per-track timeline, times relative to ``t0``; segments shorter than
    ``min_segment_s`` are left out of the text (not out of the data)."""
    lines = []
    for track, events in sorted(tracks.items()):
        segs = [g for g in segments(events) if g[1] - g[0] >= min_segment_s] or segments(events)
        parts = [f"{a - t0:6.1f}-{b - t0:6.1f} s {lab}" for a, b, lab in segs]
        lines.append(f"{track}:\n    " + "\n    ".join(parts))
    return "\n".join(lines)


def plot_timeline(tracks: dict[str, Sequence[tuple[float, str]]], path: str | Path,
                  t0: float = 0.0, title: str = "Actions per tracked person") -> Path:
    """Save a timeline PNG: one row per track, coloured bars per action label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(tracks)
    labels = sorted({lab for ev in tracks.values() for _, lab in ev})
    cmap = plt.get_cmap("tab20")
    grey = {"unknown": "#999999", "warming_up": "#dddddd", "no_person": "#f5deb3",
            "stale": "#000000"}
    colours = {lab: grey.get(lab, cmap(i % 20))
               for i, lab in enumerate(labels)}
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(names) + 1.8))
    for row, name in enumerate(names):
        for a, b, lab in segments(tracks[name]):
            ax.barh(row, max(b - a, 0.1), left=a - t0, color=colours[lab], edgecolor="none")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("time since start (s)")
    ax.set_title(title)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[lab]) for lab in labels]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
