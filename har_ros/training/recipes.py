"""Optimiser recipes: this project's AdamW + one-cycle cosine schedule with gradient clipping,
and the predecessor project's Adam + coupled L2 + staircase decay per training sample."""

from __future__ import annotations

import torch
from torch import nn

from har_ros.training.config import (
    PREDECESSOR_LR_DECAY,
    PREDECESSOR_LR_DECAY_SAMPLES,
    TrainConfig,
)
from har_ros.training.init_from import parameter_groups


class Recipe:
    """An optimiser and its learning-rate schedule, stepped once per batch."""

    def __init__(self, params: list[nn.Parameter], optimizer: torch.optim.Optimizer,
                 scheduler: torch.optim.lr_scheduler.LRScheduler, clip_norm: float | None,
                 total_steps: int | None) -> None:
        self.params = params
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.clip_norm = clip_norm
        #: Scheduler steps the schedule is defined for (None: unbounded).
        self.total_steps = total_steps

    @property
    def lr(self) -> float:
        """Current learning rate."""
        return float(self.optimizer.param_groups[0]["lr"])

    def step(self, loss: torch.Tensor) -> None:
        """Back-propagate ``loss``, clip, update the weights and advance the schedule."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.clip_norm is not None:
            nn.utils.clip_grad_norm_(self.params, self.clip_norm)
        self.optimizer.step()
        if self.total_steps is None or self.scheduler.last_epoch < self.total_steps - 1:
            self.scheduler.step()


def predecessor_recipe(model: nn.Module, cfg: TrainConfig) -> Recipe:
    """Adam with L2 in the loss (``weight_decay``), lr decayed x PREDECESSOR_LR_DECAY per
    PREDECESSOR_LR_DECAY_SAMPLES training samples (staircase), no clipping."""
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    per_step = cfg.batch_size / PREDECESSOR_LR_DECAY_SAMPLES
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: PREDECESSOR_LR_DECAY ** int(step * per_step))
    return Recipe(params, opt, sched, clip_norm=None, total_steps=None)


def one_cycle_recipe(model: nn.Module, cfg: TrainConfig, steps_per_epoch: int) -> Recipe:
    """AdamW (decoupled weight decay), one-cycle schedule over ``cfg.epochs`` epochs: warm-up
    for the first tenth from lr/10 to lr, cosine down to lr/1000; gradients clipped to norm 1.
    Frozen weights are left out; with ``init_from`` the encoder's peak is
    ``lr * encoder_lr_scale`` (:func:`~har_ros.training.init_from.parameter_groups`)."""
    groups = parameter_groups(model, cfg)
    params = [p for g in groups for p in g["params"]]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    total = max(4, max(1, cfg.epochs) * steps_per_epoch + 1)
    # at least ~2.5 warm-up steps: torch divides by the warm-up length less one step, which
    # is zero for a 10-step run at 0.1 (tiny datasets, few epochs)
    pct_start = max(0.1, 2.5 / total)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[g["lr"] for g in groups], total_steps=total, pct_start=pct_start,
        anneal_strategy="cos", div_factor=10.0, final_div_factor=100.0)
    return Recipe(params, opt, sched, clip_norm=1.0, total_steps=total)
