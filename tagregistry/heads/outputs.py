"""Build head modules from catalog head types, and turn head outputs into user values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from tagregistry.errors import InputError, IntegrityError, PluginError
from tagregistry.heads.scaling import unscale
from tagregistry.specs import HeadSpec

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog

OUTPUTS = ("value", "probabilities", "logits")


def build_head(
    catalog: Catalog, spec: HeadSpec, hidden_size: int, tensors: Mapping[str, torch.Tensor] | None = None
) -> nn.Module:
    """``factory(hidden_size, spec)`` of the head type ``spec.type``, loaded with ``tensors``."""
    from tagregistry.plugins.manager import load_object

    head_type = catalog.get("heads", spec.type)
    factory = load_object(head_type.factory)
    try:
        head = factory(hidden_size, spec)
    except Exception as exc:  # noqa: BLE001 - plugin code: say which head failed
        raise PluginError(f"head type {spec.type!r} ({head_type.factory}) failed to build: {exc}") from exc
    if tensors is not None:
        try:
            head.load_state_dict(dict(tensors))
        except RuntimeError as exc:
            raise IntegrityError(
                f"stored {spec.type} head tensors do not fit the head module: {exc}"
            ) from exc
    head.eval()
    head.requires_grad_(False)
    return head


def head_values(
    spec: HeadSpec, raw: torch.Tensor, config: Mapping[str, Any] | None, output: str, scalar: bool
) -> list[Any]:
    """Convert ``(B, dim)`` head outputs into one Python value per row.

    Args:
        spec: the head's spec (type, labels).
        raw: head outputs (regression: standardised units; classification: logits).
        config: the head record's config (``label_mean``/``label_std`` for regression).
        output: ``"value"`` (un-scaled numbers or class labels), ``"probabilities"``
            (classification: ``{label: p}``) or ``"logits"`` (the raw outputs).
        scalar: regression rows become floats instead of lists.
    """
    if output not in OUTPUTS:
        raise InputError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    raw = raw.float()
    if output == "logits":
        return raw.cpu().tolist()
    if spec.type == "classification":
        labels: list[Any] = list(spec.labels) if spec.labels else list(range(raw.shape[-1]))
        if output == "probabilities":
            probs = raw.softmax(-1).cpu().tolist()
            return [dict(zip(labels, row, strict=True)) for row in probs]
        return [labels[i] for i in raw.argmax(-1).cpu().tolist()]
    if output == "probabilities":
        raise InputError(f"probabilities exist for classification heads, not {spec.type!r} heads")
    values = unscale(raw, dict(config or {})).cpu().tolist()
    return [row[0] for row in values] if scalar and raw.shape[-1] == 1 else values
