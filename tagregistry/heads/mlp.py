"""``hyper.head_refit: mlp``: a one-hidden-layer regression head fitted on the trained tags'
features after training, from scratch, early-stopped on validation.

A linear head is one compromise for all inputs; when a function serves data sets whose labels
spread very differently (QED on NCI and on MOSES, ``docs/results.md``), a hidden layer can
serve both. Several members (different seeds) are trained and averaged; the average of ``k``
MLPs with ``h`` hidden units each is itself one MLP with ``k * h`` units (the members' hidden
layers side by side, their read-outs divided by ``k``), so the stored head stays a plain
:class:`~tagregistry.heads.modules.RegressionHead` with ``spec.hidden = k * h``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tagregistry.heads.weights import Groups, split_weights, standardisation

#: dropout on the head's inputs and on its hidden units while fitting
INPUT_DROPOUT, HIDDEN_DROPOUT = 0.2, 0.1


class _Member(nn.Module):
    def __init__(self, width: int, hidden: int, outputs: int) -> None:
        super().__init__()
        self.linear, self.output = nn.Linear(width, hidden), nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.dropout(F.gelu(self.linear(F.dropout(x, INPUT_DROPOUT, self.training))),
                           HIDDEN_DROPOUT, self.training)
        return self.output(hidden)


def _fit_member(member: _Member, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor,
                validation: tuple[torch.Tensor, torch.Tensor, torch.Tensor], *, epochs: int,
                patience: int, lr: float, weight_decay: float, batch_size: int) -> tuple[float, int]:
    """AdamW on examples drawn by weight ``w``; keeps the state with the best weighted
    validation MSE. Returns ``(that MSE, its epoch)``."""
    xv, yv, wv = validation
    optimizer = torch.optim.AdamW(member.parameters(), lr=lr, weight_decay=weight_decay)
    best = (float("inf"), 0, {k: v.clone() for k, v in member.state_dict().items()})
    for epoch in range(1, epochs + 1):
        member.train()
        for batch in torch.multinomial(w, len(w), replacement=True).split(batch_size):
            loss = F.mse_loss(member(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        member.eval()
        with torch.no_grad():
            mse = float(wv @ ((member(xv) - yv) ** 2).mean(1))
        if mse < best[0]:
            best = (mse, epoch, {k: v.clone() for k, v in member.state_dict().items()})
        elif epoch - best[1] >= patience:
            break
    member.load_state_dict(best[2])
    member.eval()
    return best[0], best[1]


@torch.no_grad()
def load_average(head: nn.Module, members: Sequence[nn.Module], mean: torch.Tensor,
                 std: torch.Tensor) -> None:
    """Write into ``head`` the average of ``members`` (each ``linear`` then GELU then
    ``output``, reading ``(x - mean) / std``): ``head(x) == mean_k members[k]((x - mean) / std)``."""
    linear, output = head.linear, head.output
    weight = torch.cat([m.linear.weight for m in members]) / std  # fold the standardisation
    bias = torch.cat([m.linear.bias for m in members]) - weight @ mean
    linear.weight.copy_(weight.to(linear.weight.dtype))
    linear.bias.copy_(bias.to(linear.bias.dtype))
    output.weight.copy_((torch.cat([m.output.weight for m in members], 1) / len(members)).to(output.weight.dtype))
    output.bias.copy_(torch.stack([m.output.bias for m in members]).mean(0).to(output.bias.dtype))


def refit_mlp_head(head: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                   validation: tuple[torch.Tensor, torch.Tensor], *,
                   groups: Groups = None, members: int = 1,
                   epochs: int = 100, patience: int = 20, lr: float = 1e-3, weight_decay: float = 1e-2,
                   batch_size: int = 64, seed: int = 0, progress: bool = False) -> dict[str, float]:
    """Replace the weights of ``head`` (a head with a hidden layer: ``linear`` then ``output``)
    by the average of ``members`` MLPs fitted on ``train`` and early-stopped on ``validation``.

    ``train``/``validation`` are ``(features (n, width), targets (n, d))`` in the units the head
    works in. Examples are drawn with :func:`~tagregistry.heads.weights.group_weights`
    (every group equally often with ``groups``); the validation MSE is weighted the same way.
    Features are standardised inside the fit and the standardisation is folded into ``linear``.
    Returns ``{"mlp_validation_mse", "mlp_members", "mlp_mean_epochs"}``.
    """
    linear, output = getattr(head, "linear", None), getattr(head, "output", None)
    if not isinstance(linear, nn.Linear) or not isinstance(output, nn.Linear):
        raise TypeError(f"{type(head).__name__} has no hidden layer to refit; give the head one "
                        "(hyper.head_hidden) or use head_refit: ridge")
    if linear.out_features % members:
        raise ValueError(f"a head of {linear.out_features} hidden units does not split into "
                         f"{members} members")
    x, y = train[0].float(), train[1].float().reshape(train[0].shape[0], -1)
    xv, yv = validation[0].float(), validation[1].float().reshape(validation[0].shape[0], -1)
    w, wv = (t.float() for t in split_weights(groups, x.shape[0], xv.shape[0]))
    mean, std = standardisation(x, w)
    x, xv = (x - mean) / std, (xv - mean) / std
    fitted: list[_Member] = []
    found: list[tuple[float, int]] = []
    steps: Any = range(members)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="mlp head refit", unit="member")
    for index in steps:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed * 1009 + index)
            member = _Member(x.shape[1], linear.out_features // members, y.shape[1])
            found.append(_fit_member(member, x, y, w, (xv, yv, wv), epochs=epochs, patience=patience,
                                     lr=lr, weight_decay=weight_decay, batch_size=batch_size))
        fitted.append(member)
    load_average(head, fitted, mean, std)
    with torch.no_grad():
        predicted = head(validation[0].to(linear.weight.device, linear.weight.dtype)).float().cpu()
        mse = float(wv @ ((predicted.reshape(yv.shape) - yv) ** 2).mean(1))
    return {"mlp_validation_mse": mse, "mlp_members": float(members),
            "mlp_mean_epochs": sum(epoch for _, epoch in found) / members}
