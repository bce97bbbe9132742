"""Checks of Python API arguments: a wrong type is an :class:`InputError` saying what to pass.

Without them a list given as a tensor fails deep inside the store as ``AttributeError``, a
string metric as a bare ``ValueError`` and an object in ``source`` as a database error.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tagregistry.errors import InputError
from tagregistry.names import parse_ref, validate_name
from tagregistry.safe_json import plain_json
from tagregistry.specs import BaseModelRecord
from tagregistry.store.writes import NewTag


def is_array(value: Any) -> bool:
    """Whether ``value`` is a torch tensor or a numpy array (without importing either)."""
    torch = sys.modules.get("torch")
    numpy = sys.modules.get("numpy")
    return bool((torch is not None and isinstance(value, torch.Tensor))
                or (numpy is not None and isinstance(value, numpy.ndarray)))


def check_metrics(metrics: Any) -> dict[str, float]:
    """``{name: finite float}``; names must be strings and values real numbers (the store's
    own check, shared with import, pull and packs)."""
    from tagregistry.store.record_checks import check_metrics as store_check

    return store_check(metrics)


def check_json_dict(value: Any, what: str) -> dict[str, Any]:
    """A dict of plain JSON values (``None`` gives ``{}``), else an InputError naming ``what``.

    See :func:`tagregistry.safe_json.plain_json` for what is refused.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{what} must be a dict of JSON values, got {type(value).__name__}")
    try:
        return plain_json(dict(value), what)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def check_text(field: str, value: Any, *, optional: bool = False) -> None:
    """Refuse a non-string ``value`` for ``field`` (``None`` too unless ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        expected = "a string or None" if optional else "a string"
        raise InputError(f"{field} must be {expected}, got {type(value).__name__} {value!r:.60}")


def check_base(base: Any, *, required: bool = False) -> None:
    """A base argument is a model id (str), a :class:`BaseModelRecord` or ``None``."""
    if isinstance(base, str | BaseModelRecord) or (base is None and not required):
        return
    raise InputError(
        f"base must be a model id string or a BaseModelRecord, got {type(base).__name__}"
    )


def check_ref(ref: Any) -> None:
    """A tag reference is a string such as ``"QED"`` or ``"QED@2"`` (InvalidNameError if not)."""
    parse_ref(ref)


def check_head(head: Any) -> Any:
    """A ``HeadPayload`` of spec, tensors and a JSON config (returned with the config made
    plain), or ``None``."""
    if head is None:
        return None
    from tagregistry.store.tag_store import HeadPayload

    if not isinstance(head, HeadPayload):
        raise InputError(
            f"head must be a HeadPayload(spec=HeadSpec(...), tensors={{...}}), got {type(head).__name__}"
        )
    if not isinstance(head.tensors, Mapping) or not head.tensors:
        raise InputError("head.tensors must be a non-empty dict of name -> tensor")
    for key, value in head.tensors.items():
        if not isinstance(key, str) or not is_array(value):
            raise InputError(
                f"head tensor {key!r} must be a torch.Tensor or numpy array under a string name, "
                f"got {type(value).__name__}"
            )
    return HeadPayload(spec=head.spec, tensors=dict(head.tensors),
                       config=check_json_dict(head.config, "head.config"))


def check_new_tag(tag: NewTag) -> NewTag:
    """Check the arguments of ``Registry.register`` (given as a :class:`NewTag`); returns it
    with the head, metrics and source in the form the store keeps."""
    validate_name(tag.name)
    from tagregistry.store.validation import check_tag

    check_tag(tag.name, tag.tensor)  # the store's own check, shared with import and packs
    check_base(tag.base, required=True)
    check_text("description", tag.description)
    check_text("data_hash", tag.data_hash, optional=True)
    check_text("license", tag.license, optional=True)
    return replace(tag, head=check_head(tag.head), metrics=check_metrics(tag.metrics),
                   source=check_json_dict(tag.source, "source"))
