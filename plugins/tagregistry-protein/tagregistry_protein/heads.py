"""The ``mlp-regression`` head type (imported only when a model with such a head is built)."""

from __future__ import annotations

import torch
from torch import nn

from tagregistry.specs import HeadSpec


class MLPRegressionHead(nn.Module):
    """``hidden -> hidden // 4 -> output_dim``; its ``state_dict`` is what the store keeps."""

    def __init__(self, hidden_size: int, spec: HeadSpec) -> None:
        super().__init__()
        self.spec = spec
        width = max(1, hidden_size // 4)
        self.net = nn.Sequential(
            nn.Linear(hidden_size, width), nn.GELU(), nn.Linear(width, spec.output_dim)
        )

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.net(hidden)
