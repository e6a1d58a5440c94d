"""The small real UTD-MHAD training run several tests share (seconds on two cores)."""

from __future__ import annotations

from pathlib import Path

#: wave, clap, boxing, arm_curl, jog, squat: chance is 1/6.
TINY_ACTIONS = [3, 4, 13, 16, 22, 27]


def tiny_utd_config(shared_data: Path, actions: list[int] = TINY_ACTIONS, **more) -> dict:
    """Training config: ``actions`` of UTD-MHAD subjects 1 and 3 (2 is the unseen test
    subject), 10 Hz, 2 s windows, a 32-unit LSTM, 30 epochs; ``more`` overrides keys."""
    cfg = {
        "dataset": "utd", "data_root": str(shared_data / "utd_mhad"),
        "dataset_options": {"actions": list(actions), "subjects": [1, 3, 2]},
        "split": "cross_subject", "train_subjects": ["s1", "s3"], "test_subjects": ["s2"],
        "val_fraction": 0.15, "rate_hz": 10.0, "window_s": 2.0, "stride_s": 0.3,
        "train_stride_s": 0.1, "model": {"hidden_size": 32}, "epochs": 30,
        "batch_size": 32, "lr": 0.005, "seed": 0, "threads": 1,
    }
    cfg.update(more)
    return cfg
