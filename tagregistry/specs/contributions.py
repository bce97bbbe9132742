"""Pydantic models for what plugins contribute (specs) and what the store holds (records).

Specs describe *code and templates* (a domain's tokenizer, a function's prompt and head);
records describe *learned weights* and their provenance. Callables are named by import
path (``"package.module:attr"``) so that listing plugins never imports heavy libraries.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tagregistry.names import validate_name

TagKind = Literal["domain", "function"]
OutputKind = Literal["scalar", "vector", "class", "text"]
IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
SLOT_PATTERN = re.compile(r"\{([A-Za-z][\w\-]*)(?::([A-Za-z_]\w*))?\}")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_import_path(value: str | None) -> str | None:
    if value is not None and not IMPORT_PATH.match(value):
        raise ValueError(f"{value!r} is not an import path of the form 'package.module:attribute'")
    return value


class HeadSpec(_Spec):
    """What a function tag's head computes from the last hidden state at the tag."""

    type: str = Field(description="head type name, e.g. 'regression' or 'classification'")
    output_dim: int = Field(1, ge=1, description="scalars out (regression) or classes")
    labels: list[str] | None = Field(None, description="class names for classification heads")
    hidden: int | None = Field(
        None, ge=1, exclude_if=lambda value: value is None,
        description="units of a hidden GELU layer before the output (none: a linear head); "
        "set by a recipe's hyper.head_hidden",
    )

    @model_validator(mode="after")
    def _labels_match(self) -> HeadSpec:
        if self.labels is not None and len(self.labels) != self.output_dim:
            raise ValueError(
                f"head has {len(self.labels)} labels but output_dim={self.output_dim}; make them equal"
            )
        return self


