"""Turn a template and slot values into token ids with reserved tag positions.

The template's text pieces, the tag placeholders and the rendered slot values are
tokenised separately and concatenated, so tag positions are known exactly and a value is
tokenised as it would be in running text (see :mod:`tagregistry.engine.template`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tagregistry.engine.domain_tokenizers import DomainTokenizer, domain_tokenizer
from tagregistry.engine.template import TagPiece, TextPiece, parse_template
from tagregistry.errors import InputError

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog

TEMPLATE_CACHE_SIZE = 1024


@dataclass(frozen=True)
class TagOccurrence:
    """Tag ``name`` occupies positions ``start .. start + length - 1``."""

    name: str
    start: int
    length: int

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True)
class ValueSpan:
    """The tokens of ``slot``'s rendered value (domain ``domain``): ``start .. end - 1``."""

    slot: str
    domain: str
    start: int
    end: int


@dataclass
class EncodedPrompt:
    """One prompt: token ids (placeholders at tag positions) and where everything is.

    Attributes:
        input_ids: token ids; tag positions hold ``placeholder_id`` (overwritten by splicing).
        tags: every tag occurrence, in order.
        values: every slot value span, in order (stage-1 LM targets are these tokens).
        function_start: first position of the function tag (``None`` without one);
            nothing before it depends on it, so ``input_ids[:function_start]`` is a
            shareable prefix.
        readout: the position a head reads: the last token (the function tag's last
            position, since a template with a head ends with it).
    """

    input_ids: list[int]
    tags: list[TagOccurrence] = field(default_factory=list)
    values: list[ValueSpan] = field(default_factory=list)
    function_start: int | None = None
    readout: int = -1

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def function(self) -> str | None:
        """The name of the function tag, if any."""
        if self.function_start is None:
            return None
        return next(t.name for t in self.tags if t.start == self.function_start)

    def value_span(self, slot: str) -> ValueSpan:
        """The (first) span of ``slot``'s value."""
        for span in self.values:
            if span.slot == slot:
                return span
        raise KeyError(slot)

    def value_flags(self) -> list[bool]:
        """Per position: whether it is a slot value's token (stage-1 LM targets; what
        ``readout_values`` heads average)."""
        flags = [False] * len(self)
        for span in self.values:
            end = min(span.end, len(self))
            flags[span.start:end] = [True] * max(0, end - span.start)
        return flags

    def without_tag(self, name: str) -> EncodedPrompt:
        """The same prompt with every occurrence of tag ``name`` removed (the plain text a
        prompt without that tag would have; later positions shift left)."""
        removed = [t for t in self.tags if t.name == name]

        def shift(position: int) -> int:
            return position - sum(t.length for t in removed if t.start < position)

        keep = [i for i in range(len(self)) if not any(t.start <= i < t.end for t in removed)]
        function_start = None if self.function_start is None else shift(self.function_start)
        return EncodedPrompt(
            input_ids=[self.input_ids[i] for i in keep],
            tags=[TagOccurrence(t.name, shift(t.start), t.length) for t in self.tags if t.name != name],
            values=[ValueSpan(v.slot, v.domain, shift(v.start), shift(v.end)) for v in self.values],
            function_start=function_start, readout=shift(self.readout),
        )

    def keys(self) -> list[tuple[Any, ...]]:
        """Per position: ``("tok", id)`` or ``("tag", name, j)``; equal keys mean equal inputs."""
        keys: list[tuple[Any, ...]] = [("tok", i) for i in self.input_ids]
        for tag in self.tags:
            for j in range(tag.length):
                keys[tag.start + j] = ("tag", tag.name, j)
        return keys


