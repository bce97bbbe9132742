"""Built-in head modules: linear maps (or one-hidden-layer MLPs) from the function tag's readout."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tagregistry.specs import HeadSpec


class LinearHead(nn.Module):
    """``features -> spec.output_dim`` outputs: one linear map, or with ``spec.hidden`` a
    hidden GELU layer first. ``linear`` is always the layer that reads the features (feature
    standardisation folds into it); ``output`` the hidden layer's read-out, when there is one.
    """

    def __init__(self, hidden_size: int, spec: HeadSpec) -> None:
        super().__init__()
        self.spec = spec
        self.linear = nn.Linear(hidden_size, spec.hidden or spec.output_dim)
        self.output = nn.Linear(spec.hidden, spec.output_dim) if spec.hidden else None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self.linear(hidden)
        return out if self.output is None else self.output(F.gelu(out))


class RegressionHead(LinearHead):
    """``features -> output_dim`` scalars; predictions are un-scaled with stored mean/std."""


class ClassificationHead(LinearHead):
    """``features -> len(labels)`` logits."""
