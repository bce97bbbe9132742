"""After training: refit a function tag's head on the trained tags' features (``hyper.head_refit``)."""

from __future__ import annotations

from typing import Any

import torch

from tagregistry.training.recipe import Recipe


def check_refit(setup: Any, recipe: Recipe) -> None:
    """Refuse ``hyper.head_refit`` before training where it cannot run."""
    from tagregistry.training.stages import TrainingError

    refit = recipe.hyper.head_refit
    if refit == "none":
        return
    wanted = {"ridge": "regression", "logistic": "classification", "mlp": "regression"}[refit]
    if setup.task != wanted or setup.head is None:
        other = None if recipe.hyper.head_hidden else {"regression": "ridge",
                                                        "classification": "logistic"}.get(setup.task)
        instead = f"head_refit: {other} or none" if other and setup.head is not None else "head_refit: none"
        raise TrainingError(f"hyper.head_refit: {refit} refits {wanted} heads; this recipe trains a "
                            f"{setup.task} {'head' if setup.head is not None else 'objective'} "
                            f"(set {instead})")
    if not setup.validation:
        raise TrainingError(f"hyper.head_refit: {refit} picks its strength on the validation split, "
                            "which is empty; give the data a validation split")


def refit_head(trainer: Any, setup: Any, recipe: Recipe, *, pad_id: int,
                device: Any, progress: bool = False) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """``hyper.head_refit``: the ridge (regression) or logistic (classification) head fitted
    on the trained tags' features.

    Returns the refit's metrics and, when the whole validation split is evaluated, the
    refitted head's validation metrics from the features already computed (no second pass).
    """
    import torch

    from tagregistry.heads.logistic import refit_logistic_head
    from tagregistry.heads.mlp import refit_mlp_head
    from tagregistry.heads.ridge import refit_ridge_head
    from tagregistry.heads.scaling import scale_labels
    from tagregistry.training.evaluate import score_outputs
    from tagregistry.training.features import collect_features

    train = setup.train[: recipe.hyper.refit_examples]
    trainer.eval()

    def features(examples: list[Any]) -> torch.Tensor:
        return collect_features(trainer, examples, pad_id=pad_id, device=device,
                                batch_size=recipe.eval.batch_size, normalise=True)

    validation = features(setup.validation)
    groups = None
    if recipe.hyper.refit_balance is not None:
        groups = ([e.group for e in train], [e.group for e in setup.validation])
    if recipe.hyper.head_refit == "logistic":
        found = refit_logistic_head(
            trainer.head, (features(train), torch.tensor([e.target for e in train])),
            (validation, torch.tensor([int(t) for t in setup.truth["validation"]])), groups=groups)
    else:
        targets = torch.tensor([e.target for e in train], dtype=torch.float64)
        truth = torch.tensor(setup.truth["validation"], dtype=torch.float64)
        pairs = ((features(train), targets), (validation, scale_labels(truth, setup.scaling)))
        if recipe.hyper.head_refit == "mlp":
            found = refit_mlp_head(trainer.head, *pairs, groups=groups, members=recipe.hyper.refit_members,
                                   epochs=recipe.hyper.refit_epochs, seed=recipe.seed, progress=progress)
        else:
            found = refit_ridge_head(trainer.head, *pairs, groups=groups)
    scored: dict[str, dict[str, float]] = {}
    limit = recipe.eval.max_examples
    if limit is None or limit >= len(setup.validation):
        weight = trainer.head.linear.weight
        with torch.no_grad():
            outputs = trainer.head(validation.to(weight.device, weight.dtype)).float().cpu()
        scored["validation"] = score_outputs(list(outputs), setup.truth["validation"], task=setup.task,
                                             metric=setup.metric, scaling=setup.scaling)
    # the refits score validation in the standardised units the head is fitted in: say so
    return {f"train_{k}{'_standardised' if k.endswith('validation_mse') else ''}": v
            for k, v in found.items()}, scored
