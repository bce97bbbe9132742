"""Feature standardisation for heads that read intermediate layers.

Intermediate layers of LLMs carry a few "massive" dimensions (thousands of times the others),
which makes a linear head on them badly conditioned for AdamW. Training standardises the
readout features with their mean and spread under the *initial* tags (a deterministic function
of the recipe, so a resumed run recomputes the same values) and folds them into the head's
linear layer before it is stored, so composition needs nothing extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from tagregistry.training.examples import Example, collate
from tagregistry.training.model import TagTrainer


@torch.no_grad()
def fit_feature_norm(trainer: TagTrainer, examples: Sequence[Example], *, pad_id: int, device: Any,
                     batch_size: int = 16, limit: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, std)`` of the readout features over the first ``limit`` examples."""
    chosen = list(examples[:limit])
    if not chosen:
        raise ValueError("feature standardisation needs training examples")
    layout = trainer.table.layout()
    rows = []
    for start in range(0, len(chosen), batch_size):
        batch = collate(chosen[start:start + batch_size], layout, pad_id).to(device)
        out, offset = trainer.run(batch, fast=True)
        rows.append(trainer.features(out, batch, offset).cpu())
    feats = torch.cat(rows).double()
    std = feats.std(dim=0, unbiased=False)
    std = torch.where(std > 1e-6 * std.max().clamp(min=1e-12), std, torch.ones_like(std))
    return feats.mean(dim=0).float(), std.float()


def fold_feature_norm(head: nn.Module, mean: torch.Tensor, std: torch.Tensor) -> None:
    """Rewrite ``head.linear`` so that ``head(x) == old_head((x - mean) / std)``."""
    linear = getattr(head, "linear", None)
    if not isinstance(linear, nn.Linear):
        raise TypeError(
            f"{type(head).__name__} has no 'linear' layer to fold feature standardisation into; "
            "set hyper.standardize_features: false for this head type"
        )
    with torch.no_grad():
        std = std.to(linear.weight.device, linear.weight.dtype)
        mean = mean.to(linear.weight.device, linear.weight.dtype)
        weight = linear.weight / std
        linear.bias -= weight @ mean
        linear.weight.copy_(weight)
