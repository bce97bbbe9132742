"""A function tag's head settings: what it reads, its size, and how it is refitted after training.

Recipes keep these keys under ``hyper:`` (``HyperParameters`` extends :class:`HeadConfig`), so
recipe files, their fingerprints and the recipes stored with trained tags are unchanged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: the hidden-state index of the model's final output (``Readout``'s ``FINAL``)
FINAL_LAYER = -1


class HeadConfig(BaseModel):
    """The head fields of a recipe's ``hyper`` section."""

    model_config = ConfigDict(extra="forbid")

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

    @model_validator(mode="after")
    def _head(self) -> HeadConfig:
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
        if self.readout_layers is not None and not self.readout_layers:
            raise ValueError("readout_layers needs at least one layer (or leave it out)")
        return self

    @property
    def standardize(self) -> bool:
        """Whether head inputs are standardised during training (default: when the readout
        reads a layer other than the final output)."""
        if self.standardize_features is not None:
            return self.standardize_features
        return any(layer != FINAL_LAYER for layer in self.readout_layers or [FINAL_LAYER])
