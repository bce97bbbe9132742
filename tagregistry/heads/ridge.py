"""Ridge regression: the one closed-form linear fit of the repository (the ``head_refit:
ridge`` of training, the ridge baseline of ``tagregistry evaluate``, the benchmarks' probes).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tagregistry.heads.layers import linear_layer
from tagregistry.heads.weights import Groups, split_weights

#: ridge strengths tried by :func:`fit_ridge`, relative to the mean feature variance
#: (the strong end lets a fit on uninformative features shrink towards the training mean)
RIDGE_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class RidgeFit:
    """``targets ~ features @ weight + bias`` with the strength ``alpha`` chosen on validation."""

    weight: torch.Tensor  # (width, d) float64
    bias: torch.Tensor  # (d,) float64
    alpha: float
    validation_mse: float

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """``(n, d)`` float64 predictions for ``(n, width)`` features."""
        return features.double() @ self.weight + self.bias


@torch.no_grad()
def fit_ridge(train: tuple[torch.Tensor, torch.Tensor], validation: tuple[torch.Tensor, torch.Tensor],
              *, groups: Groups = None, grid: tuple[float, ...] = RIDGE_GRID) -> RidgeFit:
    """The ridge regression of targets on features, strength chosen on validation.

    ``train`` and ``validation`` are ``(features (n, width), targets (n,) or (n, d))``. The
    strengths tried are ``grid`` times the mean feature variance. With ``groups`` (train's and
    validation's group per example) every group weighs the same in the fit and in the
    validation MSE.
    """
    x, y = train[0].double(), train[1].double().reshape(train[0].shape[0], -1)
    xv, yv = validation[0].double(), validation[1].double().reshape(validation[0].shape[0], -1)
    w, wv = split_weights(groups, x.shape[0], xv.shape[0])
    mu, y_mu = w @ x, w @ y
    centred = x - mu
    gram, rhs = centred.T @ (w[:, None] * centred), centred.T @ (w[:, None] * (y - y_mu))
    scale = float(gram.diagonal().mean().clamp(min=1e-12))
    eye = torch.eye(gram.shape[0], dtype=gram.dtype)
    best: tuple[float, float, torch.Tensor] | None = None
    for rel in grid:
        weight = torch.linalg.solve(gram + rel * scale * eye, rhs)  # (width, d)
        mse = float(wv @ (((xv - mu) @ weight + y_mu - yv) ** 2).mean(1))
        if best is None or mse < best[0]:
            best = (mse, rel * scale, weight)
    assert best is not None
    mse, alpha, weight = best
    return RidgeFit(weight, y_mu - mu @ weight, alpha, mse)


@torch.no_grad()
def refit_ridge_head(head: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                     validation: tuple[torch.Tensor, torch.Tensor], *,
                     groups: Groups = None) -> dict[str, float]:
    """Replace ``head.linear`` by :func:`fit_ridge` of ``train`` (targets in the units the head
    works in). Returns ``{"ridge_alpha", "ridge_validation_mse"}``."""
    linear = linear_layer(head)
    fit = fit_ridge(train, validation, groups=groups)
    linear.weight.copy_(fit.weight.T.to(linear.weight.dtype))
    linear.bias.copy_(fit.bias.to(linear.bias.dtype))
    return {"ridge_alpha": fit.alpha, "ridge_validation_mse": fit.validation_mse}
