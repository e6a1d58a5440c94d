"""Class maps: score a model on data labelled with other names, without rewriting the labels.

A class map is a YAML (or JSON) mapping ``data label -> model class``::

    # data label: model class
    drink_water: drink
    drink_coffee: drink     # many-to-one is allowed
    idle: standing
    stretch: null           # left out of the scores
    other: unknown          # see below

Every key must be a label of the data and every target a class of the model, ``unknown``, or
``null``. A data label that the map does not name keeps its name, so it must already be a model
class (or ``unknown``). A model class the data never uses is simply never true.

``null`` leaves the label out of the scores (as if unlabelled). ``unknown`` means "none of the
model's classes": a clip dataset has no such class, so those clips are left out as well; a
labelled bag keeps ``unknown`` as truth with the labels format's meaning (the right output is to
abstain, docs/labels_format.md). With the map, the scores equal those on data relabelled by
hand. The same :class:`ClassMap` serves ``har-ros evaluate`` in dataset mode
(:func:`map_dataset`) and in ``--bag`` mode (:func:`map_labels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from har_ros.errors import DataError

if TYPE_CHECKING:
    from har_ros.bags.labels import Labels
    from har_ros.data.common import SkeletonDataset

#: The target meaning "none of the model's classes".
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ClassMap:
    """A structurally valid class map: ``entries`` data label -> model class, ``unknown`` or
    None (left out); ``lines`` the 1-based line of each entry in ``path``."""

    path: Path
    entries: dict[str, str | None]
    lines: dict[str, int]

    def where(self, key: str) -> str:
        """'file:line' of the entry for ``key``."""
        line = self.lines.get(key)
        return f"{self.path}:{line}" if line else str(self.path)

    def resolve(self, data_labels: Sequence[str], model_classes: Sequence[str],
                data_name: str = "the data") -> dict[str, str | None]:
        """Target of every label in ``data_labels``: a model class, ``unknown`` or None.

        DataError (naming the map's file, line and entry) when a key is not a label of the data
        or a target is not a model class; DataError naming the data label when a label the map
        does not name is not a model class either.
        """
        known, classes = set(data_labels), set(model_classes)
        for key, target in self.entries.items():
            entry = f"entry '{key}: {'null' if target is None else target}'"
            if key not in known:
                raise DataError(
                    f"{self.where(key)}: {entry}: '{key}' is not a label of {data_name} (its "
                    f"labels: {', '.join(sorted(known)) or 'none'}); fix the spelling or remove "
                    "the entry")
            if target is not None and target != UNKNOWN and target not in classes:
                raise DataError(
                    f"{self.where(key)}: {entry}: '{target}' is not a class of the model (its "
                    f"classes: {', '.join(model_classes)}); map to one of them, 'unknown' or "
                    "null")
        out: dict[str, str | None] = {}
        for label in data_labels:
            if label in self.entries:
                out[label] = self.entries[label]
            elif label in classes or label == UNKNOWN:
                out[label] = label
            else:
                raise DataError(
                    f"{data_name}: label '{label}' is not a class of the model and the class "
                    f"map {self.path} does not name it; add '{label}: <model class>' (or "
                    f"'{label}: null' to leave it out of the scores)")
        return out


def parse_class_map(text: str, path: str | Path = "<class map>") -> ClassMap:
    """Parse class-map text (YAML or JSON): a non-empty mapping of names to names or null."""
    import yaml

    path = Path(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise DataError(f"{path}{line}: not valid YAML or JSON: "
                        f"{getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict) or not data or not isinstance(node, yaml.MappingNode):
        raise DataError(f"{path}: a class map is a non-empty mapping 'data label: model class' "
                        "(one entry a line; null leaves a label out)")
    lines: dict[str, int] = {}
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key in lines:
            raise DataError(f"{path}:{key_node.start_mark.line + 1}: '{key}' is mapped twice "
                            f"(first on line {lines[key]})")
        lines[key] = key_node.start_mark.line + 1
    entries: dict[str, str | None] = {}
    for key, target in data.items():
        name = str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else None
        where = f"{path}:{lines.get(str(key), 0)}" if lines.get(str(key)) else str(path)
        if not name:
            raise DataError(f"{where}: entry {key!r}: a data label must be a non-empty name")
        if target is not None and (not isinstance(target, str) or not target):
            raise DataError(f"{where}: entry '{name}: {target!r}': the target must be a model "
                            "class name, 'unknown' or null")
        entries[name] = target
    return ClassMap(path, entries, lines)


def load_class_map(path: str | Path) -> ClassMap:
    """Read and check a class-map file (:func:`parse_class_map`); DataError naming the file
    when it is missing or not UTF-8 text."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"class map {path} does not exist")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"class map {path} is not a readable UTF-8 text file: {exc}") from exc
    return parse_class_map(text, path)


def map_dataset(ds: SkeletonDataset, cmap: ClassMap, model_classes: Sequence[str]
                ) -> SkeletonDataset:
    """``ds`` with its labels renamed to ``model_classes`` indices through ``cmap``.

    Clip labels mapped to null or ``unknown`` drop the clip; per-frame labels become -1
    (unlabelled) and a sequence left with no labelled frame is dropped. The result's classes
    are ``model_classes``.
    """
    import numpy as np

    from har_ros.data.common import SkeletonDataset

    target = cmap.resolve(ds.classes, model_classes, f"dataset {ds.name}")
    index = {c: i for i, c in enumerate(model_classes)}
    lut = np.array([index.get(target[c] or "", -1) for c in ds.classes] + [-1], dtype=np.int64)
    seqs = []
    for s in ds.sequences:
        if isinstance(s.label, int):
            new = int(lut[s.label])
            if new >= 0:
                seqs.append(replace(s, label=new))
        else:
            lab = np.where(s.label >= 0, lut[s.label], -1)
            if (lab >= 0).any():
                seqs.append(replace(s, label=lab))
    return SkeletonDataset(ds.name, list(model_classes), ds.fps, seqs)


def merge_classes(ds: SkeletonDataset, entries: dict[str, str | None]) -> SkeletonDataset:
    """``ds`` relabelled through ``entries`` (data label -> class, or None to leave its clips
    out) for training: the classes are the mapped names in the order of ``ds.classes`` (a
    merged class takes the place of its first member). Keys must be labels of ``ds``;
    ``unknown`` is not a trainable target. No entries: ``ds`` unchanged."""
    if not entries:
        return ds
    if UNKNOWN in entries.values():
        raise DataError("merge_classes: 'unknown' is not a class a model can learn; map the "
                        "label to a class name, or to null to leave its clips out")
    classes: list[str] = []
    for name in ds.classes:
        target = entries.get(name, name)
        if target is not None and target not in classes:
            classes.append(target)
    cmap = ClassMap(Path("merge_classes"), dict(entries), {})
    return map_dataset(ds, cmap, classes)


def map_labels(labels: Labels, cmap: ClassMap, model_classes: Sequence[str]) -> Labels:
    """``labels`` (a labelled bag's truth) renamed through ``cmap``: intervals mapped to null
    are dropped (unlabelled), ``unknown`` keeps the labels format's meaning. The data's labels
    are the file's ``classes`` (when it lists them) and the labels its intervals use."""
    from har_ros.bags.labels import Labels

    vocabulary = sorted(set(labels.classes or ()) | set(labels.labels_used()))
    target = cmap.resolve(vocabulary, model_classes, f"labels file {labels.path}")
    intervals = [replace(iv, label=target[iv.label]) for iv in labels.intervals
                 if target[iv.label] is not None]
    return Labels(labels.path, intervals, labels.version, None, labels.origin_ns,
                  labels.description)
