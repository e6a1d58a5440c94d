"""The labelling page's input: a skeleton bag, an image bag or a video, as a list of
:class:`SkeletonFrame` (one per message or video frame, in bag order) and a way to get each
frame's image back (BGR) for drawing.

Image bags and videos go through the pose node's core (:class:`PosePipeline`) once; the
skeletons are cached as a SkeletonArray bag in a folder beside the labels file, with a
``source.json`` that says what they were made from, so the next start is instant.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from har_ros.bags import typestore as ts
from har_ros.errors import DataError
from har_ros.frames import SkeletonFrame

#: Canvas size (px) for frames that carry no image size.
DEFAULT_CANVAS = (640, 480)


def is_bag(path: Path) -> bool:
    """True for a rosbag2 folder (metadata.yaml, or .mcap / .db3 files) or a bare .mcap/.db3."""
    if path.is_dir():
        return (path / "metadata.yaml").is_file() or any(
            p.suffix in (".mcap", ".db3") for p in path.iterdir())
    return path.suffix in (".mcap", ".db3")


@dataclass
class LabelSource:
    """Frames of one input. ``frames[i].stamp_ns`` is the acquisition stamp (ns); times on
    the page are seconds since ``origin_ns`` (the first frame's stamp, as in the labels
    format)."""

    path: Path
    kind: str  # "skeleton_bag", "image_bag" or "video"
    frames: list[SkeletonFrame]
    topics: list[str] = field(default_factory=list)
    _image_of: object = None  # callable(i) -> BGR image or None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin_ns(self) -> int:
        return min(f.stamp_ns for f in self.frames)

    def times_s(self) -> list[float]:
        """Each frame's time (s) since :attr:`origin_ns`."""
        o = self.origin_ns
        return [(f.stamp_ns - o) * 1e-9 for f in self.frames]

    @property
    def frame_period_s(self) -> float:
        """Median time between frames (s); 0.1 for a single frame."""
        t = np.diff(sorted(self.times_s()))
        t = t[t > 0]
        return float(np.median(t)) if len(t) else 0.1

    @property
    def duration_s(self) -> float:
        """From the origin to the end of the last frame (s)."""
        return max(self.times_s()) + self.frame_period_s

    def tracks(self) -> list[str]:
        """Every track id seen, sorted."""
        return sorted({t for f in self.frames for t in f.track_ids})

    def image(self, i: int) -> np.ndarray:
        """BGR image of frame ``i``: the source image when there is one, else a dark canvas of
        the frame's image size."""
        f = self.frames[i]
        img = None
        if self._image_of is not None:
            with self._lock:
                img = self._image_of(i)
        if img is None:
            w, h = f.image_width, f.image_height
            if not (0 < w <= 8192 and 0 < h <= 8192):
                w, h = DEFAULT_CANVAS
            img = np.full((h, w, 3), 32, np.uint8)
        return img

    def render(self, i: int, quality: int = 80) -> bytes:
        """JPEG of frame ``i`` with its skeletons and track ids drawn (har_ros.draw)."""
        import cv2

        from har_ros.draw import draw_skeletons

        f = self.frames[i]
        img = self.image(i)
        if len(f.track_ids):
            numbers = [_number(t, k) for k, t in enumerate(f.track_ids)]
            img = draw_skeletons(img, f.skeletons, numbers)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise DataError(f"frame {i} could not be encoded as JPEG")
        return buf.tobytes()

    def close(self) -> None:
        closer = getattr(self._image_of, "close", None)
        if closer is not None:
            closer()


def _number(track_id: str, fallback: int) -> int:
    try:
        return int(track_id.rsplit("/", 1)[-1])
    except ValueError:
        return fallback


