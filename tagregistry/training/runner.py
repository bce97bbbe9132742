"""``train(store, catalog, recipe)``: load, set up the stage, optimise, evaluate, register.

Only a run that finishes registers anything: a failed or interrupted run leaves the
registry untouched (its checkpoints stay on disk for ``resume=True``). Under
``accelerate launch`` every process runs this function; the main process evaluates and
registers.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.specs import TagRecord
from tagregistry.training.recipe import Recipe, load_recipe

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.store.tag_store import TagStore


@dataclass
class TrainResult:
    """The outcome of a run.

    Attributes:
        records: the registered versions (function tag, or domain tag; enriched domain tags
            too). Empty on non-main processes and with ``register=False``.
        metrics: held-out metrics (``validation_*``, ``test_*``) and the final training loss.
        tensors: the trained tag tensors by name (float32, CPU).
    """

    recipe: Recipe
    records: list[TagRecord] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    tensors: dict[str, Any] = field(default_factory=dict)
    head_tensors: dict[str, Any] = field(default_factory=dict)
    output_dir: Path | None = None
    steps: int = 0
    seconds: float = 0.0
    examples_per_second: float = 0.0
    resumed_from: int | None = None
    data_hash: str = ""
    dtype: str = ""

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly summary (what ``tagregistry train --json`` prints)."""
        return {
            "tag": self.recipe.tag, "stage": self.recipe.stage,
            "registered": [r.ref for r in self.records], "metrics": self.metrics,
            "steps": self.steps, "seconds": round(self.seconds, 3),
            "examples_per_second": round(self.examples_per_second, 2),
            "resumed_from": self.resumed_from, "data_hash": self.data_hash, "dtype": self.dtype,
            "output_dir": str(self.output_dir) if self.output_dir else None,
        }


def default_output_dir(recipe: Recipe) -> Path:
    """``$TAGREGISTRY_HOME/runs/<run name>-<recipe hash>``: one folder per distinct recipe."""
    from tagregistry.cache_folders import folder_setting
    from tagregistry.store.engine import registry_home

    runs = folder_setting(registry_home(), "TAGREGISTRY_HOME") / "runs"
    return runs / f"{recipe.run_name}-{recipe.fingerprint()[:12]}"


def _clear_checkpoints(directory: Path) -> None:
    for path in directory.glob("checkpoint-*"):
        shutil.rmtree(path, ignore_errors=True)
    (directory / "latest.json").unlink(missing_ok=True)


def _make_accelerator(device: str | None) -> Any:
    from accelerate import Accelerator

    cpu = device == "cpu" or os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true")
    return Accelerator(cpu=cpu)