class PromptEncoder:
    """Encode templates for one base tokenizer.

    Args:
        tokenizer: the base model's Hugging Face tokenizer.
        catalog: plugin catalog used to find each domain's tokenizer (``None``: plain text).
        domain_tokenizers: explicit ``{domain: DomainTokenizer}`` overrides.
        add_special_tokens: prepend what the tokenizer puts before ordinary text (BOS).
        max_length: reject prompts longer than this (the model's context), if given.
    """

    def __init__(
        self,
        tokenizer: Any,
        catalog: Catalog | None = None,
        domain_tokenizers: Mapping[str, DomainTokenizer] | None = None,
        *,
        add_special_tokens: bool = True,
        max_length: int | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.catalog = catalog
        self._domain_tokenizers: dict[str, DomainTokenizer] = dict(domain_tokenizers or {})
        self.max_length = max_length
        self.prefix_ids = self._special_prefix() if add_special_tokens else []
        self.placeholder_id = _placeholder_id(tokenizer)
        self._template_cache: dict[str, tuple[int, ...]] = {}

    def _special_prefix(self) -> list[int]:
        probe = "a"
        with_special = list(self.tokenizer(probe)["input_ids"])
        plain = list(self.tokenizer(probe, add_special_tokens=False)["input_ids"])
        n = len(with_special) - len(plain)
        if n > 0 and with_special[n:n + len(plain)] == plain:
            return with_special[:n]
        return []

    def domain_tokenizer(self, domain: str) -> DomainTokenizer:
        """The (cached) tokenizer that renders values of ``domain``."""
        if domain not in self._domain_tokenizers:
            self._domain_tokenizers[domain] = domain_tokenizer(self.catalog, domain)
        return self._domain_tokenizers[domain]

    def token_ids(self, text: str) -> list[int]:
        """Ids of ``text`` without special tokens."""
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    def _template_ids(self, text: str) -> tuple[int, ...]:
        """:meth:`token_ids` of a template's fixed text, remembered (templates repeat)."""
        ids = self._template_cache.get(text)
        if ids is None:
            if len(self._template_cache) >= TEMPLATE_CACHE_SIZE:
                self._template_cache.clear()
            ids = self._template_cache[text] = tuple(self.token_ids(text))
        return ids

    def encode_text(self, text: str) -> EncodedPrompt:
        """Ordinary text without tags (e.g. a baseline prompt), with the tokenizer's prefix."""
        if not isinstance(text, str) or not text:
            raise InputError(f"a prompt must be a non-empty string, got {preview(text)}")
        ids = list(self.prefix_ids) + self.token_ids(text)
        if self.max_length is not None and len(ids) > self.max_length:
            raise InputError(f"the prompt is {len(ids)} tokens but the base model's context is "
                             f"{self.max_length}; shorten it")
        return EncodedPrompt(input_ids=ids, readout=len(ids) - 1)

    def value_limit(self, domain: str) -> int | None:
        """The most characters one value of ``domain`` may have (its spec's ``max_length``)."""
        spec = self.catalog.domains.get(domain) if self.catalog is not None else None
        return spec.max_length if spec is not None else None

    def render(self, domain: str, slot: str, value: Any) -> str:
        """``value`` rendered by ``domain``'s tokenizer; errors name the slot.

        Values longer than the domain's ``max_length`` are refused before any plugin code
        (tokenizer, validator) sees them.
        """
        if not isinstance(value, str):
            raise InputError(
                f"slot {slot!r} expects a string ({domain}), got {type(value).__name__} "
                f"{preview(value)}"
            )
        limit = self.value_limit(domain)
        if limit is not None and len(value) > limit:
            raise InputError(
                f"slot {slot!r} ({domain}) got a value of {len(value):,} characters, over the "
                f"{limit:,}-character limit of {domain} values (its DomainSpec.max_length); "
                "pass a shorter value"
            )
        try:
            return self.domain_tokenizer(domain).render(value)
        except (InputError, ValueError, TypeError) as exc:
            raise InputError(f"slot {slot!r} ({domain}) rejected {preview(value)}: {exc}") from exc

    def encode(
        self,
        template: str,
        values: Mapping[str, Any],
        tag_lengths: Mapping[str, int],
        domains: Mapping[str, str] | None = None,
        tag_only: Collection[str] = (),
    ) -> EncodedPrompt:
        """Encode ``template`` with slot ``values``.

        Args:
            template: e.g. ``"The SMILES is {SMILES:smiles}. Its QED is {QED}"`` (stage 1:
                ``"{SMILES:smiles}"``).
            values: ``{slot: value}`` for every slot in the template (extra keys are errors).
            tag_lengths: ``{tag: p}`` vectors per tag.
            domains: ``{slot: domain tag}`` replacing the template's domain (zero-shot).
            tag_only: slots whose domain tag stands alone (no value is given or written).
        """
        pieces = parse_template(template)
        domains = domains or {}
        wanted = [p.slot for p in pieces
                  if isinstance(p, TagPiece) and p.slot and p.slot not in tag_only]
        _check_slots(wanted, values)
        ids = list(self.prefix_ids)
        prompt = EncodedPrompt(input_ids=ids)
        carry = ""  # whitespace moved from before a tag to after it
        for index, piece in enumerate(pieces):
            if isinstance(piece, TextPiece):
                text = carry + piece.text
                carry = ""
                if index + 1 < len(pieces):
                    stripped = text.rstrip()
                    carry, text = text[len(stripped):], stripped
                ids.extend(self._template_ids(text))
                continue
            name = domains.get(piece.slot, piece.name) if piece.slot else piece.name
            length = tag_lengths.get(name)
            if not length:
                raise InputError(f"no vectors for tag {name!r} in this prompt; compose it first")
            if piece.slot is None:
                prompt.function_start = len(ids)
            prompt.tags.append(TagOccurrence(name, len(ids), int(length)))
            ids.extend([self.placeholder_id] * int(length))
            if piece.slot and piece.slot not in tag_only:
                rendered = carry + self.render(name, piece.slot, values[piece.slot])
                carry = ""
                start = len(ids)
                ids.extend(self.token_ids(rendered))
                prompt.values.append(ValueSpan(piece.slot, name, start, len(ids)))
        prompt.readout = len(ids) - 1
        if self.max_length is not None and len(ids) > self.max_length:
            raise InputError(
                f"the prompt is {len(ids)} tokens but the base model's context is "
                f"{self.max_length}; shorten the input values"
            )
        return prompt


def _check_slots(wanted: list[str], values: Mapping[str, Any]) -> None:
    missing = [s for s in dict.fromkeys(wanted) if s not in values]
    unknown = [s for s in values if s not in wanted]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing slot(s) {', '.join(map(repr, missing))}")
        if unknown:
            parts.append(f"unknown slot(s) {', '.join(map(repr, unknown))}")
        expected = ", ".join(f"{s}=..." for s in dict.fromkeys(wanted)) or "no slots"
        raise InputError(f"{'; '.join(parts)}: this prompt takes {expected}")


def preview(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, so long inputs keep errors readable."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _placeholder_id(tokenizer: Any) -> int:
    for attr in ("unk_token_id", "pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, attr, None)
        if isinstance(value, int):
            return value
    return 0
