"""Tracker id switches on real footage: exercise.avi (three people side by side all along).

Run from the repository root: ``python -m bench.bench_id_switches [--net-height 368]
[--step 1] [--runtime auto]``. Every ``step``-th frame of the whole clip goes through the
default pose backend and the tracker. Identity is position here: each person is the nearest of
the three column centres, and per person and frame the track with most joints counts; an id
switch is a change of that id between successive observations of a person. Writes
bench/results/id_switches.json (test/test_pose_real.py asserts a bound on a shorter stretch).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "data" / "video" / "exercise.avi"
RESULTS = ROOT / "bench" / "results" / "id_switches.json"
#: Neck x (pixels) of the three people in exercise.avi.
COLUMNS = np.array([97.0, 186.5, 264.2])


class ColumnIdentity:
    """Id switches of people who stay in fixed image columns (identity = position).

    Per frame, each person is the track nearest to one of ``columns`` (pixels, within
    ``max_dx``) with the most joints seen; a switch is a change of that track id between
    successive observations of the same column."""

    def __init__(self, columns: np.ndarray = COLUMNS, max_dx: float = 40.0) -> None:
        self.columns, self.max_dx = np.asarray(columns, float), max_dx
        self.last: dict[int, int] = {}
        self.ids: set[int] = set()
        self.switches = self.observations = 0

    def observe(self, tracks: list) -> None:
        """One frame's tracker output (objects with ``skeleton`` (18, 3) and ``track_id``)."""
        best: dict[int, tuple[int, int]] = {}
        for track in tracks:
            seen = track.skeleton[:, 2] > 0
            if not seen.any():
                continue
            x = float(track.skeleton[seen, 0].mean())
            col = int(np.argmin(np.abs(self.columns - x)))
            if abs(self.columns[col] - x) < self.max_dx and seen.sum() > best.get(col, (0, 0))[0]:
                best[col] = (int(seen.sum()), track.track_id)
        for col, (_, track_id) in best.items():
            self.observations += 1
            self.ids.add(track_id)
            self.switches += col in self.last and self.last[col] != track_id
            self.last[col] = track_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, default=VIDEO)
    parser.add_argument("--net-height", type=int, default=368)
    parser.add_argument("--step", type=int, default=1, help="use every step-th frame")
    parser.add_argument("--runtime", default="auto", help="auto, openvino or opencv")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.video.exists():
        raise SystemExit(f"{args.video} not found (../shared/data/video, see its README)")
    from har_ros.pose import make_backend
    from har_ros.tracking import Tracker

    backend = make_backend("openpose_mobilenet", net_height=args.net_height,
                           runtime=args.runtime)
    cap = cv2.VideoCapture(str(args.video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    tracker, identity = Tracker(), ColumnIdentity()
    frames = three = index = 0
    t0 = time.perf_counter()
    while True:
        ok, image = cap.read()
        if not ok:
            break
        index += 1
        if (index - 1) % args.step:
            continue
        (people,) = backend.infer([image])
        tracks = tracker.update(people, (index - 1) / fps)
        frames += 1
        three += len(tracks) == 3
        identity.observe(tracks)
    switches, observations, ids = identity.switches, identity.observations, identity.ids
    info = backend.runtime_info() if hasattr(backend, "runtime_info") else {}
    backend.close()
    out = {
        "command": "python -m bench.bench_id_switches " + " ".join(argv or []),
        "video": args.video.name, "net_height": args.net_height, "step": args.step,
        "frames": frames, "frames_with_three_people": three, "observations": observations,
        "id_switches": switches, "switch_rate": switches / max(1, observations),
        "distinct_ids": len(ids), "runs_on": info, "wall_s": round(time.perf_counter() - t0, 1),
        "load_average": list(os.getloadavg()),
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{switches} id switches in {observations} observations ({frames} frames, "
          f"{three} with three people), {len(ids)} distinct ids -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
