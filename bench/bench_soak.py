"""Both nodes under a mix of hostile and good input at 30 fps: memory stays flat, nothing dies.

Starts ``har-ros run`` (pose + action node in one process) for two cameras and feeds it, at 30
frames per second per camera for ``--seconds``:

- cam0 (``sensor_msgs/Image``): real exercise.avi frames; every 10th message is hostile in
  turn: a 256x8 strip, a 1024x8 strip, a zero stamp, sec = -1, a stamp one hour ahead;
- cam1 (``CompressedImage``): the same frames as JPEG; every 10th message a 20000x20000 PNG
  decompression bomb (1.7 MB);
- cam0/skeletons, a second publisher beside the pose node, once per second: SkeletonArrays
  with sec = -1, a stamp one hour ahead, NaN joints, 3e38-pixel joints with image_width 0, and
  an empty track id.

Samples the node process's resident memory every 5 s and keeps the nodes' last diagnostics;
writes bench/results/soak.json. Run from the repository root (the ROS environment variables
are set here: loopback only, a domain of its own):

  python -m bench.bench_soak --seconds 600
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "test"))
RESULTS = ROOT / "bench" / "results" / "soak.json"
#: hostile inputs: cam0 images (strips, bad stamps), cam1's PNG bomb, bad SkeletonArrays
KINDS = ("strip256", "strip1024", "zero", "negative", "future", "bomb", "skeletons")
VIDEO = ROOT.parent / "shared" / "data" / "video" / "exercise.avi"


def rss_mib(pid: int) -> float:
    """Resident memory (MiB) of ``pid`` and its descendants (a --wrap command's child)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total or float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0, help="seconds of input")
    parser.add_argument("--fps", type=float, default=30.0, help="messages per second per camera")
    parser.add_argument("--domain", type=int, default=97, help="ROS_DOMAIN_ID to use")
    parser.add_argument("--hostile-every", type=int, default=10,
                        help="every N-th image message is hostile (0 = good input only, and "
                        "no bad SkeletonArrays: the baseline to compare memory with)")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help="hostile kinds to send, comma-separated, from: " + ", ".join(KINDS)
                        + " (one at a time finds which input a memory growth follows)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME:=VALUE",
                        help="extra node parameter (e.g. runtime:=opencv), repeatable")
    parser.add_argument("--wrap", default="", metavar="COMMAND",
                        help="run the nodes under this command (e.g. 'heaptrack -o /tmp/soak' "
                             "to find which allocations grow); RSS counts its children too")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    if not kinds or set(kinds) - set(KINDS):
        parser.error(f"--kinds: give some of {', '.join(KINDS)}")
    os.environ.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
                      ROS_DOMAIN_ID=str(args.domain))

    import cv2
    import rclpy
    from builtin_interfaces.msg import Time
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import CompressedImage, Image
    from std_msgs.msg import Header

    from har_ros.frames import SkeletonFrame
    from har_ros.msg import SkeletonArray
    from har_ros.ros import conversions as conv
    from har_ros.video_source import VideoSource

    from hostile_images import png_bomb, strip

    frames = list(VideoSource(VIDEO).frames(limit=100))
    jpegs = [cv2.imencode(".jpg", f)[1].tobytes() for f in frames]
    bomb = png_bomb()
    proc = subprocess.Popen(
        [*shlex.split(args.wrap), sys.executable, "-m", "har_ros.cli", "run", "--ros-args",
         "-p", "cameras:=[cam0, cam1]",
         "-p", "image_topics:=[cam0/image_raw, cam1/image_raw/compressed]",
         "-p", "net_height:=256", *[a for p in args.param for a in ("-p", p)]],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    rclpy.init()
    node = rclpy.create_node("soak_feeder")
    img_pub = node.create_publisher(Image, "cam0/image_raw", 10)
    jpg_pub = node.create_publisher(CompressedImage, "cam1/image_raw/compressed", 10)
    skel_pub = node.create_publisher(SkeletonArray, "cam0/skeletons", 10)
    diags: dict[str, dict] = {}

    def on_diag(msg: DiagnosticArray) -> None:
        for st in msg.status:
            diags[st.name] = {"level": int.from_bytes(st.level, "little")
                              if isinstance(st.level, bytes) else int(st.level),
                              "message": st.message,
                              **{kv.key: kv.value for kv in st.values}}

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 50)
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(diags) < 2:
        ex.spin_once(timeout_sec=0.1)
    if len(diags) < 2:
        proc.kill()
        raise SystemExit(f"the nodes did not start: {proc.stderr.read()[-2000:]}")

    def header(kind: str) -> Header:
        now = node.get_clock().now().nanoseconds
        if kind == "zero":
            return Header(stamp=Time(sec=0, nanosec=0), frame_id="cam")
        if kind == "negative":
            return Header(stamp=Time(sec=-1, nanosec=0), frame_id="cam")
        if kind == "future":
            now += 3600 * 10**9
        return Header(stamp=conv.ns_to_stamp(now), frame_id="cam")

    def bad_skeletons(k: int) -> SkeletonArray:
        kinds = ["negative", "future", "nan", "huge", "empty_id"]
        kind = kinds[k % len(kinds)]
        sk = np.full((1, 18, 3), 100.0, np.float32)
        sk[..., 2] = 0.9
        width, track = 384, "cam0/999"
        if kind == "nan":
            sk[0, :5, 0] = np.nan
        if kind == "huge":
            sk[..., :2], width = 3e38, 0
        if kind == "empty_id":
            track = ""
        stamp_kind = kind if kind in ("negative", "future") else "now"
        now = node.get_clock().now().nanoseconds
        msg = conv.skeletons_to_msg(SkeletonFrame(now, "cam", "cam0", width, 288, "soak", sk,
                                                  [track], np.ones(1, np.float32)))
        msg.header = header(stamp_kind)
        return msg

    hostile = [k for k in kinds if k not in ("bomb", "skeletons")]
    t0 = time.monotonic()
    samples, sent, n = [], {"good": 0, "hostile": 0, "bad_skeletons": 0}, 0
    next_t, next_sample = t0, t0
    try:
        while time.monotonic() - t0 < args.seconds and proc.poll() is None:
            i = n % len(frames)
            k = args.hostile_every
            if k and n % k == k - 1:
                kind = hostile[(n // k) % len(hostile)] if hostile else "now"
                if kind.startswith("strip"):
                    img = conv.bgr_to_imgmsg(strip(int(kind[5:]), 8), header("now"))
                else:
                    img = conv.bgr_to_imgmsg(frames[i], header(kind))
                img_pub.publish(img)
                if "bomb" in kinds:
                    jpg_pub.publish(CompressedImage(header=header("now"), format="png",
                                                    data=bomb))
                else:
                    jpg_pub.publish(CompressedImage(header=header("now"), format="jpeg",
                                                    data=jpegs[i]))
                sent["hostile"] += bool(hostile) + ("bomb" in kinds)
                sent["good"] += (not hostile) + ("bomb" not in kinds)
            else:
                img_pub.publish(conv.bgr_to_imgmsg(frames[i], header("now")))
                jpg_pub.publish(CompressedImage(header=header("now"), format="jpeg",
                                                data=jpegs[i]))
                sent["good"] += 2
            if k and "skeletons" in kinds and n % int(args.fps) == 0:
                skel_pub.publish(bad_skeletons(n // int(args.fps)))
                sent["bad_skeletons"] += 1
            n += 1
            now = time.monotonic()
            if now >= next_sample:
                samples.append((round(now - t0, 1), round(rss_mib(proc.pid), 1)))
                print(f"{samples[-1][0]:7.1f} s  RSS {samples[-1][1]:7.1f} MiB", flush=True)
                next_sample += 5.0
            next_t += 1.0 / args.fps
            while time.monotonic() < next_t:
                ex.spin_once(timeout_sec=max(0.0, next_t - time.monotonic()))
        alive = proc.poll() is None
        end = time.monotonic() + 3
        while time.monotonic() < end:
            ex.spin_once(timeout_sec=0.1)
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # a clean exit, so a --wrap profiler writes its data
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        node.destroy_node()
        rclpy.try_shutdown()
    after_warmup = [r for t, r in samples if t >= 60] or [r for _, r in samples]
    result = {
        "command": f"python -m bench.bench_soak --seconds {args.seconds:g} "
                   f"--hostile-every {args.hostile_every} --kinds {','.join(kinds)}"
                   + "".join(f" --param {p}" for p in args.param),
        "seconds": round(time.monotonic() - t0, 1), "fps_per_camera": args.fps,
        "messages_sent": sent, "nodes_alive_at_end": alive,
        "rss_mib": {"samples": samples, "after_warmup_first": after_warmup[0],
                    "last": after_warmup[-1], "max": max(after_warmup)},
        "diagnostics_last": diags, "load_average": os.getloadavg(),
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"alive {alive}; RSS after warm-up {after_warmup[0]} -> {after_warmup[-1]} MiB "
          f"(max {max(after_warmup)}); sent {sent}; -> {args.out}")
    return 0 if alive else 1


if __name__ == "__main__":
    raise SystemExit(main())