class DomainSpec(_Spec):
    """A kind of specialised data (``SMILES``, ``Protein``) and how to render it as text."""

    name: str
    description: str = ""
    tokenizer: str | None = Field(None, description="name of a registered domain tokenizer")
    family: str | None = Field(None, description="interchangeable notations, e.g. 'molecule'")
    max_length: int | None = Field(
        None, ge=1,
        description="most characters one input value may have; the core refuses longer values "
        "before any plugin code (tokenizer, validator) runs",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return validate_name(value)


class SlotSpec(_Spec):
    """An input slot of a function: the keyword a user passes and the domains it accepts."""

    name: str = Field(pattern=r"^[A-Za-z_]\w*$")
    domains: list[str] = Field(min_length=1, description="accepted domain tags, preferred first")
    families: list[str] = Field(default_factory=list, description="also accept these families")
    tag_only: bool = Field(
        False, exclude_if=lambda value: not value,
        description="the slot's domain tag stands alone in the prompt, without a value (e.g. "
        "Translate's target language): compose picks its domain and callers pass nothing",
    )


class FunctionSpec(_Spec):
    """A task: input slots, a prompt template, an optional head and an evaluation metric.

    The template names slots as ``{Domain:slot}`` (domain tag then the slot's value) and
    the function tag itself as ``{Name}``, which must come last; a text output may follow it
    with tag-only slots (the generated text then comes right after its target's domain tag).
    """

    name: str
    description: str = Field("", description="also the description of tags trained for it")
    slots: list[SlotSpec] = Field(default_factory=list)
    template: str
    head: HeadSpec | None = None
    output: OutputKind = "scalar"
    metric: str = Field("mse", description="held-out metric: mse, rmse, mae, r2, pearson or accuracy")
    dataset: str | None = Field(None, description="default dataset name for training")
    stop: list[str] = Field(
        default_factory=list, exclude_if=lambda value: not value,
        description="text outputs: generation also ends where one of these strings appears "
        "(e.g. a newline), besides the end-of-sequence token",
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return validate_name(value)

    @property
    def value_slots(self) -> list[str]:
        """The slots callers fill with values (all but the tag-only ones), in order."""
        return [slot.name for slot in self.slots if not slot.tag_only]

    @property
    def tag_only_slots(self) -> list[str]:
        """The slots whose domain tag stands alone (no value)."""
        return [slot.name for slot in self.slots if slot.tag_only]

    @model_validator(mode="after")
    def _template_consistent(self) -> FunctionSpec:
        found = SLOT_PATTERN.findall(self.template)
        own = [domain for domain, slot in found if not slot]
        if own != [self.name]:
            raise ValueError(
                f"template of {self.name!r} must contain {{{self.name}}} exactly once, got {self.template!r}"
            )
        after = self.template.rstrip().split("{" + self.name + "}", 1)[1]
        if after and not self._only_tag_only_slots(after):
            raise ValueError(
                f"template of {self.name!r} must end with the function tag {{{self.name}}} "
                "(a text output may follow it with tag-only slots, nothing else)"
            )
        slot_names = {slot.name for slot in self.slots}
        used = {slot for _, slot in found if slot}
        if used != slot_names:
            raise ValueError(
                f"template slots {sorted(used)} do not match declared slots {sorted(slot_names)}"
            )
        if self.output in ("scalar", "vector", "class") and self.head is None:
            raise ValueError(f"function {self.name!r} with output {self.output!r} needs a head")
        if self.stop and (self.output != "text" or not all(self.stop)):
            raise ValueError(f"function {self.name!r}: stop strings are for text outputs and "
                             "must be non-empty")
        return self

    def _only_tag_only_slots(self, text: str) -> bool:
        """Whether ``text`` is tag-only slots and nothing else, in a text output's template."""
        trailing = [slot for _, slot in SLOT_PATTERN.findall(text)]
        return (self.output == "text" and not SLOT_PATTERN.sub("", text).strip()
                and all(slot in self.tag_only_slots for slot in trailing))


class TokenizerSpec(_Spec):
    """A domain tokenizer: ``factory()`` (called with no arguments) returns an object with
    ``units(value)`` and ``render(value)`` (the ``DomainTokenizer`` protocol)."""

    name: str
    factory: str
    description: str = ""

    @field_validator("factory")
    @classmethod
    def _valid_factory(cls, value: str) -> str:
        return _check_import_path(value)


class HeadTypeSpec(_Spec):
    """A head implementation: ``factory(hidden_size, spec)`` returns a ``torch.nn.Module``."""

    name: str
    factory: str
    description: str = ""

    @field_validator("factory")
    @classmethod
    def _valid_factory(cls, value: str) -> str:
        return _check_import_path(value)


class DatasetSpec(_Spec):
    """A data set: ``loader(split=..., **options)`` yields dict records."""

    name: str
    loader: str
    description: str = ""
    domains: list[str] = Field(default_factory=list)
    function: str | None = None
    license: str | None = None
    splits: list[str] = Field(default_factory=lambda: ["train", "validation", "test"])
    demo_records: int | None = Field(
        None, ge=1, description="held-out records `tagregistry demo` scores by default (default 96)"
    )

    @field_validator("loader")
    @classmethod
    def _valid_loader(cls, value: str) -> str:
        return _check_import_path(value)


class BaseModelSpec(_Spec):
    """A named base LLM: ``loader(**options)`` returns ``(model, tokenizer)``."""

    name: str
    loader: str
    description: str = ""
    model_id: str | None = Field(None, description="Hugging Face id the weights come from")

    @field_validator("loader")
    @classmethod
    def _valid_loader(cls, value: str) -> str:
        return _check_import_path(value)


class PackSpec(_Spec):
    """A tag pack folder shipped inside a plugin (pretrained tags for a named base)."""

    name: str = Field(pattern=r"^[A-Za-z][\w.\-]*$")
    path: str = Field(description="absolute path of the pack folder (tagpack.json inside)")
    base: str = Field(description="named base model the tags were trained on")
    description: str = ""
    results: str | None = Field(
        None, description="path of the pack's Results-page numbers (JSON written by "
        "benchmarks/make_results_page.py) that `tagregistry demo` shows beside each function"
    )


class DataPackageSpec(_Spec):
    """A PyPI distribution whose data files a data set reads: one pinned file, fetched into the
    user's data cache and unpacked there (never installed, so its dependencies do not matter)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$", description="project name on PyPI")
    version: str
    filename: str = Field(pattern=r"^[\w.\-+]+\.(whl|tar\.gz|zip)$",
                          description="the wheel or sdist to fetch")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of that file")
    size: int | None = Field(None, ge=1, description="bytes of that file (for the progress bar)")
    members: list[str] = Field(min_length=1, description="paths inside the file to unpack")
    license: str | None = None
    description: str = ""

    @field_validator("members")
    @classmethod
    def _relative_members(cls, value: list[str]) -> list[str]:
        for member in value:
            parts = member.split("/")
            if member.startswith("/") or "\\" in member or any(p in ("", ".", "..") for p in parts):
                raise ValueError(f"member {member!r} must be a relative path inside the archive")
        return value
