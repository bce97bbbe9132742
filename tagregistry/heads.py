"""Built-in heads: linear maps from the hidden state at the function tag's last position."""

from __future__ import annotations

import torch
from torch import nn

from tagregistry.specs import HeadSpec


class RegressionHead(nn.Module):
    """``hidden -> output_dim`` scalars; predictions are un-scaled with stored mean/std."""

    def __init__(self, hidden_size: int, spec: HeadSpec) -> None:
        super().__init__()
        self.spec = spec
        self.linear = nn.Linear(hidden_size, spec.output_dim)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.linear(hidden)


class ClassificationHead(nn.Module):
    """``hidden -> len(labels)`` logits."""

    def __init__(self, hidden_size: int, spec: HeadSpec) -> None:
        super().__init__()
        self.spec = spec
        self.linear = nn.Linear(hidden_size, spec.output_dim)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.linear(hidden)
