"""The optimisation loop: Accelerate (one process or many), accumulation, checkpoints, progress.

The batch plan is a pure function of the seed and the epoch, and the learning rate a pure
function of the step, so a run resumed from a checkpoint replays exactly what an
uninterrupted run would have done. Under ``accelerate launch`` every process takes its
share of each global batch and DDP averages the gradients, which equals a one-process run
on the same global batch.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagregistry.models.threads import revisit_cpu_threads
from tagregistry.training.batch_plans import epoch_batches, shard
from tagregistry.training.checkpoint import (
    TrainState,
    capture_rng,
    latest_checkpoint,
    load_checkpoint,
    restore_rng,
    save_checkpoint,
)
from tagregistry.training.examples import Example, collate_examples
from tagregistry.training.recipe import Recipe
from tagregistry.training.schedule import make_optimizer, set_lr
from tagregistry.training.trainable import TagTrainer

#: Steps between reads of the loss (progress bar) when nothing else needs it sooner.
LOG_EVERY = 25


@dataclass
class LoopResult:
    """What the loop produced: the final step count, loss history and timings."""

    steps: int
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    examples_per_second: float = 0.0
    resumed_from: int | None = None


class BatchPlan:
    """Global micro-batches by index, with this process's share."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, bucket_size: int):
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.bucket_size = bucket_size
        self._epochs: dict[int, list[list[int]]] = {}
        self.per_epoch = len(self.epoch(0))

    def epoch(self, number: int) -> list[list[int]]:
        if number not in self._epochs:
            self._epochs = {number: epoch_batches(
                self.lengths, self.batch_size, self.seed, number, self.bucket_size
            )}
        return self._epochs[number]

    def micro_batch(self, index: int) -> list[int]:
        return self.epoch(index // self.per_epoch)[index % self.per_epoch]


def total_steps(recipe: Recipe, per_epoch: int) -> int:
    """Optimiser steps: ``max_steps`` or ``epochs`` worth of micro-batches / accumulation."""
    hyper = recipe.hyper
    if hyper.max_steps is not None:
        return hyper.max_steps
    return max(1, math.ceil(hyper.epochs * per_epoch / hyper.grad_accum))


def run_loop(
    accelerator: Any,
    trainer: TagTrainer,
    examples: Sequence[Example],
    recipe: Recipe,
    *,
    pad_id: int,
    output_dir: Path,
    resume: bool = False,
    evaluate: Callable[[TagTrainer], dict[str, float]] | None = None,
    progress: bool = True,
    on_step: Callable[[int, float], None] | None = None,
) -> LoopResult:
    """Train ``trainer`` in place on ``examples``; returns the history."""
    import torch

    hyper = recipe.hyper
    world, rank = accelerator.num_processes, accelerator.process_index
    plan = BatchPlan([e.length for e in examples], hyper.batch_size, recipe.seed, hyper.bucket_size)
    steps = total_steps(recipe, plan.per_epoch)
    shard(list(range(hyper.batch_size)), rank, world)  # fail early on an uneven split

    state = None
    if resume:
        found = latest_checkpoint(output_dir)
        if found is not None:
            state = load_checkpoint(found, recipe.fingerprint())
    params = trainer.trainable_parameters()
    if state is not None:
        with torch.no_grad():
            for name, param in params.items():
                param.copy_(state.params[name].to(param.device, param.dtype))
        restore_rng(state.rng)
    optimizer = make_optimizer(params.values(), hyper)
    if state is not None:
        optimizer.load_state_dict(state.optimizer)
    layout = trainer.table.layout()
    model, optimizer = accelerator.prepare(trainer, optimizer)
    start = state.step if state is not None else 0
    history = list(state.history) if state is not None else []

    bar = None
    if progress and accelerator.is_main_process:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=start, desc=f"train {recipe.tag}", unit="step",
                   dynamic_ncols=True)
    began = time.perf_counter()
    seen = 0
    losses = _PendingLosses(history)
    model.train()
    for step in range(start, steps):
        lr = set_lr(optimizer, step, steps, hyper)
        running = None
        for micro in range(hyper.grad_accum):
            index = step * hyper.grad_accum + micro
            local = shard(plan.micro_batch(index), rank, world)
            batch = collate_examples([examples[i] for i in local], layout, pad_id, hyper.enrich_weight)
            batch = batch.to(accelerator.device)
            sync = micro == hyper.grad_accum - 1
            context = accelerator.no_sync(model) if not sync and world > 1 else _null()
            with context:
                loss = model(batch, fast=hyper.fast_path) / hyper.grad_accum
                accelerator.backward(loss)
            running = loss.detach() if running is None else running + loss.detach()
            seen += len(local) * world
        if hyper.max_grad_norm is not None:
            accelerator.clip_grad_norm_(list(params.values()), hyper.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        done = step + 1
        # the loss stays on the device until it is read: no host sync per step
        losses.add({"step": done, "lr": lr},
                   accelerator.reduce(running.float().reshape(()), reduction="mean"))
        evaluating = (evaluate is not None and recipe.eval.every and done % recipe.eval.every == 0
                      and done < steps)
        every = recipe.checkpoint.every
        saving = every and done % every == 0 and done < steps
        if on_step is not None or evaluating or saving or done == steps or done % LOG_EVERY == 0:
            losses.flush()
        if done % LOG_EVERY == 0:
            revisit_cpu_threads()
        if evaluating:
            found = {f"validation_{k}": v for k, v in _evaluate(accelerator, trainer, evaluate).items()}
            history[-1].update(found)
            if bar is not None and found:  # the progress log (label units, as the final metrics)
                bar.write(f"step {done}/{steps}: " + ", ".join(f"{k}={v:.4g}" for k, v in found.items()),
                          file=sys.stderr)
        if bar is not None:
            if losses.pending == 0:
                rate = seen / max(1e-9, time.perf_counter() - began)
                bar.set_postfix(loss=f"{history[-1]['loss']:.4g}", ex_s=f"{rate:.1f}", refresh=False)
            bar.update(1)
        if on_step is not None:
            on_step(done, history[-1]["loss"])
        if saving:
            _checkpoint(accelerator, trainer, optimizer, recipe, output_dir, done, history)
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - began
    model.eval()
    return LoopResult(
        steps=steps, history=history, seconds=elapsed,
        examples_per_second=seen / elapsed if elapsed > 0 else 0.0,
        resumed_from=start if state is not None else None,
    )


def _evaluate(accelerator: Any, trainer: TagTrainer,
              evaluate: Callable[[TagTrainer], dict[str, float]]) -> dict[str, float]:
    result: dict[str, float] = {}
    if accelerator.is_main_process:
        trainer.eval()
        result = evaluate(trainer)
        trainer.train()
    accelerator.wait_for_everyone()
    return result


def _checkpoint(accelerator: Any, trainer: TagTrainer, optimizer: Any, recipe: Recipe,
                output_dir: Path, step: int, history: list[dict[str, float]]) -> None:
    if accelerator.is_main_process:
        params = {k: v.detach().cpu().clone() for k, v in trainer.trainable_parameters().items()}
        save_checkpoint(output_dir, TrainState(
            step=step, params=params, optimizer=optimizer.state_dict(),
            recipe_fingerprint=recipe.fingerprint(), history=history, rng=capture_rng(),
        ), keep=recipe.checkpoint.keep)
    accelerator.wait_for_everyone()


class _PendingLosses:
    """Step entries whose loss is still a device tensor; :meth:`flush` reads them all at once
    (one device sync) and appends them to ``history`` in step order."""

    def __init__(self, history: list[dict[str, float]]) -> None:
        self.history = history
        self._entries: list[dict[str, float]] = []
        self._losses: list[Any] = []

    @property
    def pending(self) -> int:
        return len(self._entries)

    def add(self, entry: dict[str, float], loss: Any) -> None:
        self._entries.append(entry)
        self._losses.append(loss)

    def flush(self) -> None:
        if not self._entries:
            return
        import torch

        values = torch.stack(self._losses).tolist()
        for entry, value in zip(self._entries, values, strict=True):
            self.history.append({"step": entry["step"], "loss": value, "lr": entry["lr"]})
        self._entries, self._losses = [], []


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
