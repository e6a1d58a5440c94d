"""Training and evaluation of the LSTM action classifier (ROS-free, CPU).

Pipeline: split clips (cross-subject / cross-view / official / k-fold / random) -> validation
clips taken from the TRAIN part only -> resample every clip to ``rate_hz`` (plus speed
variants for training) -> sliding windows of ``window_s`` -> per batch: augment pixels, compute
features, standardise inside the model -> AdamW + one-cycle cosine schedule, label smoothing,
early stopping on validation loss. Evaluation averages window probabilities over each clip.

Modules: :mod:`.config` (TrainConfig, YAML loading, predecessor baselines), :mod:`.splits`,
:mod:`.data` (sequences -> windows), :mod:`.recipes` (optimisers and schedules),
:mod:`.loop` (epochs, early stopping, checkpoint), :mod:`.init_from` (start from another
model's encoder), :mod:`.self_training` (few labelled clips plus pseudo-labelled ones),
:mod:`.evaluation`, :mod:`.run` (a whole run writing its folder).
"""

import importlib

#: Public name -> submodule defining it; loaded on first use, so importing
#: ``har_ros.training.config`` (the CLI's option choices) does not import torch.
_EXPORTS = {
    "BASELINES": "config", "FREEZE": "config", "PREDECESSOR_RECIPE": "config", "SPLITS": "config",
    "TrainConfig": "config", "load_config": "config",
    "MIN_JOINT_PRESENCE": "data", "WindowIndex": "data", "build_windows": "data",
    "epoch_sample": "data", "feature_stats": "data", "segments": "data",
    "short_clips": "data", "trained_joints": "data",
    "InitModel": "init_from", "init_network": "init_from", "load_init": "init_from",
    "evaluate_sequences": "evaluation", "evaluation_report": "evaluation",
    "train_model": "loop",
    "draw_per_class": "self_training", "self_train": "self_training",
    "EVAL_INPUT_FPS": "run", "train_and_evaluate": "run",
    "clip_label": "splits", "cut_blocks": "splits", "split_dataset": "splits",
    "split_indices": "splits", "validation_split": "splits",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    """Load a public name from its submodule."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
