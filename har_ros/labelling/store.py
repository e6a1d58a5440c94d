"""The labels file behind the page: load it, and save the page's intervals through the
validating reader (har_ros.bags.labels.parse_labels) with an atomic replace.

Page times are seconds since the source's first frame; the file's are since its own origin
(the same unless the file pins ``origin_ns``). A payload that does not validate raises
DataError and leaves the last good file in place.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from har_ros.bags.labels import FORMAT_VERSION, UNKNOWN, Labels, load_labels, parse_labels
from har_ros.errors import DataError

#: Most intervals one save may carry (a guard against a runaway client).
MAX_INTERVALS = 100_000
_ITEM_KEYS = {"start", "end", "label", "track", "note"}


def _notes(path: Path) -> dict[int, str]:
    """Line -> note of the intervals of a labels file (the reader does not keep notes)."""
    import yaml

    from har_ros.bags.labels import _loader

    data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_loader())  # noqa: S506
    return {int(i["__line__"]): str(i["note"]) for i in data.get("intervals", [])
            if isinstance(i, dict) and "note" in i}


class LabelStore:
    """The labels file at ``path`` for a source spanning ``duration_s`` seconds whose first
    frame is stamped ``source_origin_ns``."""

    def __init__(self, path: Path, classes: list[str], source_origin_ns: int,
                 duration_s: float, description: str = "") -> None:
        self.path = Path(path)
        self.duration_s = duration_s
        self.description = description
        self.origin_ns: int | None = None
        self.intervals: list[dict] = []
        self._lock = threading.Lock()
        self.saves = 0
        existing: Labels | None = None
        if self.path.exists():
            existing = load_labels(self.path)
            self.origin_ns = existing.origin_ns
            self.description = existing.description or description
        #: seconds to add to a page time to get a file time
        self.offset_s = 0.0 if self.origin_ns is None else (
            (source_origin_ns - self.origin_ns) * 1e-9)
        self.classes = list(classes)
        if existing is not None:
            notes = _notes(self.path)
            for iv in existing.intervals:
                item = {"start": iv.start_s - self.offset_s, "end": iv.end_s - self.offset_s,
                        "label": iv.label, "track": iv.track}
                if iv.line in notes:
                    item["note"] = notes[iv.line]
                self.intervals.append(item)
                if iv.label not in self.classes and iv.label != UNKNOWN:
                    self.classes.append(iv.label)

    def text(self, intervals: list[dict]) -> str:
        """YAML of ``intervals`` (page times) in the labels format, one interval per line."""
        lines = [f"version: {FORMAT_VERSION}"]
        if self.description:
            lines.append(f"description: {json.dumps(self.description)}")
        if self.origin_ns is not None:
            lines.append(f"origin_ns: {int(self.origin_ns)}")
        lines.append(f"classes: [{', '.join(json.dumps(c) for c in self.classes)}]")
        lines.append("intervals:")
        for iv in sorted(intervals, key=lambda i: (i["start"], i["track"])):
            parts = [f"start: {round(iv['start'] + self.offset_s, 6)!r}",
                     f"end: {round(iv['end'] + self.offset_s, 6)!r}",
                     f"label: {json.dumps(iv['label'])}"]
            if iv["track"]:
                parts.append(f"track: {json.dumps(iv['track'])}")
            if iv.get("note"):
                parts.append(f"note: {json.dumps(iv['note'])}")
            lines.append("  - {" + ", ".join(parts) + "}")
        return "\n".join(lines) + "\n"

    def save(self, payload: object) -> dict:
        """Validate ``payload`` ({"intervals": [{start, end, label, track?, note?}]}, page
        times) and replace the file atomically. DataError (the file untouched) when invalid.
        An empty list moves the file to ``<file>.bak`` (the format needs an interval)."""
        intervals = self._check(payload)
        with self._lock:
            if not intervals:
                if self.path.exists():
                    os.replace(self.path, self.path.with_name(self.path.name + ".bak"))
                self.intervals = []
                self.saves += 1
                return {"saved": True, "intervals": 0, "path": str(self.path),
                        "note": f"no intervals: the file was moved to {self.path.name}.bak"}
            text = self.text(intervals)
            labels = parse_labels(text, self.path)
            labels.check_range(self.duration_s + self.offset_s)
            self._write(text)
            self.intervals = intervals
            self.saves += 1
        return {"saved": True, "intervals": len(intervals), "path": str(self.path)}

    def _check(self, payload: object) -> list[dict]:
        if not isinstance(payload, dict) or not isinstance(payload.get("intervals"), list):
            raise DataError("expected a JSON object {\"intervals\": [...]}")
        items = payload["intervals"]
        if len(items) > MAX_INTERVALS:
            raise DataError(f"{len(items)} intervals; at most {MAX_INTERVALS} per file")
        out = []
        for k, item in enumerate(items):
            if not isinstance(item, dict) or set(item) - _ITEM_KEYS:
                raise DataError(f"interval {k}: expected keys {sorted(_ITEM_KEYS)}")
            start, end = item.get("start"), item.get("end")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (start, end)):
                raise DataError(f"interval {k}: start and end must be numbers of seconds")
            label, track = item.get("label"), item.get("track", "")
            if not isinstance(label, str) or not isinstance(track, str):
                raise DataError(f"interval {k}: label and track must be strings")
            if label not in self.classes and label != UNKNOWN:
                raise DataError(f"interval {k}: label {label!r} is not in the label set "
                                f"({', '.join(self.classes)}, or unknown)")
            note = item.get("note", "")
            entry = {"start": float(start), "end": float(end), "label": label, "track": track}
            if isinstance(note, str) and note:
                entry["note"] = note
            out.append(entry)
        return out

    def _write(self, text: str) -> None:
        """Write ``text`` to a temporary file beside the target, fsync, then rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def default_labels_path(input_path: Path) -> Path:
    """``<input>.labels.yaml`` beside the input (a bag folder or a video file)."""
    input_path = Path(input_path)
    base = input_path.with_suffix("") if input_path.is_file() else input_path
    return base.with_name(base.name + ".labels.yaml")