def train(
    store: TagStore,
    catalog: Catalog,
    recipe: Recipe | dict[str, Any] | str | Path,
    *,
    output_dir: str | Path | None = None,
    resume: bool = False,
    base: Any = None,
    device: str | None = None,
    dtype: Any = None,
    progress: bool = True,
    register: bool = True,
    accelerator: Any = None,
    on_step: Any = None,
) -> TrainResult:
    """Run a training recipe and register the result as new tag versions.

    Args:
        store: the tag store that holds frozen tags and receives the result.
        catalog: what the installed plugins contribute (functions, datasets, heads, bases).
        recipe: a :class:`Recipe`, a dict, or a YAML file path.
        output_dir: where checkpoints and ``result.json`` go (default under
            ``$TAGREGISTRY_HOME/runs``).
        resume: continue from the newest checkpoint in ``output_dir`` (if any).
        base: a ``LoadedBase`` or ``(model, tokenizer)`` overriding ``recipe.base``.
        device: where to load the base (default: Accelerate's device).
        dtype: the base's dtype, overriding the recipe's ``dtype`` (default ``auto``: bfloat16
            where the hardware multiplies it natively, else float32); tags stay float32.
        progress: show a progress bar on the main process.
        register: store the result in the registry (``False`` for dry runs and benchmarks).
        accelerator: an ``accelerate.Accelerator`` to use instead of a new one.
        on_step: ``callback(step, loss)`` after every optimiser step.
    """
    from tagregistry.models.loading import LoadedBase, load_base
    from tagregistry.models.precision import (
        HEAD_REASON,
        dtype_name,
        training_attention,
        training_dtype,
        why_dtype,
    )
    from tagregistry.training import stages
    from tagregistry.training.data import data_hash, load_splits
    from tagregistry.training.register import register_run
    from tagregistry.training.seeding import seed_everything

    recipe = load_recipe(recipe)
    accelerator = accelerator or _make_accelerator(device)
    seed_everything(recipe.seed)
    requested = dtype if dtype is not None else recipe.dtype
    has_head = recipe.stage > 1 and stages.function_spec(recipe, catalog).head is not None
    chosen = training_dtype(requested, has_head)
    from tagregistry.models.progress import library_progress

    if isinstance(base, LoadedBase | tuple):
        loaded = load_base(base)
        loaded.model.to(accelerator.device)
        requested = chosen = loaded.dtype  # an already loaded model keeps its dtype
    else:
        where = accelerator.device
        # "cpu:0" is what Accelerate reports under multi-CPU: still the CPU's dtype choice
        with library_progress(progress):
            loaded = load_base(base or recipe.base, catalog=catalog,
                               device="cpu" if where.type == "cpu" else str(where), dtype=chosen)
    if progress and accelerator.is_main_process:
        why = (f"float32 ({HEAD_REASON})" if chosen != requested
               else why_dtype(loaded.dtype, str(loaded.device), requested))
        print(f"train {recipe.tag}: base {loaded.name} in {why}", file=sys.stderr)
    splits = load_splits(recipe.data, recipe.split, recipe.seed, catalog)
    digest = data_hash(splits)
    encoder = stages.make_encoder(loaded.tokenizer, catalog, recipe, loaded.max_length)
    if recipe.stage == 1 and recipe.hyper.align is not None:
        from tagregistry.training.align import setup_aligned

        setup = setup_aligned(recipe, splits, encoder, loaded.model, store, loaded.record)
    elif recipe.stage == 1:
        setup = stages.setup_domain(recipe, splits, encoder, loaded.model)
    else:
        setup = stages.setup_function(recipe, splits, encoder, loaded.model, store, catalog,
                                      loaded.record)
    seed_everything(recipe.seed)
    with training_attention(loaded.model, str(loaded.device)):
        result = run_setup(
            recipe, setup, loaded, accelerator,
            output_dir=Path(output_dir) if output_dir else default_output_dir(recipe),
            resume=resume, progress=progress, on_step=on_step,
        )
    result.data_hash = digest
    result.dtype = dtype_name(loaded.dtype)
    if recipe.stage == 1 and setup.align is None and splits.test and accelerator.is_main_process:
        from tagregistry.training.domain_layouts import stage1_layout_metrics

        result.metrics.update(stage1_layout_metrics(recipe, splits.test, encoder, loaded, catalog,
                                                    result.tensors[recipe.tag].to(loaded.device)))
    if register and accelerator.is_main_process:
        result.records = register_run(store, catalog, recipe, setup, loaded, result, splits)
    if accelerator.is_main_process and result.output_dir is not None:
        _write_json(result.output_dir / "result.json", result.summary())
        _write_json(result.output_dir / "splits.json", splits.origin)  # which rows went where
    accelerator.wait_for_everyone()
    return result


