"""Pydantic models for what plugins contribute (specs) and what the store holds (records).

Specs (:mod:`~tagregistry.specs.contributions`) describe *code and templates*: a domain's
tokenizer, a function's prompt and head. Records (:mod:`~tagregistry.specs.records`)
describe *learned weights* and their provenance. Import either from here.
"""

from tagregistry.specs.contributions import (
    IMPORT_PATH,
    SLOT_PATTERN,
    BaseModelSpec,
    DataPackageSpec,
    DatasetSpec,
    DomainSpec,
    FunctionSpec,
    HeadSpec,
    HeadTypeSpec,
    OutputKind,
    PackSpec,
    SlotSpec,
    TagKind,
    TokenizerSpec,
)
from tagregistry.specs.records import BaseModelRecord, HeadRecord, TagRecord

__all__ = [
    "IMPORT_PATH",
    "SLOT_PATTERN",
    "BaseModelRecord",
    "BaseModelSpec",
    "DataPackageSpec",
    "DatasetSpec",
    "DomainSpec",
    "FunctionSpec",
    "HeadRecord",
    "HeadSpec",
    "HeadTypeSpec",
    "OutputKind",
    "PackSpec",
    "SlotSpec",
    "TagKind",
    "TagRecord",
    "TokenizerSpec",
]
