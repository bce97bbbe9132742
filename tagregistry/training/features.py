"""Head inputs: the trained tags' readout features, and their standardisation.

Intermediate layers of LLMs carry a few "massive" dimensions (thousands of times the others),
which makes a linear head on them badly conditioned for AdamW. Training standardises the
readout features with their mean and spread under the *initial* tags (a deterministic function
of the recipe, so a resumed run recomputes the same values) and folds them into the head's
linear layer before it is stored (:func:`tagregistry.heads.layers.fold_feature_norm`), so
composition needs nothing extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from tagregistry.heads.weights import standardisation
from tagregistry.models.threads import revisit_cpu_threads
from tagregistry.training.batch_plans import eval_batches
from tagregistry.training.examples import Example, collate_examples
from tagregistry.training.trainable import TagTrainer


@torch.no_grad()
def collect_features(trainer: TagTrainer, examples: Sequence[Example], *, pad_id: int, device: Any,
                     batch_size: int = 16, normalise: bool = False) -> torch.Tensor:
    """The readout features of ``examples`` as ``(n, width)`` float64 on the CPU, in input
    order (batches are formed by length, so long examples do not pad short ones).

    With ``normalise`` the trainer's feature standardisation (if any) is applied.
    """
    revisit_cpu_threads()
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
    mean, std = standardisation(feats)
    return mean.float(), std.float()
