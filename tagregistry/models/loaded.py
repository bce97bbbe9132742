"""A frozen base LLM as the library holds it: :class:`LoadedBase` (model, tokenizer, record).

Also the helpers every loader shares: the device to run on, freezing, the context length
and the hidden size of a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tagregistry.errors import InputError
from tagregistry.specs import BaseModelRecord

if TYPE_CHECKING:
    import torch


def resolve_device(device: Any) -> str:
    """``None`` -> ``"cuda"`` when available, else ``"cpu"``; a name torch does not know, or
    a device this machine lacks, is an ``InputError``."""
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"unknown device {device!r}; use cpu, cuda, cuda:N or mps") from exc
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} asked for, but CUDA is not available on this machine; "
                         "use cpu")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"device {device!r} asked for, but MPS is not available; use cpu")
    return str(device)


def freeze(model: Any) -> Any:
    """Eval mode and ``requires_grad=False`` on every parameter; returns ``model``."""
    model.eval()
    model.requires_grad_(False)
    return model


def context_length(model: Any, tokenizer: Any = None) -> int | None:
    """The longest input the model accepts (positions), or ``None`` when unknown."""
    config = model.config
    for attr in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, attr, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < 10**7 else None


@dataclass
class LoadedBase:
    """A frozen base LLM with its tokenizer and its record in the store.

    Attributes:
        name: what the user asked for (a named base, a Hub id or a path).
        model: a ``transformers`` causal LM in eval mode with ``requires_grad=False``.
        tokenizer: its tokenizer.
        record: model id, revision, hidden size and fingerprint (sha256 of the embeddings).
    """

    name: str
    model: Any
    tokenizer: Any
    record: BaseModelRecord

    @classmethod
    def from_model(
        cls,
        model: Any,
        tokenizer: Any,
        *,
        model_id: str | None = None,
        revision: str = "main",
        name: str | None = None,
        fingerprint: str | None = None,
    ) -> LoadedBase:
        """Wrap an already-built ``(model, tokenizer)`` (tests, custom code); freezes it."""
        from tagregistry.models.fingerprint import embedding_fingerprint

        model_id = model_id or getattr(model.config, "_name_or_path", "") or type(model).__name__
        freeze(model)
        record = BaseModelRecord(
            model_id=model_id, revision=revision, hidden_size=hidden_size_of(model),
            fingerprint=fingerprint or embedding_fingerprint(model),
        )
        return cls(name=name or model_id, model=model, tokenizer=tokenizer, record=record)

    @property
    def hidden_size(self) -> int:
        return self.record.hidden_size

    @property
    def device(self) -> torch.device:
        return self.model.get_input_embeddings().weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.get_input_embeddings().weight.dtype

    @property
    def max_length(self) -> int | None:
        """The model's context length (``None`` when the config does not say)."""
        return context_length(self.model, self.tokenizer)


def hidden_size_of(model: Any) -> int:
    """The width of the input embeddings."""
    return int(model.get_input_embeddings().weight.shape[1])
