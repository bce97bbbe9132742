"""Per-example weights for head fits: every group of examples (e.g. its source data set)
weighs the same in a balanced fit (``hyper.refit_balance``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch

#: train's and validation's group per example, or None (uniform weights)
Groups = tuple[Sequence[Any], Sequence[Any]] | None


def group_weights(groups: Sequence[Any] | None, n: int) -> torch.Tensor:
    """Per-example weights summing to 1 that give every group the same total weight
    (uniform when ``groups`` is None)."""
    if groups is None:
        return torch.full((n,), 1.0 / n, dtype=torch.float64)
    if len(groups) != n:
        raise ValueError(f"{len(groups)} groups for {n} examples")
    sizes = Counter(groups)
    return torch.tensor([1.0 / (len(sizes) * sizes[g]) for g in groups], dtype=torch.float64)


def split_weights(groups: Groups, n_train: int, n_validation: int) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`group_weights` of the training and the validation examples."""
    train, validation = (None, None) if groups is None else groups
    return group_weights(train, n_train), group_weights(validation, n_validation)


def standardisation(x: torch.Tensor, weights: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, std)`` of the feature columns of ``x`` (weighted by ``weights``, summing to 1;
    uniform without). A column with (next to) no spread gets std 1, so dividing is safe."""
    if weights is None:
        mean, std = x.mean(0), x.std(0, unbiased=False)
    else:
        mean = weights @ x
        std = (weights @ (x - mean) ** 2).sqrt()
    std = torch.where(std > 1e-6 * std.max().clamp(min=1e-12), std, torch.ones_like(std))
    return mean, std
