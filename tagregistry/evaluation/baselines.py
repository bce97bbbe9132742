"""The baselines a tag is compared with, fitted on the training split's frozen-base features.

- ``mean``: the training mean (classes: the training class frequencies);
- ``nn``: the label of the nearest training record (Euclidean on standardised features);
- ``ridge``: the ridge regression (classes: L2 logistic regression) the head refit uses,
  strength chosen on validation;
- ``mlp``: the head ``head_refit: mlp`` fits (``MLP_MEMBERS`` averaged MLPs, early-stopped
  on validation; classes: fitted to one-hot labels).

Each returns one prediction per scored record: a number (regression) or a score per class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from tagregistry.heads import (
    ClassificationHead,
    RegressionHead,
    fit_label_scaling,
    scale_labels,
    unscale,
)
from tagregistry.heads.logistic import refit_logistic_head
from tagregistry.heads.mlp import refit_mlp_head
from tagregistry.heads.ridge import refit_ridge_head
from tagregistry.specs import HeadSpec

BASELINES = ("mean", "nn", "ridge", "mlp")
#: the MLP probe: hidden units in all, split over this many averaged members (the shipped
#: <QED> head's size; 3 x 32 units matched 3 x 256 on the refit study)
MLP_HIDDEN, MLP_MEMBERS = 96, 3


@dataclass
class ProbeData:
    """Features (standardised on train) and targets: floats, or class indices with ``classes``."""

    train: torch.Tensor
    train_y: torch.Tensor
    validation: torch.Tensor
    validation_y: torch.Tensor
    scored: torch.Tensor
    classes: int = 0  # 0: regression

    @classmethod
    def standardised(cls, train: torch.Tensor, train_y: torch.Tensor, validation: torch.Tensor,
                     validation_y: torch.Tensor, scored: torch.Tensor, classes: int = 0) -> ProbeData:
        mean, std = train.mean(0), train.std(0, unbiased=False)
        std = torch.where(std > 1e-6 * std.max().clamp(min=1e-12), std, torch.ones_like(std))
        return cls((train - mean) / std, train_y, (validation - mean) / std, validation_y,
                   (scored - mean) / std, classes)

    def one_hot(self, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(y.long(), self.classes).double()


def mean_baseline(data: ProbeData) -> torch.Tensor:
    if data.classes:
        frequencies = data.one_hot(data.train_y).mean(0)
        return frequencies.expand(data.scored.shape[0], -1)
    return torch.full((data.scored.shape[0],), float(data.train_y.double().mean()), dtype=torch.float64)


def nearest_neighbour(data: ProbeData) -> torch.Tensor:
    nearest = torch.cdist(data.scored, data.train).argmin(1)
    chosen = data.train_y[nearest]
    return data.one_hot(chosen) if data.classes else chosen.double()


def ridge_probe(data: ProbeData) -> torch.Tensor:
    width = data.train.shape[1]
    if data.classes:
        head = ClassificationHead(width, HeadSpec(type="classification", output_dim=data.classes))
        refit_logistic_head(head, (data.train, data.train_y), (data.validation, data.validation_y))
        with torch.no_grad():
            return head.double()(data.scored).softmax(-1)
    head = RegressionHead(width, HeadSpec(type="regression"))
    return _fit_scaled(head, data, lambda h, train, validation: refit_ridge_head(h, train, validation))


def mlp_probe(data: ProbeData, seed: int = 0) -> torch.Tensor:
    width = data.train.shape[1]
    outputs = data.classes or 1
    head = RegressionHead(width, HeadSpec(type="regression", output_dim=outputs, hidden=MLP_HIDDEN))

    def fit(h: torch.nn.Module, train: tuple[torch.Tensor, torch.Tensor],
            validation: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        return refit_mlp_head(h, train, validation, members=MLP_MEMBERS, seed=seed)

    if data.classes:
        fit(head, (data.train, data.one_hot(data.train_y)), (data.validation, data.one_hot(data.validation_y)))
        with torch.no_grad():
            return head(data.scored.float()).double()
    return _fit_scaled(head, data, fit)


def _fit_scaled(head: torch.nn.Module, data: ProbeData,
                fit: Callable[..., dict[str, float]]) -> torch.Tensor:
    """Fit a regression ``head`` on standardised labels; its predictions in label units."""
    y = data.train_y.double().reshape(-1, 1)
    scaling = fit_label_scaling(y)
    fit(head, (data.train, scale_labels(y, scaling)),
        (data.validation, scale_labels(data.validation_y.double().reshape(-1, 1), scaling)))
    weight = head.linear.weight
    with torch.no_grad():
        raw = head(data.scored.to(weight.dtype)).double()
    return unscale(raw, scaling)[:, 0]


PROBES: dict[str, Callable[[ProbeData], torch.Tensor]] = {
    "mean": mean_baseline, "nn": nearest_neighbour, "ridge": ridge_probe, "mlp": mlp_probe,
}
