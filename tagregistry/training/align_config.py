"""``hyper.align``: train a domain tag to read like another, frozen one (stage 1).

A SELFIES string and a SMILES string of the same molecule should mean the same thing to a
function tag trained only with ``<SMILES>``. Next-token loss on each string does not put
them in one space; this objective does: on paired renderings of the same item, the frozen
base's hidden states after the span (the function template's text and the function-tag
positions) with the new tag are matched to those with the frozen tag
(:mod:`tagregistry.training.align`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AlignConfig(BaseModel):
    """What the new domain tag is aligned to, where and how much."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="the frozen domain tag to match, e.g. 'SMILES@2' (newest if "
                    "no version)")
    field: str | None = Field(
        None, description="record field holding the same item written for that domain "
        "(default: its name in lower case, e.g. 'smiles')"
    )
    layers: list[int] | None = Field(
        None, description="hidden-state layers compared (0 = embeddings, k = after layer k, "
        "-1 = final output); default every layer"
    )
    values: bool = Field(
        False, description="also match the mean over the span's own tokens (what a head with "
        "readout_values reads)"
    )
    weight: float = Field(1.0, gt=0, description="weight of the alignment loss")
    lm_weight: float = Field(
        1.0, ge=0, description="weight of the usual next-token loss on the span (0: alignment only)"
    )
    scale_examples: int = Field(
        256, ge=2, description="training pairs whose frozen-tag states set the per-feature "
        "scale of the loss (states are compared in standard deviations)"
    )

    @model_validator(mode="after")
    def _layers(self) -> AlignConfig:
        if self.layers is not None and not self.layers:
            raise ValueError("align.layers needs at least one layer (or leave it out)")
        if self.layers is not None and any(k < -1 for k in self.layers):
            raise ValueError(f"align.layers: {self.layers} has a layer below -1")
        return self
