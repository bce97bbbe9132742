"""L2-regularised multinomial logistic regression: ``head_refit: logistic`` and the ridge
baseline of a classification function."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tagregistry.heads.layers import linear_layer
from tagregistry.heads.weights import Groups, split_weights

#: L2 strengths tried by :func:`refit_logistic_head` (per example, on standardised features)
LOGISTIC_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


def refit_logistic_head(head: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                        validation: tuple[torch.Tensor, torch.Tensor], *,
                        groups: Groups = None) -> dict[str, float]:
    """Replace ``head.linear`` by L2-regularised multinomial logistic regression.

    ``train`` and ``validation`` are ``(features (n, width), class indices (n,))``. The
    strength is chosen on validation log-loss from :data:`LOGISTIC_GRID`; ``groups`` weighs
    every group the same, as in :func:`~tagregistry.heads.ridge.fit_ridge`. Returns
    ``{"logistic_l2", "logistic_validation_loss", "logistic_validation_accuracy"}``.
    """
    linear = linear_layer(head)
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
