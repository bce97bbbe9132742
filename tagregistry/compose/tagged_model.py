"""``TaggedModel``: a frozen base LLM with domain and function tags spliced in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from tagregistry.compose.binding import FunctionBinding
from tagregistry.compose.predict import encode_requests, heads_on_one_input, predict_prompts
from tagregistry.engine.collate import collate_prompts
from tagregistry.engine.generation import GenerationConfig, generate_ids, generate_texts
from tagregistry.engine.prompt import EncodedPrompt, PromptEncoder
from tagregistry.engine.splice import TagTable, splice_embeddings
from tagregistry.errors import InputError
from tagregistry.models.loading import LoadedBase
from tagregistry.models.tokens import pad_token_id
from tagregistry.specs import TagRecord

RESERVED_KEYWORDS = frozenset({"function", "functions", "output", "records", "batch_size",
                               "progress", "max_new_tokens", "do_sample", "temperature",
                               "top_p", "seed", "stop", "use_cache"})


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

    @property
    def device(self) -> torch.device:
        """Where the base model runs."""
        return self.base.device

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
        given = sorted(set(slots) & set(binding.spec.tag_only_slots))
        if given:
            chosen = ", ".join(f"{s}={binding.slot_domains[s]}" for s in given)
            raise InputError(
                f"{binding.name}'s slot(s) {', '.join(map(repr, given))} take no value: compose "
                f"chose the domain ({chosen}); compose other domain tags to change it"
            )
        return self.encoder.encode(binding.spec.template, slots, self.table.lengths(),
                                   domains=binding.slot_domains,
                                   tag_only=binding.spec.tag_only_slots)

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
        prompt = self.encode(binding.name, **slots)
        return predict_prompts(self, [binding], [prompt], batch_size=1, output=output,
                               progress=False)[0]

    def predict_batch(
        self,
        records: Sequence[Mapping[str, Any]],
        function: str | Sequence[str] | None = None,
        *,
        batch_size: int = 16,
        output: str = "value",
        progress: bool | None = None,
    ) -> list[Any]:
        """Predictions for many records (dicts of slot values), in order.

        Records may be for different composed functions (a mixed-task batch): pass one
        ``function`` for all, a list with one name per record, or put ``"function": name``
        in each record. Rows of one forward pass then differ only in the tags spliced in and
        the head that reads them. Records are sorted by length into left-padded batches of
        ``batch_size``; ``progress`` shows a bar (default: when there are more than four
        batches).
        """
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        bindings, prompts = encode_requests(self, records, function)
        return predict_prompts(self, bindings, prompts, batch_size=batch_size, output=output,
                               progress=progress)

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
            values = heads_on_one_input(self, headed, [prompts[b.name] for b in headed], output)
            results.update(zip([b.name for b in headed], values, strict=True))
        return {name: results[name] for name in names}

    # -- generation ----------------------------------------------------------------------
    @property
    def pad_id(self) -> int:
        """The id written into padding columns (masked out)."""
        return pad_token_id(self.tokenizer)

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
        any string in ``stop`` appears (the text is cut before it); ``stop=None`` uses the
        function's own stop strings (``FunctionSpec.stop``, e.g. a newline for Translate).
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
        """:meth:`generate` for many records (dicts of slot values), in left-padded batches
        that share one KV cache per batch; results in input order."""
        binding = self.binding(function)
        if max_new_tokens < 1:
            raise InputError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        if not records:
            return []
        prompts = self._encode_records(binding, records)
        limit = self.base.max_length
        longest = max(len(p) for p in prompts)
        if limit is not None and longest + max_new_tokens > limit:
            raise InputError(f"the prompt ({longest} tokens) plus max_new_tokens={max_new_tokens} "
                             f"exceeds the base model's context of {limit}; lower max_new_tokens")
        config = GenerationConfig(max_new_tokens, do_sample, temperature, top_p, seed, use_cache)
        return generate_texts(self.model, self.tokenizer, prompts, self.table, config,
                              pad_id=self.pad_id, stop=binding.spec.stop if stop is None else stop,
                              batch_size=batch_size, progress=progress, desc=binding.name)

    def generate_ids(self, function: str | None = None, *, max_new_tokens: int = 20,
                     use_cache: bool = True, **slots: Any) -> list[int]:
        """Greedy new token ids (no decoding, no end-of-sequence stop): for exact comparisons."""
        binding = self.binding(function)
        prompt = self.encode(binding.name, **slots)
        batch = collate_prompts([prompt], self.table.layout(), self.pad_id).to(self.base.device)
        config = GenerationConfig(max_new_tokens=max_new_tokens, use_cache=use_cache)
        with torch.inference_mode():
            embeds = splice_embeddings(self.model, batch.input_ids, batch.tag_rows, self.table)
            return generate_ids(self.model, embeds, batch.attention_mask, batch.position_ids,
                                config, set(), self.pad_id)[0]

