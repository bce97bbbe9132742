"""Python API type errors are InputErrors, and deeply nested JSON from outside is refused.

Before, ``register`` with a list tensor failed with ``AttributeError``, a string metric with
a bare ``ValueError``, an object in ``source`` with a database ``StatementError``, and a
100,000-level nested ``tagpack.json`` with ``RecursionError``.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save

from tagregistry.errors import InputError, IntegrityError, InvalidNameError, TagRegistryError
from tagregistry.exchange import FORMAT
from tagregistry.hub.manifest import MANIFEST_FILE
from tagregistry.safe_json import MAX_DEPTH, parse_json, plain_json, too_deep
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload
from tagregistry.training.data import read_file

HIDDEN = 8
DEEP = "[" * 100_000 + "]" * 100_000
VECTORS = np.zeros((2, HIDDEN), np.float32)


def _nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"x": value}
    return value


@pytest.mark.parametrize(
    ("tensor", "kind"),
    [([[0.0] * HIDDEN], "list"), ("abc", "str"), (None, "NoneType"), (3.0, "float")],
)
def test_register_refuses_non_tensors(registry, base_record, tensor, kind) -> None:
    with pytest.raises(InputError, match=f"must be a torch.Tensor or numpy array .* got {kind}"):
        registry.register("SMILES", tensor, base=base_record, kind="domain")


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"mse": "low"}, "metric 'mse' must be a finite number, got str 'low'"),
        ({"mse": None}, "got NoneType None"),
        ({"mse": True}, "got bool True"),
        ({"mse": math.nan}, "must be a finite number"),
        ({"mse": math.inf}, "must be a finite number"),
        ({1: 0.5}, "metric names must be non-empty strings, got 1"),
        ([("mse", 0.5)], "metrics must be a dict of name -> number, got list"),
    ],
)
def test_register_refuses_bad_metrics(registry, base_record, metrics, expected) -> None:
    with pytest.raises(InputError) as info:
        registry.register("SMILES", VECTORS, base=base_record, kind="domain", metrics=metrics)
    assert expected in str(info.value)


def test_numeric_metrics_are_stored_as_floats(registry, base_record) -> None:
    record = registry.register("SMILES", VECTORS, base=base_record, kind="domain",
                               metrics={"mse": np.float32(0.25), "n": 3})
    assert registry.get(record.ref).metrics == {"mse": 0.25, "n": 3.0}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"when": object()}, "Object of type object is not JSON serializable"),
        ({"score": math.nan}, "NaN and infinity are not JSON numbers"),
        ({"path": Path("/tmp/x")}, "Object of type PosixPath is not JSON serializable"),
        ({"ids": {1, 2}}, "Object of type set is not JSON serializable"),
        ({"nested": {1: "a"}}, "has a dict key that is not a string"),
        (_nested(100), f"source is nested deeper than {MAX_DEPTH} levels"),
        (_nested(100_000), f"source is nested deeper than {MAX_DEPTH} levels"),
        ("repo=x", "source must be a dict of JSON values, got str"),
    ],
)
def test_register_refuses_non_json_sources(registry, base_record, source, expected) -> None:
    with pytest.raises(InputError) as info:
        registry.register("SMILES", VECTORS, base=base_record, kind="domain", source=source)
    assert expected in str(info.value)
    with pytest.raises(TagRegistryError):
        registry.get("SMILES")  # nothing was written


def test_sources_are_stored_as_plain_json(registry, base_record) -> None:
    record = registry.register("SMILES", VECTORS, base=base_record, kind="domain",
                               source={"pair": (1, 2), "ok": None})
    assert record.source == {"pair": [1, 2], "ok": None}
    assert registry.get("SMILES").source == record.source


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("description", 5, "description must be a string, got int 5"),
        ("license", ["MIT"], "license must be a string or None, got list"),
        ("data_hash", b"ab", "data_hash must be a string or None, got bytes"),
        ("head", {"linear.weight": VECTORS}, "head must be a HeadPayload"),
        ("base", 5, "base must be a model id string or a BaseModelRecord, got int"),
    ],
)
def test_register_refuses_wrong_argument_types(registry, base_record, field, value, expected) -> None:
    arguments = {"base": base_record, "kind": "function", field: value}
    with pytest.raises(InputError) as info:
        registry.register("QED", VECTORS, **arguments)
    assert expected in str(info.value)


def test_head_tensors_and_config_are_checked(registry, base_record) -> None:
    spec = HeadSpec(type="regression")
    with pytest.raises(InputError, match="head tensor 'linear.weight' must be a torch.Tensor"):
        registry.register("QED", VECTORS, base=base_record, kind="function",
                          head=HeadPayload(spec=spec, tensors={"linear.weight": [[1.0] * HIDDEN]}))
    with pytest.raises(InputError, match="head.config must hold plain JSON values"):
        registry.register("QED", VECTORS, base=base_record, kind="function",
                          head=HeadPayload(spec=spec, tensors={"linear.weight": VECTORS[:1]},
                                           config={"mean": object()}))


@pytest.mark.parametrize("ref", [5, None, ["QED"], b"QED"])
def test_lookups_refuse_non_string_references(registry, ref) -> None:
    for call in (registry.get, registry.delete, registry.versions):
        with pytest.raises(InvalidNameError, match="must be a string|invalid tag name"):
            call(ref)


def test_list_refuses_unknown_kind_and_bad_base(registry) -> None:
    with pytest.raises(InvalidNameError, match="kind must be 'domain', 'function' or None"):
        registry.list(kind="domains")
    with pytest.raises(InputError, match="base must be a model id string"):
        registry.list(base=3)


# -- deeply nested JSON from outside -----------------------------------------------------
def test_parse_json_bounds_nesting() -> None:
    assert parse_json(json.dumps(_nested(MAX_DEPTH - 1))) == _nested(MAX_DEPTH - 1)
    for text in (DEEP, json.dumps(_nested(MAX_DEPTH + 1))):
        with pytest.raises(ValueError, match=f"nested deeper than {MAX_DEPTH} levels"):
            parse_json(text)
    assert too_deep(_nested(100_000)) and not too_deep({"a": [1, {"b": 2}]})
    assert plain_json({"a": (1, 2)}, "x") == {"a": [1, 2]}


@pytest.mark.parametrize("manifest", [
    DEEP,
    '{"format": "tagregistry.pack", "format_version": "1.0", "extra": ' + DEEP + "}",
])
def test_deeply_nested_manifest_is_refused(registry, tmp_path: Path, manifest: str) -> None:
    (tmp_path / MANIFEST_FILE).write_text(manifest)
    with pytest.raises(IntegrityError, match=f"nested deeper than {MAX_DEPTH} levels"):
        registry.load_pack(tmp_path)
    assert registry.list() == []


def test_deeply_nested_export_record_is_refused(registry, tmp_path: Path) -> None:
    path = tmp_path / "deep.safetensors"
    path.write_bytes(save({"tag": VECTORS}, metadata={"format": FORMAT, "record": DEEP}))
    with pytest.raises(IntegrityError, match="nested deeper than"):
        registry.import_file(path)


def test_deeply_nested_safetensors_header_is_refused(registry, tmp_path: Path) -> None:
    header = ('{"__metadata__": {"x": ' + DEEP + "}}").encode()
    path = tmp_path / "deep.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header)
    with pytest.raises(IntegrityError, match="nested deeper than"):
        registry.import_file(path)


def test_deeply_nested_training_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"smiles": "CCO"}\n{"smiles": ' + DEEP + "}\n")
    with pytest.raises(InputError, match=r"data.jsonl:2: not valid JSON \(JSON nested deeper"):
        read_file(path)
