"""Mirror averaging: which classes swap, when it applies, and what the classifier returns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from har_ros.action_config import ActionNodeConfig, shipped_model_path
from har_ros.augment import mirror, mirrored
from har_ros.checkpoint import load_checkpoint
from har_ros.classifier import ActionClassifier
from har_ros.errors import CheckpointError, ConfigError
from har_ros.mirroring import resolve, swap_table, trained_swap_table

CLASSES = ["swipe_left", "swipe_right", "wave", "jog", "walk"]


def _windows(n: int = 3, t: int = 30) -> np.ndarray:
    """Pixel windows of a right arm sweeping across a standing body, a joint missing now and
    then (left and right differ, so mirroring changes them)."""
    rng = np.random.default_rng(1)
    w = np.zeros((n, t, 18, 3), np.float32)
    base = rng.uniform(200, 400, (n, 1, 18, 2)).astype(np.float32)
    sweep = np.linspace(-80, 80, t, dtype=np.float32)[None, :, None]
    w[..., :2] = base + rng.normal(0, 2, (n, t, 18, 2))
    w[:, :, 4, 0] += sweep[..., 0]  # right wrist
    w[..., 2] = 0.9
    w[:, ::7, 7, :] = 0.0           # left wrist missing in some frames
    return w


def test_swap_table_swaps_named_pairs_and_keeps_the_rest():
    table = swap_table(CLASSES, {"swipe_left": "swipe_right"})
    assert table.tolist() == [1, 0, 2, 3, 4]
    with pytest.raises(ConfigError, match="unknown classes 'wave'/'clap'"):
        swap_table(CLASSES, {"wave": "clap"})


def test_trained_table_follows_the_training_record_and_its_merges():
    cfg = {"augment": {"mirror": 0.5}, "mirror_swap": {"swipe_left": "swipe_right"},
           "merge_classes": {"jog": "walk"}}
    assert trained_swap_table(CLASSES, cfg).tolist() == [1, 0, 2, 3, 4]
    # a pair merged into one class stays put instead of naming a class the model lacks
    merged = {"augment": {"mirror": 0.5}, "mirror_swap": {"jog": "walk"},
              "merge_classes": {"jog": "walk"}}
    assert trained_swap_table(["walk", "wave"], merged).tolist() == [0, 1]
    assert trained_swap_table(CLASSES, {"augment": {"mirror": 0}}) is None
    assert trained_swap_table(CLASSES, {}) is None  # models saved before the record existed


@pytest.mark.parametrize("cfg, match", [
    ({"augment": {"mirror": "yes"}}, "augment.mirror must be a probability"),
    ({"augment": {"mirror": 1.5}}, "augment.mirror must be a probability"),
    ({"augment": {"mirror": 0.5}, "mirror_swap": ["a", "b"]}, "mirror_swap must map"),
    ({"augment": {"mirror": 0.5}, "mirror_swap": {"swipe_left": "clap"}}, "unknown classes"),
    ({"augment": {"mirror": 0.5}, "merge_classes": {"jog": 3}}, "merge_classes must map"),
])
def test_malformed_training_record_is_a_checkpoint_error(cfg, match):
    with pytest.raises(CheckpointError, match=match):
        trained_swap_table(CLASSES, cfg)


def test_modes():
    table = np.array([1, 0, 2])
    assert resolve("auto", table) is table and resolve("on", table) is table
    assert resolve("off", table) is None and resolve("auto", None) is None
    with pytest.raises(ConfigError, match="trained with mirror augmentation"):
        resolve("on", None)
    with pytest.raises(ConfigError, match="auto, on, off"):
        resolve("sometimes", table)


def test_mirrored_equals_training_mirror_and_is_an_involution():
    w = _windows()
    np.testing.assert_allclose(mirrored(w), mirror(w, np.ones(len(w), bool)), atol=1e-4)
    np.testing.assert_allclose(mirrored(mirrored(w)), w, atol=1e-3)
    assert not np.allclose(mirrored(w), w)
    assert (mirrored(w)[..., 2] > 0).sum() == (w[..., 2] > 0).sum()


@pytest.fixture(scope="module")
def default_models():
    path = shipped_model_path("default")
    return ActionClassifier.load(path), ActionClassifier.load(path, mirror_average="off")


def test_shipped_default_averages_with_swapped_classes(default_models):
    on, off = default_models
    assert on.mirror_averaging and not off.mirror_averaging
    classes = on.classes
    table = on.mirror_table
    assert classes[table[classes.index("swipe_left")]] == "swipe_right"
    assert classes[table[classes.index("draw_circle_CCW")]] == "draw_circle_CW"
    assert classes[table[classes.index("walk")]] == "walk"
    w = _windows()
    expected = (off.predict_proba(w) + off.predict_proba(mirrored(w))[:, table]) / 2
    np.testing.assert_allclose(on.predict_proba(w), expected, atol=1e-6)
    # averaged, the classifier is exactly mirror-equivariant: a mirrored window gets the
    # mirrored classes' probabilities (without averaging the model is not)
    np.testing.assert_allclose(on.predict_proba(mirrored(w)), on.predict_proba(w)[:, table],
                               atol=2e-3)
    assert np.abs(off.predict_proba(mirrored(w)) - off.predict_proba(w)[:, table]).max() > 0.01
    # the large-batch (PyTorch) path averages the same way
    big = np.resize(w, (40,) + w.shape[1:])
    np.testing.assert_allclose(on.predict_proba(big)[:3], on.predict_proba(w), atol=1e-4)


def test_on_refuses_a_model_trained_without_mirroring():
    ck = load_checkpoint(shipped_model_path("default"))
    plain = replace(ck, training_config={**ck.training_config,
                                         "augment": {**ck.training_config["augment"],
                                                     "mirror": 0.0}})
    assert not ActionClassifier(plain).mirror_averaging  # auto: off
    with pytest.raises(ConfigError, match="use 'auto' or 'off'"):
        ActionClassifier(plain, mirror_average="on")


def test_node_parameter_is_validated():
    with pytest.raises(ConfigError, match="parameter 'mirror_average'"):
        ActionNodeConfig(mirror_average="both").validate()
    assert ActionNodeConfig().mirror_average == "auto"
