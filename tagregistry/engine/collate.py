"""Left-padded collation of :class:`EncodedPrompt` objects into tensors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from tagregistry.engine.prompt import EncodedPrompt
from tagregistry.errors import InputError

#: a progress bar is shown by default for more batches than this
AUTO_PROGRESS_BATCHES = 4


@dataclass
class PromptBatch:
    """Tensors for one batch, left-padded (real tokens end at the last column).

    Attributes:
        input_ids: ``(B, L)``; padding holds ``pad_id``.
        attention_mask: ``(B, L)`` 1 for real tokens.
        position_ids: ``(B, L)`` 0-based positions of real tokens (0 on padding).
        tag_rows: ``(B, L)`` row of ``TagTable.matrix()`` per tag position, ``-1`` elsewhere.
        readout: ``(B,)`` padded index of each prompt's readout position.
        function_start: ``(B,)`` padded index where each function tag starts (``L`` if none).
        value_mask: ``(B, L)`` True on slot-value tokens (stage-1 LM targets).
        pad: ``(B,)`` how many padding columns each row got.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    tag_rows: torch.Tensor
    readout: torch.Tensor
    function_start: torch.Tensor
    value_mask: torch.Tensor
    pad: torch.Tensor

    def to(self, device: torch.device | str) -> PromptBatch:
        """A copy on ``device``."""
        return PromptBatch(**{k: to_device(v, device) for k, v in self.__dict__.items()})

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    def lm_labels(self) -> torch.Tensor:
        """``input_ids`` on value tokens, ``-100`` elsewhere (HF causal-LM ``labels``)."""
        return torch.where(self.value_mask, self.input_ids, torch.full_like(self.input_ids, -100))


def to_device(tensor: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """``tensor`` on ``device``; copies from the host do not wait (the device stream orders
    them before any use), copies back to the host do."""
    return tensor.to(device, non_blocking=tensor.device.type == "cpu")


def collate_prompts(
    prompts: Sequence[EncodedPrompt],
    layout: Mapping[str, tuple[int, int]],
    pad_id: int,
) -> PromptBatch:
    """Left-pad ``prompts`` into a :class:`PromptBatch`.

    Args:
        prompts: encoded prompts.
        layout: ``TagTable.layout()`` -- ``{tag: (first row, p)}``.
        pad_id: id written into padding columns (masked out).
    """
    if not prompts:
        raise InputError("cannot collate an empty batch")
    width = max(len(p) for p in prompts)
    # rows are built as Python lists and become tensors in one call each: a few tiny tensor
    # operations per prompt would cost more than the lists (this runs every training step)
    ids: list[list[int]] = []
    masks: list[list[int]] = []
    rows: list[list[int]] = []
    values: list[list[bool]] = []
    readout: list[int] = []
    function_start: list[int] = []
    pads: list[int] = []
    for prompt in prompts:
        n = len(prompt)
        pad = width - n
        pads.append(pad)
        ids.append([pad_id] * pad + list(prompt.input_ids))
        masks.append([0] * pad + [1] * n)
        row = [-1] * width
        for tag in prompt.tags:
            if tag.name not in layout:
                raise InputError(f"tag {tag.name!r} is not in the tag table ({', '.join(layout)})")
            first, length = layout[tag.name]
            if length != tag.length:
                raise InputError(
                    f"tag {tag.name!r} reserves {tag.length} positions but has {length} vectors"
                )
            row[pad + tag.start : pad + tag.end] = range(first, first + length)
        rows.append(row)
        values.append([False] * pad + prompt.value_flags())
        readout.append(pad + (prompt.readout % n))
        function_start.append(width if prompt.function_start is None else pad + prompt.function_start)
    mask = torch.tensor(masks, dtype=torch.long)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return PromptBatch(
        torch.tensor(ids, dtype=torch.long), mask, positions, torch.tensor(rows, dtype=torch.long),
        torch.tensor(readout, dtype=torch.long), torch.tensor(function_start, dtype=torch.long),
        torch.tensor(values, dtype=torch.bool), torch.tensor(pads, dtype=torch.long),
    )
