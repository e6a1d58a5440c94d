"""Mirror averaging: classify a window and its horizontal mirror image, average the two.

A model trained with mirror augmentation (``augment.mirror`` > 0) has learnt every action and
its mirror image: a person seen from behind, or acting with the other hand, looks like a
mirrored frontal view. Classifying both the window and its mirror (left and right joints
swapped, classes that change under mirroring swapped back, e.g. swipe_left <-> swipe_right)
and averaging the probabilities removes the model's own left/right bias; it costs a second
window through the network. The measured effect per camera placement is in
bench/results/viewpoints.json (``python -m bench.bench_viewpoints --mirror-average both``).

Which classes swap comes from the checkpoint's ``training_config.mirror_swap`` (the table the
training used), translated through its ``merge_classes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from har_ros.errors import CheckpointError, ConfigError

#: ``mirror_average`` settings: "auto" averages when the model was trained with mirroring,
#: "on" requires it (ConfigError otherwise), "off" never averages.
MIRROR_MODES = ("auto", "on", "off")


def swap_table(classes: Sequence[str], mirror_swap: Mapping[str, str]) -> np.ndarray:
    """(C,) index of the class each class becomes when its window is mirrored (``mirror_swap``
    names pairs such as swipe_left: swipe_right; the other classes stay). ConfigError when a
    pair names a class not in ``classes``."""
    classes = list(classes)
    swap = np.arange(len(classes))
    for a, b in mirror_swap.items():
        if a not in classes or b not in classes:
            raise ConfigError(f"mirror_swap names unknown classes {a!r}/{b!r} (classes: "
                              f"{', '.join(classes)})")
        swap[classes.index(a)], swap[classes.index(b)] = classes.index(b), classes.index(a)
    return swap


def trained_swap_table(classes: Sequence[str], training_config: Mapping) -> np.ndarray | None:
    """The swap table of a checkpoint whose training mirrored windows, else None.

    ``training_config`` is model.json's record of the training options (untrusted input):
    CheckpointError when its ``augment.mirror``, ``mirror_swap`` or ``merge_classes`` are
    malformed or name classes the model does not have.
    """
    augment = training_config.get("augment") or {}
    prob = augment.get("mirror", 0) if isinstance(augment, Mapping) else None
    if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
        raise CheckpointError("model.json: training_config.augment.mirror must be a "
                              f"probability in [0, 1], got {prob!r}")
    if prob == 0:
        return None
    pairs = training_config.get("mirror_swap") or {}
    merge = training_config.get("merge_classes") or {}
    for name, table in (("mirror_swap", pairs), ("merge_classes", merge)):
        if not isinstance(table, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise CheckpointError(f"model.json: training_config.{name} must map class names "
                                  f"to class names, got {table!r}")
    merged = {merge.get(a, a): merge.get(b, b) for a, b in pairs.items()}
    try:
        return swap_table(classes, {a: b for a, b in merged.items() if a != b})
    except ConfigError as err:
        raise CheckpointError(f"model.json: training_config.{err}") from None


def resolve(mode: str, table: np.ndarray | None) -> np.ndarray | None:
    """The swap table to serve with under ``mode`` (one of MIRROR_MODES), or None for no
    averaging. ConfigError for an unknown mode, or "on" with a model trained without
    mirroring."""
    if mode not in MIRROR_MODES:
        raise ConfigError(f"mirror_average must be one of {', '.join(MIRROR_MODES)}, got "
                          f"{mode!r}")
    if mode == "on" and table is None:
        raise ConfigError("mirror_average 'on' needs a model trained with mirror augmentation "
                          "(augment.mirror > 0); this one was not: use 'auto' or 'off'")
    return None if mode == "off" else table


def average_mirrored(proba: np.ndarray, proba_mirrored: np.ndarray, table: np.ndarray
                     ) -> np.ndarray:
    """Mean of (B, C) ``proba`` and the mirrored windows' (B, C) probabilities with their
    classes swapped back by ``table``."""
    return (proba + proba_mirrored[:, table]) * np.float32(0.5)
