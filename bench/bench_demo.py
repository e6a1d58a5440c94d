"""The demo's frame budget: how many of vtest.avi's frames the pipeline keeps at 10 fps.

Run from the repository root: ``python -m bench.bench_demo [--video V] [--out FILE]``.
Runs ``har-ros demo`` (camera, pose and action nodes in one process over loopback DDS, the
annotated video written as results arrive) on the whole clip and reads its timeline.json:
frames published and processed (the pose node keeps the newest frame and drops the ones that
arrive while it is busy), tracks, the backend's time per frame. Target (issue #11): at least
60 % of the frames processed. Writes bench/results/demo.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "demo.json"
TARGET_FRACTION = 0.60


def main(argv: list[str] | None = None) -> int:
    from bench.bench_pose import machine
    from har_ros.demo_assets import demo_video_path, fetch_demo_video
    from har_ros.video_source import VideoSource

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=None,
                        help="clip to play (default: the demo's vtest.avi, fetched if absent)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    video = args.video or (demo_video_path() if demo_video_path().is_file()
                           else fetch_demo_video())
    env = {**os.environ, "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
           "ROS_DOMAIN_ID": os.environ.get("ROS_DOMAIN_ID", "64"),
           "PYTHONPATH": str(ROOT)}
    start = machine()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "har_ros.cli", "demo", "--video", str(video), "--out", tmp]
        done = subprocess.run(cmd, env=env, cwd=ROOT, text=True, capture_output=True)
        if done.returncode != 0:
            print(done.stdout[-3000:] + done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        timeline = json.loads((Path(tmp) / "timeline.json").read_text())
    pose = timeline["pose"]
    published, processed = timeline["frames_published"], timeline["frames_processed"]
    result = {
        "command": "har-ros demo", "video": video.name, "fps": VideoSource(video).fps,
        "frames_published": published, "frames_processed": processed,
        "processed_fraction": processed / published if published else 0.0,
        "target_fraction": TARGET_FRACTION,
        "tracks": len([k for k in timeline["tracks"] if not k.startswith("operator")]),
        "runtime": pose.get("pose_runtime"), "precision": pose.get("pose_precision"),
        "backend_ms_p50": pose.get("backend_ms_p50"), "backend_ms_p95": pose.get("backend_ms_p95"),
        "node_overhead_ms_p50": pose.get("node_overhead_ms_p50"),
        "machine": start, "load_average": list(os.getloadavg()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{processed} of {published} frames processed "
          f"({100 * result['processed_fraction']:.1f} %, target >= {100 * TARGET_FRACTION:.0f} %), "
          f"{result['tracks']} tracks, backend p50 {result['backend_ms_p50']:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
