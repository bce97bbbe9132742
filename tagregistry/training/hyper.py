"""A recipe's ``hyper`` section: optimisation and stage-1 contexts, beside the head settings
(:class:`~tagregistry.heads.config.HeadConfig`, whose keys sit in the same section)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from tagregistry.errors import InputError
from tagregistry.heads.config import HeadConfig
from tagregistry.training.align_config import AlignConfig


class HyperParameters(HeadConfig):
    """Optimisation settings; defaults follow the paper (AdamW 1e-4, no decay, cosine, 3%).

    The head settings are inherited from :class:`HeadConfig`, so a recipe keeps them under
    ``hyper:`` beside the others and its fingerprint (which leaves defaults out) is unchanged.
    """

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
        if self.align is not None and self.contexts:
            raise ValueError("align trains in the installed functions' templates; remove "
                             "'contexts'")
        self.head_readout()  # validates the layers
        return self

    def head_readout(self) -> Any:
        """The :class:`~tagregistry.engine.readout.Readout` these settings describe."""
        from tagregistry.engine.readout import Readout

        try:
            return Readout.parse(self.readout, self.readout_layers, self.readout_values)
        except InputError as exc:  # -> pydantic's ValueError, reported with the field
            raise ValueError(str(exc)) from exc
