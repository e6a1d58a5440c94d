"""Play a rosbag2 bag's messages with their recorded timing (rate, offset, loop, /clock).

Like 'ros2 bag play': publishes every topic (or --topics) at the pace it was recorded, divided
by --rate; --clock HZ publishes /clock in bag time for nodes started with use_sim_time:=true.

  har-ros play run1 --rate 2 --topics /cam0/image_raw --clock 100
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", help="bag folder (sqlite3 or mcap)")
    parser.add_argument("-r", "--rate", type=float, default=1.0, help="speed factor (2 = twice "
                        "as fast)")
    parser.add_argument("--start-offset", type=float, default=0.0,
                        help="skip this many seconds from the bag's start")
    parser.add_argument("-l", "--loop", action="store_true", help="play again at the end")
    parser.add_argument("--clock", type=float, default=0.0, metavar="HZ",
                        help="publish /clock at this rate (0 = off)")
    parser.add_argument("--topics", nargs="+", default=[], help="only these topics")
    parser.add_argument("--remap", nargs="+", default=[], metavar="FROM:=TO",
                        help="publish a bag topic under another name")
    parser.add_argument("--queue-depth", type=int, default=100, help="publisher history depth")
    parser.add_argument("--wait-for-subscribers", type=int, default=0, metavar="N",
                        help="before playing, wait until every topic has N subscribers")
    parser.add_argument("--wait-timeout", type=float, default=10.0,
                        help="give up waiting for subscribers after this many seconds")
    parser.add_argument("--delay", type=float, default=0.0, help="sleep before playing (s)")


def run(args: argparse.Namespace) -> int:
    import rclpy

    from har_ros.bags.reader import BagReader
    from har_ros.errors import ConfigError
    from har_ros.ros.player import BagPlayer, PlayOptions
    from har_ros.ros.runner import check_network_env

    remap = {}
    for item in args.remap:
        if ":=" not in item:
            raise ConfigError(f"--remap {item!r}: write FROM:=TO")
        a, b = item.split(":=", 1)
        remap[a] = b
    opts = PlayOptions(rate=args.rate, start_offset_s=args.start_offset, loop=args.loop,
                       clock_hz=args.clock, topics=args.topics, remap=remap,
                       queue_depth=args.queue_depth,
                       wait_for_subscribers=args.wait_for_subscribers,
                       wait_timeout_s=args.wait_timeout, delay_s=args.delay).validate()
    check_network_env()
    with BagReader(args.bag) as bag:
        rclpy.init(args=["har_ros_play", *args.ros_args])
        node = rclpy.create_node("har_ros_player")
        counts: dict[str, int] = {}
        try:
            player = BagPlayer(node, bag, opts)
            print(f"har-ros play: {bag.path} ({bag.message_count} messages, "
                  f"{bag.duration_s:.2f} s)", flush=True)
            try:
                counts = player.play()
            except KeyboardInterrupt:
                counts = player.counts
        finally:
            node.destroy_node()
            rclpy.try_shutdown()
    print(f"har-ros play: published {sum(counts.values())} messages")
    for topic, n in counts.items():
        print(f"  {topic}: {n}")
    return 0
