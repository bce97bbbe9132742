"""Mixed-task batches: records of different composed functions in one forward pass.

Rows of a batch differ only in which tag vectors are spliced in (each function's template,
with its own domain tags) and which head reads the readout state. So records for several
functions share the same length-sorted, left-padded batches; after the forward pass every
head runs once on its own rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import torch

from tagregistry.compose.binding import FunctionBinding
from tagregistry.engine.collate import AUTO_PROGRESS_BATCHES, collate_prompts
from tagregistry.engine.forward import ForwardOutput, run_base
from tagregistry.engine.prefix_share import (
    TaggedBase,
    shared_prefix_features,
    shared_segment_groups,
)
from tagregistry.engine.prompt import EncodedPrompt
from tagregistry.engine.splice import splice_embeddings
from tagregistry.errors import InputError
from tagregistry.heads.outputs import head_values

#: A record may name its function under this key (a reserved slot name).
FUNCTION_KEY = "function"


class ComposedModel(TaggedBase, Protocol):
    """What predictions need of a :class:`~tagregistry.compose.tagged_model.TaggedModel`."""

    def binding(self, function: str | None = None) -> FunctionBinding: ...

    def encode(self, function: str | None = None, **slots: Any) -> EncodedPrompt: ...


def record_functions(
    records: Sequence[Mapping[str, Any]], function: str | Sequence[str] | None
) -> list[str | None]:
    """The function each record asks for: ``function`` for all, one name per record, or the
    record's own ``"function"`` key (``None``: the only composed function)."""
    if function is not None and not isinstance(function, str):
        names = list(function)
        if len(names) != len(records):
            raise InputError(f"function lists {len(names)} names for {len(records)} records; "
                             "give one name per record, or one name for all")
        return names
    out: list[str | None] = []
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise InputError(f"record {index} must be a dict of slot values, got {type(record).__name__}")
        own = record.get(FUNCTION_KEY)
        if own is not None and function is not None and own != function:
            raise InputError(f"record {index} names function {own!r} but function={function!r} "
                             "was passed; drop one of them")
        out.append(own if own is not None else function)
    return out


def encode_requests(
    model: ComposedModel, records: Sequence[Mapping[str, Any]], function: str | Sequence[str] | None
) -> tuple[list[FunctionBinding], list[EncodedPrompt]]:
    """Each record's function binding and encoded prompt (errors name the record)."""
    names = record_functions(records, function)
    bindings: list[FunctionBinding] = []
    prompts: list[EncodedPrompt] = []
    for index, (record, name) in enumerate(zip(records, names, strict=True)):
        if not isinstance(record, Mapping):
            raise InputError(f"record {index} must be a dict of slot values, got {type(record).__name__}")
        slots = {k: v for k, v in record.items() if k != FUNCTION_KEY}
        try:
            binding = model.binding(name)
            prompts.append(model.encode(binding.name, **slots))
        except InputError as exc:
            if len(records) == 1:
                raise
            raise InputError(f"record {index}: {exc}") from exc
        bindings.append(binding)
    headless = sorted({b.name for b in bindings if b.head is None})
    if headless:
        raise InputError(f"{', '.join(headless)} has no head; use generate_batch(...) for text output")
    return bindings, prompts


def binding_values(binding: FunctionBinding, hidden: torch.Tensor, output: str) -> list[Any]:
    """``binding``'s head on readout states ``(B, H)``, as one user value per row."""
    assert binding.head is not None and binding.head_spec is not None
    raw = binding.head(hidden.float())
    return head_values(binding.head_spec, raw, binding.head_config, output,
                       scalar=binding.spec.output == "scalar")


def head_features(binding: FunctionBinding, out: ForwardOutput, start: torch.Tensor,
                  end: torch.Tensor, value_mask: torch.Tensor | None = None) -> torch.Tensor:
    """What ``binding``'s head reads (its stored :class:`Readout`) for every row of ``out``;
    ``start``/``end`` are each row's function-tag positions, ``value_mask`` its slot-value
    tokens (needed by readouts of the values)."""
    return binding.readout.read(out, start, end, value_mask)


def reads_all_layers(bindings: Sequence[FunctionBinding]) -> bool:
    """Whether any of these heads reads an intermediate layer."""
    return any(b.readout.intermediate for b in bindings)


