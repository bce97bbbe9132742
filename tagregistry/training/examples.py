"""Records -> encoded training examples -> left-padded :class:`TagBatch` es.

Prompts are encoded by the composition engine's :class:`~tagregistry.engine.prompt.PromptEncoder`,
so training sees exactly the token layout that inference will use. Left padding puts every
prompt's end at the same index, so the function tags of a batch start at one shared index
(the prefix/suffix split of the fast path). Target text for generation tasks follows the
function tag inside the same row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tagregistry.engine.collate import collate_prompts
from tagregistry.engine.prompt import EncodedPrompt, PromptEncoder, ValueSpan
from tagregistry.errors import InputError
from tagregistry.training.trainable import IGNORE, SharedSegments, TagBatch

Record = dict[str, Any]


@dataclass
class Example:
    """One encoded example: the prompt, its target and what the LM loss covers."""

    prompt: EncodedPrompt
    target: Any = None
    target_ids: list[int] = field(default_factory=list)
    lm_spans: list[tuple[int, int]] = field(default_factory=list)
    #: leading positions shared with other examples (:mod:`tagregistry.training.prefix_cache`)
    prefix_length: int = 0
    prefix_key: Any = field(default=None, repr=False, compare=False)
    #: the example's group for a balanced head refit (``hyper.refit_balance``)
    group: Any = None
    #: the same item's prompt with another domain tag (``hyper.align``; :mod:`.align`)
    pair: EncodedPrompt | None = field(default=None, repr=False, compare=False)

    @property
    def length(self) -> int:
        return len(self.prompt.input_ids) + len(self.target_ids)


def domain_template(domain: str, slot: str) -> str:
    """The stage-1 template: the domain tag in front of the span."""
    return "{" + domain + ":" + slot + "}"


def encode_domain_text(
    encoder: PromptEncoder, domain: str, slot: str, records: Sequence[Record], p: int,
    max_length: int, contexts: Sequence[str] | None = None,
) -> list[Example]:
    """Stage 1: ``<Domain>`` + rendered string, LM targets on the string's tokens.

    ``contexts``: templates holding ``{Domain:slot}`` (text before the tag, as in a function's
    prompt); record ``i`` uses ``contexts[i % len(contexts)]``. Default: the bare span.
    """
    templates = list(contexts or [domain_template(domain, slot)])
    out = []
    for index, record in enumerate(records):
        template = templates[index % len(templates)]
        prompt = _encode_record(encoder, template, {slot: record[slot]}, {domain: p}, index)
        if len(prompt.input_ids) > max_length:
            prompt = _truncate(prompt, max_length)
        spans = [(v.start, min(v.end, len(prompt.input_ids))) for v in prompt.values]
        out.append(Example(prompt=prompt, lm_spans=[s for s in spans if s[1] > s[0]]))
    return out


def _encode_record(
    encoder: PromptEncoder, template: str, values: Record, lengths: dict[str, int], index: int,
    tag_only: Sequence[str] = (), domains: Mapping[str, str] | None = None,
) -> EncodedPrompt:
    """Encode one record; errors (a value over its domain's length limit, an invalid value)
    name the record."""
    try:
        return encoder.encode(template, values, lengths, domains, tag_only=tag_only)
    except InputError as exc:
        raise InputError(f"record {index}: {exc}") from exc


def _truncate(prompt: EncodedPrompt, max_length: int) -> EncodedPrompt:
    if any(t.end > max_length for t in prompt.tags):
        raise InputError(f"max_length {max_length} cuts through a tag; raise hyper.max_length")
    return EncodedPrompt(
        input_ids=prompt.input_ids[:max_length], tags=list(prompt.tags),
        values=[ValueSpan(v.slot, v.domain, v.start, min(v.end, max_length))
                for v in prompt.values if v.start < max_length],
        function_start=None, readout=max_length - 1,
    )


def encode_function_examples(
    encoder: PromptEncoder,
    template: str,
    slots: Sequence[str],
    records: Sequence[Record],
    lengths: dict[str, int],
    *,
    label_field: str,
    output: str,
    labels: Sequence[str] | None = None,
    enrich: bool = False,
    group_field: str | None = None,
    tag_only: Sequence[str] = (),
    slot_domains: Sequence[Mapping[str, str]] | None = None,
) -> list[Example]:
    """Stages 2/3: the function's template with the record's slot values and its target
    (and, with ``group_field``, the record's group for a balanced refit). ``tag_only``
    slots get their domain tag alone (no value). ``slot_domains[i]``: ``{slot: domain}``
    replacing the template's domains for record ``i`` (records that mix domains)."""
    out = []
    for index, record in enumerate(records):
        missing = [s for s in slots if s not in record]
        if missing:
            raise InputError(
                f"record {index} lacks slot field(s) {missing}; fields: {sorted(record)}"
            )
        if group_field is not None and record.get(group_field) in (None, ""):
            raise InputError(f"record {index} has no {group_field!r} value, which "
                             f"hyper.refit_balance groups by; fields: {sorted(record)}")
        prompt = _encode_record(encoder, template, {s: record[s] for s in slots}, lengths, index,
                                tag_only, None if slot_domains is None else slot_domains[index])
        if prompt.function_start is None:
            raise InputError(f"template {template!r} has no function tag")
        if label_field not in record or record[label_field] in (None, ""):
            raise InputError(f"record {index} has no {label_field!r} value; set data.label_field")
        raw = record[label_field]
        example = Example(prompt=prompt, group=None if group_field is None else record[group_field])
        if output in ("scalar", "vector", "class"):
            example.target = label_target(raw, output, labels, index)
        else:
            text = str(raw)
            example.target_ids = encoder.token_ids(text) + _eos(encoder)
            if not example.target_ids:
                raise InputError(f"record {index}: empty target text")
        if enrich:
            example.lm_spans = [(v.start, v.end) for v in prompt.values if v.end > v.start]
        out.append(example)
    return out


def _eos(encoder: PromptEncoder) -> list[int]:
    eos = getattr(encoder.tokenizer, "eos_token_id", None)
    return [eos] if isinstance(eos, int) else []


def label_target(raw: Any, output: str, labels: Sequence[str] | None, index: int) -> list[float] | int:
    """A record's label as a head target: the floats of a scalar/vector, or a class index
    (``labels`` names the classes); InputError naming record ``index`` otherwise."""
    return _class_index(raw, labels, index) if output == "class" else _floats(raw, index)


def _floats(raw: Any, index: int) -> list[float]:
    values = raw if isinstance(raw, list | tuple) else [raw]
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise InputError(f"record {index}: label {raw!r} is not a number") from exc


def _class_index(raw: Any, labels: Sequence[str] | None, index: int) -> int:
    if labels is not None and str(raw) in labels:
        return list(labels).index(str(raw))
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise InputError(f"record {index}: class {raw!r} is not one of {labels}") from exc
    if labels is not None and not 0 <= value < len(labels):
        raise InputError(f"record {index}: class index {value} out of range for {labels}")
    return value


def collate_examples(examples: Sequence[Example], layout: dict[str, tuple[int, int]], pad_id: int,
            lm_weight: float = 1.0) -> TagBatch:
    """Left-pad the prompts (compose's collation) and add targets and LM labels."""
    import torch

    prompts = [_with_target(e) for e in examples]
    batch = collate_prompts(prompts, layout, pad_id)
    width = batch.input_ids.shape[1]
    labels: list[list[int]] = []
    any_lm = False
    for example, prompt in zip(examples, prompts, strict=True):
        pad = width - len(prompt)
        row = [IGNORE] * width
        spans = list(example.lm_spans)
        if example.target_ids:
            start = len(example.prompt.input_ids)
            spans.append((start, start + len(example.target_ids)))
        for start, end in spans:
            row[pad + start : pad + end] = prompt.input_ids[start:end]
            any_lm = True
        labels.append(row)
    targets = None
    if examples[0].target is not None:
        dtype = torch.long if isinstance(examples[0].target, int) else torch.float32
        targets = torch.tensor([e.target for e in examples], dtype=dtype)
    lm_labels = torch.tensor(labels, dtype=torch.long) if any_lm else None
    segments = None
    if any(e.prefix_length for e in examples):
        segments = SharedSegments(
            keys=tuple(e.prefix_key if e.prefix_length else None for e in examples),
            lengths=tuple(e.prefix_length for e in examples),
            starts=tuple(width - len(p) + e.prefix_length for e, p in zip(examples, prompts, strict=True)),
        )
    paired = None
    if examples[0].pair is not None:
        paired = collate_prompts([e.pair for e in examples if e.pair is not None], layout, pad_id)
    return TagBatch(prompts=batch, targets=targets, lm_labels=lm_labels, lm_weight=lm_weight,
                    segments=segments, paired=paired)


def _with_target(example: Example) -> EncodedPrompt:
    if not example.target_ids:
        return example.prompt
    prompt = example.prompt
    return EncodedPrompt(
        input_ids=list(prompt.input_ids) + list(example.target_ids), tags=list(prompt.tags),
        values=list(prompt.values), function_start=prompt.function_start, readout=prompt.readout,
    )
