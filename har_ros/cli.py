"""``har-ros``: one command with subcommands for every har_ros tool.

Subcommand modules are imported lazily so ``har-ros --help`` stays fast and works on a machine
without ROS or PyTorch; each tool's own heavy imports happen only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from har_ros.errors import HarRosError

#: command name -> module under har_ros.tools (each with add_arguments and run).
COMMANDS: dict[str, str] = {
    "info": "info",
    "fetch-weights": "fetch_weights",
    "quantize-pose": "quantize_pose",
    "train": "train",
    "evaluate": "evaluate",
    "pose-node": "pose_node",
    "action-node": "action_node",
    "safety-gate": "safety_gate",
    "run": "run_pipeline",
    "demo": "demo",
    "cell-demo": "cell_demo",
    "camera": "camera",
    "record": "record",
    "play": "play",
    "extract": "extract",
    "label": "label",
}


#: command -> (option, module): the command runs that module instead when the option is given
#: (``har-ros evaluate --bag ...`` evaluates the whole pipeline on a labelled bag).
ALTERNATES: dict[str, tuple[str, str]] = {"evaluate": ("--bag", "evaluate_bag")}


def _summary(module_name: str) -> str:
    """First docstring line of a tool module, without importing it if it is missing."""
    try:
        mod = importlib.import_module(f"har_ros.tools.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("har_ros.tools"):
            return "(not available in this build)"
        raise
    return (mod.__doc__ or "").strip().splitlines()[0] if mod.__doc__ else ""


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Build the top-level parser; only the selected subcommand's module is imported."""
    parser = argparse.ArgumentParser(
        prog="har-ros",
        description="Human action recognition for ROS 2: pose and action nodes, training, "
        "evaluation and a demo. Run 'har-ros <command> --help' for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    selected = next((a for a in argv if not a.startswith("-")), None)
    for name, module_name in COMMANDS.items():
        if name == selected:
            option, alternate = ALTERNATES.get(name, (None, None))
            if option and any(a == option or a.startswith(option + "=") for a in argv):
                module_name = alternate
            mod = importlib.import_module(f"har_ros.tools.{module_name}")
            doc = (mod.__doc__ or "").strip()
            if name in ALTERNATES and module_name != ALTERNATES[name][1]:
                doc += (f"\n\nWith {ALTERNATES[name][0]}: evaluate the whole pipeline on a "
                        f"labelled bag (see 'har-ros {name} {ALTERNATES[name][0]} X --help').")
            p = sub.add_parser(
                name,
                help=doc.splitlines()[0] if doc else "",
                description=doc,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
        else:
            sub.add_parser(name, help=_summary(module_name), add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``har-ros`` console command; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything from --ros-args on belongs to rclpy (remappings, parameters, log levels), as
    # launch_ros and `ros2 run` pass it.
    ros_args: list[str] = []
    if "--ros-args" in argv:
        cut = argv.index("--ros-args")
        argv, ros_args = argv[:cut], argv[cut:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0 if not argv else 2
    run = args._run
    args.ros_args = ros_args
    try:
        return int(run(args) or 0)
    except HarRosError as exc:
        print(f"har-ros {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


#: installed executable name -> the subcommand it runs (see CMakeLists.txt).
EXECUTABLES: dict[str, str | None] = {
    "har-ros": None,
    "pose_node": "pose-node",
    "action_node": "action-node",
    "safety_gate": "safety-gate",
    "pipeline": "run",
}


def main_for(executable: str) -> int:
    """Run an installed executable (``pose_node``, ...) as its ``har-ros`` subcommand."""
    command = EXECUTABLES[executable]
    argv = sys.argv[1:]
    return main(argv if command is None else [command, *argv])


if __name__ == "__main__":
    sys.exit(main())
