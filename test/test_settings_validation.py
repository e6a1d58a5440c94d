"""Every node setting is finite and in its stated range, unknown parameter names stop a node,
and a bad setting or checkpoint ends a node with exit code 2 and a message, never a traceback.

Plain unit tests for the config dataclasses (no DDS), then one parametrised test per node that
starts the real node in its own process (rclpy, Fast DDS on loopback) with each bad setting.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import sys

import pytest

from har_ros.action_config import ActionNodeConfig
from har_ros.decisions import DecisionConfig
from har_ros.errors import ConfigError
from har_ros.pose_config import PoseNodeConfig
from har_ros.track_windows import WindowSpec

from ros_harness import REPO_ROOT, subprocess_env

NAN, INF = math.nan, math.inf

# (field, bad value, the allowed range the message must state)
ACTION_BAD = [
    ("forget_after_s", -1.0, "(0, 86400]"),
    ("forget_after_s", NAN, "(0, 86400]"),
    ("stale_after_s", NAN, "(0, 3600]"),
    ("stale_after_s", INF, "(0, 3600]"),
    ("max_gap_s", -1.0, "[0, 60]"),
    ("gap_reset_s", INF, "(0, 3600]"),
    ("heartbeat_hz", INF, "(0, 100]"),
    ("heartbeat_hz", 1000.0, "(0, 100]"),
    ("diagnostics_period_s", 1e-6, "[0.05, 3600]"),
    ("diagnostics_period_s", NAN, "[0.05, 3600]"),
    ("min_window_fill", NAN, "(0, 1]"),
    ("expected_window_frames", 20_000_000, "[0, 10000]"),
    ("expected_rate_hz", INF, "[0, 1000]"),
    ("fusion_tolerance_s", -0.1, "[0, 60]"),
    ("torch_threads", 0, "[1, 256]"),
    ("confidence_threshold", NAN, "[0, 1)"),
    ("smoothing", 0.0, "(0, 1]"),
    ("hysteresis", INF, "[0, 1)"),
]

POSE_BAD = [
    ("net_height", 16000, "[64, 1024]"),
    ("net_height", 48, "[64, 1024]"),
    ("max_batch", 100000, "[1, 64]"),
    ("max_people", -1, "[0, 1000]"),
    ("track_max_age_s", NAN, "(0, 3600]"),
    ("track_max_cost", INF, "(0, 100]"),
    ("diagnostics_period_s", 1e-6, "[0.05, 3600]"),
    ("diagnostics_period_s", INF, "[0.05, 3600]"),
]


@pytest.mark.reliability("action node setting NaN, inf, negative or far too large "
                         "(forget_after_s -1, stale_after_s nan, heartbeat_hz inf, ...)",
                         "ConfigError naming the parameter and its allowed range")
@pytest.mark.parametrize("name, value, allowed", ACTION_BAD)
def test_action_settings_out_of_range_are_refused(name, value, allowed):
    config = dataclasses.replace(ActionNodeConfig(), **{name: value})
    with pytest.raises(ConfigError) as err:
        config.validate()
    assert f"'{name}'" in str(err.value) or f"{name} " in str(err.value)
    assert allowed in str(err.value)


@pytest.mark.reliability("pose node setting NaN, inf, negative or far too large "
                         "(net_height 16000, diagnostics_period_s 1e-6, ...)",
                         "ConfigError naming the parameter and its allowed range")
@pytest.mark.parametrize("name, value, allowed", POSE_BAD)
def test_pose_settings_out_of_range_are_refused(name, value, allowed):
    config = dataclasses.replace(PoseNodeConfig(), **{name: value})
    with pytest.raises(ConfigError, match=f"'{name}'") as err:
        config.validate()
    assert allowed in str(err.value)


def test_the_ends_of_each_range_are_accepted():
    ActionNodeConfig(heartbeat_hz=100.0, diagnostics_period_s=0.05, max_gap_s=0.0,
                     gap_reset_s=3600.0, forget_after_s=86400.0, stale_after_s=3600.0,
                     min_window_fill=1.0, expected_window_frames=10000, torch_threads=256,
                     fusion_tolerance_s=0.0, confidence_threshold=0.0, smoothing=1.0).validate()
    PoseNodeConfig(net_height=1024, max_batch=64, max_people=1000, track_max_cost=100.0,
                   track_max_age_s=3600.0, diagnostics_period_s=3600.0).validate()
    PoseNodeConfig(net_height=64, diagnostics_period_s=0.05).validate()


@pytest.mark.reliability("operator_regions or roi with NaN/inf or an inverted box",
                         "ConfigError naming the parameter")
@pytest.mark.parametrize("config", [
    ActionNodeConfig(operator_regions=[0.0, 0.0, NAN, 100.0]),
    ActionNodeConfig(operator_regions=[50.0, 0.0, 10.0, 100.0]),
    PoseNodeConfig(roi=[0.0, 0.0, INF, 100.0]),
])
def test_regions_must_be_finite_boxes(config):
    name = "operator_regions" if isinstance(config, ActionNodeConfig) else "roi"
    with pytest.raises(ConfigError, match=f"'{name}'"):
        config.validate()


@pytest.mark.parametrize("changes, name", [
    ({"stale_after_s": NAN}, "stale_after_s"),
    ({"fusion_tolerance_s": INF}, "fusion_tolerance_s"),
    ({"smoothing": NAN}, "smoothing"),
])
def test_decision_config_rejects_non_finite(changes, name):
    with pytest.raises(ConfigError, match=f"'{name}'"):
        DecisionConfig(**changes).validate()


@pytest.mark.parametrize("changes, name", [
    ({"window_frames": 20_000_000}, "window_frames"),
    ({"rate_hz": INF}, "rate_hz"),
    ({"forget_after_s": -1.0}, "forget_after_s"),
    ({"max_gap_s": NAN, "gap_reset_s": 1.0}, "max_gap_s"),
    ({"gap_reset_s": NAN}, "gap_reset_s"),
])
def test_window_spec_rejects_non_finite_and_huge(changes, name):
    spec = WindowSpec(**{"window_frames": 30, "stride_frames": 3, "rate_hz": 15.0, **changes})
    with pytest.raises(ConfigError, match=f"'{name}'"):
        spec.validate()


# ---- the real nodes, each in its own process ----------------------------------------------


def _start(env: dict[str, str], node: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "har_ros.cli", node, "--ros-args", *args],
        env=subprocess_env(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def _huge_window_model(src, dst):
    shutil.copytree(src, dst)
    meta = json.loads((dst / "model.json").read_text())
    meta["window_frames"] = 20_000_000
    meta["window_s"] = 20_000_000 / meta["rate_hz"]
    (dst / "model.json").write_text(json.dumps(meta))
    return dst


def _row(case: str, outcome: str = "exit 2 naming it, no traceback"):
    return pytest.mark.reliability(case, outcome)


@pytest.mark.ros
@pytest.mark.parametrize("params, named", [
    pytest.param(["forget_after_s:=-1.0"], "forget_after_s",
                 marks=_row("action_node -p forget_after_s:=-1.0")),
    pytest.param(["stale_after_s:=.nan"], "stale_after_s",
                 marks=_row("action_node -p stale_after_s:=.nan")),
    pytest.param(["max_gap_s:=-1.0"], "max_gap_s", marks=_row("action_node -p max_gap_s:=-1.0")),
    pytest.param(["heartbeat_hz:=.inf"], "heartbeat_hz",
                 marks=_row("action_node -p heartbeat_hz:=.inf")),
    pytest.param(["diagnostics_period_s:=0.000001"], "diagnostics_period_s",
                 marks=_row("action_node -p diagnostics_period_s:=0.000001")),
    pytest.param(["heartbeat_hx:=5.0"], "heartbeat_hx",
                 marks=_row("action_node -p heartbeat_hx:=5.0 (misspelt)",
                            "exit 2: unknown parameter 'heartbeat_hx', did you mean "
                            "'heartbeat_hz'?")),
    pytest.param(["HUGE_MODEL"], "window_frames",
                 marks=_row("action_node with a checkpoint saying window_frames 20000000",
                            "exit 2 naming window_frames and its limit, no MemoryError")),
])
def test_action_node_exits_2_naming_the_setting(ros_domain, action_model_path, tmp_path,
                                                params, named):
    _, env = ros_domain
    if params == ["HUGE_MODEL"]:
        params = [f"model_path:={_huge_window_model(action_model_path, tmp_path / 'm')}"]
    out = _start(env, "action-node", *[a for p in params for a in ("-p", p)])
    assert out.returncode == 2, out.stderr
    assert named in out.stderr and "cannot start" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    if named == "heartbeat_hx":
        assert "did you mean 'heartbeat_hz'" in out.stderr


@pytest.mark.ros
@pytest.mark.parametrize("params, named", [
    pytest.param(["net_height:=16000"], "net_height",
                 marks=_row("pose_node -p net_height:=16000")),
    pytest.param(["diagnostics_period_s:=0.000001"], "diagnostics_period_s",
                 marks=_row("pose_node -p diagnostics_period_s:=0.000001")),
    pytest.param(["net_hieght:=256"], "net_hieght",
                 marks=_row("pose_node -p net_hieght:=256 (misspelt)",
                            "exit 2: unknown parameter 'net_hieght', did you mean "
                            "'net_height'?")),
    pytest.param(["cameras:=[a,"], "cameras:=[a,",
                 marks=_row("pose_node -p 'cameras:=[a,' (malformed rule)",
                            "exit 2: bad --ros-args quoting the rule, no RCLError traceback")),
    pytest.param(["PARAMS_FILE"], "max_peeple",
                 marks=_row("pose_node params file with a misspelt 'max_peeple'",
                            "exit 2: unknown parameter 'max_peeple', did you mean "
                            "'max_people'?")),
])
def test_pose_node_exits_2_naming_the_setting(ros_domain, tmp_path, params, named):
    _, env = ros_domain
    if params == ["PARAMS_FILE"]:
        path = tmp_path / "pose.yaml"
        path.write_text("pose_node:\n  ros__parameters:\n    max_peeple: 2\n")
        out = _start(env, "pose-node", "--params-file", str(path))
    else:
        out = _start(env, "pose-node", *[a for p in params for a in ("-p", p)])
    assert out.returncode == 2, out.stderr
    assert named in out.stderr and "cannot start" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    if named == "net_hieght":
        assert "did you mean 'net_height'" in out.stderr
    if named == "max_peeple":
        assert "did you mean 'max_people'" in out.stderr
