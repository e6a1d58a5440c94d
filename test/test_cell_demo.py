"""`har-ros cell-demo`: camera, pose, action and safety-gate processes on a real clip, the
action node frozen partway (SIGSTOP): the gate commands the safe fraction for the fault's
reason, decisions come back afterwards, and the plot and data are written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from har_ros.safety_gate import SafetyGateConfig

from conftest import REPO_ROOT


def test_cell_demo_goes_safe_while_the_action_node_is_frozen(shared_data, ros_domain, tmp_path):
    video = shared_data / "video" / "exercise.avi"
    out = tmp_path / "cell"
    proc = subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "cell-demo", str(video), "--out", str(out),
         "--fault-at", "0.4", "--fault-s", "3"],
        cwd=REPO_ROOT, env={**os.environ, **ros_domain[1]}, capture_output=True,
        text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "cell_demo.png").stat().st_size > 10_000
    data = json.loads((out / "cell_demo.json").read_text())
    start, end = data["fault_action_node_frozen_s"]
    assert end - start == 3.0
    during = [v for t, v in data["speeds"] if start + 1.0 <= t <= end]
    assert during and set(during) == {SafetyGateConfig().safe_fraction}
    reasons = {r for t, r in data["reasons"] if start <= t <= end + 0.5}
    assert any("deadline" in r or "publisher" in r for r in reasons), reasons
    assert any(t > end + 1.0 for t, _ in data["decisions"]), "no decision after the fault"
    assert any(t < start for t, _ in data["decisions"])
