"""Cost of hostile images (issue #12): peak memory and time of the OpenPose mobilenet backend on
wide images with and without the network-input width bound, and the cost of reading a
compressed image's size from its header.

Run: ``python -m bench.bench_pose_hostile`` (writes bench/results/pose_hostile.json). Each
backend case runs in its own process so its peak RSS (VmHWM) is its own.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "pose_hostile.json"

CASE = r"""
import json, sys, time
import numpy as np
from har_ros.pose import openpose_mobilenet as om

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0

width, height, bounded = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
if not bounded:
    om.MAX_NET_ASPECT = 1e9  # the behaviour before the bound
backend = om.OpenPoseMobilenetBackend(net_height=368)
image = np.full((height, width, 3), 127, np.uint8)
before = hwm()
t0 = time.perf_counter()
backend.infer([image])
print(json.dumps({"image": f"{width}x{height}", "width_bound": bounded,
                  "net_input": list(om.net_input_size(width, height, 368)),
                  "infer_s": round(time.perf_counter() - t0, 3),
                  "peak_rss_mb_before": round(before), "peak_rss_mb_after": round(hwm())}))
"""


def backend_case(width: int, height: int, bounded: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", CASE, str(width), str(height), str(int(bounded))],
                         capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def header_costs() -> dict:
    import cv2
    import numpy as np

    from har_ros.conversions import compressed_size

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test"))
    from hostile_images import png_bomb

    ok, jpeg = cv2.imencode(".jpg", np.full((480, 640, 3), 90, np.uint8))
    cases = {"jpeg 640x480": jpeg.reshape(-1), "png bomb 20000x20000":
             np.frombuffer(png_bomb(), np.uint8)}
    costs = {}
    for name, data in cases.items():
        n = 2000
        t0 = time.perf_counter()
        for _ in range(n):
            compressed_size(data)
        costs[name] = {"bytes": int(data.size),
                       "header_read_us": round((time.perf_counter() - t0) / n * 1e6, 2)}
    return costs


def main() -> None:
    cases = [(640, 480, True), (2048, 256, True), (2048, 256, False), (256, 8, True)]
    results = {
        "machine": platform.platform(),
        "load_average_1min": os.getloadavg()[0],
        "note": "infer_s is one first call per process (includes OpenCV DNN set-up); "
                "peak_rss_mb_after is the process's VmHWM after it",
        "backend_cases": [backend_case(w, h, b) for w, h, b in cases],
        "compressed_header": header_costs(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
