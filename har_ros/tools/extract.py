"""Extract skeletons from an image bag or a video file: a SkeletonArray bag and CSVs.

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
from pathlib import Path

from har_ros.pose.base import DEFAULT_NET_HEIGHT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--bag", help="bag with Image / CompressedImage topics")
    src.add_argument("--video", help="video file (frames stamped at the file's frame rate)")
    parser.add_argument("--out", required=True, help="output folder (created)")
    parser.add_argument("--topics", nargs="+", default=None, help="image topics (default all)")
    parser.add_argument("--camera", default="camera", help="camera name for --video")
    parser.add_argument("--storage", choices=("sqlite3", "mcap"), default="mcap")
    parser.add_argument("--backend", default="openpose_mobilenet", help="pose backend")
    parser.add_argument("--net-height", type=int, default=DEFAULT_NET_HEIGHT,
                        help="pose network input height")
    parser.add_argument("--limit", type=int, default=0, help="at most this many frames (0 = all)")
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from har_ros.bag_eval import camera_of
    from har_ros.bags import typestore as ts
    from har_ros.bags.reader import BagReader
    from har_ros.bags.writer import BagWriter, skeleton_message
    from har_ros.data.recordings import write_recordings
    from har_ros.errors import DataError
    from har_ros.frame_sources import bag_images, video_frames
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
    rows = write_recordings(out, recording, frames, fps)
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
