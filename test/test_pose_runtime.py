"""Runtimes of openpose_mobilenet (har_ros.pose.runtimes): OpenVINO and cv2.dnn give the same
skeletons on real frames; every runtime / device / precision choice that cannot be honoured here
fails at construction with an error naming the parameter."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from har_ros.errors import BackendUnavailableError, ConfigError
from har_ros.pose import make_backend
from har_ros.pose import runtimes as rt
from har_ros.pose_config import PoseNodeConfig

from conftest import REPO_ROOT, require_file

#: Largest difference of the raw heat maps / PAFs between the runtimes. Measured on
#: exercise.avi and the street clip: <= 6e-6 (both compute in f32; only the order of the sums
#: differs). Map values lie in [-1, 1].
MAP_TOLERANCE = 1e-4
#: Largest joint difference between the runtimes' decoded people (pixels); measured <= 3e-5.
JOINT_TOLERANCE_PX = 1e-3


def _weights():
    from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

    try:
        return locate_weights(OPENPOSE_MOBILENET_THIN)
    except BackendUnavailableError as exc:
        pytest.skip(f"OpenPose weights absent ({exc}); 'make setup' fetches them")


def _openvino_or_skip():
    ov, why = rt.import_openvino()
    if ov is None:
        pytest.skip(f"OpenVINO is not installed here: {why}")
    return ov


def _has_gpu() -> bool:
    ov, _ = rt.import_openvino()
    return ov is not None and any(d.startswith("GPU") for d in ov.Core().available_devices)


# ---- choices and their errors -------------------------------------------------------------


@pytest.mark.parametrize("name, value", [
    ("runtime", "tensorrt"), ("runtime", ""), ("device", "cuda"), ("device", "GPU"),
    ("precision", "fp32"), ("precision", "int4"),
])
def test_bad_values_are_config_errors_naming_the_parameter(name, value):
    config = dataclasses.replace(PoseNodeConfig(), **{name: value})
    with pytest.raises(ConfigError, match=f"parameter '{name}' = {value!r}") as err:
        config.validate()
    for choice in {"runtime": rt.RUNTIMES, "device": rt.DEVICES,
                   "precision": rt.PRECISIONS}[name]:
        assert choice in str(err.value)
    _weights()
    with pytest.raises(ConfigError, match=f"parameter '{name}'"):
        make_backend("openpose_mobilenet", **{name: value})


def test_runtime_choices_apply_to_openpose_only():
    PoseNodeConfig(backend="mediapipe", device="cpu").validate()
    with pytest.raises(ConfigError, match="parameter 'runtime' = 'openvino' applies to"):
        PoseNodeConfig(backend="mediapipe", runtime="openvino").validate()
    with pytest.raises(ConfigError, match="parameter 'precision'"):
        PoseNodeConfig(backend="mediapipe", precision="bf16").validate()


def test_opencv_runs_f32_on_the_cpu_only():
    _weights()
    with pytest.raises(ConfigError, match="parameter 'device' = 'gpu' needs runtime"):
        make_backend("openpose_mobilenet", runtime="opencv", device="gpu")
    with pytest.raises(ConfigError, match="parameter 'precision' = 'bf16' needs runtime"):
        make_backend("openpose_mobilenet", runtime="opencv", precision="bf16")
    with make_backend("openpose_mobilenet", runtime="opencv", device="cpu") as backend:
        info = backend.runtime_info()
    assert info["runtime"].startswith("opencv ") and info["device"] == "CPU"
    assert info["precision"] == "f32" and "fallback" not in info


def test_runtime_openvino_without_the_package_names_the_install(monkeypatch):
    _weights()
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino -> ImportError
    with pytest.raises(BackendUnavailableError, match="runtime 'openvino' needs OpenVINO") as err:
        make_backend("openpose_mobilenet", runtime="openvino")
    assert rt.OPENVINO_REQUIREMENT in str(err.value) and "runtime 'opencv'" in str(err.value)
    with pytest.raises(BackendUnavailableError, match="device 'gpu' needs OpenVINO"):
        make_backend("openpose_mobilenet", device="gpu")
    # auto falls back to cv2.dnn and says why
    with make_backend("openpose_mobilenet", runtime="auto") as backend:
        info = backend.runtime_info()
    assert info["runtime"].startswith("opencv ") and "not importable" in info["fallback"]
    assert rt.available()["pose_runtime_auto"].startswith("opencv")


def test_auto_picks_openvino_when_installed():
    _openvino_or_skip()
    _weights()
    with make_backend("openpose_mobilenet") as backend:
        info = backend.runtime_info()
    assert info["runtime"].startswith("openvino ") and info["precision"] == "f32"
    assert info["device"].startswith("GPU" if _has_gpu() else "CPU")


def test_device_gpu_without_a_gpu_is_a_clear_error():
    _openvino_or_skip()
    _weights()
    if _has_gpu():
        pytest.skip("OpenVINO sees a GPU here")
    with pytest.raises(ConfigError, match="parameter 'device' = 'gpu': OpenVINO .* sees no GPU"):
        make_backend("openpose_mobilenet", device="gpu")
    with make_backend("openpose_mobilenet", device="auto") as backend:
        assert backend.runtime_info()["device"].startswith("CPU")


@pytest.mark.parametrize("precision, capability", [("bf16", "BF16"), ("f16", "FP16")])
def test_reduced_precision_only_where_the_cpu_supports_it(precision, capability):
    ov = _openvino_or_skip()
    _weights()
    capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    if capability in capabilities:
        with make_backend("openpose_mobilenet", device="cpu", precision=precision) as backend:
            assert backend.runtime_info()["precision"] == precision
        return
    with pytest.raises(ConfigError, match=f"parameter 'precision' = '{precision}': device CPU"):
        make_backend("openpose_mobilenet", device="cpu", precision=precision)


def test_the_install_message_names_the_pinned_version():
    pins = (REPO_ROOT / "requirements.txt").read_text()
    assert re.search(rf"^{re.escape(rt.OPENVINO_REQUIREMENT)}$", pins, re.M)


# ---- same skeletons from both runtimes on real frames --------------------------------------


def _real_frames(shared_data: Path) -> list[tuple[str, np.ndarray]]:
    from har_ros.video_source import VideoSource

    frames = []
    for name, step, count in (("exercise.avi", 50, 4), ("seed_street.mp4", 60, 3)):
        source = VideoSource(require_file(shared_data / "video" / name), max_width=640)
        for i, frame in enumerate(source.frames(limit=step * count)):
            if i % step == step - 1:
                frames.append((f"{name}#{i}", frame))
    return frames


@pytest.fixture(scope="module")
def both_runtimes():
    _openvino_or_skip()
    _weights()
    opencv = make_backend("openpose_mobilenet", runtime="opencv", max_batch=2)
    openvino = make_backend("openpose_mobilenet", runtime="openvino", device="cpu", max_batch=2)
    yield opencv, openvino
    opencv.close()
    openvino.close()


def test_both_runtimes_give_the_same_maps_and_people(both_runtimes, shared_data):
    opencv, openvino = both_runtimes
    people_seen = 0
    for label, frame in _real_frames(shared_data):
        a, b = opencv.network_output([frame]), openvino.network_output([frame])
        assert a.shape == b.shape and a.shape[1] == 57, label
        diff = float(np.abs(a - b).max())
        assert diff < MAP_TOLERANCE, f"{label}: maps differ by {diff}"
        (pa,), (pb,) = opencv.infer([frame]), openvino.infer([frame])
        assert pa.shape == pb.shape, f"{label}: {len(pa)} vs {len(pb)} people"
        np.testing.assert_allclose(pb, pa, atol=JOINT_TOLERANCE_PX, err_msg=label)
        people_seen += len(pa)
    assert people_seen >= 12, "the frames show people (3 per exercise frame, more on the street)"


def test_openvino_compiles_one_shape_per_input_size(both_runtimes, shared_data):
    opencv, openvino = both_runtimes
    frames = _real_frames(shared_data)
    (_, a), (_, b) = frames[:2]  # exercise.avi, 384x288
    street = frames[-1][1]  # the street clip, 640x360: another network input size
    compiled = openvino._runtime.compiled_shapes
    batch = openvino.infer([a, b])  # one call with two frames of one size
    again = openvino.infer([a, b])
    single = [opencv.infer([a])[0], opencv.infer([b])[0]]
    for got, repeat, want in zip(batch, again, single, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=JOINT_TOLERANCE_PX)
        np.testing.assert_array_equal(got, repeat)
    openvino.infer([street, street])
    openvino.infer([street])
    # 640x480 (compiled at start) and 384x288 share the 368x496 input; 640x360 needs 368x656
    assert compiled == [(368, 496), (368, 656)], compiled


# ---- the node refuses at start-up ----------------------------------------------------------


@pytest.mark.ros
def test_pose_node_with_device_gpu_and_no_gpu_exits_2(ros_domain):
    _openvino_or_skip()
    _weights()
    if _has_gpu():
        pytest.skip("OpenVINO sees a GPU here")
    from ros_harness import subprocess_env

    _, env = ros_domain
    out = subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "pose-node", "--ros-args", "-p", "device:=gpu"],
        env=subprocess_env(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "cannot start" in out.stderr and "parameter 'device' = 'gpu'" in out.stderr
    assert "sees no GPU" in out.stderr and "Traceback" not in out.stderr + out.stdout


def test_har_ros_info_reports_the_runtime_auto_picks():
    from har_ros.install_info import collect

    report = collect()
    ov, _ = rt.import_openvino()
    if ov is None:
        assert report["openvino"].startswith("no: ")
        assert report["pose_runtime_auto"].startswith("opencv")
    else:
        assert report["openvino"].startswith(ov.__version__.split("-")[0])
        assert "CPU" in report["openvino"] and "f32" in report["openvino"]
        device = "GPU" if _has_gpu() else "CPU"
        assert report["pose_runtime_auto"].startswith(f"openvino on {device}")
