"""Extract skeletons from an image bag or a video file: a SkeletonArray bag and seed CSVs.

Runs the pose node's core (PosePipeline: backend + tracker) over every frame, with a progress
bar, and writes into --out:
  skeletons/                 rosbag2 bag, '/<camera>/skeletons' (har_ros/msg/SkeletonArray)
  <rec>_<track>_keypoints.csv  one row per frame the track is seen: x0,y0,...,x17,y17 (pixels,
                             0,0 = joint missing), the predecessor project's format
  <rec>_<track>_stamps.csv   frame_index,stamp_ns,time_s (time since the first frame)
  manifest.csv               recording,subject,camera,fps,keypoints (har_ros.data.recordings)
  extract_report.json        (from a bag) frames, skeletons, tracks, and the messages skipped
                             by cause (undecodable CDR or image, impossible stamp)

  har-ros extract --video exercise.avi --out extracted/   |   har-ros extract --bag run1 --out x/
"""

from __future__ import annotations

import argparse
import json
from itertools import islice
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--bag", help="bag with Image / CompressedImage topics")
    src.add_argument("--video", help="video file (frames stamped at the file's frame rate)")
    parser.add_argument("--out", required=True, help="output folder (created)")
    parser.add_argument("--topics", nargs="+", default=None, help="image topics (default all)")
    parser.add_argument("--camera", default="camera", help="camera name for --video")
    parser.add_argument("--storage", choices=("sqlite3", "mcap"), default="mcap")
    parser.add_argument("--backend", default="openpose_mobilenet", help="pose backend")
    parser.add_argument("--net-height", type=int, default=368, help="pose network input height")
    parser.add_argument("--limit", type=int, default=0, help="at most this many frames (0 = all)")
    parser.add_argument("--no-progress", action="store_true")


#: Stamp of a video's first frame (ns): one second, because the nodes and bag tools refuse
#: the unset stamp 0 as a source stamp.
VIDEO_T0_NS = 1_000_000_000


def video_frames(path: str, camera: str, limit: int = 0, t0_ns: int = VIDEO_T0_NS):
    """CameraImage per frame of a video: stamps t0 + i / fps (ns)."""
    from har_ros.pose_pipeline import CameraImage
    from har_ros.video_source import VideoSource

    src = VideoSource(path)
    for i, image in enumerate(src.frames(limit)):
        yield CameraImage(camera, image, t0_ns + int(round(i * 1e9 / src.fps)),
                          f"{camera}_optical")


def bag_images(bag, topics, limit: int = 0, skipped=None):
    """CameraImage per image message of ``topics`` (bag order); a message that cannot be used
    is skipped and counted in ``skipped`` (a :class:`har_ros.bags.reader.SkipCount`)."""
    from har_ros.bag_eval import camera_of
    from har_ros.bags.reader import SkipCount, read_image
    from har_ros.pose_pipeline import CameraImage

    skipped = skipped if skipped is not None else SkipCount()
    messages = islice(bag.messages(topics), limit or None)
    for m, (image, stamp, frame_id) in skipped.readable(messages, lambda m: read_image(bag, m)):
        yield CameraImage(camera_of(m.topic), image, stamp, frame_id)


def write_csvs(out: Path, recording: str, frames, fps: float) -> list[dict]:
    """Per-track keypoint and stamp CSVs + manifest rows; returns the manifest rows."""
    import numpy as np

    per: dict[tuple[str, str], list[tuple[int, int, np.ndarray]]] = {}
    t0 = min(f.stamp_ns for f in frames) if frames else 0
    for i, f in enumerate(frames):
        for sk, tid in zip(f.skeletons, f.track_ids, strict=True):
            per.setdefault((f.camera_name, tid), []).append((i, f.stamp_ns, sk))
    rows = []
    for (camera, tid), items in sorted(per.items()):
        name = f"{recording}_{tid.replace('/', '_')}"
        kp = out / f"{name}_keypoints.csv"
        with kp.open("w", encoding="utf-8") as fh:
            for _, _, sk in items:
                xy = np.where(sk[:, 2:3] > 0, sk[:, :2], 0.0).reshape(-1)
                fh.write(",".join(f"{v:.2f}" for v in xy) + "\n")
        with (out / f"{name}_stamps.csv").open("w", encoding="utf-8") as fh:
            fh.write("frame_index,stamp_ns,time_s\n")
            for i, s, _ in items:
                fh.write(f"{i},{s},{(s - t0) * 1e-9:.6f}\n")
        rows.append({"recording": name, "subject": tid, "camera": camera, "fps": f"{fps:g}",
                     "keypoints": kp.name})
    with (out / "manifest.csv").open("w", encoding="utf-8") as fh:
        fh.write("recording,subject,camera,fps,keypoints\n")
        for r in rows:
            fh.write(",".join(r[k] for k in ("recording", "subject", "camera", "fps",
                                               "keypoints")) + "\n")
    return rows


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from har_ros.bag_eval import camera_of
    from har_ros.bags import typestore as ts
    from har_ros.bags.reader import BagReader
    from har_ros.bags.writer import BagWriter, skeleton_message
    from har_ros.errors import DataError
    from har_ros.pose_config import PoseNodeConfig
    from har_ros.pose_pipeline import PosePipeline

    out = Path(args.out)
    if (out / "skeletons").exists():
        raise DataError(f"{out / 'skeletons'} exists already; choose a new --out folder")
    out.mkdir(parents=True, exist_ok=True)
    reader = None
    skipped = None
    if args.bag:
        from har_ros.bags.reader import SkipCount

        skipped = SkipCount()
        reader = BagReader(args.bag)
        topics = args.topics or reader.topics_of_type(ts.IMAGE_TYPES)
        if not topics:
            raise DataError(f"bag {args.bag} has no Image or CompressedImage topic")
        reader.check_topics(topics, ts.IMAGE_TYPES)
        cams = [camera_of(t) for t in topics]
        total = sum(reader.topics[t].count for t in topics)
        source = bag_images(reader, topics, args.limit, skipped)
        recording = Path(args.bag).name
        fps = (total / len(topics)) / max(reader.duration_s, 1e-9)
    else:
        from har_ros.video_source import VideoSource

        vs = VideoSource(args.video)
        cams, total, fps = [args.camera], vs.frame_count, vs.fps
        source = video_frames(args.video, args.camera, args.limit)
        recording = Path(args.video).stem
    if args.limit:
        total = min(total, args.limit)
    pose = PosePipeline(PoseNodeConfig(cameras=cams, backend=args.backend,
                                       net_height=args.net_height))
    frames = []
    try:
        with BagWriter(out / "skeletons", args.storage) as bag:
            for item in tqdm(source, total=total, unit="frame", desc="extracting skeletons",
                             disable=args.no_progress):
                frame = pose.process([item])[0]
                frames.append(frame)
                bag.write_message(f"/{frame.camera_name}/skeletons", frame.stamp_ns,
                                  skeleton_message(frame))
    finally:
        pose.close()
        if reader is not None:
            reader.close()
    rows = write_csvs(out, recording, frames, fps)
    people = sum(len(f.track_ids) for f in frames)
    print(f"extract: {len(frames)} frames, {people} skeletons, {len(rows)} tracks -> {out}")
    if skipped is not None:
        print(f"extract: {skipped.summary()}")
        for reason in skipped.examples.values():
            print(f"  first skipped: {reason}")
        (out / "extract_report.json").write_text(
            json.dumps({"frames": len(frames), "skeletons": people, "tracks": len(rows),
                        "skipped_messages": skipped.as_dict()}, indent=1) + "\n",
            encoding="utf-8")
    return 0