def run_setup(recipe: Recipe, setup: Any, loaded: Any, accelerator: Any, *, output_dir: Path,
              resume: bool, progress: bool, on_step: Any = None) -> TrainResult:
    """Optimise ``setup`` and evaluate it (no registration)."""
    from tagregistry.engine.splice import TagTable
    from tagregistry.models.tokens import pad_token_id
    from tagregistry.training.evaluate import evaluate_head, evaluate_lm
    from tagregistry.training.head_refit import check_refit, refit_head
    from tagregistry.training.loop import run_loop
    from tagregistry.training.trainable import TagTrainer

    check_refit(setup, recipe)
    table = TagTable(setup.tags, trainable=setup.trainable)
    if setup.align is not None:
        trainer = setup.align.trainer(loaded.model, table)
    else:
        trainer = TagTrainer(loaded.model, table, setup.head, setup.task, recipe.hyper.loss_scale,
                             readout=recipe.hyper.head_readout())
    pad_id = pad_token_id(loaded.tokenizer)
    device = accelerator.device
    batch_size = recipe.eval.batch_size
    if setup.align is not None:
        trainer.to(device)
        setup.align.fit_scale(trainer, setup.train, pad_id=pad_id, device=device,
                              batch_size=batch_size)
    _cache_shared_segments(trainer, setup, recipe)
    if setup.head is not None and recipe.hyper.standardize:
        from tagregistry.training.features import fit_feature_norm

        trainer.to(device)
        trainer.feature_norm = fit_feature_norm(trainer, setup.train, pad_id=pad_id, device=device,
                                                batch_size=batch_size)

    def evaluate(split: str) -> dict[str, float]:
        examples = getattr(setup, split)
        limit = recipe.eval.max_examples
        if limit is not None:
            examples = examples[:limit]
        if setup.task == "lm":
            found = evaluate_lm(trainer, examples, batch_size=batch_size, pad_id=pad_id,
                                device=device)
            if setup.align is not None:
                found.update(setup.align.evaluate(trainer, examples, pad_id=pad_id,
                                                  device=device, batch_size=batch_size))
            return found
        truth = setup.truth[split][: len(examples)]
        return evaluate_head(trainer, examples, truth, task=setup.task, metric=setup.metric,
                             scaling=setup.scaling, batch_size=batch_size, pad_id=pad_id,
                             device=device)

    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        if not resume:
            _clear_checkpoints(output_dir)
    accelerator.wait_for_everyone()
    loop = run_loop(
        accelerator, trainer, setup.train, recipe, pad_id=pad_id, output_dir=output_dir,
        resume=resume, evaluate=lambda _t: evaluate("validation") if setup.validation else {},
        progress=progress, on_step=on_step,
    )
    metrics: dict[str, float] = {}
    if loop.history:
        metrics["train_loss"] = float(loop.history[-1]["loss"])
    scored: dict[str, dict[str, float]] = {}
    if setup.head is not None and recipe.hyper.head_refit != "none":
        found, scored = refit_head(trainer, setup, recipe, pad_id=pad_id, device=device,
                                    progress=progress and accelerator.is_main_process)
        metrics.update(found)
    if accelerator.is_main_process:
        trainer.eval()
        for split in ("validation", "test"):
            if getattr(setup, split):
                values = scored.get(split) or evaluate(split)
                metrics.update({f"{split}_{k}": float(v) for k, v in values.items()})
    if trainer.feature_norm is not None:
        from tagregistry.heads.layers import fold_feature_norm

        fold_feature_norm(setup.head, *trainer.feature_norm)
        trainer.feature_norm = None
    return TrainResult(
        recipe=recipe, metrics=metrics, history=loop.history,
        tensors={n: table.vectors[n].detach().float().cpu().clone() for n in setup.trainable},
        head_tensors={k: v.detach().float().cpu().clone() for k, v in setup.head.state_dict().items()}
        if setup.head is not None else {},
        output_dir=output_dir, steps=loop.steps, seconds=loop.seconds,
        examples_per_second=loop.examples_per_second, resumed_from=loop.resumed_from,
    )


def _cache_shared_segments(trainer: Any, setup: Any, recipe: Recipe) -> None:
    """Keep the KV caches of leading segments that examples share (``hyper.segment_cache_mb``)."""
    from tagregistry.training.prefix_cache import SegmentCache, mark_shared_segments

    if recipe.stage == 1 or not recipe.hyper.fast_path or not recipe.hyper.segment_cache_mb:
        return
    marked = sum(mark_shared_segments(getattr(setup, split))
                 for split in ("train", "validation", "test"))
    if marked:
        trainer.segment_cache = SegmentCache(recipe.hyper.segment_cache_mb * 2**20)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)
