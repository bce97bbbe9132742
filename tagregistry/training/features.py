"""Head inputs: standardisation for intermediate-layer readouts, and a closed-form head refit.

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

#: ridge strengths tried by :func:`refit_ridge_head`, relative to the mean feature variance
RIDGE_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


@torch.no_grad()
def collect_features(trainer: TagTrainer, examples: Sequence[Example], *, pad_id: int, device: Any,
                     batch_size: int = 16, normalise: bool = False) -> torch.Tensor:
    """The readout features of ``examples`` as ``(n, width)`` float64 on the CPU.

    With ``normalise`` the trainer's feature standardisation (if any) is applied.
    """
    layout = trainer.table.layout()
    rows = []
    for start in range(0, len(examples), batch_size):
        batch = collate(examples[start:start + batch_size], layout, pad_id).to(device)
        out, offset = trainer.run(batch, fast=True)
        feats = trainer.features(out, batch, offset)
        if normalise and trainer.feature_norm is not None:
            mean, std = trainer.feature_norm
            feats = (feats - mean.to(feats.device)) / std.to(feats.device)
        rows.append(feats.cpu())
    return torch.cat(rows).double()


@torch.no_grad()
def fit_feature_norm(trainer: TagTrainer, examples: Sequence[Example], *, pad_id: int, device: Any,
                     batch_size: int = 16, limit: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, std)`` of the readout features over the first ``limit`` examples."""
    chosen = list(examples[:limit])
    if not chosen:
        raise ValueError("feature standardisation needs training examples")
    feats = collect_features(trainer, chosen, pad_id=pad_id, device=device, batch_size=batch_size)
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


@torch.no_grad()
def refit_ridge_head(head: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                     validation: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
    """Replace ``head.linear`` by the ridge regression of targets on features.

    ``train`` and ``validation`` are ``(features (n, width), targets (n, d))`` in the units the
    head works in. The ridge strength is chosen on validation from :data:`RIDGE_GRID`
    (times the mean feature variance). Returns ``{"ridge_alpha", "ridge_validation_mse"}``.
    """
    linear = getattr(head, "linear", None)
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"{type(head).__name__} has no 'linear' layer to refit; "
                        "set hyper.head_refit: none for this head type")
    x, y = train[0].double(), train[1].double().reshape(train[0].shape[0], -1)
    xv, yv = validation[0].double(), validation[1].double().reshape(validation[0].shape[0], -1)
    mu, y_mu = x.mean(0), y.mean(0)
    centred = x - mu
    gram, rhs = centred.T @ centred, centred.T @ (y - y_mu)
    scale = float(gram.diagonal().mean().clamp(min=1e-12))
    eye = torch.eye(gram.shape[0], dtype=gram.dtype)
    best: tuple[float, float, torch.Tensor] | None = None
    for rel in RIDGE_GRID:
        weight = torch.linalg.solve(gram + rel * scale * eye, rhs)  # (width, d)
        mse = float((((xv - mu) @ weight + y_mu - yv) ** 2).mean())
        if best is None or mse < best[0]:
            best = (mse, rel * scale, weight)
    assert best is not None
    mse, alpha, weight = best
    linear.weight.copy_(weight.T.to(linear.weight.dtype))
    linear.bias.copy_((y_mu - mu @ weight).to(linear.bias.dtype))
    return {"ridge_alpha": alpha, "ridge_validation_mse": mse}
