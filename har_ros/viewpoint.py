"""Virtual pinhole cameras around 3D skeletons: training data seen from any viewpoint.

3D joints are in a *body frame* that follows the Kinect convention of UTD-MHAD (metres):
x grows to the sensor's left, y up, z away from the sensor, the person facing -z (towards
where the Kinect stood). A :class:`VirtualCamera` sits on a sphere around the clip's body
centre and looks at it:

- ``azimuth_deg`` 0 is in front of the person (the Kinect's own view), 90 on the person's
  right side, 180 behind, -90 on the left;
- ``elevation_deg`` 0 is at the body centre's height looking level, 70 is a ceiling camera
  looking down at 70 degrees;
- ``distance_m`` from the body centre, ``focal_px`` for a ``width`` x ``height`` image with the
  principal point at its centre, ``roll_deg`` about the optical axis.

Projection is perspective: ``u = cx + f X/Z``, ``v = cy - f Y/Z`` in the camera frame (X right,
Y up, Z forward). Joints behind or too close to the camera, outside the image (beyond
``margin`` of its size) or missing in 3D come out missing (x = y = confidence = 0), as a real
detector would not see them.

:func:`add_travel` makes a body walk or jog along its facing direction (UTD-MHAD's people do
locomotion on the spot), so models see people crossing a view; with ``gait`` its feet also
stay planted while they touch the ground and swing forward when lifted (:func:`add_gait`), as
a real walker's legs move relative to the hips. :func:`damp_arm_swing` scales how far the
arms swing about their mean pose: people crossing a cell carry parts or keep their hands
still, where UTD-MHAD's people swing their arms widely while stepping on the spot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from har_ros.data.common import SkeletonSequence
from har_ros.errors import ConfigError, DataError
from har_ros.skeleton import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NUM_JOINTS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
)

_UP = np.array([0.0, 1.0, 0.0])
#: Nearest depth (m) at which a joint in front of the camera is still projected.
MIN_DEPTH_M = 0.3


@dataclass(frozen=True)
class VirtualCamera:
    """One camera placement relative to a clip's body centre (degrees, metres, pixels)."""

    azimuth_deg: float = 0.0
    elevation_deg: float = 0.0
    distance_m: float = 4.0
    focal_px: float = 525.0
    roll_deg: float = 0.0
    width: int = 640
    height: int = 480

    def rotation(self) -> np.ndarray:
        """(3, 3): rows are camera X (image right), Y (up), Z (optical axis), body frame."""
        az, el = np.deg2rad(self.azimuth_deg), np.deg2rad(self.elevation_deg)
        to_cam = np.array([np.sin(az) * np.cos(el), np.sin(el), -np.cos(az) * np.cos(el)])
        forward = -to_cam
        right = np.cross(forward, _UP)
        norm = np.linalg.norm(right)
        right = right / norm if norm > 1e-9 else np.array([-np.cos(az), 0.0, -np.sin(az)])
        up = np.cross(right, forward)
        r = np.deg2rad(self.roll_deg)
        right, up = (np.cos(r) * right + np.sin(r) * up, -np.sin(r) * right + np.cos(r) * up)
        return np.stack([right, up, forward])

    def position(self, centre: np.ndarray) -> np.ndarray:
        """Camera centre in the body frame (m) for a body centre ``centre`` (3,)."""
        return np.asarray(centre, float) - self.distance_m * self.rotation()[2]


