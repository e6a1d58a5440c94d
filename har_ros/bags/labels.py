"""Ground-truth labels for a bag: versioned YAML of time intervals ``[start, end) -> label``.

See docs/labels_format.md. Times are seconds since the bag's time origin: the header stamp of
the first frame on the evaluated topics, unless the file pins ``origin_ns``. An interval
without ``track`` is the operator-level truth (and every track's, unless that track has its
own interval there). Every error is a DataError that names the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from har_ros.errors import DataError

FORMAT_VERSION = 1
#: The label meaning "none of the model's classes" (the right output is to abstain).
UNKNOWN = "unknown"
_TOP_KEYS = {"version", "classes", "intervals", "origin_ns", "description", "source"}
_ITEM_KEYS = {"start", "end", "label", "track", "note"}


@dataclass(frozen=True)
class Interval:
    """``[start_s, end_s)`` seconds since the origin; ``track`` '' = operator level."""

    start_s: float
    end_s: float
    label: str
    track: str = ""
    line: int = 0


@dataclass
class Labels:
    """A parsed, structurally valid labels file."""

    path: Path
    intervals: list[Interval]
    version: int = FORMAT_VERSION
    classes: list[str] | None = None
    origin_ns: int | None = None
    description: str = ""
    _by_track: dict[str, list[Interval]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for iv in sorted(self.intervals, key=lambda i: i.start_s):
            self._by_track.setdefault(iv.track, []).append(iv)

    def where(self, iv: Interval) -> str:
        return f"{self.path}:{iv.line}" if iv.line else str(self.path)

    def label_at(self, t_s: float, track: str = "") -> str | None:
        """Truth at ``t_s`` seconds since the origin for ``track`` (None = unlabelled)."""
        for key in ((track, "") if track else ("",)):
            for iv in self._by_track.get(key, ()):
                if iv.start_s <= t_s < iv.end_s:
                    return iv.label
        return None

    @property
    def tracks(self) -> list[str]:
        """Track ids with their own intervals ('' for operator-level ones)."""
        return sorted(self._by_track)

    def labels_used(self) -> list[str]:
        return sorted({iv.label for iv in self.intervals})

    def check_classes(self, classes: Iterable[str]) -> None:
        """DataError naming the line of the first label that is neither in ``classes`` nor
        'unknown'."""
        known = set(classes) | {UNKNOWN}
        for iv in self.intervals:
            if iv.label not in known:
                raise DataError(f"{self.where(iv)}: unknown label {iv.label!r}; the model's "
                                f"classes are {', '.join(sorted(set(classes)))} (or 'unknown')")

    def check_range(self, duration_s: float, tolerance_s: float = 0.5) -> None:
        """DataError naming the line of the first interval outside ``[0, duration_s]`` seconds
        (``tolerance_s`` covers the last frame's length)."""
        for iv in self.intervals:
            if iv.start_s < -tolerance_s or iv.end_s > duration_s + tolerance_s:
                raise DataError(
                    f"{self.where(iv)}: interval [{iv.start_s:g}, {iv.end_s:g}) s lies outside "
                    f"the bag, which spans 0 .. {duration_s:.3f} s from its origin")


def _loader():
    import yaml

    class LineLoader(yaml.SafeLoader):
        """SafeLoader that records each mapping's 1-based line under '__line__'."""

        def construct_mapping(self, node, deep=False):
            mapping = super().construct_mapping(node, deep=deep)
            mapping["__line__"] = node.start_mark.line + 1
            return mapping

    return LineLoader


def _number(value: object, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"{where}: '{key}' must be a number of seconds, got {value!r}")
    return float(value)


def parse_labels(text: str, path: str | Path = "<labels>") -> Labels:
    """Parse and check labels text (structure, version, types, start < end, overlaps)."""
    import yaml

    path = Path(path)
    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise DataError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a mapping with 'version' and 'intervals'")
    extra = set(data) - _TOP_KEYS - {"__line__"}
    if extra:
        raise DataError(f"{path}: unknown key(s) {sorted(extra)}; allowed: {sorted(_TOP_KEYS)}")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise DataError(f"{path}: 'version' must be {FORMAT_VERSION} (this reader's format), "
                        f"got {version!r}")
    classes = data.get("classes")
    if classes is not None and (not isinstance(classes, list)
                                or not all(isinstance(c, str) for c in classes)):
        raise DataError(f"{path}: 'classes' must be a list of names")
    origin = data.get("origin_ns")
    if origin is not None and (isinstance(origin, bool) or not isinstance(origin, int)):
        raise DataError(f"{path}: 'origin_ns' must be an integer number of nanoseconds")
    items = data.get("intervals")
    if not isinstance(items, list) or not items:
        raise DataError(f"{path}: 'intervals' must be a non-empty list")
    intervals = []
    for item in items:
        if not isinstance(item, dict):
            raise DataError(f"{path}: every interval must be a mapping with start, end, label")
        where = f"{path}:{item['__line__']}"
        bad = set(item) - _ITEM_KEYS - {"__line__"}
        if bad:
            raise DataError(f"{where}: unknown key(s) {sorted(bad)}; allowed: {sorted(_ITEM_KEYS)}")
        for key in ("start", "end", "label"):
            if key not in item:
                raise DataError(f"{where}: interval has no '{key}'")
        start, end = _number(item["start"], where, "start"), _number(item["end"], where, "end")
        label, track = item["label"], item.get("track", "")
        if not isinstance(label, str) or not label:
            raise DataError(f"{where}: 'label' must be a non-empty name, got {label!r}")
        if not isinstance(track, str):
            raise DataError(f"{where}: 'track' must be a track id string, got {track!r}")
        if not start < end:
            raise DataError(f"{where}: start {start:g} s must be before end {end:g} s")
        if classes is not None and label not in classes and label != UNKNOWN:
            raise DataError(f"{where}: unknown label {label!r}; this file's classes are "
                            f"{', '.join(classes)}")
        intervals.append(Interval(start, end, label, track, int(item["__line__"])))
    by_track: dict[str, list[Interval]] = {}
    for iv in sorted(intervals, key=lambda i: (i.track, i.start_s)):
        prev = by_track.setdefault(iv.track, [])
        if prev and iv.start_s < prev[-1].end_s:
            p = prev[-1]
            who = f"track {iv.track!r}" if iv.track else "operator-level intervals"
            raise DataError(
                f"{path}:{iv.line}: interval [{iv.start_s:g}, {iv.end_s:g}) overlaps "
                f"[{p.start_s:g}, {p.end_s:g}) from line {p.line} ({who})")
        prev.append(iv)
    return Labels(path, intervals, version, classes, origin, str(data.get("description", "")))


def read_text_file(path: Path) -> str:
    """The UTF-8 text of a labels file (a UTF-8 byte-order mark is allowed); DataError naming
    the file when it is binary (a NUL byte), in another encoding, or unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"labels file {path} cannot be read: {exc.strerror or exc}") from exc
    hint = ""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        hint = " (it starts with a UTF-16 byte-order mark: save it as UTF-8)"
    elif b"\x00" in data:
        hint = " (it holds NUL bytes: a binary file, or UTF-16/32 text)"
    if not hint:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            hint = f" (byte {exc.start} is not UTF-8)"
    raise DataError(f"labels file {path} is not a UTF-8 text YAML file{hint}; write the labels "
                    "as YAML text (docs/labels_format.md)")


def load_labels(path: str | Path) -> Labels:
    """Read a labels file (see :func:`parse_labels`)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"labels file {path} does not exist")
    return parse_labels(read_text_file(path), path)


def dump_labels(intervals: Iterable[Interval], classes: list[str] | None = None,
                origin_ns: int | None = None, description: str = "") -> str:
    """YAML text of a labels file (one interval per line)."""
    lines = [f"version: {FORMAT_VERSION}"]
    if description:
        lines.append(f"description: {description!r}")
    if origin_ns is not None:
        lines.append(f"origin_ns: {int(origin_ns)}")
    if classes is not None:
        lines.append(f"classes: [{', '.join(classes)}]")
    lines.append("intervals:")
    for iv in intervals:
        track = f", track: {iv.track!r}" if iv.track else ""
        lines.append(f"  - {{start: {iv.start_s!r}, end: {iv.end_s!r}, label: {iv.label}{track}}}")
    return "\n".join(lines) + "\n"
