"""config/*.yaml holds exactly the dataclass defaults, and rcl's own parser accepts it."""

from pathlib import Path

import pytest
import yaml

from har_ros.action_config import ActionNodeConfig
from har_ros.config_help import param_rows
from har_ros.pose_config import PoseNodeConfig
from har_ros.safety_gate import SafetyGateConfig

CONFIG = Path(__file__).resolve().parents[1] / "config"
NODES = {"pose_node": PoseNodeConfig, "action_node": ActionNodeConfig,
         "safety_gate": SafetyGateConfig}


@pytest.mark.parametrize("filename", ["pose_node.yaml", "action_node.yaml", "pipeline.yaml",
                                      "safety_gate.yaml"])
def test_yaml_defaults_equal_dataclass_defaults(filename):
    data = yaml.safe_load((CONFIG / filename).read_text())
    for node, params in data.items():
        values = params["ros__parameters"]
        rows = {name: default for name, _, default, _ in param_rows(NODES[node])}
        assert set(values) == set(rows), f"{filename}: {set(values) ^ set(rows)}"
        for name, default in rows.items():
            assert values[name] == default, f"{filename}: {node}.{name}"
        assert NODES[node](**values).validate()


def test_rcl_parses_the_pipeline_params_file(ros_domain):
    """Starting a node with the file exercises rcl's YAML parser (it rejects what PyYAML allows)."""
    import rclpy

    from har_ros.ros.params import declare_config

    ctx = rclpy.Context()
    rclpy.init(args=["x", "--ros-args", "--params-file", str(CONFIG / "pipeline.yaml")],
               context=ctx, domain_id=ros_domain[0])
    try:
        node = rclpy.create_node("pose_node", context=ctx)
        cfg = declare_config(node, PoseNodeConfig)
        assert cfg == PoseNodeConfig()
        node.destroy_node()
    finally:
        ctx.try_shutdown()


@pytest.mark.parametrize("path", sorted(CONFIG.glob("train_*.yaml")), ids=lambda p: p.name)
def test_training_configs_are_complete_and_valid(path):
    """Every shipped training config names only known options and resolves its features,
    augmentation, network and split settings (a typo would only surface minutes into a run)."""
    from har_ros.training import SPLITS, TrainConfig, load_config

    cfg = TrainConfig.from_dict(load_config(path))
    assert cfg.split in SPLITS
    fcfg = cfg.feature_config()
    cfg.augment_config()
    assert cfg.model_config(fcfg.num_features, 2).input_size == fcfg.num_features
    assert cfg.window_frames >= 2 and cfg.stride_frames >= 1


def test_reliability_doc_table_lists_every_reliability_test():
    """docs/reliability.md's table is generated from the reliability markers; a stale one fails."""
    import subprocess
    import sys

    root = CONFIG.parent
    proc = subprocess.run([sys.executable, str(root / "scripts" / "reliability_table.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


#: Node parameter -> (core dataclass, field) it configures: the node serves the core default.
SERVED = {
    (ActionNodeConfig, "max_gap_s"): ("har_ros.track_windows", "WindowSpec", "max_gap_s"),
    (ActionNodeConfig, "gap_reset_s"): ("har_ros.track_windows", "WindowSpec", "gap_reset_s"),
    (ActionNodeConfig, "forget_after_s"): ("har_ros.track_windows", "WindowSpec",
                                           "forget_after_s"),
    (ActionNodeConfig, "min_window_fill"): ("har_ros.track_windows", "WindowSpec", "min_fill"),
    **{(ActionNodeConfig, name): ("har_ros.decisions", "DecisionConfig", name)
       for name in ("confidence_threshold", "smoothing", "hysteresis", "stale_after_s",
                    "fusion_tolerance_s", "gap_reset_s")},
    (PoseNodeConfig, "max_people"): ("har_ros.tracking", "TrackerConfig", "max_people"),
    (PoseNodeConfig, "track_max_age_s"): ("har_ros.tracking", "TrackerConfig", "max_age_s"),
    (PoseNodeConfig, "track_max_cost"): ("har_ros.tracking", "TrackerConfig", "max_cost"),
}


@pytest.mark.parametrize("node_field", sorted(SERVED, key=lambda k: (k[0].__name__, k[1])),
                         ids=lambda k: f"{k[0].__name__}.{k[1]}")
def test_node_parameters_default_to_the_core_defaults(node_field):
    """A setting has one default: the node config's equals the core dataclass's it feeds."""
    import dataclasses
    import importlib

    node_cls, name = node_field
    module, cls_name, core_name = SERVED[node_field]
    core = getattr(importlib.import_module(module), cls_name)
    core_default = {f.name: f.default for f in dataclasses.fields(core)}[core_name]
    assert getattr(node_cls(), name) == core_default


def test_one_inference_engine_list():
    """Every engine the classifier knows is a valid node parameter value, and no other."""
    from har_ros.classifier import ENGINES
    from har_ros.errors import ConfigError

    for engine in ENGINES:
        ActionNodeConfig(inference_engine=engine).validate()
    with pytest.raises(ConfigError, match="inference_engine"):
        ActionNodeConfig(inference_engine="onnx").validate()
