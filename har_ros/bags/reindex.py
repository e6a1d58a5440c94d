"""Rebuild ``metadata.yaml`` of an sqlite3 bag whose recorder was killed (like
``ros2 bag reindex``): the recorder commits its messages every second, but only writes the
metadata when it closes. Everything committed before the kill becomes readable again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from har_ros.errors import DataError


def reindex_sqlite(bag: str | Path) -> dict[str, int]:
    """Write ``<bag>/metadata.yaml`` from the bag's ``.db3`` files; returns messages per topic.

    Raises DataError when the folder has no readable ``.db3`` file.
    """
    bag = Path(bag)
    files = sorted(bag.glob("*.db3"))
    if not files:
        raise DataError(f"bag {bag}: no .db3 file to reindex (only sqlite3 bags can be)")
    topics: dict[str, dict] = {}
    counts: dict[str, int] = {}
    file_entries, first, last = [], None, None
    for db in files:
        try:
            con = sqlite3.connect(db)  # read-write: sqlite rolls back a killed write first
            rows = con.execute("SELECT id, name, type, serialization_format, "
                               "type_description_hash FROM topics").fetchall()
            stats = con.execute("SELECT topic_id, COUNT(*), MIN(timestamp), MAX(timestamp) "
                                "FROM messages GROUP BY topic_id").fetchall()
            con.close()
        except sqlite3.Error as exc:
            raise DataError(f"bag {bag}: {db.name} cannot be read: {exc}") from exc
        names = {tid: name for tid, name, *_ in rows}
        for _tid, name, msgtype, fmt, rihs in rows:
            topics.setdefault(name, {"name": name, "type": msgtype, "serialization_format": fmt,
                                     "offered_qos_profiles": [], "type_description_hash": rihs})
        n_file, lo, hi = 0, None, None
        for tid, n, t0, t1 in stats:
            counts[names[tid]] = counts.get(names[tid], 0) + n
            n_file += n
            lo, hi = (t0 if lo is None else min(lo, t0)), (t1 if hi is None else max(hi, t1))
        first = lo if first is None else min(first, lo or first)
        last = hi if last is None else max(last, hi or last)
        file_entries.append({"path": db.name, "starting_time": {"nanoseconds_since_epoch": lo or 0},
                             "duration": {"nanoseconds": (hi or 0) - (lo or 0)},
                             "message_count": n_file})
    info = {
        "version": 9, "storage_identifier": "sqlite3",
        "relative_file_paths": [f.name for f in files],
        "duration": {"nanoseconds": (last or 0) - (first or 0)},
        "starting_time": {"nanoseconds_since_epoch": first or 0},
        "message_count": sum(counts.values()),
        "topics_with_message_count": [
            {"topic_metadata": meta, "message_count": counts.get(name, 0)}
            for name, meta in topics.items()],
        "compression_format": "", "compression_mode": "", "files": file_entries,
        "custom_data": None, "ros_distro": "rosbags",
    }
    (bag / "metadata.yaml").write_text(
        yaml.safe_dump({"rosbag2_bagfile_information": info}, sort_keys=False))
    return counts
