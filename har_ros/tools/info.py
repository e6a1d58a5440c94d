"""Show what this har_ros install has: messages, pose backends, weights, default model.

Checks run without starting any node; use it first when something does not start.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from har_ros.install_info import collect

    report = collect()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:22s} {value}")
    return 0