def apply_heads(bindings: Sequence[FunctionBinding], out: ForwardOutput, start: torch.Tensor,
                end: torch.Tensor, output: str, value_mask: torch.Tensor | None = None) -> list[Any]:
    """Row ``i`` of ``out`` through ``bindings[i]``'s head; each head runs once on its rows."""
    groups: dict[str, list[int]] = {}
    for row, binding in enumerate(bindings):
        groups.setdefault(binding.name, []).append(row)
    if len(groups) == 1:
        return binding_values(bindings[0], head_features(bindings[0], out, start, end, value_mask),
                              output)
    values: list[Any] = [None] * len(bindings)
    for rows in groups.values():
        binding = bindings[rows[0]]
        index = torch.tensor(rows, device=out.hidden.device)
        feats = head_features(binding, out, start, end, value_mask)[index]
        for row, value in zip(rows, binding_values(binding, feats, output), strict=True):
            values[row] = value
    return values


def shared_prefix_heads(model: ComposedModel, bindings: Sequence[FunctionBinding],
                        prompts: Sequence[EncodedPrompt], output: str,
                        batch_size: int | None = None) -> list[Any]:
    """``bindings[k]``'s head value on ``prompts[k]``; the prompts' common prefix runs once
    (:func:`~tagregistry.engine.prefix_share.shared_prefix_features`)."""
    with torch.inference_mode():
        features = shared_prefix_features(model, [b.readout for b in bindings], prompts,
                                          batch_size)
        return [binding_values(b, row, output)[0]
                for b, row in zip(bindings, features, strict=True)]


def heads_on_one_input(model: ComposedModel, bindings: Sequence[FunctionBinding],
                       prompts: Sequence[EncodedPrompt], output: str) -> list[Any]:
    """Each binding's head on its prompt, all prompts of one input: a single function runs
    one forward pass (as ``predict``), several share their prompts' prefix."""
    if len(bindings) == 1:  # nothing to share
        return predict_prompts(model, bindings, prompts, batch_size=1, output=output,
                               progress=False)
    return shared_prefix_heads(model, bindings, prompts, output)


def predict_prompts(
    model: ComposedModel,
    bindings: Sequence[FunctionBinding],
    prompts: Sequence[EncodedPrompt],
    *,
    batch_size: int,
    output: str,
    progress: bool | None,
) -> list[Any]:
    """Head values for ``prompts`` (row ``i`` read by ``bindings[i]``), in input order.

    Prompts that share a leading segment (:func:`~tagregistry.engine.prefix_share.
    shared_segment_groups`: a first slot value paired with several others) run it once;
    the others are sorted by length (longest first) into left-padded batches of ``batch_size``.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}")
    groups = [sorted(g, key=lambda i: len(prompts[i])) for g in shared_segment_groups(prompts).values()]
    grouped = {i for g in groups for i in g}
    order = sorted((i for i in range(len(prompts)) if i not in grouped),
                   key=lambda i: len(prompts[i]), reverse=True)
    chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    batches = len(chunks) + sum(-(-len(g) // batch_size) for g in groups)
    show = progress if progress is not None else batches > AUTO_PROGRESS_BATCHES
    bar: Any = contextlib.nullcontext()
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(prompts), desc="/".join(dict.fromkeys(b.name for b in bindings)),
                   unit="rec")
    results: list[Any] = [None] * len(prompts)
    layout = model.table.layout()
    device = model.device
    with torch.inference_mode(), bar:
        for group in groups:  # e.g. one protein with many ligands: its prefix runs once
            values = shared_prefix_heads(model, [bindings[i] for i in group],
                                         [prompts[i] for i in group], output, batch_size)
            for i, value in zip(group, values, strict=True):
                results[i] = value
            if show:
                bar.update(len(group))
        for chunk in chunks:
            batch = collate_prompts([prompts[i] for i in chunk], layout, model.pad_id).to(device)
            embeds = splice_embeddings(model.model, batch.input_ids, batch.tag_rows, model.table)
            rows = [bindings[i] for i in chunk]
            out = run_base(model.model, embeds, batch.attention_mask, batch.position_ids,
                           all_layers=reads_all_layers(rows))
            values = apply_heads(rows, out, batch.function_start, batch.readout, output,
                                 batch.value_mask)
            for i, value in zip(chunk, values, strict=True):
                results[i] = value
            if show:
                bar.update(len(chunk))
    return results
