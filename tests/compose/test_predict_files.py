"""Prediction files: every input row comes out exactly once, whatever its bytes.

Regression tests for rows that used to lose the whole run (a CSV field over 131,072
characters, a byte that is not UTF-8, a deeply nested JSON line), for input columns that
were overwritten, and property tests (hypothesis) over random cells, encodings, field sizes
and column names. They run :func:`predict_file` in-process on a composed tiny model.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagregistry.cli.predict_rows import predict_file
from tagregistry.errors import InputError
from tagregistry.heads import RegressionHead
from tagregistry.models.loading import load_base
from tagregistry.plugins.manager import Catalog
from tagregistry.registry import Registry
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload
from tagregistry.testing import testing_plugin


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    """TestMol + TestScore composed on tiny-gpt2 (one model for every example)."""
    home = tmp_path_factory.mktemp("predict-files")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TAGREGISTRY_HOME", str(home / "home"))
        patch.setenv("TAGREGISTRY_MODEL_CACHE", str(home / "models"))
        catalog = Catalog(extra=[("testing", testing_plugin)])
        base = load_base("tiny-gpt2", catalog=catalog)
        with Registry(f"sqlite:///{home}/r.db") as registry:
            generator = torch.Generator().manual_seed(3)
            registry.register("TestMol", torch.randn(2, base.hidden_size, generator=generator) * 0.02,
                              base=base.record, kind="domain")
            registry.register("TestScore", torch.randn(2, base.hidden_size, generator=generator) * 0.02,
                              base=base.record, kind="function",
                              head=HeadPayload(spec=HeadSpec(type="regression"),
                                               tensors=RegressionHead(base.hidden_size, HeadSpec(
                                                   type="regression")).state_dict()))
            yield registry.compose("TestMol", "TestScore", base="tiny-gpt2", catalog=catalog)


def run(model, tmp_path: Path, name: str, data: bytes, out_name: str | None = None, **options):
    """``predict_file`` on ``data`` saved as ``name``; the written rows (bytes kept as surrogates)."""
    source = tmp_path / name
    source.write_bytes(data)
    out = tmp_path / (out_name or f"out{source.suffix if source.suffix != '.tsv' else '.csv'}")
    result = predict_file(model, ["TestScore"], str(source), str(out), options.get("mapping", {}), 4)
    text = out.read_bytes().decode("utf-8", "surrogateescape")
    if out.suffix == ".jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return result, rows, out


def test_a_byte_that_is_not_utf8_costs_its_row_only(model, tmp_path):
    result, rows, out = run(model, tmp_path, "f.csv", b"name,mol\nethanol,CCO\ncaf\xe9,CCC\nwater,O\n")
    assert [r["name"] for r in rows] == ["ethanol", "caf\udce9", "water"]
    assert b"caf\xe9," in out.read_bytes()  # the input's bytes come back unchanged
    assert rows[0]["error"] == "" and math.isfinite(float(rows[0]["TestScore"]))
    assert "byte(s) 0xe9 that are not UTF-8" in rows[1]["error"] and rows[1]["TestScore"] == ""
    assert rows[2]["error"] == ""
    assert (result.tally.rows, result.tally.failed) == (3, 1)


def test_a_csv_field_over_the_csv_module_limit_costs_its_row_only(model, tmp_path):
    long = "C" * 200_000
    data = f"mol,note\nCCO,a\n{long},b\nCCN,\"{long}\"\nO,d\n".encode()
    _, rows, _ = run(model, tmp_path, "f.csv", data)
    assert [r["mol"][:3] for r in rows] == ["CCO", "CCC", "CCN", "O"]
    assert rows[2]["note"] == long  # long cells in other columns are read and written back
    assert rows[0]["error"] == rows[2]["error"] == rows[3]["error"] == ""
    assert rows[1]["error"]
    big = "C" * 2_000_000
    _, rows, _ = run(model, tmp_path, "g.csv", f"mol\nCCO\n{big}\nO\n".encode())
    assert len(rows) == 3 and rows[1]["mol"] == big and "2,000,000 characters" in rows[1]["error"]


def test_jsonl_bad_bytes_and_deep_nesting_cost_their_rows_only(model, tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    lines = [b'{"mol": "CCO"}', b'{"mol": "caf\xe9"}', b'{"mol": "C", "x": ' + deep.encode() + b'}',
             b'{"mol": "O"}']
    _, rows, _ = run(model, tmp_path, "f.jsonl", b"\n".join(lines) + b"\n")
    assert len(rows) == 4
    assert rows[0]["error"] is None and rows[3]["error"] is None
    assert rows[1]["mol"] == "caf\udce9" and "0xe9" in rows[1]["error"]
    assert "line 3 is not valid JSON" in rows[2]["error"] and "nested deeper" in rows[2]["error"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("mol\nCCO\n".encode("utf-16"), "is UTF-16 text"),
        ("mol\nCCO\n".encode("utf-16-le"), "NUL bytes"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not UTF-8 text"),
        (bytes(range(128, 256)) * 8, "not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_file_that_is_not_utf8_text_is_one_clear_error(model, tmp_path, data, message, suffix):
    with pytest.raises(InputError, match=message):
        run(model, tmp_path, f"f{suffix}", data)
    assert not list(tmp_path.glob("*out*"))


def test_input_columns_are_never_changed_and_output_names_never_collide(model, tmp_path):
    data = b"mol,TestScore,TestScore_predicted,error\nCCO,1,2,mine\nO,3,4,\n"
    result, rows, _ = run(model, tmp_path, "f.csv", data)
    assert list(rows[0]) == ["mol", "TestScore", "TestScore_predicted", "error",
                             "TestScore_predicted_2", "error_predicted"]
    assert [(r["TestScore"], r["TestScore_predicted"], r["error"]) for r in rows] == [
        ("1", "2", "mine"), ("3", "4", "")]
    assert all(math.isfinite(float(r["TestScore_predicted_2"])) for r in rows)
    assert result.error_column == "error_predicted"
    assert result.targets[0].output_column == "TestScore_predicted_2"


def test_jsonl_output_names_avoid_keys_that_only_later_rows_have(model, tmp_path):
    data = b'{"mol": "CCO"}\n{"mol": "O", "TestScore": "theirs", "error": 5}\n'
    _, rows, _ = run(model, tmp_path, "f.jsonl", data)
    assert rows[1]["TestScore"] == "theirs" and rows[1]["error"] == 5
    assert rows[1]["error_predicted"] is None and isinstance(rows[1]["TestScore_predicted"], float)


def test_map_names_the_missing_column(model, tmp_path):
    with pytest.raises(InputError, match=r"--map nope=mol: .* has no column 'nope'"):
        run(model, tmp_path, "f.csv", b"smiles\nCCO\n", mapping={"mol": "nope"})


def test_output_through_a_symlink_writes_the_file_it_points_to(model, tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    run(model, tmp_path, "f.csv", b"mol\nCCO\n", out_name="link.csv")
    assert link.is_symlink() and real.read_text().startswith("mol,TestScore,error\n")


# -- properties ---------------------------------------------------------------------------------
NAMES = st.one_of(st.sampled_from(["TestScore", "error", "TestScore_predicted", " mol", "MOL", ""]),
                  st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                          max_size=12))
LONG = st.integers(131_000, 140_000).map(lambda n: "C" * n)
BAD = st.binary(min_size=1, max_size=6).map(lambda b: (b"C" + b).decode("utf-8", "surrogateescape"))
CELLS = st.one_of(st.text(max_size=20), st.sampled_from(["CCO", "O", "c1ccccc1", ""]), BAD, LONG)
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


def _table(draw, ncolumns: int) -> tuple[list[str], list[list[str]]]:
    extra = draw(st.lists(NAMES, max_size=ncolumns, unique=True).filter(lambda c: "mol" not in c))
    columns = ["mol", *extra]
    rows = draw(st.lists(st.lists(CELLS, min_size=len(columns), max_size=len(columns)),
                         max_size=6))
    return columns, rows


@st.composite
def delimited(draw) -> tuple[str, bytes, list[str], list[list[str]]]:
    columns, rows = _table(draw, 4)
    delimiter = draw(st.sampled_from([",", "\t"]))
    buffer = io.StringIO(newline="")
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting)  # "\r\n": "\r" is quoted
    writer.writerow(columns)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8", "surrogateescape")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return (".csv" if delimiter == "," else ".tsv"), data, columns, rows


@given(case=delimited())
@PROPERTY
def test_every_csv_row_comes_out_exactly_once_with_its_cells_unchanged(model, tmp_path, case):
    suffix, data, columns, rows = case
    _, written, _ = run(model, tmp_path, f"in{suffix}", data)
    assert len(written) == len(rows)
    for out, cells in zip(written, rows, strict=True):
        assert [out[c] for c in columns] == cells
        assert bool(out["error_predicted" if "error" in columns else "error"]) != bool(
            out[next(k for k in out if k.startswith("TestScore") and k not in columns)])


@st.composite
def json_lines(draw) -> tuple[bytes, list[dict]]:
    columns, rows = _table(draw, 3)
    records = [dict(zip(columns, cells, strict=True)) for cells in rows]
    text = "".join(json.dumps(r, ensure_ascii=draw(st.booleans())) + "\n" for r in records)
    return text.encode("utf-8", "surrogateescape"), records


@given(case=json_lines())
@PROPERTY
def test_every_jsonl_row_comes_out_exactly_once_with_its_values_unchanged(model, tmp_path, case):
    data, records = case
    _, written, _ = run(model, tmp_path, "in.jsonl", data)
    assert len(written) == len(records)
    for out, record in zip(written, records, strict=True):
        assert {k: out[k] for k in record} == record


@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]))
@PROPERTY
def test_random_bytes_are_refused_whole_or_every_row_comes_out_once(model, tmp_path, data, suffix):
    try:
        result, written, _ = run(model, tmp_path, f"in{suffix}", data)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert len(written) == result.tally.rows
    if suffix != ".jsonl":
        physical = data.count(b"\n") + data.count(b"\r") + 1
        assert len(written) <= physical
    else:
        lines = [line for line in data.decode("utf-8", "surrogateescape").splitlines() if line.strip()]
        assert len(written) <= len(lines)
