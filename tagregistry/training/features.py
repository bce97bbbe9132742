"""Head inputs: standardisation for intermediate-layer readouts, and a closed-form head refit.

Intermediate layers of LLMs carry a few "massive" dimensions (thousands of times the others),
which makes a linear head on them badly conditioned for AdamW. Training standardises the
readout features with their mean and spread under the *initial* tags (a deterministic function
of the recipe, so a resumed run recomputes the same values) and folds them into the head's
linear layer before it is stored, so composition needs nothing extra.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from tagregistry.training.batch_plans import eval_batches
from tagregistry.training.examples import Example, collate_examples
from tagregistry.training.trainable import TagTrainer

#: ridge strengths tried by :func:`refit_ridge_head`, relative to the mean feature variance
#: (the strong end lets a refit on uninformative features shrink towards the training mean)
RIDGE_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)
#: L2 strengths tried by :func:`refit_logistic_head` (per example, on standardised features)
LOGISTIC_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


@torch.no_grad()
def collect_features(trainer: TagTrainer, examples: Sequence[Example], *, pad_id: int, device: Any,
                     batch_size: int = 16, normalise: bool = False) -> torch.Tensor:
    """The readout features of ``examples`` as ``(n, width)`` float64 on the CPU, in input
    order (batches are formed by length, so long examples do not pad short ones).

    With ``normalise`` the trainer's feature standardisation (if any) is applied.
    """
    layout = trainer.table.layout()
    order = eval_batches([e.length for e in examples], batch_size)  # similar lengths together
    rows = []
    for indices in order:
        batch = collate_examples([examples[i] for i in indices], layout, pad_id).to(device)
        out, offset = trainer.run(batch, fast=True)
        feats = trainer.features(out, batch, offset)
        if normalise and trainer.feature_norm is not None:
            mean, std = trainer.feature_norm
            feats = (feats - mean.to(feats.device)) / std.to(feats.device)
        rows.append(feats.cpu())
    stacked = torch.cat(rows).double()
    where = torch.tensor([i for indices in order for i in indices], dtype=torch.long)
    result = torch.empty_like(stacked)
    result[where] = stacked  # back to the input order
    return result


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


def _linear_layer(head: nn.Module) -> nn.Linear:
    """The head's only layer (a closed-form refit replaces it), or a TypeError."""
    linear = getattr(head, "linear", None)
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"{type(head).__name__} has no 'linear' layer to refit; "
                        "set hyper.head_refit: none for this head type")
    if getattr(head, "output", None) is not None:
        raise TypeError(f"{type(head).__name__} has a hidden layer; a linear refit cannot replace "
                        "it: use hyper.head_refit: mlp")
    return linear


def group_weights(groups: Sequence[Any] | None, n: int) -> torch.Tensor:
    """Per-example weights summing to 1 that give every group the same total weight
    (uniform when ``groups`` is None)."""
    if groups is None:
        return torch.full((n,), 1.0 / n, dtype=torch.float64)
    if len(groups) != n:
        raise ValueError(f"{len(groups)} groups for {n} examples")
    sizes = Counter(groups)
    return torch.tensor([1.0 / (len(sizes) * sizes[g]) for g in groups], dtype=torch.float64)