@dataclass(frozen=True)
class CameraRanges:
    """Where random training cameras may be (uniform in each range; a cell that knows its
    camera poses narrows them). Degrees, metres, pixels."""

    azimuth_deg: tuple[float, float] = (-180.0, 180.0)
    elevation_deg: tuple[float, float] = (0.0, 70.0)
    distance_m: tuple[float, float] = (2.5, 7.0)
    focal_px: tuple[float, float] = (450.0, 650.0)
    roll_deg: float = 5.0             # +/- about the optical axis
    aim_jitter_m: float = 0.3         # the camera aims this far (uniform box) off the centre
    width: int = 640
    height: int = 480
    #: locomotion classes -> [min, max] speed (m/s) of travel along the facing direction
    travel: dict | None = None
    travel_prob: float = 0.8          # probability a locomotion clip travels (else on the spot)
    #: travelling feet stay planted on the ground and swing forward when lifted (add_gait)
    travel_gait: bool = False
    #: travelling clips' arm swing about its mean, as a factor drawn from [min, max]
    #: (damp_arm_swing); None keeps the arms as recorded
    travel_arm_swing: tuple[float, float] | None = None

    @classmethod
    def from_dict(cls, data: dict) -> CameraRanges:
        """Build from a (YAML) mapping; unknown keys or bad ranges raise ConfigError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown virtual_cameras option(s): {', '.join(sorted(unknown))}")
        d = dict(data)
        for key in ("azimuth_deg", "elevation_deg", "distance_m", "focal_px"):
            if key in d:
                d[key] = tuple(float(v) for v in d[key])
        if d.get("travel") is not None:
            d["travel"] = {str(k): [float(v) for v in r] for k, r in d["travel"].items()}
        if d.get("travel_arm_swing") is not None:
            d["travel_arm_swing"] = tuple(float(v) for v in d["travel_arm_swing"])
        return cls(**d).validate()

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        d = asdict(self)
        for key in ("azimuth_deg", "elevation_deg", "distance_m", "focal_px"):
            d[key] = list(d[key])
        if d["travel_arm_swing"] is not None:
            d["travel_arm_swing"] = list(d["travel_arm_swing"])
        return d

    def validate(self) -> CameraRanges:
        def span(name: str, lo_ok: float, hi_ok: float) -> None:
            lo, hi = getattr(self, name)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo_ok <= lo <= hi <= hi_ok):
                raise ConfigError(f"virtual_cameras.{name} = [{lo}, {hi}]: need "
                                  f"{lo_ok} <= min <= max <= {hi_ok}")

        span("azimuth_deg", -360.0, 360.0)
        span("elevation_deg", -30.0, 89.0)
        span("distance_m", 0.5, 100.0)
        span("focal_px", 50.0, 10000.0)
        if not 0 <= self.roll_deg <= 45 or not 0 <= self.aim_jitter_m <= 5:
            raise ConfigError("virtual_cameras: roll_deg must be in [0, 45], aim_jitter_m in "
                              "[0, 5]")
        if not (16 <= self.width <= 16384 and 16 <= self.height <= 16384):
            raise ConfigError("virtual_cameras: width and height must be in [16, 16384] px")
        if not 0 <= self.travel_prob <= 1:
            raise ConfigError("virtual_cameras.travel_prob must be in [0, 1]")
        for name, r in (self.travel or {}).items():
            if len(r) != 2 or not 0 <= r[0] <= r[1] <= 10:
                raise ConfigError(f"virtual_cameras.travel.{name} = {r}: give [min, max] m/s "
                                  "within [0, 10]")
        if self.travel_arm_swing is not None:
            lo_hi = self.travel_arm_swing
            if len(lo_hi) != 2 or not 0 <= lo_hi[0] <= lo_hi[1] <= 2:
                raise ConfigError(f"virtual_cameras.travel_arm_swing = {list(lo_hi)}: give "
                                  "[min, max] factors within [0, 2] (1 = as recorded)")
        return self

    def sample(self, rng: np.random.Generator) -> tuple[VirtualCamera, np.ndarray]:
        """One random camera and its aim offset (3,) in metres."""
        cam = VirtualCamera(
            azimuth_deg=float(rng.uniform(*self.azimuth_deg)),
            elevation_deg=float(rng.uniform(*self.elevation_deg)),
            distance_m=float(rng.uniform(*self.distance_m)),
            focal_px=float(rng.uniform(*self.focal_px)),
            roll_deg=float(rng.uniform(-self.roll_deg, self.roll_deg)),
            width=self.width, height=self.height,
        )
        return cam, rng.uniform(-self.aim_jitter_m, self.aim_jitter_m, 3)


def body_centre(points: np.ndarray) -> np.ndarray:
    """(T, J, 3) metres (NaN = missing) -> (3,) mean of every present joint over the clip."""
    p = np.asarray(points, float).reshape(-1, 3)
    ok = np.isfinite(p).all(axis=1)
    if not ok.any():
        raise DataError("no 3D joint is present in the clip")
    return p[ok].mean(axis=0)


def facing_direction(points: np.ndarray) -> np.ndarray:
    """(T, 18, 3) -> (3,) horizontal unit vector the body faces (from its hip and shoulder
    lines, averaged over the clip); -z (towards the Kinect) when neither is present."""
    across = []
    for left, right in ((L_HIP, R_HIP), (L_SHOULDER, R_SHOULDER)):
        d = points[:, left] - points[:, right]
        across.append(d[np.isfinite(d).all(axis=1)])
    d = np.concatenate(across)
    if len(d) == 0:
        return np.array([0.0, 0.0, -1.0])
    v = np.cross(d.mean(axis=0), _UP)  # left-minus-right x up = forward
    v[1] = 0.0
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else np.array([0.0, 0.0, -1.0])


def add_travel(points: np.ndarray, stamps_s: np.ndarray, speed_mps: float,
               gait: bool = False) -> np.ndarray:
    """The body moved along its facing direction at ``speed_mps``, centred on the clip's
    middle instant (so the body centre stays where it was at mid-clip). With ``gait`` the legs
    also step (:func:`add_gait`). Returns a copy."""
    t = np.asarray(stamps_s, float)
    facing = facing_direction(points)
    p = np.asarray(points, float)
    if gait:
        p = add_gait(p, t, speed_mps, facing)
    shift = (t - 0.5 * (t[0] + t[-1]))[:, None] * speed_mps * facing[None]
    return p + shift[:, None, :]


#: Lift (m) above the ankle's resting height from which a foot counts as swinging.
SWING_LIFT_M = 0.025
#: Half the range (m) a foot may move ahead of or behind the hips while stepping.
MAX_FOOT_OFFSET_M = 0.35
#: Fastest forward swing of a lifted foot relative to the hips, in body speeds.
MAX_SWING_RATE = 2.5


def swing_phases(ankle_y: np.ndarray) -> np.ndarray:
    """(T,) ankle heights (m, NaN = missing) -> (T,) bool: the foot is lifted (swinging)
    rather than resting on the ground (its 10th-percentile height)."""
    y = np.asarray(ankle_y, float)
    ok = np.isfinite(y)
    if ok.sum() < 3:
        return np.zeros(len(y), bool)
    return ok & (y - np.percentile(y[ok], 10) > SWING_LIFT_M)


def foot_offsets(swing: np.ndarray, stamps_s: np.ndarray, speed_mps: float) -> np.ndarray:
    """(T,) forward offset (m) of a foot relative to a body travelling at ``speed_mps``.

    On the ground the foot stays where it is in the world, so relative to the body it moves
    back at the body's speed; in the air it swings forward fast enough to make up the stance
    time over the clip, at most :data:`MAX_SWING_RATE` body speeds. Offsets are bounded by
    :data:`MAX_FOOT_OFFSET_M` (a foot resting longer than a step stays behind) and centred.
    A foot that never lifts (or never rests) keeps offset 0 (no step to imitate).
    """
    swing = np.asarray(swing, bool)
    frac = swing.mean() if len(swing) else 0.0
    if not 0.05 <= frac <= 0.8:
        return np.zeros(len(swing))
    dt = np.diff(np.asarray(stamps_s, float), prepend=stamps_s[0])
    rate = np.where(swing, speed_mps * min((1 - frac) / frac, MAX_SWING_RATE), -speed_mps)
    off = np.zeros(len(swing))
    for i in range(1, len(swing)):
        off[i] = np.clip(off[i - 1] + rate[i] * dt[i], -MAX_FOOT_OFFSET_M, MAX_FOOT_OFFSET_M)
    return off - 0.5 * (off.max() + off.min())


def add_gait(points: np.ndarray, stamps_s: np.ndarray, speed_mps: float,
             facing: np.ndarray | None = None) -> np.ndarray:
    """(T, 18, 3) on-the-spot stepping -> the legs of a body walking at ``speed_mps``: each
    foot's forward offset (:func:`foot_offsets`, from when its ankle is lifted) moves the
    ankle along ``facing`` and the knee half as far. Returns a copy."""
    p = np.array(points, float)
    facing = facing_direction(p) if facing is None else np.asarray(facing, float)
    for ankle, knee in ((R_ANKLE, R_KNEE), (L_ANKLE, L_KNEE)):
        off = foot_offsets(swing_phases(p[:, ankle, 1]), stamps_s, speed_mps)
        p[:, ankle] += off[:, None] * facing[None]
        p[:, knee] += 0.5 * off[:, None] * facing[None]
    return p


def damp_arm_swing(points: np.ndarray, factor: float) -> np.ndarray:
    """(T, 18, 3) -> the arms' swing scaled by ``factor``: each elbow and wrist keeps its mean
    offset from its shoulder over the clip, and its deviation from that mean is multiplied by
    ``factor`` (0 = arms held still at their mean pose, 1 = unchanged). Returns a copy."""
    p = np.array(points, float)
    for shoulder, elbow, wrist in ((R_SHOULDER, R_ELBOW, R_WRIST),
                                   (L_SHOULDER, L_ELBOW, L_WRIST)):
        for joint in (elbow, wrist):
            off = p[:, joint] - p[:, shoulder]
            ok = np.isfinite(off).all(axis=1)
            if not ok.any():
                continue
            mean = off[ok].mean(axis=0)
            p[:, joint] = p[:, shoulder] + mean + factor * (off - mean)
    return p


def project(points: np.ndarray, camera: VirtualCamera, centre: np.ndarray,
            margin: float = 0.1) -> np.ndarray:
    """(T, 18, 3) body-frame metres (NaN = missing) -> (T, 18, 3) float32 pixels + confidence
    seen by ``camera`` placed around ``centre`` (3,); see the module docstring."""
    p = np.asarray(points, float)
    if p.ndim != 3 or p.shape[1:] != (NUM_JOINTS, 3):
        raise DataError(f"3D skeletons must be (T, 18, 3), got {p.shape}")
    rot = camera.rotation()
    cam = (p - camera.position(centre)) @ rot.T  # (T, 18, 3): X right, Y up, Z forward
    z = cam[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        u = camera.width / 2 + camera.focal_px * cam[..., 0] / z
        v = camera.height / 2 - camera.focal_px * cam[..., 1] / z
    mx, my = margin * camera.width, margin * camera.height
    ok = (np.isfinite(cam).all(axis=-1) & (z > MIN_DEPTH_M)
          & (u >= -mx) & (u <= camera.width + mx) & (v >= -my) & (v <= camera.height + my))
    out = np.zeros(p.shape, dtype=np.float32)
    out[..., 0] = np.where(ok, u, 0.0)
    out[..., 1] = np.where(ok, v, 0.0)
    out[..., 2] = ok
    return out


def render(points: np.ndarray, stamps_s: np.ndarray, camera: VirtualCamera,
           aim_offset: np.ndarray | None = None, speed_mps: float = 0.0,
           gait: bool = False, arm_swing: float = 1.0) -> np.ndarray:
    """A clip's 3D joints seen by ``camera`` around its body centre (+ ``aim_offset``), the
    body travelling at ``speed_mps`` along its facing direction (0 = on the spot), stepping
    with planted feet when ``gait``, its arms swinging ``arm_swing`` times as far as recorded.

    With travel, the camera stands back far enough that the walked path stays in front of it
    (distance at least half the path plus 1.5 m)."""
    p = np.asarray(points, float)
    if arm_swing != 1.0:
        p = damp_arm_swing(p, arm_swing)
    if speed_mps > 0:
        p = add_travel(p, stamps_s, speed_mps, gait)
        half_path = 0.5 * speed_mps * float(stamps_s[-1] - stamps_s[0])
        if camera.distance_m < half_path + 1.5:
            camera = VirtualCamera(**{**asdict(camera), "distance_m": half_path + 1.5})
    centre = body_centre(p)
    if aim_offset is not None:
        centre = centre + np.asarray(aim_offset, float)
    return project(p, camera, centre)


def render_sequence(seq: SkeletonSequence, camera: VirtualCamera,
                    aim_offset: np.ndarray | None = None, speed_mps: float = 0.0,
                    gait: bool = False, arm_swing: float = 1.0) -> SkeletonSequence:
    """A 3D sequence (``points3d`` set) as seen by ``camera``: same stamps, label, subject and
    clip id; ``camera`` names the placement."""
    if seq.points3d is None:
        raise DataError(f"{seq.clip_id}: no 3D joints to render (points3d is None)")
    sk = render(seq.points3d, seq.stamps_s, camera, aim_offset, speed_mps, gait, arm_swing)
    name = f"virtual_az{camera.azimuth_deg:g}_el{camera.elevation_deg:g}"
    return SkeletonSequence(sk, seq.stamps_s, seq.label, seq.subject, name, seq.clip_id)


def render_random_views(seqs: list[SkeletonSequence], ranges: CameraRanges,
                        classes: list[str], rng: np.random.Generator
                        ) -> list[SkeletonSequence]:
    """Every 3D sequence through its own random camera from ``ranges`` (clips of a
    ``ranges.travel`` class travel with probability ``travel_prob``, their arms swinging by a
    factor from ``travel_arm_swing``); sequences without 3D joints are returned unchanged."""
    return render_random_views_with_azimuths(seqs, ranges, classes, rng)[0]


def render_random_views_with_azimuths(seqs: list[SkeletonSequence], ranges: CameraRanges,
                                      classes: list[str], rng: np.random.Generator
                                      ) -> tuple[list[SkeletonSequence], np.ndarray]:
    """:func:`render_random_views` and the (N,) azimuth (degrees) of each sequence's camera,
    NaN for a sequence returned unchanged (no 3D joints)."""
    travel = ranges.travel or {}
    out = []
    azimuths = np.full(len(seqs), np.nan)
    for i, seq in enumerate(seqs):
        if seq.points3d is None:
            out.append(seq)
            continue
        cam, aim = ranges.sample(rng)
        azimuths[i] = cam.azimuth_deg
        speed, arms = 0.0, 1.0
        name = classes[seq.label] if isinstance(seq.label, int) else ""
        if name in travel and rng.random() < ranges.travel_prob:
            speed = float(rng.uniform(*travel[name]))
            if ranges.travel_arm_swing is not None:
                arms = float(rng.uniform(*ranges.travel_arm_swing))
        out.append(render_sequence(seq, cam, aim, speed, ranges.travel_gait, arms))
    return out, azimuths
