"""Record topics (camera images, skeletons, actions) into a rosbag2 bag (sqlite3 or mcap).

Like 'ros2 bag record': subscribes as soon as each topic has a publisher, writes raw CDR with
its receive time, stops after --duration seconds or on Ctrl-C, and always closes the bag so
every message received stays readable. A topic that cannot be recorded (published with two
types, or a type this environment cannot write) is reported and skipped; the others keep
recording. Prints messages per topic, and the topics not recorded, at the end, e.g.:

  har-ros record -o run1 --storage mcap /cam0/image_raw /cam0/skeletons /action
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topics", nargs="*", help="topics to record (absolute names)")
    parser.add_argument("-o", "--output", help="bag folder to create (must not exist)")
    parser.add_argument("-s", "--storage", choices=("sqlite3", "mcap"), default="sqlite3",
                        help="storage format (default sqlite3)")
    parser.add_argument("-a", "--all", action="store_true", help="record every topic")
    parser.add_argument("-d", "--duration", type=float, default=0.0,
                        help="stop after this many seconds (0 = until Ctrl-C)")
    parser.add_argument("--queue-depth", type=int, default=100,
                        help="subscription history depth per topic (messages)")
    parser.add_argument("--reindex", metavar="BAG",
                        help="instead of recording: make a bag whose recorder was killed "
                        "readable (sqlite3 or mcap; what reached the disk, i.e. all but the "
                        "last second, becomes readable; a cut-off MCAP record is dropped)")


def run(args: argparse.Namespace) -> int:
    from har_ros.errors import ConfigError

    if args.reindex:
        from har_ros.bags.reindex import reindex

        counts = reindex(args.reindex)
        print(f"har-ros record: reindexed {args.reindex}: {sum(counts.values())} messages")
        for topic, n in counts.items():
            print(f"  {topic}: {n}")
        return 0
    if not args.output:
        raise ConfigError("give the bag folder to create with -o/--output")
    if not args.topics and not args.all:
        raise ConfigError("give topics to record, or --all")
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    from har_ros.errors import DataError
    from har_ros.ros.recorder import BagRecorder
    from har_ros.ros.runner import check_network_env

    check_network_env()
    if Path(args.output).exists():
        raise DataError(f"bag {args.output} exists already; choose a new output folder")
    rclpy.init(args=["har_ros_record", *args.ros_args])
    node = None
    counts: dict[str, int] = {}
    missing: list[str] = []
    skipped: dict[str, str] = {}
    try:
        node = BagRecorder(args.output, args.topics, args.storage, all_topics=args.all,
                           queue_depth=args.queue_depth)
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        t0 = time.monotonic()
        announced = False
        print(f"har-ros record: writing {args.output} ({args.storage})", flush=True)
        try:
            while rclpy.ok():
                executor.spin_once(timeout_sec=0.05)
                if not announced and not args.all and not node.missing_topics():
                    n_sub = len(node.wanted & set(node.subscribed))
                    if n_sub == len(node.wanted):
                        print(f"har-ros record: subscribed to all {n_sub} topics", flush=True)
                    else:
                        print(f"har-ros record: subscribed to {n_sub} of {len(node.wanted)} "
                              "topics", flush=True)
                    announced = True
                if args.duration and time.monotonic() - t0 >= args.duration:
                    break
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C (or rclpy's handler chaining to Python's) must not interrupt closing
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if node is not None:
            missing = node.missing_topics()
            skipped = dict(node.skipped)
            counts = node.close()
            node.destroy_node()
        rclpy.try_shutdown()
    total = sum(counts.values())
    print(f"har-ros record: {total} messages in {args.output}")
    for topic, n in counts.items():
        print(f"  {topic}: {n}")
    for topic in missing:
        print(f"har-ros record: warning: {topic} never had a publisher (0 messages)",
              file=sys.stderr)
    for topic, reason in skipped.items():
        print(f"har-ros record: warning: {topic}: {reason}", file=sys.stderr)
    return 0
