"""Optimiser and learning-rate schedule (a pure function of the step, so resuming is exact)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from tagregistry.training.recipe import HyperParameters


def lr_factor(step: int, total_steps: int, warmup_ratio: float, schedule: str) -> float:
    """Multiplier of the base learning rate at optimiser step ``step`` (0-based)."""
    warmup = int(math.ceil(total_steps * warmup_ratio))
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    span = max(1, total_steps - warmup)
    progress = min(1.0, (step - warmup) / span)
    if schedule == "linear":
        return max(0.0, 1.0 - progress)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_optimizer(params: Iterable[Any], hyper: HyperParameters) -> Any:
    """AdamW with the recipe's settings (the paper: lr 1e-4, no weight decay)."""
    import torch

    return torch.optim.AdamW(
        [p for p in params if p.requires_grad], lr=hyper.lr, betas=hyper.betas, eps=hyper.eps,
        weight_decay=hyper.weight_decay,
    )


def set_lr(optimizer: Any, step: int, total_steps: int, hyper: HyperParameters) -> float:
    """Set every parameter group's learning rate for ``step``; returns it."""
    lr = hyper.lr * lr_factor(step, total_steps, hyper.warmup_ratio, hyper.schedule)
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr
