"""``tagregistry predict`` through the console script, on real files.

The subprocess sees the testing plugin as an installed distribution (a real ``dist-info`` on
``PYTHONPATH``), so its ``tiny-gpt2`` named base and test functions are available; the tags
are random and registered here on that base. Expected values come from the Python API on
the same registry.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import pytest
import torch
from support.cli import run_cli
from support.plugin_dists import make_plugin_dist

from tagregistry.models.loading import load_base
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload

TESTING_PLUGIN = """
from tagregistry.testing import _base_models, _domains, _functions  # noqa: F401 (hooks)
"""

MOLECULES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC", "OCC(O)CO", "C1CCCCC1"]


@pytest.fixture
def setup(tmp_path, registry, catalog, register_tags):
    """A registry with TestMol, TestScore, TestClass and SMILES + QED on tiny-gpt2."""
    site = make_plugin_dist(tmp_path / "site", "tagregistry-testing-plugin", "testing",
                            "tagregistry_testing_plugin", TESTING_PLUGIN)
    base = load_base("tiny-gpt2", catalog=catalog)
    register_tags(base, ["TestMol", "TestScore", "TestClass"])
    generator = torch.Generator().manual_seed(5)
    registry.register("SMILES", torch.randn(3, base.hidden_size, generator=generator) * 0.02,
                      base=base.record, kind="domain")
    head = {"linear.weight": torch.randn(1, base.hidden_size, generator=generator),
            "linear.bias": torch.zeros(1)}
    registry.register("QED", torch.randn(2, base.hidden_size, generator=generator) * 0.02,
                      base=base.record, kind="function",
                      head=HeadPayload(spec=HeadSpec(type="regression"), tensors=head))
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}

    def cli(*args: str, stdin: str | None = None):
        return run_cli("--db", registry.url, *args, env=env, timeout=180, input=stdin)

    cli.env = env  # type: ignore[attr-defined]
    return cli


def expected(registry, catalog, names, function, records):
    model = registry.compose(*names, base="tiny-gpt2", catalog=catalog)
    return model.predict_batch(records, function)


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def test_csv_in_csv_out_in_order_with_a_bad_row(setup, tmp_path, registry, catalog):
    source = tmp_path / "molecules.csv"
    rows = [{"id": str(i), "smiles": s} for i, s in enumerate(MOLECULES)]
    rows.insert(2, {"id": "bad", "smiles": "C1CC(("})
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["id", "smiles"])
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out" / "predicted.csv"
    result = setup("predict", "--base", "tiny-gpt2", "SMILES", "QED", "--input", str(source), "--output", str(out),
                   "--batch-size", "2")
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "error: 1 of 7 rows failed" in result.stderr
    written = read_csv(out)
    assert [r["id"] for r in written] == [r["id"] for r in rows]
    assert list(written[0]) == ["id", "smiles", "QED", "error"]
    bad = written[2]
    assert bad["QED"] == "" and "C1CC((" in bad["error"]
    good = [r for r in written if r["id"] != "bad"]
    truth = expected(registry, catalog, ["SMILES", "QED"], "QED", [{"smiles": s} for s in MOLECULES])
    for row, value in zip(good, truth, strict=True):
        assert row["error"] == ""
        assert math.isclose(float(row["QED"]), value, rel_tol=1e-4, abs_tol=1e-5)
    assert not list(out.parent.glob(".*partial"))


def test_jsonl_with_map_several_functions_and_json_summary(setup, tmp_path, registry, catalog):
    source = tmp_path / "in.jsonl"
    lines = [json.dumps({"compound": m, "n": i}) for i, m in enumerate(["CCO", "CCN", "c1ccccc1"])]
    lines.insert(1, "{not json")
    lines.append(json.dumps({"compound": "", "n": 3}))
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    result = setup("predict", "--base", "tiny-gpt2", "TestMol", "TestScore", "TestClass", "--input", str(source),
                   "--output", str(out), "--map", "compound=mol", "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["rows"] == 5 and summary["failed"] == 2 and summary["predicted"] == 3
    assert summary["functions"] == {"TestScore": "TestScore@1", "TestClass": "TestClass@1"}
    assert "line 2 is not valid JSON" in summary["errors"][0]
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w.get("n") for w in written] == [0, None, 1, 2, 3]
    assert written[-1]["error"] == "no value in column 'compound'"  # both functions: one reason
    model = registry.compose("TestMol", "TestScore", "TestClass", base="tiny-gpt2", catalog=catalog)
    records = [{"mol": m} for m in ["CCO", "CCN", "c1ccccc1"]]
    scores = model.predict_batch(records, "TestScore")
    classes = model.predict_batch(records, "TestClass")
    good = [w for w in written if w["error"] is None]
    assert [w["TestClass"] for w in good] == classes
    for w, score in zip(good, scores, strict=True):
        assert math.isclose(w["TestScore"], score, rel_tol=1e-4, abs_tol=1e-5)


def test_stdin_tsv_to_stdout_and_function_choice(setup, registry, catalog):
    tsv = "mol\tnote\nCCO\ta\nc1ccccc1\tb\n"
    result = setup("predict", "--base", "tiny-gpt2", "TestMol", "TestScore", "TestClass", "--input", "-",
                   "--function", "TestClass", stdin=tsv)
    assert result.returncode == 0, result.stderr
    written = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(written[0]) == ["mol", "note", "TestClass", "error"]
    model = registry.compose("TestMol", "TestClass", base="tiny-gpt2", catalog=catalog)
    assert [r["TestClass"] for r in written] == model.predict_batch(
        [{"mol": "CCO"}, {"mol": "c1ccccc1"}], "TestClass")


def test_sdf_molecules_fill_the_smiles_slot(setup, tmp_path, registry, catalog):
    from rdkit import Chem

    source = tmp_path / "mols.sdf"
    writer = Chem.SDWriter(str(source))
    for i, smiles in enumerate(MOLECULES[:3]):
        mol = Chem.MolFromSmiles(smiles)
        mol.SetProp("_Name", f"mol{i}")
        mol.SetProp("assay", str(i * 10))
        writer.write(mol)
    writer.close()
    out = tmp_path / "out.csv"
    result = setup("predict", "--base", "tiny-gpt2", "SMILES", "QED", "--input", str(source), "--output", str(out),
                   "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    written = read_csv(out)
    assert [r["name"] for r in written] == ["mol0", "mol1", "mol2"]
    assert [r["assay"] for r in written] == ["0", "10", "20"]
    truth = expected(registry, catalog, ["SMILES", "QED"], "QED",
                     [{"smiles": Chem.MolToSmiles(Chem.MolFromSmiles(s))} for s in MOLECULES[:3]])
    for row, value in zip(written, truth, strict=True):
        assert math.isclose(float(row["QED"]), value, rel_tol=1e-4, abs_tol=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "smiles"], "write COLUMN=SLOT"),
        (["--map", "x=protein"], "--map names slot(s) 'protein'"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--json"], "pass --output FILE"),
        (["--output", "out.parquet"], "cannot tell the format of output file"),
        (["--dtype", "fp64"], "unknown dtype 'fp64'"),
    ],
)
def test_usage_mistakes_are_one_line_errors(setup, tmp_path, args, message):
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\n")
    result = setup("predict", "--base", "tiny-gpt2", "SMILES", "QED", "--input", str(source), *args)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_missing_column_names_the_slot_and_the_columns(setup, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("compound,id\nCCO,1\n")
    result = setup("predict", "--base", "tiny-gpt2", "SMILES", "QED", "--input", str(source))
    assert result.returncode == 1
    assert "no column for QED's slot 'smiles' (columns: 'compound', 'id')" in result.stderr
    assert "--map COLUMN=smiles" in result.stderr


def test_a_bad_byte_costs_its_row_and_a_utf16_file_is_one_line(setup, tmp_path):
    source = tmp_path / "f.csv"
    source.write_bytes(b"name,smiles\nethanol,CCO\ncaf\xe9,CCC\n")
    out = tmp_path / "o.csv"
    result = setup("predict", "--base", "tiny-gpt2", "SMILES", "QED", "--input", str(source),
                   "--output", str(out), "--quiet")
    assert result.returncode == 1
    assert result.stderr.startswith("error: 1 of 2 rows failed") and "Traceback" not in result.stderr
    assert out.read_bytes().splitlines()[2].startswith(b"caf\xe9,CCC,,")
    source.write_text("name,smiles\nethanol,CCO\n", encoding="utf-16")
    result = setup("predict", "--base", "tiny-gpt2", "SMILES", "QED", "--input", str(source),
                   "--output", str(out))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: {source} is UTF-16 text; tagregistry reads "
                                          "UTF-8: convert it (e.g. iconv -f UTF-16 -t UTF-8) and retry"]


def test_sigterm_removes_the_partial_output(setup, tmp_path, registry):
    import signal
    import subprocess
    import time

    from support.cli import TAGREGISTRY

    source = tmp_path / "many.csv"
    source.write_text("smiles\n" + "CCO\nc1ccccc1O\n" * 20_000)
    out = tmp_path / "o.csv"
    partial = tmp_path / ".o.csv.partial"
    process = subprocess.Popen(
        [str(TAGREGISTRY), "--db", registry.url, "predict", "--base", "tiny-gpt2", "SMILES", "QED",
         "--input", str(source), "--output", str(out), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **setup.env})
    deadline = time.monotonic() + 120
    while not partial.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert partial.exists(), process.communicate()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and err.strip() == "terminated", err
    assert not partial.exists() and not out.exists()