def load_source(path: str | Path, cache_dir: Path, topics: list[str] | None = None,
                camera: str = "camera", backend: str = "openpose_mobilenet",
                net_height: int = 368, limit: int = 0, progress: bool = True) -> LabelSource:
    """Open ``path`` (bag folder or video file) as a :class:`LabelSource`. Image bags and
    videos are run through the pose backend once and cached in ``cache_dir``."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"input {path} does not exist; give a bag folder or a video file")
    if is_bag(path):
        return _from_bag(path, cache_dir, topics, backend, net_height, limit, progress)
    return _from_video(path, cache_dir, camera, backend, net_height, limit, progress)


def _read_skeleton_bag(path: Path, topics: list[str] | None) -> tuple[list[SkeletonFrame],
                                                                        list[str]]:
    from har_ros.bag_eval import bag_frames, pick_topics
    from har_ros.bags.reader import BagReader, SkipCount

    with BagReader(path) as bag:
        chosen = pick_topics(bag, topics)
        skipped = SkipCount()
        frames = list(bag_frames(bag, chosen, progress=False, skipped=skipped))
    if skipped.skipped:
        print(f"label: {skipped.summary()}", file=sys.stderr)
    if not frames:
        raise DataError(f"bag {path} has no readable frame on {', '.join(chosen)}")
    return frames, chosen


def _cache_key(path: Path, **extra: object) -> dict:
    st = path.stat() if path.is_file() else None
    size = st.st_size if st else sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    mtime = st.st_mtime_ns if st else max(p.stat().st_mtime_ns for p in path.iterdir())
    return {"input": str(path.resolve()), "size": size, "mtime_ns": mtime, **extra}


def _cached(cache_dir: Path, key: dict) -> bool:
    meta = cache_dir / "source.json"
    try:
        return json.loads(meta.read_text(encoding="utf-8")) == key and (
            cache_dir / "skeletons").exists()
    except (OSError, ValueError):
        return False


def _extract(items, total: int, cams: list[str], cache_dir: Path, key: dict, backend: str,
             net_height: int, progress: bool) -> list[SkeletonFrame]:
    """Run CameraImages through the pose pipeline, write the cache; frames in input order."""
    import shutil

    from har_ros.bags.writer import BagWriter, skeleton_message
    from har_ros.pose_config import PoseNodeConfig
    from har_ros.pose_pipeline import PosePipeline

    if cache_dir.exists():
        shutil.rmtree(cache_dir)
    cache_dir.mkdir(parents=True)
    pose = PosePipeline(PoseNodeConfig(cameras=cams, backend=backend, net_height=net_height))
    frames = []
    step = max(1, total // 20)
    try:
        with BagWriter(cache_dir / "skeletons", "mcap") as bag:
            for n, item in enumerate(items, 1):
                frame = pose.process([item])[0]
                frames.append(frame)
                bag.write_message(f"/{frame.camera_name}/skeletons", frame.stamp_ns,
                                  skeleton_message(frame))
                if progress and (n % step == 0 or n == total):
                    print(f"label: pose {n}/{total} frames", file=sys.stderr, flush=True)
    finally:
        pose.close()
    (cache_dir / "source.json").write_text(json.dumps(key), encoding="utf-8")
    return frames


def _from_bag(path: Path, cache_dir: Path, topics, backend, net_height, limit, progress
              ) -> LabelSource:
    from har_ros.bag_eval import pick_topics
    from har_ros.bags.reader import BadMessage, BagReader, read_image

    with BagReader(path) as bag:
        chosen = pick_topics(bag, topics)
        skeletons = bag.topics[chosen[0]].msgtype == ts.SKELETON_ARRAY
    if skeletons:
        frames, chosen = _read_skeleton_bag(path, chosen)
        return LabelSource(path, "skeleton_bag", frames[:limit or None], chosen)
    key = _cache_key(path, topics=chosen, backend=backend, net_height=net_height, limit=limit)
    reader = BagReader(path)
    # (topic, receive time) of every usable image, to read its picture back when drawing
    where: list[tuple[str, int]] = []

    def images():
        from har_ros.bag_eval import camera_of
        from har_ros.pose_pipeline import CameraImage

        for m in reader.messages(chosen):
            if limit and len(where) >= limit:
                return
            try:
                image, stamp, frame_id = read_image(reader, m)
            except BadMessage:
                continue
            where.append((m.topic, m.log_ns))
            yield CameraImage(camera_of(m.topic), image, stamp, frame_id)

    if _cached(cache_dir, key):
        frames, _ = _read_skeleton_bag(cache_dir / "skeletons", None)
        for _ in images():
            pass
    else:
        from har_ros.bag_eval import camera_of

        total = sum(reader.topics[t].count for t in chosen)
        total = min(total, limit) if limit else total
        frames = _extract(images(), total, [camera_of(t) for t in chosen], cache_dir, key,
                          backend, net_height, progress)
    if len(where) != len(frames):
        raise DataError(f"the skeleton cache {cache_dir} does not match {path}; delete it")

    class Images:
        def __call__(self, i: int):
            topic, log_ns = where[i]
            for m in reader.messages([topic], start_ns=log_ns):
                return read_image(reader, m)[0]
            return None

        def close(self) -> None:
            reader.close()

    return LabelSource(path, "image_bag", frames, chosen, Images())


def _from_video(path: Path, cache_dir: Path, camera, backend, net_height, limit, progress
                ) -> LabelSource:
    import cv2

    from har_ros.frame_sources import video_frames
    from har_ros.video_source import VideoSource

    vs = VideoSource(path)
    key = _cache_key(path, camera=camera, backend=backend, net_height=net_height, limit=limit)
    if _cached(cache_dir, key):
        frames, _ = _read_skeleton_bag(cache_dir / "skeletons", None)
    else:
        total = min(vs.frame_count, limit) if limit else vs.frame_count
        print(f"label: extracting skeletons from {path} ({total} frames, once; cached in "
              f"{cache_dir})", file=sys.stderr, flush=True)
        frames = _extract(video_frames(str(path), camera, limit), total, [camera], cache_dir,
                          key, backend, net_height, progress)

    class Images:
        def __init__(self) -> None:
            self.cap = cv2.VideoCapture(str(path))
            self.next = 0

        def __call__(self, i: int):
            if i != self.next:
                self.cap.set(cv2.CAP_PROP_POS_FRAMES, i)
            ok, img = self.cap.read()
            self.next = i + 1
            return img if ok else None

        def close(self) -> None:
            self.cap.release()

    return LabelSource(path, "video", frames, [f"/{camera}/skeletons"], Images())