def split_weights(groups: tuple[Sequence[Any], Sequence[Any]] | None, n_train: int,
                   n_validation: int) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`group_weights` of the training and the validation examples."""
    train, validation = (None, None) if groups is None else groups
    return group_weights(train, n_train), group_weights(validation, n_validation)


@torch.no_grad()
def refit_ridge_head(head: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                     validation: tuple[torch.Tensor, torch.Tensor], *,
                     groups: tuple[Sequence[Any], Sequence[Any]] | None = None) -> dict[str, float]:
    """Replace ``head.linear`` by the ridge regression of targets on features.

    ``train`` and ``validation`` are ``(features (n, width), targets (n, d))`` in the units the
    head works in. The ridge strength is chosen on validation from :data:`RIDGE_GRID`
    (times the mean feature variance). With ``groups`` (train's and validation's group per
    example) every group weighs the same in the fit and in the validation MSE.
    Returns ``{"ridge_alpha", "ridge_validation_mse"}``.
    """
    linear = _linear_layer(head)
    x, y = train[0].double(), train[1].double().reshape(train[0].shape[0], -1)
    xv, yv = validation[0].double(), validation[1].double().reshape(validation[0].shape[0], -1)
    w, wv = split_weights(groups, x.shape[0], xv.shape[0])
    mu, y_mu = w @ x, w @ y
    centred = x - mu
    gram, rhs = centred.T @ (w[:, None] * centred), centred.T @ (w[:, None] * (y - y_mu))
    scale = float(gram.diagonal().mean().clamp(min=1e-12))
    eye = torch.eye(gram.shape[0], dtype=gram.dtype)
    best: tuple[float, float, torch.Tensor] | None = None
    for rel in RIDGE_GRID:
        weight = torch.linalg.solve(gram + rel * scale * eye, rhs)  # (width, d)
        mse = float(wv @ (((xv - mu) @ weight + y_mu - yv) ** 2).mean(1))
        if best is None or mse < best[0]:
            best = (mse, rel * scale, weight)
    assert best is not None
    mse, alpha, weight = best
    linear.weight.copy_(weight.T.to(linear.weight.dtype))
    linear.bias.copy_((y_mu - mu @ weight).to(linear.bias.dtype))
    return {"ridge_alpha": alpha, "ridge_validation_mse": mse}


def refit_logistic_head(head: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                        validation: tuple[torch.Tensor, torch.Tensor], *,
                        groups: tuple[Sequence[Any], Sequence[Any]] | None = None) -> dict[str, float]:
    """Replace ``head.linear`` by L2-regularised multinomial logistic regression.

    ``train`` and ``validation`` are ``(features (n, width), class indices (n,))``. The
    strength is chosen on validation log-loss from :data:`LOGISTIC_GRID`; ``groups`` weighs
    every group the same, as in :func:`refit_ridge_head`. Returns
    ``{"logistic_l2", "logistic_validation_loss", "logistic_validation_accuracy"}``.
    """
    import torch.nn.functional as F

    linear = _linear_layer(head)
    x, y = train[0].double(), train[1].long()
    xv, yv = validation[0].double(), validation[1].long()
    w, wv = split_weights(groups, x.shape[0], xv.shape[0])
    classes = linear.out_features
    best: tuple[float, float, float, torch.Tensor, torch.Tensor] | None = None
    for strength in LOGISTIC_GRID:
        weight = torch.zeros(x.shape[1], classes, dtype=x.dtype, requires_grad=True)
        bias = torch.zeros(classes, dtype=x.dtype, requires_grad=True)
        optimizer = torch.optim.LBFGS([weight, bias], max_iter=300, line_search_fn="strong_wolfe")

        def closure(weight: torch.Tensor = weight, bias: torch.Tensor = bias,
                    optimizer: torch.optim.LBFGS = optimizer, strength: float = strength) -> torch.Tensor:
            optimizer.zero_grad()
            loss = w @ F.cross_entropy(x @ weight + bias, y, reduction="none") + strength * (weight ** 2).sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        with torch.no_grad():
            logits = xv @ weight + bias
            loss = float(wv @ F.cross_entropy(logits, yv, reduction="none"))
            accuracy = float(wv @ (logits.argmax(1) == yv).double())
        if best is None or loss < best[0]:
            best = (loss, accuracy, strength, weight.detach(), bias.detach())
    assert best is not None
    loss, accuracy, strength, weight, bias = best
    with torch.no_grad():
        linear.weight.copy_(weight.T.to(linear.weight.dtype))
        linear.bias.copy_(bias.to(linear.bias.dtype))
    return {"logistic_l2": strength, "logistic_validation_loss": loss,
            "logistic_validation_accuracy": accuracy}
