"""Virtual pinhole cameras around 3D skeletons (har_ros.viewpoint) and their training hook."""

import numpy as np
import pytest

from har_ros.data.common import SkeletonSequence, uniform_stamps
from har_ros.errors import ConfigError, DataError
from har_ros.skeleton import (
    L_ANKLE,
    L_HIP,
    L_SHOULDER,
    NECK,
    NOSE,
    NUM_JOINTS,
    R_ANKLE,
    R_HIP,
    R_SHOULDER,
)
from har_ros.viewpoint import (
    MAX_FOOT_OFFSET_M,
    CameraRanges,
    VirtualCamera,
    add_travel,
    facing_direction,
    project,
    render,
    render_random_views,
    render_sequence,
)


def standing_body(t: int = 30, z: float = 3.0) -> np.ndarray:
    """A person 1.7 m tall facing the Kinect (-z) at depth ``z``, Kinect body frame, metres.
    The person's right side is at +x (the sensor's left)."""
    p = np.full((t, NUM_JOINTS, 3), np.nan)
    joints = {NOSE: (0, 1.6, 0), NECK: (0, 1.45, 0), R_SHOULDER: (0.2, 1.45, 0),
              L_SHOULDER: (-0.2, 1.45, 0), R_HIP: (0.12, 0.9, 0), L_HIP: (-0.12, 0.9, 0),
              R_ANKLE: (0.12, 0.05, 0), L_ANKLE: (-0.12, 0.05, 0)}
    for j, (x, y, zz) in joints.items():
        p[:, j] = (x, y - 0.9, z + zz)
    return p


def height_px(sk: np.ndarray) -> float:
    ok = sk[..., 2] > 0
    return float(sk[ok][:, 1].max() - sk[ok][:, 1].min())


def test_the_kinect_view_is_the_kinect_pinhole_projection():
    """az 0, el 0 from the Kinect's own position: u = cx - f x / z, v = cy - f y / z."""
    p = standing_body(z=3.0)
    p[:, :, 0] += 0.05  # not centred on the axis
    centre = np.array([0.0, 0.0, 3.0])
    sk = project(p, VirtualCamera(0, 0, 3.0, 525.0), centre)
    ok = np.isfinite(p).all(axis=-1)
    np.testing.assert_allclose(sk[ok][:, 0], 320 - 525 * p[ok][:, 0] / p[ok][:, 2], atol=1e-3)
    np.testing.assert_allclose(sk[ok][:, 1], 240 - 525 * p[ok][:, 1] / p[ok][:, 2], atol=1e-3)
    assert (sk[~ok] == 0).all() and (sk[ok][:, 2] == 1).all()


@pytest.mark.parametrize("az, el, roll", [(0, 0, 0), (90, 30, 5), (-135, 70, -5), (180, 10, 2)])
def test_the_aim_point_lands_on_the_image_centre(az, el, roll):
    p = np.zeros((1, NUM_JOINTS, 3)) + np.array([0.3, -0.2, 2.5])
    sk = project(p, VirtualCamera(az, el, 4.0, 500.0, roll), np.array([0.3, -0.2, 2.5]))
    np.testing.assert_allclose(sk[0, :, :2], np.tile([320.0, 240.0], (NUM_JOINTS, 1)), atol=1e-6)


def test_from_behind_left_and_right_swap_sides():
    p = standing_body()
    front = render(p, uniform_stamps(30, 30), VirtualCamera(0, 0))
    back = render(p, uniform_stamps(30, 30), VirtualCamera(180, 0))
    # the person's right shoulder is at image-left from the front, image-right from behind
    assert front[0, R_SHOULDER, 0] < front[0, L_SHOULDER, 0]
    assert back[0, R_SHOULDER, 0] > back[0, L_SHOULDER, 0]


def test_a_side_view_foreshortens_the_shoulders_and_a_ceiling_view_the_body():
    p = standing_body()
    st = uniform_stamps(30, 30)
    front, side = render(p, st, VirtualCamera(0, 0)), render(p, st, VirtualCamera(90, 0))
    width = lambda s: abs(s[0, R_SHOULDER, 0] - s[0, L_SHOULDER, 0])  # noqa: E731
    assert width(side) < 0.05 * width(front)
    ceiling = render(p, st, VirtualCamera(0, 70))
    assert height_px(ceiling) < 0.5 * height_px(front)


def test_joints_behind_the_camera_or_outside_the_image_are_missing():
    p = standing_body()
    close = project(p, VirtualCamera(0, 0, 0.2, 525.0), np.array([0.0, 0.0, 3.0]))
    assert not (close[..., 2] > 0).any()  # the camera is inside the body: nothing visible
    zoomed = project(p, VirtualCamera(0, 0, 3.0, 4000.0), np.array([0.0, 0.0, 3.0]))
    assert 0 < (zoomed[..., 2] > 0).mean() < 1  # head and feet fall outside the image
    assert (zoomed[zoomed[..., 2] == 0] == 0).all()


