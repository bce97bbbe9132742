"""The ``linear`` layer a refit replaces, and feature standardisation folded into it.

Every built-in head reads its features through ``head.linear`` (a
:class:`~tagregistry.heads.modules.LinearHead`), so a standardisation applied during training
or a refit can be folded into that layer and composition needs nothing extra.
"""

from __future__ import annotations

import torch
from torch import nn


def linear_layer(head: nn.Module) -> nn.Linear:
    """The head's only layer (a closed-form refit replaces it), or a TypeError."""
    linear = getattr(head, "linear", None)
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"{type(head).__name__} has no 'linear' layer to refit; "
                        "set hyper.head_refit: none for this head type")
    if getattr(head, "output", None) is not None:
        raise TypeError(f"{type(head).__name__} has a hidden layer; a linear refit cannot replace "
                        "it: use hyper.head_refit: mlp")
    return linear


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
