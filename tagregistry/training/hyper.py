"""A recipe's ``hyper`` section: optimisation, stage-1 contexts and head settings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tagregistry.errors import InputError
from tagregistry.training.align_config import AlignConfig


class HyperParameters(BaseModel):
    """Optimisation settings; defaults follow the paper (AdamW 1e-4, no decay, cosine, 3%)."""

    model_config = ConfigDict(extra="forbid")

    n_vectors: int = Field(10, ge=1, le=512, description="tag length p")
    lr: float = Field(1e-4, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = Field(1e-8, gt=0)
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    batch_size: int = Field(4, ge=1, description="examples per micro-batch, over all processes")
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimiser step")
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimiser steps")
    max_grad_norm: float | None = Field(1.0, gt=0)
    init: Literal["mean", "phrase", "random"] = "mean"
    init_phrase: str | None = None
    loss_scale: float = Field(1.0, gt=0, description="multiplies the task loss (the paper: 100)")
    scale_labels: bool = Field(True, description="standardise regression labels on train")
    max_length: int = Field(512, ge=8, description="truncate domain strings beyond this")
    bucket_size: int = Field(64, ge=1, description="batches drawn from pools of similar length")
    fast_path: bool = Field(True, description="no-grad prefix + KV cache when domain tags are frozen")
    segment_cache_mb: int = Field(
        4096, ge=0, description="memory (MiB) for the KV caches of leading segments that several "
        "examples share (one protein, many ligands), kept across steps; 0 turns it off"
    )
    readout: Literal["last", "mean"] = Field(
        "last", description="head input: the function tag's last position or the mean of its p"
    )
    readout_layers: list[int] | None = Field(
        None, description="hidden-state layers the head reads, concatenated (0 = embeddings, "
        "k = after layer k, -1 = final output; default [-1])"
    )
    readout_values: bool = Field(
        False, description="the head also reads the mean over the slot values' tokens (the "
        "molecule's own tokens) at the readout layers, beside the function tag"
    )
    head_hidden: int | None = Field(
        None, ge=1, description="units of a hidden GELU layer in the head (default: a linear "
        "head); refit it with head_refit: mlp"
    )
    standardize_features: bool | None = Field(
        None, description="standardise head inputs during training (default: on when the "
        "readout reads intermediate layers); folded into the stored head"
    )
    head_refit: Literal["none", "ridge", "logistic", "mlp"] = Field(
        "none", description="after training, replace the head by a fit on the trained tags' "
        "features: ridge (regression) or L2 logistic regression (classification), strength "
        "chosen on validation; or mlp (regression heads with head_hidden): AdamW from scratch, "
        "early-stopped on validation, refit_members heads averaged"
    )
    refit_members: int = Field(
        1, ge=1, description="head_refit: mlp trains this many heads of head_hidden / members "
        "units (different seeds) and stores their average, itself one head of head_hidden units"
    )
    refit_epochs: int = Field(100, ge=1, description="head_refit: mlp, most passes over the data")
    refit_examples: int = Field(4096, ge=2, description="training examples the refit reads")
    refit_balance: str | None = Field(
        None, description="record field naming each example's group (e.g. its source data set): "
        "the head refit gives every group the same total weight and picks its strength on the "
        "mean of the groups' validation losses, so a large group does not drown a small one"
    )
    contexts: list[str] = Field(
        default_factory=list, description="stage 1: templates the domain tag is trained in, each "
        "with one {Domain:slot} placeholder and the text a prompt puts before it, e.g. 'The SMILES "
        "of the molecule is {SMILES:smiles}'; 'functions' adds the text before this domain's slot "
        "in every installed function's template; examples take them in turn. Default: the bare "
        "span (the paper)"
    )
    align: AlignConfig | None = Field(
        None, description="stage 1: also match the base's states with a frozen domain tag on "
        "paired renderings of the same items (tagregistry.training.align)"
    )
    enrich: bool = Field(False, description="stage 2: keep training domain tags (stage-1 loss)")
    enrich_weight: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _phrase(self) -> HyperParameters:
        if self.init == "phrase" and not self.init_phrase:
            raise ValueError("init: phrase needs init_phrase (the text whose embeddings start the tag)")
        if self.refit_balance is not None and self.head_refit == "none":
            raise ValueError("refit_balance weights the head refit; set head_refit: ridge or "
                             "logistic, or leave refit_balance out")
        if self.head_hidden is not None and self.head_refit in ("ridge", "logistic"):
            raise ValueError(f"head_refit: {self.head_refit} fits a linear head; a head with "
                             "head_hidden needs head_refit: mlp or none")
        if self.head_refit == "mlp" and self.head_hidden is None:
            raise ValueError("head_refit: mlp fits a head with a hidden layer; set head_hidden "
                             "(e.g. 768) or use head_refit: ridge")
        if self.head_hidden is not None and self.head_hidden % self.refit_members:
            raise ValueError(f"head_hidden ({self.head_hidden}) must split evenly into "
                             f"refit_members ({self.refit_members}) heads")
        if self.align is not None and self.contexts:
            raise ValueError("align trains in the installed functions' templates; remove "
                             "'contexts'")
        if self.readout_layers is not None and not self.readout_layers:
            raise ValueError("readout_layers needs at least one layer (or leave it out)")
        self.head_readout()  # validates the layers
        return self

    def head_readout(self) -> Any:
        """The :class:`~tagregistry.engine.readout.Readout` these settings describe."""
        from tagregistry.engine.readout import Readout

        try:
            return Readout.parse(self.readout, self.readout_layers, self.readout_values)
        except InputError as exc:  # -> pydantic's ValueError, reported with the field
            raise ValueError(str(exc)) from exc

    @property
    def standardize(self) -> bool:
        """Whether head inputs are standardised during training."""
        if self.standardize_features is not None:
            return self.standardize_features
        return self.head_readout().intermediate
