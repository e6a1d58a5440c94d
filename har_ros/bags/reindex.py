"""Make a bag whose recorder was killed readable again (like ``ros2 bag reindex``).

Both storages lose only what had not reached the disk: the recorder commits sqlite3 every
second and closes an MCAP chunk every second (``BagWriter.flush``), but only writes
``metadata.yaml`` (and MCAP's closing summary) when it closes.

* sqlite3: the ``.db3`` files are intact (sqlite rolls back a killed write); only
  ``metadata.yaml`` is rebuilt from them.
* MCAP: the file is cut after its last complete record (a record the kill interrupted
  cannot be read), closed with an empty summary (DataEnd + Footer, as the MCAP spec allows),
  and ``metadata.yaml`` is rebuilt from a scan of what is left.
"""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import yaml

from har_ros.errors import DataError

MCAP_MAGIC = b"\x89MCAP0\r\n"
_OP_FOOTER, _OP_DATA_END, _LAST_OP = 0x02, 0x0F, 0x10


def reindex(bag: str | Path) -> dict[str, int]:
    """Rebuild ``<bag>/metadata.yaml`` of a sqlite3 or MCAP bag; returns messages per topic.

    Raises DataError when the folder holds no readable ``.db3`` or ``.mcap`` file.
    """
    bag = Path(bag)
    if not bag.is_dir():
        raise DataError(f"bag {bag} is not a folder")
    if any(bag.glob("*.db3")):
        return reindex_sqlite(bag)
    if any(bag.glob("*.mcap")):
        return reindex_mcap(bag)
    raise DataError(f"bag {bag}: no .db3 or .mcap file to reindex")


def reindex_sqlite(bag: str | Path) -> dict[str, int]:
    """Write ``<bag>/metadata.yaml`` from the bag's ``.db3`` files; returns messages per topic.

    Raises DataError when the folder has no readable ``.db3`` file.
    """
    bag = Path(bag)
    files = sorted(bag.glob("*.db3"))
    if not files:
        raise DataError(f"bag {bag}: no .db3 file to reindex")
    topics: dict[str, dict] = {}
    counts: dict[str, int] = {}
    file_entries = []
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
            topics.setdefault(name, _topic(name, msgtype, fmt, rihs))
        n_file, lo, hi = 0, None, None
        for tid, n, t0, t1 in stats:
            counts[names[tid]] = counts.get(names[tid], 0) + n
            n_file += n
            lo, hi = (t0 if lo is None else min(lo, t0)), (t1 if hi is None else max(hi, t1))
        file_entries.append(_file_entry(db.name, n_file, lo, hi))
    _write_metadata(bag, "sqlite3", file_entries, topics, counts)
    return counts


def reindex_mcap(bag: str | Path) -> dict[str, int]:
    """Close the bag's ``.mcap`` file after its last complete record and write
    ``<bag>/metadata.yaml``; returns messages per topic.

    Raises DataError when there is not exactly one ``.mcap`` file or it is not MCAP.
    """
    from rosbags.rosbag2 import Reader

    bag = Path(bag)
    files = sorted(bag.glob("*.mcap"))
    if len(files) != 1:
        raise DataError(f"bag {bag}: expected one .mcap file to reindex, found {len(files)}")
    close_mcap(files[0])
    try:
        with Reader(files[0]) as reader:
            conns = list(reader.connections)
            lo, hi = reader.start_time, reader.end_time - 1
    except Exception as exc:  # noqa: BLE001 - rosbags raises many types on bad files
        raise DataError(f"bag {bag}: {files[0].name} cannot be read after closing it: "
                        f"{exc}") from exc
    topics = {c.topic: _topic(c.topic, c.msgtype, c.ext.serialization_format,
                              c.digest or _rihs01(c.msgtype)) for c in conns}
    counts = {c.topic: c.msgcount for c in conns}
    n = sum(counts.values())
    _write_metadata(bag, "mcap", [_file_entry(files[0].name, n, lo if n else None, hi)],
                    topics, counts)
    return counts


def close_mcap(path: str | Path) -> int:
    """Cut an MCAP file after its last complete data record and append DataEnd + Footer
    (no summary) unless it already has them; returns the bytes cut off.

    Raises DataError when the file does not start with the MCAP magic and header.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("r+b") as f:
        if f.read(8) != MCAP_MAGIC:
            raise DataError(f"{path} is not an MCAP file (bad magic)")
        pos = 8
        while pos + 9 <= size:
            f.seek(pos)
            op, length = struct.unpack("<BQ", f.read(9))
            if op == 0 or op >= _LAST_OP or pos + 9 + length > size:
                break  # the record the kill interrupted
            if op in (_OP_DATA_END, _OP_FOOTER):
                return 0  # closed already
            pos += 9 + length
        if pos == 8:
            raise DataError(f"{path} has no complete MCAP header record")
        f.truncate(pos)
        f.seek(pos)
        f.write(struct.pack("<BQI", _OP_DATA_END, 4, 0))
        f.write(struct.pack("<BQQQI", _OP_FOOTER, 20, 0, 0, 0))
        f.write(MCAP_MAGIC)
    return size - pos


def _rihs01(msgtype: str) -> str:
    """The type's RIHS01 hash when our typestore knows it (MCAP channels do not carry it)."""
    from har_ros.bags import typestore as ts

    return ts.make_typestore().hash_rihs01(msgtype) if ts.known_type(msgtype) else ""


def _topic(name: str, msgtype: str, fmt: str, rihs: str | None) -> dict:
    return {"name": name, "type": msgtype, "serialization_format": fmt,
            "offered_qos_profiles": [], "type_description_hash": rihs or ""}


def _file_entry(name: str, count: int, first: int | None, last: int | None) -> dict:
    return {"path": name, "starting_time": {"nanoseconds_since_epoch": first or 0},
            "duration": {"nanoseconds": (last or 0) - (first or 0)}, "message_count": count}


def _write_metadata(bag: Path, storage: str, files: list[dict], topics: dict[str, dict],
                    counts: dict[str, int]) -> None:
    starts = [f["starting_time"]["nanoseconds_since_epoch"] for f in files if f["message_count"]]
    ends = [f["starting_time"]["nanoseconds_since_epoch"] + f["duration"]["nanoseconds"]
            for f in files if f["message_count"]]
    first, last = (min(starts), max(ends)) if starts else (0, 0)
    info = {
        "version": 9, "storage_identifier": storage,
        "relative_file_paths": [f["path"] for f in files],
        "duration": {"nanoseconds": last - first},
        "starting_time": {"nanoseconds_since_epoch": first},
        "message_count": sum(counts.values()),
        "topics_with_message_count": [
            {"topic_metadata": meta, "message_count": counts.get(name, 0)}
            for name, meta in topics.items()],
        "compression_format": "", "compression_mode": "", "files": files,
        "custom_data": None, "ros_distro": "rosbags",
    }
    (bag / "metadata.yaml").write_text(
        yaml.safe_dump({"rosbag2_bagfile_information": info}, sort_keys=False))
