"""The trainable module: a frozen base LLM, a :class:`TagTable` and an optional head.

``forward(batch)`` returns the loss. Batches are left-padded, so nothing before
``split = min(function_start)`` depends on a function tag. When nothing before that index is
trainable, the *fast path* runs the prefix once under ``torch.no_grad`` with a KV cache and
then only the suffix (the function tag's p positions, plus any target tokens) on that
cache; back-propagation touches the suffix alone. The naive path runs the whole sequence
with autograd. Both give the same gradients (``tests/training/test_fast_path.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tagregistry.engine.collate import PromptBatch, to_device
from tagregistry.engine.forward import ForwardOutput, join_outputs, run_base
from tagregistry.engine.prefix_share import is_plain_cache
from tagregistry.engine.readout import Readout
from tagregistry.engine.splice import TagTable, splice_embeddings
from tagregistry.training.prefix_cache import SegmentCache, SegmentKV, cache_from_segments

IGNORE = -100
TASKS = ("regression", "classification", "lm")


@dataclass(frozen=True)
class SharedSegments:
    """Per row of a batch: the key and length of its cached leading segment (``None``/0 for
    rows without one) and the padded column where the rest of its prompt starts."""

    keys: tuple[Any, ...]
    lengths: tuple[int, ...]
    starts: tuple[int, ...]


@dataclass
class TagBatch:
    """A collated batch: left-padded prompts plus what the loss needs.

    Attributes:
        prompts: the compose engine's :class:`PromptBatch` (ids, masks, tag rows, readout).
        targets: ``(B, d)`` float (regression, scaled) or ``(B,)`` long (classification).
        lm_labels: ``(B, L)`` next-token targets (``-100`` = none) for LM losses.
        lm_weight: weight of the LM loss next to a head loss (enriched domain tags).
        host_split: :attr:`split`, computed once where the batch was built (no device sync).
        host_prefix_rows: :meth:`prefix_tag_rows`, likewise.
        segments: leading segments shared with other examples (cached across steps).
        paired: the same items' prompts with another domain tag (``hyper.align``).
    """

    prompts: PromptBatch
    targets: torch.Tensor | None = None
    lm_labels: torch.Tensor | None = None
    lm_weight: float = 1.0
    host_split: int | None = field(default=None, repr=False)
    host_prefix_rows: tuple[int, ...] | None = field(default=None, repr=False)
    segments: SharedSegments | None = field(default=None, repr=False)
    paired: PromptBatch | None = field(default=None, repr=False)

    def to(self, device: Any) -> TagBatch:
        """A copy on ``device``; the split facts travel as Python values (read here, once)."""
        return TagBatch(
            prompts=self.prompts.to(device),
            targets=None if self.targets is None else to_device(self.targets, device),
            lm_labels=None if self.lm_labels is None else to_device(self.lm_labels, device),
            lm_weight=self.lm_weight, host_split=self.split,
            host_prefix_rows=self.prefix_tag_rows(), segments=self.segments,
            paired=None if self.paired is None else self.paired.to(device),
        )

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def split(self) -> int:
        """First column that may hold a function tag (all columns before it are prefix)."""
        if self.host_split is None:
            self.host_split = int(self.prompts.function_start.min())
        return self.host_split

    def prefix_tag_rows(self) -> tuple[int, ...]:
        """Rows of ``TagTable.matrix()`` used before :attr:`split` (sorted, distinct)."""
        if self.host_prefix_rows is None:
            rows = self.prompts.tag_rows[:, : self.split]
            self.host_prefix_rows = tuple(rows[rows >= 0].unique().tolist())
        return self.host_prefix_rows


class TagTrainer(nn.Module):
    """Frozen base + tags + optional head; ``forward(batch)`` returns the training loss.

    Args:
        model: a Hugging Face causal LM (kept frozen and in eval mode: no dropout).
        table: the tags of the prompts (trainable ones have ``requires_grad``).
        head: a head module (regression/classification) or ``None`` for LM objectives.
        task: ``"regression"``, ``"classification"`` or ``"lm"``.
        loss_scale: factor on the head loss (the paper multiplies MSE by 100).
        readout: what the head reads (default: the paper's final layer, last position).
    """

    def __init__(self, model: nn.Module, table: TagTable, head: nn.Module | None = None,
                 task: str = "regression", loss_scale: float = 1.0,
                 readout: Readout | None = None) -> None:
        super().__init__()
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        self.base = model
        self.base.requires_grad_(False)
        self.base.eval()
        device = model.get_input_embeddings().weight.device
        self.table = table.to(device)
        self.head = head.to(device) if head is not None else None
        self.task = task
        self.loss_scale = loss_scale
        self.readout = readout or Readout()
        #: ``(mean, std)`` of the readout features, applied before the head when set
        #: (:func:`tagregistry.training.features.fit_feature_norm`; folded into the head later).
        self.feature_norm: tuple[torch.Tensor, torch.Tensor] | None = None
        #: cached shared leading segments (:mod:`tagregistry.training.prefix_cache`), if enabled
        self.segment_cache: SegmentCache | None = None

    def train(self, mode: bool = True) -> TagTrainer:
        """Only the head follows ``mode``; the frozen base stays in eval mode."""
        self.training = mode
        if self.head is not None:
            self.head.train(mode)
        self.base.eval()
        return self

    def trainable_parameters(self) -> dict[str, nn.Parameter]:
        """Parameters that receive gradients: ``tag.<name>`` and ``head.<key>``."""
        out = {f"tag.{n}": p for n, p in self.table.vectors.items() if p.requires_grad}
        if self.head is not None:
            out.update({f"head.{n}": p for n, p in self.head.named_parameters() if p.requires_grad})
        return out

    def _trainable_rows(self) -> torch.Tensor:
        flags = [torch.full((int(p.shape[0]),), bool(p.requires_grad))
                 for p in self.table.vectors.values()]
        return torch.cat(flags) if flags else torch.zeros(0, dtype=torch.bool)

    def prefix_trainable(self, batch: TagBatch) -> bool:
        """Whether a trainable tag sits before the batch's prefix/suffix split."""
        used = batch.prefix_tag_rows()
        return bool(self._trainable_rows()[list(used)].any()) if used else False

    def hidden_states(self, batch: TagBatch, fast: bool = True) -> tuple[torch.Tensor, int]:
        """Last-layer hidden states of the suffix (fast path) or the whole sequence.

        Returns ``(hidden, offset)``; ``hidden[:, i]`` is sequence position ``offset + i``.
        """
        out, offset = self.run(batch, fast=fast)
        return out.hidden, offset

    def run(self, batch: TagBatch, fast: bool = True) -> tuple[ForwardOutput, int]:
        """The base's output on the suffix (fast path) or the whole sequence, and its offset.

        Every layer's states are kept when the readout reads intermediate layers.
        """
        p = batch.prompts
        layers = self.head is not None and self.readout.intermediate
        split = batch.split
        length = p.input_ids.shape[1]
        whole = self.head is not None and self.readout.values  # the head reads prefix states too
        if fast and 0 < split < length and not self.prefix_trainable(batch):
            if self.segment_cache is not None and batch.segments is not None and not whole:
                found = self._run_on_segments(batch, layers)
                if found is not None:
                    return found
            with torch.no_grad():
                prefix = splice_embeddings(self.base, p.input_ids[:, :split],
                                           p.tag_rows[:, :split], self.table)
                before = run_base(self.base, prefix, p.attention_mask[:, :split],
                                  p.position_ids[:, :split], use_cache=True,
                                  all_layers=layers and whole)
            suffix = splice_embeddings(self.base, p.input_ids[:, split:], p.tag_rows[:, split:],
                                       self.table)
            out = run_base(self.base, suffix, p.attention_mask, p.position_ids[:, split:],
                           cache=before.cache, use_cache=True, all_layers=layers)
            if whole:  # the prefix's states (no gradient) before the suffix's: offset 0
                return join_outputs(before, out), 0
            return out, split
        embeds = splice_embeddings(self.base, p.input_ids, p.tag_rows, self.table)
        return run_base(self.base, embeds, p.attention_mask, p.position_ids, all_layers=layers), 0

    def _segment_kv(self, batch: TagBatch, row: int) -> SegmentKV | None:
        """Row ``row``'s leading segment as per-layer KV (``None`` if the model's cache
        cannot be rebuilt by rows: then the trainer stops caching segments)."""
        p, segments = batch.prompts, batch.segments
        assert segments is not None
        length = segments.lengths[row]
        first = segments.starts[row] - length
        ids = p.input_ids[row:row + 1, first:segments.starts[row]]
        rows = p.tag_rows[row:row + 1, first:segments.starts[row]]
        with torch.no_grad():
            embeds = splice_embeddings(self.base, ids, rows, self.table)
            ones = torch.ones_like(ids)
            positions = torch.arange(length, device=ids.device)[None]
            cache = run_base(self.base, embeds, ones, positions, use_cache=True, hidden=False).cache
        if not is_plain_cache(cache):
            self.segment_cache = None
            return None
        return [(layer.keys[0].detach(), layer.values[0].detach()) for layer in cache.layers]

    def _run_on_segments(self, batch: TagBatch, layers: bool) -> tuple[ForwardOutput, int] | None:
        """The fast path starting from cached leading segments (``None``: not possible)."""
        p, segments, store = batch.prompts, batch.segments, self.segment_cache
        assert segments is not None and store is not None
        found: list[SegmentKV | None] = []
        for row, key in enumerate(segments.keys):
            if key is None:
                found.append(None)
                continue
            segment = store.get(key, lambda row=row: self._segment_kv(batch, row))
            if segment is None:
                return None
            found.append(segment)
        lengths = [n if s is not None else 0 for n, s in zip(segments.lengths, found, strict=True)]
        n_layers = len(next(s for s in found if s is not None))
        like = self.base.get_input_embeddings().weight
        cache, cache_mask = cache_from_segments(found, lengths, n_layers, like)
        split, start = batch.split, min(segments.starts)
        columns = torch.arange(start, p.input_ids.shape[1], device=p.input_ids.device)
        first = torch.tensor(segments.starts, device=p.input_ids.device)[:, None]
        rest_mask = p.attention_mask[:, start:] * (columns[None] >= first)
        if split > start:
            with torch.no_grad():
                middle = splice_embeddings(self.base, p.input_ids[:, start:split],
                                           p.tag_rows[:, start:split], self.table)
                cache = run_base(self.base, middle, torch.cat([cache_mask, rest_mask[:, :split - start]], 1),
                                 p.position_ids[:, start:split], cache=cache, use_cache=True,
                                 hidden=False).cache
        suffix = splice_embeddings(self.base, p.input_ids[:, split:], p.tag_rows[:, split:], self.table)
        out = run_base(self.base, suffix, torch.cat([cache_mask, rest_mask], 1),
                       p.position_ids[:, split:], cache=cache, use_cache=True, all_layers=layers)
        return out, split

    def features(self, out: ForwardOutput, batch: TagBatch, offset: int) -> torch.Tensor:
        """The readout's float32 features (before any feature normalisation)."""
        p = batch.prompts
        values = p.value_mask[:, offset:] if self.readout.values else None
        return self.readout.read(out, p.function_start - offset, p.readout - offset, values).float()

    def head_output(self, out: ForwardOutput, batch: TagBatch, offset: int) -> torch.Tensor:
        """The head on the readout features, in float32."""
        assert self.head is not None, "this trainer has no head"
        feats = self.features(out, batch, offset)
        if self.feature_norm is not None:
            mean, std = self.feature_norm
            feats = (feats - mean.to(feats.device)) / std.to(feats.device)
        return self.head(feats)

    def lm_loss(self, hidden: torch.Tensor, offset: int, labels: torch.Tensor) -> torch.Tensor:
        """Mean next-token cross-entropy over labelled tokens (logits only where needed)."""
        shifted = labels[:, 1:]
        rows, cols = (shifted != IGNORE).nonzero(as_tuple=True)
        keep = cols >= offset
        rows, cols = rows[keep], cols[keep]
        if rows.numel() == 0:
            return hidden.sum() * 0.0
        logits = self.base.get_output_embeddings()(hidden[rows, cols - offset]).float()
        return F.cross_entropy(logits, shifted[rows, cols])

    def forward(self, batch: TagBatch, fast: bool = True) -> torch.Tensor:
        """The training loss of ``batch``."""
        result, offset = self.run(batch, fast=fast)
        hidden = result.hidden
        if self.task == "lm":
            if batch.lm_labels is None:
                raise ValueError("an LM objective needs lm_labels in the batch")
            return self.lm_loss(hidden, offset, batch.lm_labels)
        out = self.head_output(result, batch, offset)
        if self.task == "regression":
            loss = self.loss_scale * F.mse_loss(out, batch.targets.to(out.dtype))
        else:
            loss = self.loss_scale * F.cross_entropy(out, batch.targets)
        if batch.lm_labels is not None and batch.lm_weight > 0:
            loss = loss + batch.lm_weight * self.lm_loss(hidden, offset, batch.lm_labels)
        return loss

    @torch.no_grad()
    def predict(self, batch: TagBatch) -> torch.Tensor:
        """Raw head outputs (scaled units for regression, logits for classification)."""
        result, offset = self.run(batch, fast=True)
        return self.head_output(result, batch, offset)
