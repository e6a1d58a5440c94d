"""Every message <-> numpy conversion of har_ros, in one module (``a_to_b`` names).

The same functions serve rclpy messages (nodes; bound in :mod:`har_ros.ros.conversions`) and
rosbags messages (bag files; bound in :mod:`har_ros.bags.writer`): both have the same field
names, so reading is duck-typed and building takes the message classes as a
:class:`MessageTypes`. This module imports no ROS package.

Images: ``sensor_msgs/Image`` (rgb8, bgr8, mono8, rgba8, bgra8, with row padding) and
``sensor_msgs/CompressedImage`` (jpeg, png) to BGR uint8 arrays (H, W, 3), the layout the
pose backends take. Skeletons: ``har_ros/SkeletonArray`` <-> (P, 18, 3) float32 arrays in
pixels of the source image. Stamps: ``builtin_interfaces/Time`` <-> integer nanoseconds
(never floats for identity: two stamps compare equal exactly when the messages' do).
Malformed input raises :class:`har_ros.errors.InputError` with what is wrong.
The plain data forms (SkeletonFrame, ActionDecision) live in :mod:`har_ros.frames`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from har_ros.errors import InputError
from har_ros.frames import ActionDecision, SkeletonFrame
from har_ros.skeleton import NUM_JOINTS
from har_ros.status import Status


@dataclass(frozen=True)
class MessageTypes:
    """The message classes of one ROS Python implementation (rclpy or rosbags), and how it
    wants uint8[] and float32[] fields filled."""

    Time: type
    Header: type
    Image: type
    CompressedImage: type
    Keypoint2D: type
    Skeleton2D: type
    SkeletonArray: type
    ActionStamped: type
    bytes_field: Callable[[np.ndarray], object]
    float32_field: Callable[[np.ndarray], object]


#: encoding -> (channels, cv2 conversion code to BGR or None when already BGR / gray)
_ENCODINGS: dict[str, tuple[int, int | None]] = {
    "bgr8": (3, None),
    "rgb8": (3, cv2.COLOR_RGB2BGR),
    "mono8": (1, cv2.COLOR_GRAY2BGR),
    "8UC1": (1, cv2.COLOR_GRAY2BGR),
    "bgra8": (4, cv2.COLOR_BGRA2BGR),
    "rgba8": (4, cv2.COLOR_RGBA2BGR),
    "8UC3": (3, None),
}
SUPPORTED_ENCODINGS: tuple[str, ...] = tuple(_ENCODINGS)


# ---------------------------------------------------------------------------- stamps
#: First stamp (ns) a builtin_interfaces/Time cannot hold (its sec is an int32).
MAX_STAMP_NS = 2**31 * 1_000_000_000


def stamp_to_ns(stamp: object, *, allow_zero: bool = True) -> int:
    """``builtin_interfaces/Time`` -> integer nanoseconds since the epoch of its clock.

    Raises InputError for a stamp no clock produces: a negative ``sec``, a ``nanosec`` of a
    second or more, and (with ``allow_zero=False``, for source stamps of images and
    skeletons) the unset stamp 0.
    """
    sec, nanosec = int(stamp.sec), int(stamp.nanosec)
    if sec < 0:
        raise InputError(f"stamp sec = {sec} is negative: no source clock gives one")
    if not 0 <= nanosec < 1_000_000_000:
        raise InputError(f"stamp nanosec = {nanosec} is outside [0, 1e9)")
    ns = sec * 1_000_000_000 + nanosec
    if ns == 0 and not allow_zero:
        raise InputError("stamp is zero (unset): the source must stamp its data")
    return ns


def ns_to_stamp(ns: int, types: MessageTypes) -> object:
    """Integer nanoseconds -> ``builtin_interfaces/Time`` (negative values are an error)."""
    if not 0 <= ns < MAX_STAMP_NS:
        raise InputError(f"stamp {ns} ns cannot be a builtin_interfaces/Time (int32 seconds)")
    return types.Time(sec=int(ns // 1_000_000_000), nanosec=int(ns % 1_000_000_000))


def make_header(stamp_ns: int, frame_id: str, types: MessageTypes) -> object:
    """``std_msgs/Header`` with an exact integer-ns stamp."""
    return types.Header(stamp=ns_to_stamp(stamp_ns, types), frame_id=frame_id)


# ---------------------------------------------------------------------------- images
class ImageRefusedError(InputError):
    """An image is larger (pixels) or more elongated (aspect ratio) than the configured
    limits; refused before any of its pixels are decoded or converted."""


@dataclass(frozen=True)
class ImageLimits:
    """Size limits an image must pass before it is decoded or converted.

    ``max_pixels``: width * height; ``max_aspect_ratio``: longer side / shorter side.
    """

    max_pixels: int
    max_aspect_ratio: float

    def check(self, width: int, height: int) -> None:
        """Raise ImageRefusedError when a ``width`` x ``height`` image is beyond the limits
        (InputError for a zero or negative size)."""
        if width <= 0 or height <= 0:
            raise InputError(f"empty image ({width}x{height})")
        if width * height > self.max_pixels:
            raise ImageRefusedError(
                f"{width}x{height} image has {width * height} pixels, more than "
                f"max_image_pixels = {self.max_pixels}")
        aspect = max(width, height) / min(width, height)
        if aspect > self.max_aspect_ratio:
            raise ImageRefusedError(
                f"{width}x{height} image has aspect ratio {aspect:.1f}, more than "
                f"max_aspect_ratio = {self.max_aspect_ratio:g}")


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: JPEG start-of-frame markers (SOF0-SOF15 without DHT C4, JPG C8 and DAC CC).
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                       0xCF})
#: JPEG markers without a length field (TEM, RST0-7, SOI).
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
_JPEG_MAX_SEGMENTS = 1000  # real files have a few dozen segments before the frame header


def compressed_size(data: np.ndarray) -> tuple[int, int]:
    """(width, height) from the header of PNG or JPEG bytes (uint8 array), without decoding.

    PNG: the IHDR chunk that must follow the signature. JPEG: the first start-of-frame
    segment, found by walking the segments from SOI. Any other data (another format, a
    truncated or malformed header) raises InputError, so nothing but PNG and JPEG reaches
    the decoder.
    """
    data = memoryview(np.ascontiguousarray(data, dtype=np.uint8).reshape(-1))  # int indexing
    head = data[:8].tobytes()
    if head == _PNG_SIGNATURE:
        if len(data) < 24 or data[12:16].tobytes() != b"IHDR":
            raise InputError("corrupt png data: no IHDR chunk after the signature")
        return int.from_bytes(data[16:20].tobytes(), "big"), int.from_bytes(
            data[20:24].tobytes(), "big")
    if head[:2] != b"\xff\xd8":
        raise InputError(f"compressed data is neither png nor jpeg (starts {head[:4]!r})")
    pos, n = 2, len(data)
    for _ in range(_JPEG_MAX_SEGMENTS):
        if pos + 1 >= n or data[pos] != 0xFF:
            break
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos + 1 >= n:
            break
        marker = int(data[pos + 1])
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA) or pos + 4 > n:  # EOI or scan data before a frame header
            break
        length = int(data[pos + 2]) << 8 | int(data[pos + 3])
        if marker in _JPEG_SOF:
            if length < 8 or pos + 9 > n:
                break
            height = int(data[pos + 5]) << 8 | int(data[pos + 6])
            width = int(data[pos + 7]) << 8 | int(data[pos + 8])
            return width, height
        if length < 2:
            break
        pos += 2 + length
    raise InputError("corrupt jpeg data: no frame header (SOF) found")


def imgmsg_to_bgr(msg: object) -> np.ndarray:
    """``sensor_msgs/Image`` -> BGR uint8 (H, W, 3) array.

    bgr8 with no row padding is returned as a read-only view of the message buffer (no copy);
    other encodings are converted with one OpenCV call. Raises InputError on an unsupported
    encoding, big-endian multi-byte data, zero size, or data shorter than height * step.
    """
    enc = msg.encoding
    if enc not in _ENCODINGS:
        raise InputError(
            f"unsupported image encoding {enc!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}"
        )
    channels, code = _ENCODINGS[enc]
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    if h == 0 or w == 0:
        raise InputError(f"empty image ({w}x{h})")
    if step < w * channels:
        raise InputError(f"step {step} is smaller than width*channels = {w * channels}")
    buf = np.frombuffer(msg.data, dtype=np.uint8)
    if buf.size < h * step - (step - w * channels):
        raise InputError(f"image data has {buf.size} bytes, expected {h * step} (height*step)")
    rows = np.lib.stride_tricks.as_strided(
        buf, shape=(h, w, channels), strides=(step, channels, 1), writeable=False
    )
    if code is None:
        return rows
    src = rows if channels != 1 else rows[:, :, 0]
    return cv2.cvtColor(np.ascontiguousarray(src), code)


def bgr_to_imgmsg(image: np.ndarray, header: object, encoding: str, types: MessageTypes
                   ) -> object:
    """BGR uint8 (H, W, 3) (or gray (H, W) for mono8) -> ``sensor_msgs/Image``, unpadded.

    The data goes through ``types.bytes_field`` (rclpy: ``array.array('B')``, fast even with
    ROS_PYTHON_CHECK_FIELDS=1; rosbags: a numpy array).
    """
    if image.dtype != np.uint8:
        raise InputError(f"image dtype must be uint8, got {image.dtype}")
    if encoding == "bgr8":
        out = image
    elif encoding == "rgb8":
        out = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif encoding == "mono8":
        out = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif encoding == "bgra8":
        out = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    elif encoding == "rgba8":
        out = cv2.cvtColor(image, cv2.COLOR_BGR2RGBA)
    else:
        raise InputError(f"cannot encode {encoding!r}; use one of bgr8, rgb8, mono8, bgra8, rgba8")
    out = np.ascontiguousarray(out)
    return types.Image(header=header, height=int(out.shape[0]), width=int(out.shape[1]),
                       encoding=encoding, is_bigendian=0, step=int(out.strides[0]),
                       data=types.bytes_field(out))


def compressed_to_bgr(msg: object, limits: ImageLimits | None = None) -> np.ndarray:
    """``sensor_msgs/CompressedImage`` (jpeg or png) -> BGR uint8 (H, W, 3).

    The data must be PNG or JPEG (checked by its signature, whatever ``format`` says), and
    its header's width x height must pass ``limits`` (if given) before anything is decoded:
    a small file that would decode to gigabytes raises :class:`ImageRefusedError`.
    """
    fmt = msg.format.lower()
    if not any(k in fmt for k in ("jpeg", "jpg", "png")):
        raise InputError(f"unsupported compressed format {msg.format!r}; expected jpeg or png")
    buf = np.frombuffer(msg.data, dtype=np.uint8)
    if buf.size == 0:
        raise InputError("compressed image has no data")
    width, height = compressed_size(buf)
    if limits is not None:
        limits.check(width, height)
    image = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise InputError(f"corrupt {msg.format} data ({buf.size} bytes) could not be decoded")
    if limits is not None:
        limits.check(image.shape[1], image.shape[0])
    return image


def bgr_to_compressed(image: np.ndarray, header: object, fmt: str, quality: int,
                      types: MessageTypes) -> object:
    """BGR uint8 (H, W, 3) -> ``sensor_msgs/CompressedImage`` (``fmt`` jpeg or png)."""
    ext = {"jpeg": ".jpg", "jpg": ".jpg", "png": ".png"}.get(fmt)
    if ext is None:
        raise InputError(f"cannot compress to {fmt!r}; use jpeg or png")
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if ext == ".jpg" else []
    ok, encoded = cv2.imencode(ext, image, params)
    if not ok:
        raise InputError(f"OpenCV could not encode the image as {fmt}")
    return types.CompressedImage(header=header, format="jpeg" if ext == ".jpg" else "png",
                                 data=types.bytes_field(encoded.reshape(-1)))


def image_to_bgr(msg: object, limits: ImageLimits | None = None) -> np.ndarray:
    """Either image message type (Image or CompressedImage) -> BGR uint8 (H, W, 3).

    With ``limits``, an image beyond them raises :class:`ImageRefusedError` before any
    pixel buffer is allocated (see :func:`image_message_size`).
    """
    if _is_compressed(msg):
        return compressed_to_bgr(msg, limits)
    if limits is not None:
        limits.check(int(msg.width), int(msg.height))
    return imgmsg_to_bgr(msg)


def _is_compressed(msg: object) -> bool:
    return hasattr(msg, "format") and not hasattr(msg, "encoding")


def image_message_size(msg: object) -> tuple[int, int]:
    """(width, height) in pixels an image message would decode to, without decoding it.

    ``sensor_msgs/Image``: its ``width`` and ``height`` fields. ``CompressedImage``: the PNG
    IHDR chunk or the JPEG frame header (:func:`compressed_size`). Raises InputError when a
    compressed header is missing or malformed.
    """
    if _is_compressed(msg):
        return compressed_size(np.frombuffer(msg.data, dtype=np.uint8))
    return int(msg.width), int(msg.height)


# ---------------------------------------------------------------------------- skeletons
def skeletons_to_msg(frame: SkeletonFrame, types: MessageTypes) -> object:
    """:class:`SkeletonFrame` -> ``har_ros/SkeletonArray`` (header stamp from the frame)."""
    skels = np.asarray(frame.skeletons, dtype=np.float32)
    if skels.ndim != 3 or skels.shape[1:] != (NUM_JOINTS, 3):
        raise InputError(f"skeletons must be (P, {NUM_JOINTS}, 3), got {skels.shape}")
    if len(frame.track_ids) != len(skels) or len(frame.scores) != len(skels):
        raise InputError("track_ids and scores must have one entry per skeleton")
    kp, sk = types.Keypoint2D, types.Skeleton2D
    people = [
        sk(track_id=str(tid), score=float(score),
           keypoints=[kp(x=x, y=y, confidence=c) for x, y, c in skel])
        for skel, tid, score in zip(skels.tolist(), frame.track_ids, frame.scores, strict=True)
    ]
    return types.SkeletonArray(
        header=make_header(frame.stamp_ns, frame.frame_id, types),
        camera_name=frame.camera_name, image_width=int(frame.image_width),
        image_height=int(frame.image_height), backend=frame.backend, skeletons=people)


def msg_to_skeletons(msg: object) -> SkeletonFrame:
    """``har_ros/SkeletonArray`` -> :class:`SkeletonFrame`.

    A faithful copy: implausible values (NaN, far outside the image) are left for
    :func:`har_ros.frames.sanitize_skeletons` to reject and count. A skeleton whose keypoint
    count is not 18 raises InputError.
    """
    n = len(msg.skeletons)
    skels = np.zeros((n, NUM_JOINTS, 3), dtype=np.float32)
    for i, s in enumerate(msg.skeletons):
        if len(s.keypoints) != NUM_JOINTS:
            raise InputError(f"skeleton {i} has {len(s.keypoints)} keypoints, expected 18")
        skels[i] = [(k.x, k.y, k.confidence) for k in s.keypoints]
    return SkeletonFrame(
        stamp_ns=stamp_to_ns(msg.header.stamp, allow_zero=False),
        frame_id=msg.header.frame_id,
        camera_name=msg.camera_name,
        image_width=int(msg.image_width),
        image_height=int(msg.image_height),
        backend=msg.backend,
        skeletons=skels,
        track_ids=[s.track_id for s in msg.skeletons],
        scores=np.array([s.score for s in msg.skeletons], dtype=np.float32),
    )


# ---------------------------------------------------------------------------- actions
def action_to_msg(decision: ActionDecision, types: MessageTypes) -> object:
    """:class:`ActionDecision` -> ``har_ros/ActionStamped``."""
    if len(decision.probabilities) != len(decision.class_names):
        raise InputError("probabilities and class_names must have the same length")
    return types.ActionStamped(
        header=make_header(decision.stamp_ns, decision.frame_id, types),
        window_start=ns_to_stamp(decision.window_start_ns, types),
        track_id=decision.track_id, cameras=list(decision.cameras), action=decision.action,
        class_index=int(decision.class_index), confidence=float(decision.confidence),
        class_names=list(decision.class_names),
        probabilities=types.float32_field(np.asarray(decision.probabilities, np.float32)),
        status=int(decision.status))


def msg_to_action(msg: object) -> ActionDecision:
    """``har_ros/ActionStamped`` -> :class:`ActionDecision`; InputError when the status is
    none of the message's constants."""
    try:
        status = Status(int(msg.status))
    except ValueError:
        raise InputError(f"ActionStamped status {msg.status!r} is not one of OK..WARMING_UP "
                         f"(0..{len(Status) - 1})") from None
    return ActionDecision(
        stamp_ns=stamp_to_ns(msg.header.stamp),
        window_start_ns=stamp_to_ns(msg.window_start),
        frame_id=msg.header.frame_id,
        track_id=msg.track_id,
        cameras=list(msg.cameras),
        action=msg.action,
        class_index=int(msg.class_index),
        confidence=float(msg.confidence),
        class_names=list(msg.class_names),
        probabilities=np.asarray(msg.probabilities, dtype=np.float32),
        status=status,
    )
