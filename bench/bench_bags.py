"""Benchmarks of the bag tools.

1. Offline evaluation speed in x real time (bag seconds per wall second) of a skeleton bag
   (3 people, 30 fps) and of an image bag (exercise.avi frames through the pose backend).
2. Recording without drops: a publisher process sends N cameras x W x H x fps raw Images for
   --seconds while 'har-ros record' writes them; drops = published - recorded, per camera.

  python bench/bench_bags.py --seconds 60 [--model har_ros/models/default] [--skip-images]
Writes bench/results/bags.json (or --out). Sets ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST and a
ROS_DOMAIN_ID of its own for the processes it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "test"))
T0_NS = 1_700_000_000_000_000_000


def skeleton_bag(path: Path, seconds: float, fps: float = 30.0, people: int = 3) -> None:
    from nodes_for_tests.bag_fixtures import standing_skeleton

    from har_ros.bags.writer import BagWriter, skeleton_message
    from har_ros.frames import SkeletonFrame

    rng = np.random.default_rng(0)
    with BagWriter(path, "mcap") as bag:
        for i in range(int(seconds * fps)):
            stamp = T0_NS + int(i * 1e9 / fps)
            sk = np.stack([standing_skeleton(80 + 120 * p + 10 * np.sin(i / 5), 200)
                           for p in range(people)])
            sk[:, :, :2] += rng.normal(0, 1.5, sk[:, :, :2].shape).astype(np.float32)
            frame = SkeletonFrame(stamp, "c", "cam0", 640, 480, "bench", sk,
                                  [f"cam0/{p}" for p in range(people)],
                                  np.ones(people, np.float32))
            bag.write_message("/cam0/skeletons", stamp, skeleton_message(frame))


def image_bag(path: Path, video: Path, frames: int) -> None:
    import cv2

    from har_ros.bags.writer import BagWriter, image_message

    cap = cv2.VideoCapture(str(video))
    with BagWriter(path, "mcap") as bag:
        for i in range(frames):
            ok, frame = cap.read()
            if not ok:
                break
            stamp = T0_NS + i * 100_000_000
            bag.write_message("/cam0/image_raw", stamp, image_message(frame, stamp))


def offline_speed(bag: Path, model: str) -> dict:
    from har_ros.action_config import ActionNodeConfig
    from har_ros.bag_eval import evaluate_offline

    trace, _ = evaluate_offline(bag, action_config=ActionNodeConfig(model_path=model),
                                progress=False)
    return {"frames": trace.frames_in, "bag_s": round(trace.span_s, 2),
            "wall_s": round(trace.wall_s, 2),
            "x_real_time": round(trace.span_s / trace.wall_s, 2),
            "ms_per_frame": round(trace.wall_s * 1e3 / trace.frames_in, 2)}


PUBLISHER = r"""
import sys, time, numpy as np, rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from har_ros.ros import conversions as conv
cams, w, h = (int(a) for a in sys.argv[1:4])
fps, seconds = float(sys.argv[4]), float(sys.argv[5])
rclpy.init()
node = rclpy.create_node("bench_cameras")
qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
pubs = [node.create_publisher(Image, f"/cam{c}/image_raw", qos) for c in range(cams)]
img = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
msgs = [conv.bgr_to_imgmsg(img) for _ in range(cams)]
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not all(p.get_subscription_count() for p in pubs):
    time.sleep(0.05)
time.sleep(0.5)
n = int(seconds * fps); t0 = time.perf_counter(); late = 0
for i in range(n):
    target = t0 + i / fps
    now = time.perf_counter()
    if now < target: time.sleep(target - now)
    else: late += 1
    stamp = conv.ns_to_stamp(time.time_ns())
    for m, p in zip(msgs, pubs):
        m.header.stamp = stamp
        p.publish(m)
