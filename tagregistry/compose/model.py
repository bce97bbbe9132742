"""``TaggedModel``: a frozen base LLM with domain and function tags spliced in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from tagregistry.compose.batching import collate
from tagregistry.compose.forward import run_base
from tagregistry.compose.generation import GenerationConfig, generate_ids
from tagregistry.compose.heads import head_values
from tagregistry.compose.prompt import EncodedPrompt, PromptEncoder
from tagregistry.compose.readout import Readout
from tagregistry.compose.splice import TagTable, splice_embeddings
from tagregistry.errors import InputError
from tagregistry.models.loading import LoadedBase
from tagregistry.specs import FunctionSpec, HeadSpec, TagRecord

RESERVED_KEYWORDS = frozenset({"function", "functions", "output", "records", "batch_size",
                               "progress", "max_new_tokens", "do_sample", "temperature",
                               "top_p", "seed", "stop", "use_cache"})
AUTO_PROGRESS_BATCHES = 4


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
        return [slot.name for slot in self.spec.slots]


class TaggedModel:
    """Domain and function tags composed onto a frozen base model.

    Build it with ``Registry.compose(...)``. Inputs are passed as the function's slots
    (``predict(smiles="CCO")``); with several functions, name one (``function="QED"``).
    """

    def __init__(
        self,
        base: LoadedBase,
        table: TagTable,
        domains: Mapping[str, TagRecord],
        functions: Mapping[str, FunctionBinding],
        encoder: PromptEncoder,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.base = base
        self.table = table
        self.domain_records = dict(domains)
        self.bindings = dict(functions)
        self.encoder = encoder
        self.metadata = metadata or {}
        self.to(base.device)

    # -- description ---------------------------------------------------------------------
    def __repr__(self) -> str:
        tags = ", ".join(r.ref for r in [*self.domain_records.values(),
                                          *(b.record for b in self.bindings.values())])
        return f"TaggedModel({tags} on {self.base.record.model_id})"

    @property
    def functions(self) -> list[str]:
        """Names of the composed function tags."""
        return list(self.bindings)

    @property
    def domains(self) -> list[str]:
        """Names of the composed domain tags."""
        return list(self.domain_records)

    @property
    def model(self) -> nn.Module:
        """The frozen base causal LM."""
        return self.base.model

    @property
    def tokenizer(self) -> Any:
        return self.base.tokenizer

    def to(self, device: torch.device | str) -> TaggedModel:
        """Move the base model, tags and heads to ``device``."""
        self.base.model.to(device)
        self.table.to(device)
        for binding in self.bindings.values():
            if binding.head is not None:
                binding.head.to(device)
        return self

    def binding(self, function: str | None = None) -> FunctionBinding:
        """The composed function ``function`` (the only one when ``None``)."""
        if function is None:
            if len(self.bindings) == 1:
                return next(iter(self.bindings.values()))
            if not self.bindings:
                raise InputError("no function tag was composed; add one to compose(...) next to "
                                 "its domain tags (`tagregistry list --kind function`)")
            raise InputError(f"several functions are composed ({', '.join(self.bindings)}); "
                             "pass function='Name'")
        if not isinstance(function, str):
            raise InputError(f"function must be a function name such as 'QED', got {type(function).__name__}")
        if function not in self.bindings:
            raise InputError(f"function {function!r} is not composed; composed: "
                             f"{', '.join(self.bindings) or 'none'}")
        return self.bindings[function]

    # -- encoding ------------------------------------------------------------------------
    def encode(self, function: str | None = None, **slots: Any) -> EncodedPrompt:
        """Validate ``slots`` and encode the function's prompt (no model work)."""
        binding = self.binding(function)
        return self.encoder.encode(binding.spec.template, slots, self.table.lengths(),
                                   domains=binding.slot_domains)

    def prompt_text(self, function: str | None = None, **slots: Any) -> str:
        """The prompt as text with tags shown as ``<Name>`` (for inspection)."""
        prompt = self.encode(function, **slots)
        parts: list[str] = []
        position = 0
        for tag in prompt.tags:
            parts.append(self.tokenizer.decode(prompt.input_ids[position:tag.start]))
            parts.append(f"<{tag.name}>")
            position = tag.end
        parts.append(self.tokenizer.decode(prompt.input_ids[position:]))
        return "".join(parts)

    def _encode_records(self, binding: FunctionBinding, records: Sequence[Mapping[str, Any]]) -> list[EncodedPrompt]:
        prompts = []
        for index, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise InputError(f"record {index} must be a dict of slot values, got {type(record).__name__}")
            try:
                prompts.append(self.encode(binding.name, **record))
            except InputError as exc:
                if len(records) == 1:
                    raise
                raise InputError(f"record {index}: {exc}") from exc
        return prompts

    # -- heads ---------------------------------------------------------------------------
    @staticmethod
    def _head_features(binding: FunctionBinding, out: Any, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
        """What ``binding``'s head reads from a forward output (its stored readout)."""
        return binding.readout.features(binding.readout.select(out.hidden, out.states), start, end)

    def _head_rows(self, binding: FunctionBinding, hidden: torch.Tensor, output: str) -> list[Any]:
        assert binding.head is not None and binding.head_spec is not None
        raw = binding.head(hidden.float())
        return head_values(binding.head_spec, raw, binding.head_config, output,
                           scalar=binding.spec.output == "scalar")

    def predict(self, function: str | None = None, *, output: str = "value", **slots: Any) -> Any:
        """One prediction from the function's head (or generated text without a head).

        Args:
            function: which composed function (only needed when several are composed).
            output: ``"value"`` (number(s) in original units, or a class label),
                ``"probabilities"`` (classification) or ``"logits"`` (raw head outputs).
            slots: the function's inputs, e.g. ``smiles="CCO"``.
        """
        binding = self.binding(function)
        if binding.head is None:
            return self.generate(binding.name, **slots)
        return self.predict_batch([slots], binding.name, output=output, progress=False)[0]

    def predict_batch(
        self,
        records: Sequence[Mapping[str, Any]],
        function: str | None = None,
        *,
        batch_size: int = 16,
        output: str = "value",
        progress: bool | None = None,
    ) -> list[Any]:
        """Predictions for many records (dicts of slot values), in order.

        Records are sorted by length into left-padded batches of ``batch_size``;
        ``progress`` shows a bar (default: when there are more than four batches).
        """
        binding = self.binding(function)
        if binding.head is None:
            raise InputError(f"{binding.name} has no head; use generate_batch(...) for text output")
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        prompts = self._encode_records(binding, records)
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        results: list[Any] = [None] * len(prompts)
        chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        show = progress if progress is not None else len(chunks) > AUTO_PROGRESS_BATCHES
        from tqdm.auto import tqdm

        layout = self.table.layout()
        with torch.inference_mode(), tqdm(total=len(prompts), disable=not show,
                                          desc=f"{binding.name}", unit="rec") as bar:
            for chunk in chunks:
                batch = collate([prompts[i] for i in chunk], layout, self._pad_id).to(self.base.device)
                embeds = splice_embeddings(self.model, batch.input_ids, batch.tag_rows, self.table)
                out = run_base(self.model, embeds, batch.attention_mask, batch.position_ids,
                               all_layers=binding.readout.intermediate)
                feats = self._head_features(binding, out, batch.function_start, batch.readout)
                values = self._head_rows(binding, feats, output)
                for i, value in zip(chunk, values, strict=True):
                    results[i] = value
                bar.update(len(chunk))
        return results

    def predict_many(
        self, functions: Sequence[str] | str | None = None, *, output: str = "value", **slots: Any
    ) -> dict[str, Any]:
        """Several functions on one input; the shared prefix runs once.

        Under causal attention the prompt before the first differing token does not depend
        on what follows, so it is computed once, cached, and every function's remaining
        tokens run as one batch on that cache. Functions without a head are generated.
        ``functions`` is a list of composed function names (one name as a string is fine);
        default: all of them.
        """
        if isinstance(functions, str):
            functions = [functions]
        if functions is not None and not isinstance(functions, Sequence | set | frozenset):
            raise InputError(f"functions must be a list of function names, got {type(functions).__name__}")
        names = list(functions) if functions is not None else self.functions
        if not names:
            raise InputError("predict_many needs at least one function")
        bindings = [self.binding(name) for name in names]
        wanted = {slot for b in bindings for slot in b.slots}
        unknown = sorted(set(slots) - wanted)
        if unknown:
            raise InputError(f"unknown slot(s) {', '.join(map(repr, unknown))}: these functions take "
                             f"{', '.join(f'{s}=...' for s in sorted(wanted))}")
        prompts = {b.name: self.encode(b.name, **{s: slots[s] for s in b.slots if s in slots})
                   for b in bindings}
        results: dict[str, Any] = {}
        headed = [b for b in bindings if b.head is not None]
        for b in bindings:
            if b.head is None:
                results[b.name] = self.generate(b.name, **{s: slots[s] for s in b.slots})
        if headed:
            values = self._shared_prefix_heads(headed, [prompts[b.name] for b in headed], output)
            results.update(zip([b.name for b in headed], values, strict=True))
        return {name: results[name] for name in names}

    def _shared_prefix_heads(self, bindings: list[FunctionBinding], prompts: list[EncodedPrompt],
                             output: str) -> list[Any]:
        layout = self.table.layout()
        keys = [p.keys() for p in prompts]
        shared = 0
        limit = min(len(p) for p in prompts) - 1
        starts = [p.function_start if p.function_start is not None else p.readout for p in prompts]
        limit = min(limit, *starts)  # heads may read every position of the function tag
        while shared < limit and all(k[shared] == keys[0][shared] for k in keys):
            shared += 1
        device = self.base.device
        rows = [torch.tensor(_tag_rows(p, layout), dtype=torch.long) for p in prompts]
        ids = [torch.tensor(p.input_ids, dtype=torch.long) for p in prompts]
        count = len(prompts)
        with torch.inference_mode():
            cache = None
            if shared:
                prefix = splice_embeddings(self.model, ids[0][None, :shared].to(device),
                                           rows[0][None, :shared].to(device), self.table)
                ones = torch.ones(1, shared, dtype=torch.long, device=device)
                positions = torch.arange(shared, device=device)[None]
                cache = run_base(self.model, prefix, ones, positions, use_cache=True).cache
                cache.batch_repeat_interleave(count)
            width = max(len(p) for p in prompts) - shared
            suffix_ids = torch.full((count, width), self._pad_id, dtype=torch.long)
            suffix_rows = torch.full((count, width), -1, dtype=torch.long)
            mask = torch.zeros(count, shared + width, dtype=torch.long)
            mask[:, :shared] = 1
            last = torch.empty(count, dtype=torch.long)
            first = torch.tensor([start - shared for start in starts], dtype=torch.long)
            for k, prompt in enumerate(prompts):  # right-padded: pads follow the real tokens
                n = len(prompt) - shared
                suffix_ids[k, :n] = ids[k][shared:]
                suffix_rows[k, :n] = rows[k][shared:]
                mask[k, shared:shared + n] = 1
                last[k] = n - 1
            embeds = splice_embeddings(self.model, suffix_ids.to(device), suffix_rows.to(device),
                                       self.table)
            positions = (shared + torch.arange(width, device=device))[None].expand(count, -1)
            out = run_base(self.model, embeds, mask.to(device), positions, cache=cache,
                           use_cache=cache is not None,
                           all_layers=any(b.readout.intermediate for b in bindings))
            return [self._head_rows(b, self._head_features(b, out, first, last)[k:k + 1], output)[0]
                    for k, b in enumerate(bindings)]

    # -- generation ----------------------------------------------------------------------
    @property
    def _pad_id(self) -> int:
        tok = self.tokenizer
        for value in (tok.pad_token_id, tok.eos_token_id, self.encoder.placeholder_id):
            if isinstance(value, int):
                return value
        return 0

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        generation_config = getattr(self.model, "generation_config", None)
        for source in (self.tokenizer.eos_token_id, getattr(generation_config, "eos_token_id", None)):
            if isinstance(source, int):
                ids.add(source)
            elif isinstance(source, (list, tuple)):
                ids.update(int(i) for i in source)
        return ids

    def generate(
        self,
        function: str | None = None,
        *,
        max_new_tokens: int = 64,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_p: float = 1.0,
        seed: int | None = None,
        stop: Sequence[str] | None = None,
        use_cache: bool = True,
        **slots: Any,
    ) -> str:
        """Text generated after the function tag (greedy unless ``do_sample``).

        Stops at the tokenizer's end-of-sequence token, after ``max_new_tokens``, or when
        any string in ``stop`` appears (the text is cut before it).
        """
        return self.generate_batch([slots], function, batch_size=1, max_new_tokens=max_new_tokens,
                                   do_sample=do_sample, temperature=temperature, top_p=top_p,
                                   seed=seed, stop=stop, use_cache=use_cache, progress=False)[0]

    def generate_batch(
        self,
        records: Sequence[Mapping[str, Any]],
        function: str | None = None,
        *,
        batch_size: int = 8,
        max_new_tokens: int = 64,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_p: float = 1.0,
        seed: int | None = None,
        stop: Sequence[str] | None = None,
        use_cache: bool = True,
        progress: bool | None = None,
    ) -> list[str]:
        """:meth:`generate` for many records, in left-padded batches."""
        binding = self.binding(function)
        if max_new_tokens < 1:
            raise InputError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        prompts = self._encode_records(binding, records)
        limit = self.base.max_length
        longest = max(len(p) for p in prompts)
        if limit is not None and longest + max_new_tokens > limit:
            raise InputError(f"the prompt ({longest} tokens) plus max_new_tokens={max_new_tokens} "
                             f"exceeds the base model's context of {limit}; lower max_new_tokens")
        config = GenerationConfig(max_new_tokens, do_sample, temperature, top_p, seed, use_cache)
        stops = [s for s in (stop or []) if s]

        def should_stop(_row: int, ids: list[int]) -> bool:
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            return any(s in text for s in stops)

        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        chunks = [order[i:i + batch_size] for i in range(0, len(order), max(batch_size, 1))]
        show = progress if progress is not None else len(chunks) > AUTO_PROGRESS_BATCHES
        results: list[str] = [""] * len(prompts)
        from tqdm.auto import tqdm

        layout = self.table.layout()
        with torch.inference_mode(), tqdm(total=len(prompts), disable=not show, unit="rec",
                                          desc=binding.name) as bar:
            for chunk in chunks:
                batch = collate([prompts[i] for i in chunk], layout, self._pad_id).to(self.base.device)
                embeds = splice_embeddings(self.model, batch.input_ids, batch.tag_rows, self.table)
                new = generate_ids(self.model, embeds, batch.attention_mask, batch.position_ids,
                                   config, self._eos_ids(), self._pad_id,
                                   should_stop if stops else None)
                for i, ids in zip(chunk, new, strict=True):
                    text = self.tokenizer.decode(ids, skip_special_tokens=True)
                    for s in stops:
                        text = text.split(s, 1)[0]
                    results[i] = text
                bar.update(len(chunk))
        return results

    def generate_ids(self, function: str | None = None, *, max_new_tokens: int = 20,
                     use_cache: bool = True, **slots: Any) -> list[int]:
        """Greedy new token ids (no decoding, no end-of-sequence stop): for exact comparisons."""
        binding = self.binding(function)
        prompt = self.encode(binding.name, **slots)
        batch = collate([prompt], self.table.layout(), self._pad_id).to(self.base.device)
        config = GenerationConfig(max_new_tokens=max_new_tokens, use_cache=use_cache)
        with torch.inference_mode():
            embeds = splice_embeddings(self.model, batch.input_ids, batch.tag_rows, self.table)
            return generate_ids(self.model, embeds, batch.attention_mask, batch.position_ids,
                                config, set(), self._pad_id)[0]


def _tag_rows(prompt: EncodedPrompt, layout: Mapping[str, tuple[int, int]]) -> list[int]:
    rows = [-1] * len(prompt)
    for tag in prompt.tags:
        first, _ = layout[tag.name]
        rows[tag.start:tag.end] = range(first, first + tag.length)
    return rows
