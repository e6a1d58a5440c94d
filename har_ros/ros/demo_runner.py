"""The demo: camera publisher + pose node + action node + a collector, in one process.

The collector draws each processed frame (skeletons, track ids, current action labels) into
an annotated video as results arrive (only a few recent frames are kept in memory), records
the per-track and operator-level decisions, and writes the timeline outputs at the end.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import cv2
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter

from har_ros.draw import draw_skeletons
from har_ros.frames import track_number
from har_ros.msg import ActionStamped, SkeletonArray
from har_ros.ros import conversions as conv
from har_ros.ros.params import check_overrides
from har_ros.ros.runner import RCLError, check_network_env
from har_ros.status import UNKNOWN, Status, label_of
from har_ros.timeline import format_timeline, plot_timeline

#: The label of a track drawn before its first decision.
NOT_DECIDED_YET = label_of(Status.WARMING_UP, UNKNOWN)


class DemoCollector(Node):
    """Records pipeline output and writes the annotated video on the fly."""

    def __init__(self, publisher, camera: str, video_path: Path) -> None:
        super().__init__("demo_collector")
        self.publisher_node = publisher
        self.video_path = video_path
        self.writer: cv2.VideoWriter | None = None
        self.labels: dict[str, str] = {}
        self.tracks: dict[str, list[tuple[float, str]]] = {}
        self.operator: list[tuple[float, str]] = []
        self.frames_written = 0
        self.skeleton_msgs = 0
        self.create_subscription(SkeletonArray, f"{camera}/skeletons", self._on_skeletons, 10)
        self.create_subscription(ActionStamped, "actions", self._on_action, 50)
        self.create_subscription(ActionStamped, "action", self._on_operator, 10)

    def _on_action(self, msg: ActionStamped) -> None:
        t = conv.stamp_to_ns(msg.header.stamp) * 1e-9
        label = label_of(msg.status, msg.action)
        self.labels[msg.track_id] = label
        self.tracks.setdefault(msg.track_id, []).append((t, label))

    def _on_operator(self, msg: ActionStamped) -> None:
        self.operator.append((conv.stamp_to_ns(msg.header.stamp) * 1e-9,
                              label_of(msg.status, msg.action)))

    def _on_skeletons(self, msg: SkeletonArray) -> None:
        self.skeleton_msgs += 1
        frame = conv.msg_to_skeletons(msg)
        image = self.publisher_node.recent.get(frame.stamp_ns)
        if image is None:
            return
        ids = [track_number(t) for t in frame.track_ids]
        labels = [self.labels.get(t, NOT_DECIDED_YET) for t in frame.track_ids]
        drawn = draw_skeletons(image, frame.skeletons, ids, labels)
        if self.writer is None:
            self.video_path.parent.mkdir(parents=True, exist_ok=True)
            fps = self.publisher_node.source.fps
            self.writer = cv2.VideoWriter(str(self.video_path), cv2.VideoWriter_fourcc(*"mp4v"),
                                          fps, (drawn.shape[1], drawn.shape[0]))
        self.writer.write(drawn)
        self.frames_written += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()


def run_demo(video: Path, out_dir: Path, max_seconds: float, backend: str, model: str,
             max_width: int, ros_args: list[str], net_height: int = 368) -> int:
    """Run the demo; returns the exit code (2 when a node refuses to start)."""
    import rclpy
    from tqdm import tqdm

    from har_ros.errors import HarRosError
    from har_ros.ros.action_node import ActionNode
    from har_ros.ros.pose_node import PoseNode
    from har_ros.ros.video_publisher import VideoPublisher

    check_network_env()
    try:
        rclpy.init(args=["har_ros_demo", *ros_args])
    except (RCLError, ValueError) as exc:  # a malformed -p rule or params file
        print(f"demo: cannot start: bad --ros-args: {exc}")
        return 2
    nodes: list[Node] = []
    try:
        try:
            pub = VideoPublisher(parameter_overrides=[
                Parameter("video_path", value=str(video)),
                Parameter("max_width", value=max_width)])
            pose = PoseNode(parameter_overrides=[Parameter("backend", value=backend),
                                                 Parameter("net_height", value=net_height)])
            action = ActionNode(parameter_overrides=[Parameter("model_path", value=model)])
            check_overrides([pub, pose, action])
        except HarRosError as exc:
            print(f"demo: cannot start: {exc}")
            return 2
        collector = DemoCollector(pub, "camera", out_dir / "annotated.mp4")
        nodes = [pub, pose, action, collector]
        executor = SingleThreadedExecutor()
        for n in nodes:
            executor.add_node(n)
        spinner = threading.Thread(target=executor.spin, daemon=True)
        spinner.start()
        total = pub.source.frame_count
        if max_seconds:
            total = min(total, int(max_seconds * pub.source.fps))
        print(f"demo: playing {video} ({pub.source.frame_count} frames at {pub.source.fps:g} fps)"
              f" through pose backend '{backend}' and the action model")
        with tqdm(total=total, unit="frame", desc="demo") as bar:
            while not pub.finished and pub.published < total:
                time.sleep(0.2)
                bar.n = pub.published
                bar.set_postfix(processed=collector.skeleton_msgs)
                bar.refresh()
        pub.timer.cancel()
        time.sleep(2.0)  # let the last frames through the pipeline
        executor.shutdown()
        return write_outputs(collector, pose, action, out_dir)
    finally:
        for n in nodes:
            close = getattr(n, "close", None)
            if close:
                close()
            n.destroy_node()
        rclpy.try_shutdown()


def main_tracks(tracks: dict[str, list[tuple[float, str]]], min_span_s: float = 2.0,
                most: int = 12) -> dict[str, list[tuple[float, str]]]:
    """The tracks with decisions over at least ``min_span_s``, the ``most`` longest ones."""
    def span(events: list[tuple[float, str]]) -> float:
        return events[-1][0] - events[0][0] if events else 0.0

    long = [(k, v) for k, v in tracks.items() if span(v) >= min_span_s]
    return dict(sorted(long, key=lambda kv: -span(kv[1]))[:most])


def write_outputs(collector: DemoCollector, pose, action, out_dir: Path) -> int:
    """Print the timeline and write timeline.png / timeline.json; returns the exit code."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # heartbeats sent before any input carry stamp 0 (STALE): they have no place on the axis
    operator = [(t, lab) for t, lab in collector.operator if t > 0]
    starts = [ev[0][0] for ev in collector.tracks.values() if ev] + [t for t, _ in operator[:1]]
    t0 = min(starts) if starts else 0.0
    tracks = main_tracks(collector.tracks)
    if operator:
        tracks["operator (fused)"] = operator
    print(f"\nPer-person timeline (seconds since the first decision; the {len(tracks)} people "
          f"followed longest of {len(collector.tracks)} tracks, segments >= 0.4 s):")
    print(format_timeline(tracks, t0, min_segment_s=0.4) if tracks else "  (no decisions)")
    png = plot_timeline(tracks, out_dir / "timeline.png", t0) if tracks else None
    summary = {
        "frames_published": collector.publisher_node.published,
        "frames_processed": collector.skeleton_msgs,
        "pose": pose.diagnostics_values(),
        "action": action.diagnostics_values(),
        "tracks": {k: [(round(t - t0, 3), lab) for t, lab in v]
                   for k, v in [*collector.tracks.items(), ("operator (fused)", operator)]},
    }
    (out_dir / "timeline.json").write_text(json.dumps(summary, indent=1, default=str))
    print(f"\npose node: {collector.skeleton_msgs} of {collector.publisher_node.published} frames"
          f" processed, backend p50 {pose.pipeline.backend_ms.percentile(50):.0f} ms")
    print("outputs:")
    print(f"  annotated video  {collector.video_path} ({collector.frames_written} frames)")
    if png:
        print(f"  timeline plot    {png}")
    print(f"  timeline data    {out_dir / 'timeline.json'}")
    return 0 if collector.skeleton_msgs else 1