print(f"PUBLISHED {n} per camera, {late} ticks late, {time.perf_counter() - t0:.2f} s", flush=True)
time.sleep(1.0)
"""


def recording(cams: int, w: int, h: int, fps: float, seconds: float, storage: str,
              transport: str = "shm") -> dict:
    """Publisher and recorder as two processes; ``transport`` 'shm' gives both the
    shared-memory Fast DDS profile (config/fastdds_shm.xml), 'default' the stock transports."""
    from har_ros.bags.reader import BagReader

    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               ROS_DOMAIN_ID=str(80 + os.getpid() % 20),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    if transport == "shm":
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(REPO / "config" / "fastdds_shm.xml")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        out = Path(tmp) / "rec"
        topics = [f"/cam{c}/image_raw" for c in range(cams)]
        rec = subprocess.Popen([sys.executable, "-m", "har_ros.cli", "record", "-o", str(out),
                                "-s", storage, *topics], env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t0 = time.perf_counter()
        pub = subprocess.run([sys.executable, "-c", PUBLISHER, str(cams), str(w), str(h),
                              str(fps), str(seconds)], env=env, cwd=REPO, capture_output=True,
                             text=True, timeout=seconds + 120)
        time.sleep(1.0)
        rec.send_signal(signal.SIGINT)
        rec_out, _ = rec.communicate(timeout=120)
        wall = time.perf_counter() - t0
        with BagReader(out) as bag:
            counts = {t: bag.topics[t].count if t in bag.topics else 0 for t in topics}
            size = sum(p.stat().st_size for p in out.iterdir())
    sent = int(seconds * fps)
    return {"cameras": cams, "width": w, "height": h, "fps": fps, "seconds": seconds,
            "storage": storage, "published_per_camera": sent, "recorded": counts,
            "dropped": {t: sent - n for t, n in counts.items()},
            "publisher": pub.stdout.strip().splitlines()[-1:] + pub.stderr.strip()[-300:].split(
                "\n")[-1:],
            "bag_mb": round(size / 1e6, 1), "MB_per_s": round(size / 1e6 / seconds, 1),
            "wall_s": round(wall, 1), "recorder_output": rec_out.strip().splitlines()[-4:]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="recording length (s)")
    ap.add_argument("--skeleton-seconds", type=float, default=120.0)
    ap.add_argument("--image-frames", type=int, default=40)
    ap.add_argument("--model", default="", help="model folder (default: shipped model)")
    ap.add_argument("--storage", choices=("sqlite3", "mcap"), default="mcap")
    ap.add_argument("--skip-images", action="store_true")
    ap.add_argument("--skip-recording", action="store_true")
    ap.add_argument("--transport", nargs="+", choices=("shm", "default"),
                    default=["shm", "default"],
                    help="Fast DDS transports to record with (config/fastdds_shm.xml or stock)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "bags.json"))
    args = ap.parse_args()
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    model = args.model
    if not model:
        from har_ros.action_config import default_model_path

        model = default_model_path()
    with tempfile.TemporaryDirectory() as tmp:
        if (Path(model) / "model.json").is_file():
            skeleton_bag(Path(tmp) / "skel", args.skeleton_seconds)
            result["offline_skeleton_bag"] = offline_speed(Path(tmp) / "skel", model)
            print("skeleton bag:", result["offline_skeleton_bag"], flush=True)
            video = REPO.parent / "shared" / "data" / "video" / "exercise.avi"
            if not args.skip_images and video.is_file():
                image_bag(Path(tmp) / "img", video, args.image_frames)
                result["offline_image_bag"] = offline_speed(Path(tmp) / "img", model)
                print("image bag:", result["offline_image_bag"], flush=True)
        else:
            print(f"no model at {model}: offline speed skipped", flush=True)
    if not args.skip_recording:
        for transport in args.transport:
            key = "recording" if transport == "shm" else f"recording_{transport}_transport"
            result[key] = recording(3, 640, 480, 30.0, args.seconds, args.storage, transport)
            print(f"{key}:", json.dumps(result[key], indent=1), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
