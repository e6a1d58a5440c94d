"""Round trips and bad input for every message <-> array conversion (har_ros.ros.conversions)."""

import array

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros import conversions as core
from har_ros.errors import InputError
from har_ros.msg import ActionStamped
from har_ros.ros import conversions as conv


@pytest.fixture
def bgr():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)


@pytest.mark.parametrize("encoding", ["bgr8", "rgb8", "bgra8", "rgba8"])
def test_color_encodings_round_trip(bgr, encoding):
    msg = conv.bgr_to_imgmsg(bgr, encoding=encoding)
    assert msg.encoding == encoding and (msg.height, msg.width) == bgr.shape[:2]
    np.testing.assert_array_equal(conv.imgmsg_to_bgr(msg), bgr)


def test_rgb8_channel_order_is_swapped(bgr):
    msg = conv.bgr_to_imgmsg(bgr, encoding="rgb8")
    first = np.frombuffer(msg.data, np.uint8)[:3]
    np.testing.assert_array_equal(first, bgr[0, 0, ::-1])


def test_mono8_becomes_three_equal_channels(bgr):
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    out = conv.imgmsg_to_bgr(conv.bgr_to_imgmsg(gray, encoding="mono8"))
    assert out.shape == (*gray.shape, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


@pytest.mark.parametrize(
    "encoding,channels", [("bgr8", 3), ("rgb8", 3), ("mono8", 1), ("rgba8", 4)]
)
def test_row_padding_is_skipped(bgr, encoding, channels):
    h, w = bgr.shape[:2]
    step = w * channels + 13
    if encoding == "mono8":
        src = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[:, :, None]
        expected = np.repeat(src, 3, axis=2)
    elif encoding == "rgb8":
        src, expected = bgr[:, :, ::-1], bgr
    elif encoding == "rgba8":
        src = np.concatenate([bgr[:, :, ::-1], np.full((h, w, 1), 7, np.uint8)], axis=2)
        expected = bgr
    else:
        src, expected = bgr, bgr
    padded = np.full((h, step), 255, np.uint8)
    padded[:, : w * channels] = src.reshape(h, w * channels)
    msg = Image(height=h, width=w, encoding=encoding, step=step)
    msg.data = array.array("B", padded.tobytes())
    np.testing.assert_array_equal(conv.imgmsg_to_bgr(msg), expected)


def test_bgr8_unpadded_is_a_view_not_a_copy(bgr):
    msg = conv.bgr_to_imgmsg(bgr)
    out = conv.imgmsg_to_bgr(msg)
    assert not out.flags.owndata and not out.flags.writeable


@pytest.mark.parametrize(
    "mutate,match",
    [
        (lambda m: setattr(m, "encoding", "16UC1"), "unsupported image encoding"),
        (lambda m: setattr(m, "encoding", "yuv422"), "unsupported image encoding"),
        (lambda m: setattr(m, "height", 0), "empty image"),
        (lambda m: setattr(m, "step", 5), "step"),
        (lambda m: setattr(m, "data", array.array("B", bytes(100))), "expected"),
    ],
)
def test_bad_images_raise_input_error(bgr, mutate, match):
    msg = conv.bgr_to_imgmsg(bgr)
    mutate(msg)
    with pytest.raises(InputError, match=match):
        conv.imgmsg_to_bgr(msg)


@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_compressed_round_trip(bgr, fmt):
    big = cv2.resize(bgr, (160, 120), interpolation=cv2.INTER_LINEAR)
    big = cv2.GaussianBlur(big, (9, 9), 3)  # smooth content: JPEG error is then small
    msg = conv.bgr_to_compressed(big, fmt=fmt, quality=95)
    assert msg.format == fmt
    out = conv.image_to_bgr(msg)
    assert out.shape == big.shape
    if fmt == "png":
        np.testing.assert_array_equal(out, big)
    else:
        assert np.abs(out.astype(int) - big).mean() < 4


def test_corrupt_and_unknown_compressed_raise(bgr):
    msg = conv.bgr_to_compressed(bgr, fmt="jpeg")
    msg.data = msg.data[: len(msg.data) // 4]
    broken = CompressedImage(format="jpeg")
    broken.data = array.array("B", b"\xff\xd8garbage" * 10)
    for bad in (broken, CompressedImage(format="jpeg")):
        with pytest.raises(InputError):
            conv.compressed_to_bgr(bad)
    with pytest.raises(InputError, match="unsupported compressed format"):
        conv.compressed_to_bgr(CompressedImage(format="tiff"))


@pytest.mark.reliability("stamp sec=-1, nanosec=1e9, or sec=2^31-1 with nanosec=2^32-1",
                         "InputError from the one stamp conversion (the nodes skip and count it)")
@pytest.mark.parametrize("sec, nanosec", [(-1, 0), (5, 1_000_000_000), (2**31 - 1, 2**32 - 1)])
def test_stamps_no_clock_gives_are_refused(sec, nanosec):
    from builtin_interfaces.msg import Time

    with pytest.raises(InputError):
        conv.stamp_to_ns(Time(sec=sec, nanosec=nanosec))


@pytest.mark.reliability("unset (zero) stamp on an image or SkeletonArray",
                         "InputError (skipped and counted by the nodes and bag tools)")
def test_zero_source_stamp_is_refused_but_zero_window_start_is_not():
    from builtin_interfaces.msg import Time

    assert conv.stamp_to_ns(Time()) == 0
    with pytest.raises(InputError, match="zero"):
        conv.stamp_to_ns(Time(), allow_zero=False)
    with pytest.raises(InputError, match="zero"):
        frame = _frame()
        frame.stamp_ns = 0
        conv.msg_to_skeletons(conv.skeletons_to_msg(frame))


@pytest.mark.reliability("a decision stamp beyond int32 seconds on the way out",
                         "InputError, never a wrapped stamp")
def test_stamp_beyond_int32_seconds_is_refused_not_wrapped():
    assert conv.stamp_to_ns(conv.ns_to_stamp(2**31 * 10**9 - 1)) == 2**31 * 10**9 - 1
    with pytest.raises(InputError):
        conv.ns_to_stamp(2**31 * 10**9)


def test_stamps_round_trip_exactly():
    for ns in (0, 1, 999_999_999, 1_700_000_000_123_456_789):
        assert conv.stamp_to_ns(conv.ns_to_stamp(ns)) == ns
    with pytest.raises(InputError):
        conv.ns_to_stamp(-1)


def _frame(n=2):
    rng = np.random.default_rng(1)
    skels = rng.uniform(0, 300, size=(n, 18, 3)).astype(np.float32)
    skels[:, :, 2] = rng.uniform(0, 1, size=(n, 18))
    skels[:1, 3] = 0.0
    return conv.SkeletonFrame(
        stamp_ns=1_700_000_000_500_000_001,
        frame_id="cam_left_optical",
        camera_name="cam_left",
        image_width=640,
        image_height=480,
        backend="openpose_mobilenet",
        skeletons=skels,
        track_ids=[f"cam_left/{i}" for i in range(n)],
        scores=np.linspace(0.5, 0.9, n).astype(np.float32),
    )


def test_skeleton_array_round_trip():
    frame = _frame()
    msg = conv.skeletons_to_msg(frame)
    assert msg.header.stamp.sec == 1_700_000_000 and msg.header.stamp.nanosec == 500_000_001
    assert msg.skeletons[1].keypoints[2].x == pytest.approx(frame.skeletons[1, 2, 0])
    back = conv.msg_to_skeletons(msg)
    np.testing.assert_array_equal(back.skeletons, frame.skeletons)
    assert back.track_ids == frame.track_ids
    np.testing.assert_allclose(back.scores, frame.scores)
    for key in ("stamp_ns", "frame_id", "camera_name", "image_width", "image_height", "backend"):
        assert getattr(back, key) == getattr(frame, key)


def test_empty_skeleton_array_means_nobody_in_view():
    frame = _frame(0)
    back = conv.msg_to_skeletons(conv.skeletons_to_msg(frame))
    assert back.skeletons.shape == (0, 18, 3) and back.track_ids == []


def test_nan_joints_are_converted_faithfully_for_the_core_to_reject():
    msg = conv.skeletons_to_msg(_frame(1))
    msg.skeletons[0].keypoints[4].x = float("nan")
    msg.skeletons[0].keypoints[5].confidence = float("inf")
    back = conv.msg_to_skeletons(msg)
    assert np.isnan(back.skeletons[0, 4, 0]) and np.isinf(back.skeletons[0, 5, 2])


def test_wrong_skeleton_shape_is_rejected():
    frame = _frame(1)
    frame.skeletons = frame.skeletons[:, :17]
    with pytest.raises(InputError, match="18"):
        conv.skeletons_to_msg(frame)


def test_action_round_trip():
    decision = conv.ActionDecision(
        stamp_ns=5_000_000_123,
        window_start_ns=3_900_000_000,
        frame_id="cam0",
        track_id="cam0/3",
        cameras=["cam0", "cam1"],
        action="walk",
        class_index=1,
        confidence=0.75,
        class_names=["sit", "walk", "wave"],
        probabilities=[0.2, 0.75, 0.05],
        status=ActionStamped.OK,
    )
    msg = conv.action_to_msg(decision)
    assert isinstance(msg.header, Header) and msg.header.stamp.nanosec == 123
    back = conv.msg_to_action(msg)
    assert back.stamp_ns == decision.stamp_ns and back.window_start_ns == decision.window_start_ns
    assert back.cameras == decision.cameras and back.class_names == decision.class_names
    np.testing.assert_allclose(back.probabilities, decision.probabilities, rtol=1e-6)
    assert (back.action, back.class_index, back.status) == ("walk", 1, ActionStamped.OK)
    decision.probabilities = [0.5]
    with pytest.raises(InputError):
        conv.action_to_msg(decision)


# ---------------------------------------------------------------------------- image limits
LIMITS = core.ImageLimits(max_pixels=4096 * 3072, max_aspect_ratio=8.0)


@pytest.mark.parametrize("params", [[], [cv2.IMWRITE_JPEG_PROGRESSIVE, 1],
                                    [cv2.IMWRITE_JPEG_OPTIMIZE, 1]])
def test_jpeg_size_is_read_from_its_frame_header(bgr, params):
    ok, data = cv2.imencode(".jpg", bgr, params)
    assert ok and core.compressed_size(data.reshape(-1)) == (53, 37)


@pytest.mark.parametrize("image", ["color", "gray"])
def test_png_size_is_read_from_its_ihdr(bgr, image):
    ok, data = cv2.imencode(".png", bgr if image == "color" else bgr[:, :, 0])
    assert ok and core.compressed_size(data.reshape(-1)) == (53, 37)


@pytest.mark.reliability("CompressedImage holding BMP or TIFF data labelled jpeg",
                         "refused before decoding: only png and jpeg reach the decoder")
@pytest.mark.parametrize("ext", [".bmp", ".tiff"])
def test_other_formats_never_reach_the_decoder(bgr, ext):
    ok, data = cv2.imencode(ext, bgr)
    msg = CompressedImage(format="jpeg")
    msg.data = array.array("B", data.tobytes())
    with pytest.raises(InputError, match="neither png nor jpeg"):
        conv.compressed_to_bgr(msg)


@pytest.mark.reliability("PNG bomb: 20000x20000 black PNG (1.7 MB) in a CompressedImage",
                         "refused from its header before decoding; nothing allocated")
def test_png_bomb_is_refused_before_decoding():
    from hostile_images import png_bomb

    msg = CompressedImage(format="png")
    msg.data = array.array("B", png_bomb())
    assert core.image_message_size(msg) == (20000, 20000)
    with pytest.raises(core.ImageRefusedError, match="max_image_pixels"):
        conv.image_to_bgr(msg, LIMITS)


@pytest.mark.parametrize("width, height, match", [
    (256, 8, "max_aspect_ratio"), (8, 1024, "max_aspect_ratio"),
    (4096, 3073, "max_image_pixels")])
def test_images_beyond_the_limits_are_refused_from_their_fields(width, height, match):
    msg = Image(width=width, height=height, encoding="bgr8", step=width * 3)
    msg.data = array.array("B", bytes(10))  # the fields are read, never the data
    with pytest.raises(core.ImageRefusedError, match=match):
        conv.image_to_bgr(msg, LIMITS)


def test_images_within_the_limits_convert(bgr):
    np.testing.assert_array_equal(conv.image_to_bgr(conv.bgr_to_imgmsg(bgr), LIMITS), bgr)
    out = conv.image_to_bgr(conv.bgr_to_compressed(bgr, fmt="png"), LIMITS)
    np.testing.assert_array_equal(out, bgr)
