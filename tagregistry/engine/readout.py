"""What a function tag's head reads: which positions of the function tag, from which layers.

The paper's head reads the final layer at the function tag's last position (``last`` of
layer ``-1``). A :class:`Readout` can instead average the function tag's p positions
(``mean``) and concatenate several layers; on small bases the middle layers carry more of
what a property needs than the last one (``docs/results.md``). With ``values`` the head also
reads the mean over the prompt's slot-value tokens (the molecule's own tokens, as a probe on the
frozen base would) at the same layers. The readout a head was trained with is stored in its
record's config (``"readout"``), so composition reads the same features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from tagregistry.errors import InputError

POOLS = ("last", "mean")
FINAL = -1  #: the model's final output (after its last norm): what ``last_hidden_state`` holds


@dataclass(frozen=True)
class Readout:
    """``pool`` over the function tag's positions, of the hidden states of ``layers``.

    Layers are numbered like Hugging Face's ``hidden_states``: ``0`` is the embedding
    output, ``k`` the output of decoder layer ``k``; ``-1`` is the final normalised output.
    With ``values`` the mean over the slot-value tokens of the same layers follows.
    """

    pool: str = "last"
    layers: tuple[int, ...] = (FINAL,)
    values: bool = False

    def __post_init__(self) -> None:
        if self.pool not in POOLS:
            raise InputError(f"readout pool must be one of {', '.join(POOLS)}, got {self.pool!r}")
        if not self.layers:
            raise InputError("a readout needs at least one layer")
        for layer in self.layers:
            if isinstance(layer, bool) or not isinstance(layer, int) or layer < FINAL:
                raise InputError(
                    f"readout layers are hidden-state indices (0 = embeddings, k = after layer k, "
                    f"-1 = final output); got {layer!r}"
                )
        if len(set(self.layers)) != len(self.layers):
            raise InputError(f"readout layers repeat a layer: {list(self.layers)}")
        if not isinstance(self.values, bool):
            raise InputError(f"readout values must be true or false, got {self.values!r}")

    @property
    def is_default(self) -> bool:
        """The paper's readout (stored heads without a readout config use it)."""
        return self.pool == "last" and self.layers == (FINAL,) and not self.values

    @property
    def intermediate(self) -> bool:
        """Whether any layer other than the final output is read."""
        return any(layer != FINAL for layer in self.layers)

    def width(self, hidden_size: int) -> int:
        """Width of the feature vector the head takes."""
        return hidden_size * len(self.layers) * (2 if self.values else 1)

    def check(self, n_layers: int) -> Readout:
        """``self`` if every layer exists in a model with ``n_layers`` decoder layers."""
        bad = [k for k in self.layers if k > n_layers]
        if bad:
            raise InputError(f"readout layer(s) {bad} do not exist: the base has {n_layers} layers")
        return self

    def to_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"pool": self.pool, "layers": list(self.layers)}
        if self.values:  # only then: heads stored before the option keep identical configs
            config["values"] = True
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Readout:
        """The readout in a head record's config (the paper's default when absent)."""
        raw = (config or {}).get("readout")
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise InputError(f"head config 'readout' must be a mapping, got {type(raw).__name__}")
        return cls(pool=str(raw.get("pool", "last")), layers=tuple(raw.get("layers", (FINAL,))),
                   values=raw.get("values", False))

    @classmethod
    def parse(cls, pool: str = "last", layers: Sequence[int] | None = None,
              values: bool = False) -> Readout:
        return cls(pool=pool, layers=tuple(layers) if layers else (FINAL,), values=values)

    def select(self, final: torch.Tensor, all_states: Sequence[torch.Tensor] | None) -> list[torch.Tensor]:
        """The ``(B, L, H)`` states of each read layer (``all_states``: HF ``hidden_states``)."""
        if self.intermediate and all_states is None:
            raise ValueError("this readout reads intermediate layers: run the model with them")
        return [final if k == FINAL else all_states[k] for k in self.layers]

    def read(self, output: Any, start: torch.Tensor, end: torch.Tensor,
             value_mask: torch.Tensor | None = None) -> torch.Tensor:
        """:meth:`features` of a forward output (``hidden`` and, when needed, ``states``)."""
        return self.features(self.select(output.hidden, output.states), start, end, value_mask)

    def features(self, states: Sequence[torch.Tensor], start: torch.Tensor, end: torch.Tensor,
                 value_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, width)`` float32 features from per-layer states ``(B, L, H)``.

        ``start``/``end`` (``(B,)``, indices into the states' second axis) are the function
        tag's first and last positions; ``last`` reads ``end`` alone. ``value_mask`` (``(B, L)``,
        True on slot-value tokens, aligned with the states) is needed when :attr:`values` is set.
        """
        device = states[0].device
        rows = torch.arange(states[0].shape[0], device=device)
        end = end.to(device)
        if self.pool == "last":
            parts = [s[rows, end] for s in states]
        else:
            start = start.to(device)
            cols = torch.arange(states[0].shape[1], device=device)
            window = (cols[None, :] >= start[:, None]) & (cols[None, :] <= end[:, None])
            parts = [masked_mean(s, window) for s in states]
        if self.values:
            if value_mask is None or value_mask.shape != states[0].shape[:2]:
                raise ValueError("this readout reads the slot values: pass a value mask shaped like "
                                 "the states (run the whole prompt, not a suffix)")
            parts += [masked_mean(s, value_mask.to(device)) for s in states]
        return torch.cat([part.float() for part in parts], dim=-1)


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``(B, H)`` float32 mean of ``states`` ``(B, L, H)`` over the positions where ``mask``
    ``(B, L)`` is true (zeros for a row without any); summed in float32 (bf16 bases)."""
    weights = mask.to(torch.float32)
    return (states.float() * weights[:, :, None]).sum(1) / weights.sum(1, keepdim=True).clamp(min=1)
