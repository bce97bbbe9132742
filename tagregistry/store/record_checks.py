"""One validation of record metadata for every way in: register, import, pull, packs.

Tensors are checked by :mod:`tagregistry.store.validation`; this module checks what comes
with them: the base model record, text fields, source, metrics and the head's spec and
config. Everything is refused with an ``InputError`` before the database sees it, so
SQLite and PostgreSQL accept and refuse the same records: NUL characters (PostgreSQL
rejects them in text), lone surrogates (not encodable as UTF-8), over-long fields,
NaN/infinite metrics (``show --json`` could not print them as JSON), and integers past
the database's columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tagregistry.errors import InputError
from tagregistry.safe_json import finite_number, plain_json
from tagregistry.specs import BaseModelRecord, HeadSpec
from tagregistry.store.schema import BaseModelRow

#: longest description (characters; other text fields are as long as their columns allow)
MAX_DESCRIPTION = 100_000
#: longest metric names and class labels (stored in JSON columns)
MAX_SHORT_TEXT = 1_000
#: largest JSON of a record's source or a head's config (characters)
MAX_JSON_CHARS = 4 * 1024 * 1024
#: widest base model accepted (Llama 3.1 405B is 16,384 wide)
MAX_HIDDEN_SIZE = 2**20


def check_text(field: str, value: Any, *, limit: int = MAX_SHORT_TEXT, optional: bool = False,
               required: bool = False) -> None:
    """Refuse a text field that is not a string (or ``None`` if ``optional``), empty when
    ``required``, over ``limit`` characters, or holding NUL or a lone surrogate."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise InputError(f"{field} is empty")
    if len(value) > limit:
        raise InputError(f"{field} has {len(value):,} characters; at most {limit:,} are stored")
    _check_characters(field, value)


def _check_characters(field: str, value: str) -> None:
    if "\x00" in value:
        raise InputError(f"{field} contains a NUL character, which databases cannot store; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{field} contains a lone surrogate (not valid Unicode text); "
                         "fix the text that produced it") from None


def check_json(field: str, value: Any) -> dict[str, Any]:
    """A plain JSON dict whose strings (keys too) pass :func:`_check_characters`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{field} must be a dict of JSON values, got {type(value).__name__}")
    try:
        plain = plain_json(value, field)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    stack: list[Any] = [plain]
    size = 0
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            size += len(item)
            _check_characters(field, item)
        if size > MAX_JSON_CHARS:
            raise InputError(f"{field} holds over {MAX_JSON_CHARS:,} characters of text; "
                             "store large data elsewhere and refer to it")
    return plain


def check_metrics(metrics: Any) -> dict[str, float]:
    """``{name: finite float}`` with names that pass :func:`check_text`."""
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise InputError(f"metrics must be a dict of name -> number, got {type(metrics).__name__}")
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if not isinstance(key, str) or not key:
            raise InputError(f"metric names must be non-empty strings, got {key!r}")
        check_text("a metric name", key)
        number = finite_number(value)
        if number is None:
            raise InputError(f"metric {key!r} must be a finite number, got {type(value).__name__} "
                             f"{value!r:.60}")
        out[key] = number
    return out


def check_base_record(base: BaseModelRecord) -> None:
    """Refuse a base model record that references could not name or databases not store."""
    check_text("the base model id", base.model_id, required=True,
               limit=column_length(BaseModelRow, "model_id"))
    if "@" in base.model_id:
        raise InputError(
            f"base model id {base.model_id!r} contains '@', which separates an id from its "
            "revision in references (ID@REVISION); load it from a path or id without '@'"
        )
    check_text("the base model revision", base.revision, required=True,
               limit=column_length(BaseModelRow, "revision"))
    check_text("the base model fingerprint", base.fingerprint, required=True,
               limit=column_length(BaseModelRow, "fingerprint"))
    if not 1 <= base.hidden_size <= MAX_HIDDEN_SIZE:
        raise InputError(f"base model {base.model_id!r} has hidden size {base.hidden_size}; "
                         f"expected 1 to {MAX_HIDDEN_SIZE:,}")


def check_head_spec(name: str, spec: HeadSpec, shapes: dict[str, list[int]]) -> None:
    """Refuse a head spec its tensors cannot implement (``output_dim`` 3,000,000 over a few
    hundred numbers would make compose allocate gigabytes), and class labels databases
    cannot store."""
    numbers = sum(math.prod(shape) for shape in shapes.values())
    for field in ("output_dim", "hidden"):
        value = getattr(spec, field)
        if value is not None and value > numbers:
            raise InputError(
                f"the head of {name!r} declares {field}={value}, but its tensors hold only "
                f"{numbers} numbers (a head needs at least one weight per unit); the head spec "
                "does not match its tensors"
            )
    for label in spec.labels or []:
        check_text(f"a class label of the head of {name!r}", label)


def column_length(table: Any, column: str) -> int:
    """The declared length of a ``String(n)`` column (PostgreSQL enforces it, SQLite does not)."""
    return int(table.__table__.c[column].type.length)
