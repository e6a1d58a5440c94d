"""Keep a har_ros process's DDS sockets on loopback (called once per process, before rclpy.init).

Policy, applied by :func:`confine_dds_to_loopback` through environment variables:

- ``FASTDDS_DEFAULT_PROFILES_FILE`` unset and ``ROS_AUTOMATIC_DISCOVERY_RANGE`` unset or
  ``LOCALHOST``: load ``config/fastdds_localhost.xml`` (UDPv4 allow-listed to 127.0.0.1, unicast
  discovery to 127.0.0.1, shared memory), so no socket of the process is bound off loopback.
- Whenever the profile in effect is one of the project's loopback profiles (that one or
  ``config/fastdds_shm.xml``, recognised by their ``har_ros_loopback`` profile name), the range
  ``LOCALHOST`` (or unset) becomes ``SYSTEM_DEFAULT``: rmw_fastrtps's LOCALHOST mode appends its
  own UDPv4 transport without an allow-list, bound on 0.0.0.0, whatever the profile says, while
  ``SYSTEM_DEFAULT`` leaves the transports to the profile. ``RMW_FASTRTPS_USE_QOS_FROM_XML``
  becomes 1 (unless set), so the profile's endpoint memory policies apply: readers free each
  sample's payload instead of keeping a pool sized to the largest message ever received.
- A profile file of the user's own, or the range ``SUBNET`` / ``OFF``, is left as it is.

The variables are set in ``os.environ``, so child processes inherit the same confinement.
Fast DDS reads its profile file once per process, when the first participant is created, so the
policy must run before the process's first ``rclpy.init``; every har_ros entry point does that
(``har_ros.ros.runner.check_network_env``). Called later in a process that already started DDS
(a test calling a tool in-process), it changes nothing: a LOCALHOST range without the profile
would then become the wider SYSTEM_DEFAULT. No rclpy here: only the environment is touched.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

PROFILE_ENV = "FASTDDS_DEFAULT_PROFILES_FILE"
RANGE_ENV = "ROS_AUTOMATIC_DISCOVERY_RANGE"
#: Lets the profile set the endpoints' history memory policy and publication mode.
QOS_FROM_XML_ENV = "RMW_FASTRTPS_USE_QOS_FROM_XML"
LOCALHOST_PROFILE = "fastdds_localhost.xml"
#: Marker in the participant profile name of the project's self-confining profiles.
LOOPBACK_MARKER = 'profile_name="har_ros_loopback'


def config_dirs() -> list[Path]:
    """Folders that may hold the project's ``config/`` files, most specific first.

    The source tree (``<repo>/config``), the venv or pip prefix (``<sys.prefix>/share/har_ros/
    config``) and every ROS prefix in ``AMENT_PREFIX_PATH`` (``<prefix>/share/har_ros/config``).
    """
    dirs = [Path(__file__).resolve().parents[2] / "config",
            Path(sys.prefix) / "share" / "har_ros" / "config"]
    for prefix in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        if prefix:
            dirs.append(Path(prefix) / "share" / "har_ros" / "config")
    return dirs


def find_config_file(name: str) -> Path | None:
    """The first ``config/<name>`` found in :func:`config_dirs`, or None."""
    for folder in config_dirs():
        if (folder / name).is_file():
            return folder / name
    return None


def is_loopback_profile(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is one of the project's Fast DDS profiles that keep DDS on loopback."""
    try:
        return LOOPBACK_MARKER in Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def dds_started_in_this_process() -> bool:
    """True when Fast DDS already runs or ran in this process (its ``dds.*`` threads; the
    shared-memory watchdog outlives the participants). False where /proc is not available."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return False
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm", encoding="utf-8") as comm:
                if comm.read().startswith("dds."):
                    return True
        except OSError:
            continue
    return False


def confine_dds_to_loopback(environ: MutableMapping[str, str] | None = None) -> str:
    """Apply the loopback policy above to ``environ`` (default ``os.environ``).

    Returns a one-line account of what applies (for logs and tests). Prints a warning, and
    changes nothing, when the loopback profile should apply but cannot be found.
    """
    env = os.environ if environ is None else environ
    if environ is None and dds_started_in_this_process():
        return "DDS already started in this process: its transports stay as they are"
    discovery_range = env.get(RANGE_ENV, "").strip().upper()
    if PROFILE_ENV not in env:
        if discovery_range not in ("", "LOCALHOST"):
            return f"{RANGE_ENV}={discovery_range}: Fast DDS's own transports (no profile)"
        profile = find_config_file(LOCALHOST_PROFILE)
        if profile is None:
            print(f"har_ros: warning: config/{LOCALHOST_PROFILE} not found in "
                  f"{', '.join(str(d) for d in config_dirs())}; DDS sockets may be bound on all "
                  f"interfaces (set {PROFILE_ENV} to a loopback profile)", file=sys.stderr)
            return "no loopback profile found"
        env[PROFILE_ENV] = str(profile)
    profile_file = env[PROFILE_ENV]
    if not is_loopback_profile(profile_file):
        return f"{PROFILE_ENV}={profile_file} (the user's profile, left as it is)"
    if discovery_range in ("", "LOCALHOST"):
        env[RANGE_ENV] = "SYSTEM_DEFAULT"
    env.setdefault(QOS_FROM_XML_ENV, "1")
    return f"{PROFILE_ENV}={profile_file}, {RANGE_ENV}={env[RANGE_ENV]}: loopback only"
