"""Regression label scaling: heads train on standardised labels; the mean and spread are
stored in the head record's config and undo the scaling at prediction time."""

from __future__ import annotations

import torch

from tagregistry.errors import IntegrityError

LABEL_MEAN = "label_mean"
LABEL_STD = "label_std"


def fit_label_scaling(labels: torch.Tensor) -> dict[str, list[float]]:
    """``{"label_mean": [...], "label_std": [...]}`` per output column of ``(n, dim)`` labels.

    A column with zero spread gets std 1, so scaling never divides by zero.
    """
    values = labels.detach().double().reshape(labels.shape[0], -1)
    mean = values.mean(dim=0)
    std = values.std(dim=0, unbiased=False) if values.shape[0] > 1 else torch.ones_like(mean)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return {LABEL_MEAN: mean.tolist(), LABEL_STD: std.tolist()}


def _scaling(config: dict | None, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    if not config or LABEL_MEAN not in config or LABEL_STD not in config:
        return None
    mean = torch.as_tensor(config[LABEL_MEAN], dtype=like.dtype, device=like.device).reshape(-1)
    std = torch.as_tensor(config[LABEL_STD], dtype=like.dtype, device=like.device).reshape(-1)
    if mean.numel() != like.shape[-1] or std.numel() != like.shape[-1]:
        raise IntegrityError(
            f"label scaling has {mean.numel()} means / {std.numel()} stds for a head with "
            f"{like.shape[-1]} outputs; the stored head config is inconsistent"
        )
    return mean, std


def scale_labels(labels: torch.Tensor, config: dict | None) -> torch.Tensor:
    """Original units -> the standardised units the head is trained on (identity without config)."""
    found = _scaling(config, labels)
    return labels if found is None else (labels - found[0]) / found[1]


def unscale(outputs: torch.Tensor, config: dict | None) -> torch.Tensor:
    """Head outputs -> original label units (identity without config)."""
    found = _scaling(config, outputs)
    return outputs if found is None else outputs * found[1] + found[0]