def test_travel_follows_the_facing_direction_and_crosses_a_side_view():
    p = standing_body(t=31)
    st = uniform_stamps(31, 15)  # 2 s
    np.testing.assert_allclose(facing_direction(p), [0, 0, -1], atol=1e-9)
    moved = add_travel(p, st, 1.5)
    np.testing.assert_allclose(moved[15], p[15], atol=1e-9)  # mid-clip unchanged
    np.testing.assert_allclose(moved[-1, NECK] - moved[0, NECK], [0, 0, -3.0], atol=1e-9)
    side = render(p, st, VirtualCamera(90, 0, 4.0), speed_mps=1.5)
    neck_u = side[:, NECK, 0]
    assert (np.diff(neck_u) > 0).all() and neck_u[-1] - neck_u[0] > 200  # crosses the image
    assert (side[:, NECK, 2] > 0).all()


def test_travel_keeps_the_camera_out_of_the_path():
    p = standing_body(t=61)
    st = uniform_stamps(61, 15)  # 4 s at 3 m/s: a 12 m path
    towards = render(p, st, VirtualCamera(0, 0, 2.5), speed_mps=3.0)
    assert (towards[:, NECK, 2] > 0).all()  # the jogger never reaches the camera


def stepping_body(t: int = 60, rate_hz: float = 15.0) -> tuple[np.ndarray, np.ndarray]:
    """A person stepping on the spot: each foot lifted 8 cm for 0.2 s every 1 s, the feet in
    turn (right at 0.2 s, left at 0.7 s)."""
    p, st = standing_body(t), uniform_stamps(t, rate_hz)
    for ankle, start in ((R_ANKLE, 0.2), (L_ANKLE, 0.7)):
        lifted = ((st - start) % 1.0) < 0.2
        p[lifted, ankle, 1] += 0.08
    return p, st


def test_gait_keeps_a_resting_foot_planted_while_the_body_travels():
    p, st = stepping_body()
    walked = add_travel(p, st, 1.2, gait=True)
    glided = add_travel(p, st, 1.2)
    body_step = 1.2 / 15.0  # m per frame
    for ankle in (R_ANKLE, L_ANKLE):
        resting = p[:, ankle, 1] < -0.8  # not lifted
        both = resting[1:] & resting[:-1]
        step = np.abs(np.diff(walked[:, ankle, 2]))[both]
        # a resting foot stays planted in the world, or, once as far behind the hips as a step
        # allows, is dragged along, never faster than the body
        assert (step <= body_step + 1e-9).all() and (step < 1e-9).mean() > 0.5
        offsets = walked[:, ankle, 2] - 0.5 * (walked[:, R_HIP, 2] + walked[:, L_HIP, 2])
        assert np.ptp(offsets) <= 2 * MAX_FOOT_OFFSET_M + 1e-9 and np.ptp(offsets) > 0.3
        # without gait the same foot glides along with the body
        assert np.abs(np.diff(glided[:, ankle, 2])).min() > 0.05
    # hips and everything above them travel exactly as without gait
    np.testing.assert_allclose(walked[:, [NECK, R_HIP, L_HIP]], glided[:, [NECK, R_HIP, L_HIP]])


def test_gait_leaves_feet_that_never_lift_alone():
    p, st = standing_body(45), uniform_stamps(45, 15)
    np.testing.assert_allclose(add_travel(p, st, 1.2, gait=True), add_travel(p, st, 1.2))


def test_gait_is_an_option_of_the_ranges():
    r = CameraRanges.from_dict({"travel": {"walk": [1.0, 1.0]}, "travel_prob": 1.0,
                                "travel_gait": True, "aim_jitter_m": 0.0})
    assert r.travel_gait and CameraRanges.from_dict(r.to_dict()) == r


def test_ranges_validate_and_sample_reproducibly():
    with pytest.raises(ConfigError, match="unknown"):
        CameraRanges.from_dict({"azimuth": [0, 1]})
    with pytest.raises(ConfigError, match="elevation_deg"):
        CameraRanges.from_dict({"elevation_deg": [10, 95]})
    with pytest.raises(ConfigError, match="travel"):
        CameraRanges.from_dict({"travel": {"walk": [2, 1]}})
    r = CameraRanges.from_dict({"azimuth_deg": [80, 100], "elevation_deg": [40, 50]})
    cams = [r.sample(np.random.default_rng(7))[0] for _ in range(2)]
    assert cams[0] == cams[1]
    many = [r.sample(np.random.default_rng(k))[0] for k in range(50)]
    assert all(80 <= c.azimuth_deg <= 100 and 40 <= c.elevation_deg <= 50 for c in many)
    assert CameraRanges.from_dict(r.to_dict()) == r


def test_random_views_render_3d_clips_and_pass_2d_clips_through():
    st = uniform_stamps(30, 30)
    p3 = standing_body()
    flat = np.zeros((30, NUM_JOINTS, 3), np.float32)
    seqs = [SkeletonSequence(flat, st, 0, "s1", "kinect", "walker", points3d=p3),
            SkeletonSequence(flat, st, 1, "s1", "video", "flat")]
    ranges = CameraRanges(travel={"walk": [1.0, 1.0]}, travel_prob=1.0, aim_jitter_m=0.0)
    out = render_random_views(seqs, ranges, ["walk", "wave"], np.random.default_rng(0))
    assert out[1] is seqs[1]
    assert out[0].camera.startswith("virtual_") and out[0].label == 0
    assert (out[0].skeletons[..., 2] > 0).sum() > 0
    neck = out[0].skeletons[:, NECK]
    assert np.ptp(neck[neck[:, 2] > 0, 0]) > 10  # the walker moves through the image
    with pytest.raises(DataError, match="points3d"):
        render_sequence(seqs[1], VirtualCamera())


def test_points3d_must_match_the_skeletons():
    st = uniform_stamps(5, 30)
    with pytest.raises(DataError, match="points3d"):
        SkeletonSequence(np.zeros((5, NUM_JOINTS, 3)), st, 0, points3d=np.zeros((4, 18, 3)))


def test_arm_swing_scales_the_arms_motion_about_their_mean_pose():
    """An arm swinging back and forth keeps its mean pose; its swing scales with the factor,
    and the rest of the body is untouched."""
    from har_ros.skeleton import L_WRIST, R_ELBOW, R_WRIST
    from har_ros.viewpoint import damp_arm_swing

    p = standing_body(40)
    swing = 0.3 * np.sin(np.linspace(0, 4 * np.pi, 40))
    p[:, R_ELBOW] = p[:, R_SHOULDER] + np.array([0.0, -0.3, 0.0])
    p[:, R_WRIST] = p[:, R_SHOULDER] + np.stack([np.zeros(40), -0.6 + 0 * swing, swing], 1)
    half = damp_arm_swing(p, 0.5)
    off, off_half = p[:, R_WRIST] - p[:, R_SHOULDER], half[:, R_WRIST] - half[:, R_SHOULDER]
    np.testing.assert_allclose(off_half.mean(0), off.mean(0), atol=1e-9)
    np.testing.assert_allclose(off_half - off_half.mean(0), 0.5 * (off - off.mean(0)),
                               atol=1e-9)
    assert np.ptp(half[:, R_WRIST, 2]) == pytest.approx(0.5 * np.ptp(p[:, R_WRIST, 2]))
    still = damp_arm_swing(p, 0.0)
    assert np.ptp(still[:, R_WRIST, 2]) < 1e-9
    others = [j for j in range(NUM_JOINTS) if j not in (R_ELBOW, R_WRIST)]
    np.testing.assert_array_equal(still[:, others], p[:, others])
    assert np.isnan(still[:, L_WRIST]).all()  # a missing arm stays missing


def test_arm_swing_applies_to_travelling_clips_only_and_validates():
    from har_ros.skeleton import R_ELBOW, R_WRIST

    p = standing_body(30)
    p[:, R_ELBOW] = p[:, R_SHOULDER] + np.array([0.0, -0.3, 0.0])
    p[:, R_WRIST] = p[:, R_SHOULDER] + np.stack(
        [np.zeros(30), np.full(30, -0.6), 0.3 * np.sin(np.linspace(0, 4 * np.pi, 30))], 1)
    seq = SkeletonSequence(np.zeros((30, NUM_JOINTS, 3), np.float32), uniform_stamps(30, 15),
                           0, "s1", "virtual", "clip", points3d=p)
    still = CameraRanges(travel={"walk": [1.0, 1.0]}, travel_prob=1.0, aim_jitter_m=0.0,
                         travel_arm_swing=(0.0, 0.0))
    moving = CameraRanges(travel={"walk": [1.0, 1.0]}, travel_prob=1.0, aim_jitter_m=0.0)

    def wrist_rel_neck_ptp(ranges: CameraRanges, label: str) -> float:
        [out] = render_random_views([seq], ranges, [label], np.random.default_rng(3))
        rel = out.skeletons[:, R_WRIST, :2] - out.skeletons[:, NECK, :2]
        return float(np.ptp(rel, axis=0).max())

    # (perspective still moves a still arm a little as the body walks past the camera)
    assert wrist_rel_neck_ptp(still, "walk") < 0.5 * wrist_rel_neck_ptp(moving, "walk")
    # a class that does not travel keeps its arms as recorded
    assert wrist_rel_neck_ptp(still, "wave") == pytest.approx(wrist_rel_neck_ptp(moving, "wave"))
    assert CameraRanges.from_dict(still.to_dict()) == still
    with pytest.raises(ConfigError, match="travel_arm_swing"):
        CameraRanges.from_dict({"travel_arm_swing": [0.5, 3.0]})
