"""A function tag as composed: its spec, the domains in its slots, its head and readout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from tagregistry.engine.readout import Readout
from tagregistry.specs import FunctionSpec, HeadSpec, TagRecord


@dataclass
class FunctionBinding:
    """A function tag as composed: its spec, which domain fills each slot, and its head."""

    name: str
    record: TagRecord
    spec: FunctionSpec
    slot_domains: dict[str, str]
    head: nn.Module | None = None
    head_spec: HeadSpec | None = None
    head_config: dict[str, Any] = field(default_factory=dict)
    readout: Readout = field(default_factory=Readout)
    zero_shot_slots: list[str] = field(default_factory=list)

    @property
    def zero_shot(self) -> bool:
        """True when a slot is filled by a domain this function was never trained with."""
        return bool(self.zero_shot_slots)

    @property
    def slots(self) -> list[str]:
        """The keywords a caller passes (tag-only slots, such as a target language, take none)."""
        return self.spec.value_slots
