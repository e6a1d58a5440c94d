"""Run the reference safety gate: operator decisions ('action') -> a robot speed fraction.

Subscribes to 'action' (har_ros/ActionStamped, with the QoS contract: deadline and
liveliness) and publishes 'speed_scale' (std_msgs/Float64, 0..1) from a policy: a fraction
per action class and per status, the safe fraction for "unknown", LOW_CONFIDENCE, STALE and
every fault (silence, liveliness lost, old or refused decisions, a second publisher on
'action'); slower at once, faster only after raise_after_s. docs/safety_gate.md has the
behaviour table. Example:

  har-ros safety-gate --ros-args --params-file config/safety_gate.yaml
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--print-params", action="store_true",
                        help="print every parameter with its type, default and description")


def run(args: argparse.Namespace) -> int:
    if args.print_params:
        from har_ros.safety_gate import SafetyGateConfig
        from har_ros.tools.params_table import print_params

        print_params("safety_gate", SafetyGateConfig)
        return 0
    from har_ros.ros.runner import run_nodes
    from har_ros.ros.safety_gate_node import SafetyGateNode

    return run_nodes([SafetyGateNode], args.ros_args)
