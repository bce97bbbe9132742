"""Run a base model on spliced embeddings; read hidden states at the readout positions.

Works with any ``transformers`` causal LM: the model is called with ``inputs_embeds``,
``attention_mask`` and explicit ``position_ids`` (correct under left padding), never patched.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
from torch import nn


@dataclass
class ForwardOutput:
    """``hidden``: last hidden states ``(B, L, H)``; ``logits`` when asked; ``cache`` if used;
    ``states``: every layer's hidden states (HF ``hidden_states``) when asked."""

    hidden: torch.Tensor | None
    logits: torch.Tensor | None = None
    cache: Any = None
    states: tuple[torch.Tensor, ...] | None = None


@lru_cache(maxsize=64)
def _cache_name(forward: Any) -> str:
    params = inspect.signature(forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def cache_argument(model: nn.Module) -> str:
    """The keyword this model's ``forward`` takes its KV cache by (``cache``/``past_key_values``)."""
    return _cache_name(type(model).forward)


def _returned_cache(output: Any, use_cache: bool) -> Any:
    if not use_cache:
        return None
    keys = output.keys()
    for attr in ("cache", "past_key_values"):
        if attr in keys:
            return output[attr]
    return None


def run_base(
    model: nn.Module,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor,
    position_ids: torch.Tensor,
    *,
    cache: Any = None,
    use_cache: bool = False,
    logits: bool = False,
    hidden: bool = True,
    logits_to_keep: int = 0,
    all_layers: bool = False,
) -> ForwardOutput:
    """One forward pass.

    Args:
        model: the causal LM.
        inputs_embeds: ``(B, L, H)`` (from :func:`splice_embeddings`).
        attention_mask: ``(B, past + L)`` 1 for real tokens (covers cached positions too).
        position_ids: ``(B, L)``.
        cache: a KV cache from an earlier call (continues it).
        use_cache: return a KV cache.
        logits: compute LM logits (via the model's own head, so scaling/soft-capping apply).
        hidden: return the last hidden states.
        logits_to_keep: with ``logits``, only the last ``n`` positions (0 = all).
        all_layers: also return every layer's hidden states (for intermediate readouts).
    """
    kwargs: dict[str, Any] = {
        "inputs_embeds": inputs_embeds, "attention_mask": attention_mask,
        "position_ids": position_ids, "use_cache": use_cache,
    }
    if cache is not None:
        kwargs[cache_argument(model)] = cache
    if not logits:
        body = model.base_model
        if cache is not None and cache_argument(body) != cache_argument(model):
            kwargs[cache_argument(body)] = kwargs.pop(cache_argument(model))
        if all_layers:
            kwargs["output_hidden_states"] = True
        out = body(**kwargs)
        return ForwardOutput(hidden=out.last_hidden_state, cache=_returned_cache(out, use_cache),
                             states=out.hidden_states if all_layers else None)
    out = model(**kwargs, output_hidden_states=hidden or all_layers, logits_to_keep=logits_to_keep)
    states = out.hidden_states[-1] if hidden else None
    return ForwardOutput(hidden=states, logits=out.logits, cache=_returned_cache(out, use_cache),
                         states=out.hidden_states if all_layers else None)


def join_outputs(prefix: ForwardOutput, suffix: ForwardOutput) -> ForwardOutput:
    """One output for whole sequences from a prefix pass and the suffix pass on its cache
    (a one-row prefix is repeated for every suffix row); ``states`` only when both have them."""
    def join(head: torch.Tensor, tail: torch.Tensor) -> torch.Tensor:
        return torch.cat([head.expand(tail.shape[0], -1, -1), tail], dim=1)

    states = None
    if prefix.states is not None and suffix.states is not None:
        states = tuple(join(a, b) for a, b in zip(prefix.states, suffix.states, strict=True))
    return ForwardOutput(hidden=join(prefix.hidden, suffix.hidden), cache=suffix.cache, states=states)


def readout(hidden: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``hidden[b, index[b]]`` for each row: ``(B, H)``."""
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    return hidden[rows, index.to(hidden.device)]
