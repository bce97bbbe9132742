"""Tag vectors as parameters, and writing them into ``inputs_embeds``.

:class:`TagTable` holds each tag's ``(p, hidden)`` vectors; :func:`splice_embeddings`
embeds the token ids with the model's own input embeddings and replaces the reserved
positions with tag rows (``torch.where``: differentiable w.r.t. the tag parameters).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import nn

from tagregistry.errors import InputError
from tagregistry.names import validate_name


class TagTable(nn.Module):
    """Named tag vectors; one ``nn.Parameter`` of shape ``(p, hidden)`` per tag.

    Rows of all tags, concatenated in insertion order, form :meth:`matrix`; a batch refers
    to them through :meth:`layout` offsets (``tag_rows`` in :class:`PromptBatch`).
    """

    def __init__(
        self, tags: Mapping[str, torch.Tensor] | None = None, trainable: bool | Iterable[str] = False
    ) -> None:
        super().__init__()
        self.vectors = nn.ParameterDict()
        chosen = set(trainable) if not isinstance(trainable, bool) else None
        for name, tensor in (tags or {}).items():
            self.add(name, tensor, trainable=trainable if chosen is None else name in chosen)

    def add(self, name: str, tensor: torch.Tensor, trainable: bool = False) -> nn.Parameter:
        """Add (or replace) ``name``; returns its parameter."""
        validate_name(name)
        if tensor.dim() != 2 or tensor.shape[0] < 1:
            raise InputError(f"tag {name!r} must be (p, hidden), got shape {tuple(tensor.shape)}")
        if len(self.vectors) and tensor.shape[1] != self.hidden_size:
            raise InputError(
                f"tag {name!r} has width {tensor.shape[1]}, the table holds {self.hidden_size}"
            )
        param = nn.Parameter(tensor.detach().clone(), requires_grad=trainable)
        self.vectors[name] = param
        return param

    def __contains__(self, name: object) -> bool:
        return name in self.vectors

    @property
    def names(self) -> list[str]:
        return list(self.vectors.keys())

    @property
    def hidden_size(self) -> int:
        return next(iter(self.vectors.values())).shape[1]

    def lengths(self) -> dict[str, int]:
        """``{name: p}``."""
        return {name: int(p.shape[0]) for name, p in self.vectors.items()}

    def layout(self) -> dict[str, tuple[int, int]]:
        """``{name: (first row in matrix(), p)}``."""
        out: dict[str, tuple[int, int]] = {}
        offset = 0
        for name, param in self.vectors.items():
            out[name] = (offset, int(param.shape[0]))
            offset += int(param.shape[0])
        return out

    def matrix(self) -> torch.Tensor:
        """All tag rows, ``(sum p, hidden)``, in :meth:`layout` order."""
        return torch.cat(list(self.vectors.values()), dim=0)

    def tensor(self, name: str) -> torch.Tensor:
        """The parameter of ``name``."""
        return self.vectors[name]


def splice_embeddings(
    model: nn.Module, input_ids: torch.Tensor, tag_rows: torch.Tensor, table: TagTable | None
) -> torch.Tensor:
    """``inputs_embeds`` for ``input_ids`` with tag rows written where ``tag_rows >= 0``.

    Args:
        model: the base causal LM (its ``get_input_embeddings()`` embeds ordinary tokens,
            including any scaling the model applies there, e.g. Gemma).
        input_ids: ``(batch, length)``.
        tag_rows: ``(batch, length)`` row of ``table.matrix()`` per position, ``-1`` for none.
        table: the tags; ``None`` or no tag positions returns plain embeddings.
    """
    embeds = model.get_input_embeddings()(input_ids)
    if table is None or len(table.vectors) == 0:
        return embeds
    # no host-side "any tag here?" test: it would wait for the device on every call
    rows = table.matrix().to(dtype=embeds.dtype, device=embeds.device)
    spliced = rows[tag_rows.clamp(min=0)]
    return torch.where((tag_rows >= 0).unsqueeze(-1), spliced, embeds)


def embed_tokens(model: nn.Module, token_ids: list[int] | torch.Tensor) -> torch.Tensor:
    """The model's input embeddings of ``token_ids`` as ``(n, hidden)`` (detached)."""
    weight = model.get_input_embeddings().weight
    ids = torch.as_tensor(token_ids, dtype=torch.long, device=weight.device).reshape(1, -1)
    with torch.no_grad():
        return model.get_input_embeddings()(ids)[0].detach().clone()


def mean_embedding_init(model: nn.Module, n_vectors: int, seed: int | None = None) -> torch.Tensor:
    """Tag-LLM's initialisation: the mean token embedding rescaled to the mean token norm.

    Computed through ``get_input_embeddings()`` so models that scale embeddings (Gemma) get
    vectors of the size their inputs have. A small seeded jitter (0.1% of the norm) makes the
    ``n_vectors`` rows distinct. Returns ``(n_vectors, hidden)`` float32.
    """
    module = model.get_input_embeddings()
    weight = module.weight.detach().float()
    scale = 1.0
    embed_scale = getattr(module, "embed_scale", None)
    if embed_scale is not None:
        scale = float(embed_scale)
    mean = weight.mean(dim=0).cpu()
    target_norm = weight.norm(dim=1).mean().cpu()
    base = mean / mean.norm().clamp(min=1e-12) * target_norm * scale
    generator = torch.Generator().manual_seed(0 if seed is None else seed)
    noise = torch.randn(n_vectors, weight.shape[1], generator=generator) * (1e-3 * target_norm * scale)
    return (base.unsqueeze(0) + noise / weight.shape[1] ** 0.5).contiguous()
