"""Held-out evaluation: head metrics in original units, or LM loss and perplexity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tagregistry.heads.metrics import get_metric
from tagregistry.training.batch_plans import eval_batches
from tagregistry.training.examples import Example, collate_examples
from tagregistry.training.trainable import TagTrainer


def predict(trainer: TagTrainer, examples: Sequence[Example], *, batch_size: int, pad_id: int,
            device: Any) -> list[Any]:
    """Head outputs for every example, in input order (raw head units)."""
    import torch

    order = eval_batches([e.length for e in examples], batch_size)
    layout = trainer.table.layout()
    outputs = [trainer.predict(collate_examples([examples[i] for i in indices], layout, pad_id).to(device))
               .float() for indices in order]
    values = torch.cat(outputs).cpu() if outputs else None  # one read-back, not one per batch
    out: list[Any] = [None] * len(examples)
    position = 0
    for indices in order:
        for index in indices:
            out[index] = values[position]
            position += 1
    return out


def evaluate_head(
    trainer: TagTrainer, examples: Sequence[Example], truth: Sequence[Any], *, task: str,
    metric: str, scaling: dict[str, Any] | None, batch_size: int, pad_id: int, device: Any,
) -> dict[str, float]:
    """The recipe's metric (and MSE/MAE or accuracy) on ``examples`` against ``truth``."""
    if not examples:
        return {}
    outputs = predict(trainer, examples, batch_size=batch_size, pad_id=pad_id, device=device)
    return score_outputs(outputs, truth, task=task, metric=metric, scaling=scaling)


def score_outputs(outputs: Sequence[Any], truth: Sequence[Any], *, task: str, metric: str,
                  scaling: dict[str, Any] | None) -> dict[str, float]:
    """:func:`evaluate_head`'s metrics for raw head ``outputs`` (one per example)."""
    import torch

    if task == "classification":
        pred = [float(int(o.argmax())) for o in outputs]
        true = [float(t) for t in truth]
        names = [metric] if metric != "accuracy" else []
        return {"accuracy": get_metric("accuracy")(pred, true),
                **{n: get_metric(n)(pred, true) for n in names}}
    from tagregistry.heads import unscale

    stacked = unscale(torch.stack(outputs), scaling)
    pred = stacked[:, 0].tolist()
    true = [float(t[0]) for t in truth]
    result = {name: get_metric(name)(pred, true) for name in ("mse", "mae")}
    result[metric] = get_metric(metric)(pred, true)
    return result


def evaluate_lm(trainer: TagTrainer, examples: Sequence[Example], *, batch_size: int, pad_id: int,
                device: Any) -> dict[str, float]:
    """Mean next-token loss over the target tokens, and its perplexity."""
    import torch

    if not examples:
        return {}
    total = torch.zeros((), dtype=torch.float64)
    count = 0
    layout = trainer.table.layout()
    with torch.no_grad():
        for indices in eval_batches([e.length for e in examples], batch_size):
            batch = collate_examples([examples[i] for i in indices], layout, pad_id)
            if batch.lm_labels is None:
                continue
            n = int((batch.lm_labels[:, 1:] != -100).sum())  # counted on the host copy
            batch = batch.to(device)
            hidden, offset = trainer.hidden_states(batch, fast=True)
            loss = trainer.lm_loss(hidden, offset, batch.lm_labels).double() * n
            total = total.to(loss.device) + loss  # stays on the device until the end
            count += n
    loss = float(total) / max(1, count)
    return {"loss": loss, "perplexity": math.exp(min(loss, 50.0))}
