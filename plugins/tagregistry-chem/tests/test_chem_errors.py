"""Invalid SMILES: InputError messages that quote the input and say where and why; RDKit's
own log never reaches stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from rdkit import rdBase

from tagregistry.errors import InputError, TagRegistryError
from tagregistry_chem.tokenizer import SmilesTokenizer

INVALID = ["C1CC", "CN(C)(C)(C)C", "c1cccc1", "C((C", "CXC", "C%", "OCC(", "[Xx]C"]


def _error(value: object, **options: object) -> str:
    with pytest.raises(InputError) as info:
        SmilesTokenizer(**options).units(value)  # type: ignore[arg-type]
    assert isinstance(info.value, TagRegistryError) and isinstance(info.value, ValueError)
    return str(info.value)


@pytest.mark.parametrize("smiles", INVALID)
@pytest.mark.parametrize("canonical", [True, False])
def test_invalid_smiles_message_quotes_input(smiles: str, canonical: bool) -> None:
    message = _error(smiles, canonical=canonical)
    assert message.startswith(f"invalid SMILES {smiles!r}: ")
    assert "try again" in message


def test_syntax_error_points_at_position() -> None:
    message = _error("C((C")
    assert "RDKit could not parse it: syntax error" in message
    assert "around position 3" in message
    assert "\n  C((C\n    ^" in message


def test_unclosed_ring_points_at_the_ring_label() -> None:
    message = _error("C1CC2CC1")
    assert "unclosed ring" in message
    assert "position 5" in message
    assert "\n  C1CC2CC1\n      ^" in message


def test_valence_error_names_the_atom() -> None:
    message = _error("CN(C)(C)(C)C")
    assert "cannot sanitise" in message
    assert "Explicit valence for atom # 1 N, 5" in message
    assert "\n  CN(C)(C)(C)C\n   ^  (atom #1)" in message


def test_aromaticity_error() -> None:
    assert "KekulizeException: Can't kekulize mol" in _error("c1cccc1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "empty SMILES ''"),
        ("   ", "empty SMILES '   '"),
        ("CC O", "whitespace at position 3"),
        ("CCO ethanol", "whitespace at position 4"),
        (None, "expected a SMILES string, got NoneType None"),
        (42, "expected a SMILES string, got int 42"),
    ],
)
def test_bad_values(value: object, expected: str) -> None:
    assert expected in _error(value)


def test_fallback_without_capture_api(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """RDKit builds before 2026.03 have no CaptureErrorLog: still silent, still explained."""
    monkeypatch.delattr(rdBase, "CaptureErrorLog", raising=False)
    message = _error("CXC")
    assert message.startswith("invalid SMILES 'CXC': RDKit could not parse it: syntax error")
    assert "ring bond opened at position 2 is never closed" in _error("C1CC")
    assert "Explicit valence" in _error("CN(C)(C)(C)C")
    assert capfd.readouterr().err == ""


def test_nothing_reaches_stderr_in_process(capfd: pytest.CaptureFixture[str]) -> None:
    tok = SmilesTokenizer()
    for smiles in INVALID:
        with pytest.raises(InputError):
            tok.units(smiles)
    tok.units("[H]")  # RDKit warns "not removing hydrogen atom without neighbors"
    tok.units("[H][H]")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


_SCRIPT = """
import json, sys
from rdkit import Chem
from tagregistry.errors import InputError
from tagregistry_chem.tokenizer import SmilesTokenizer
from tagregistry_chem.datasets import load_qed, load_smiles
which = sys.argv[1]
if which == "control":
    Chem.MolFromSmiles("C1CC")   # RDKit on its own does write to stderr
    Chem.MolFromSmiles("[H]")
else:
    tok = SmilesTokenizer()
    errors = []
    for s in json.loads(sys.argv[2]):
        try:
            tok.units(s)
        except InputError as exc:
            errors.append(str(exc))
    tok.units("[H]")
    load_smiles("test", limit=5)
    load_qed("validation", limit=20)
    print(len(errors))
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("TAGREGISTRY_")},
    )


def test_nothing_reaches_stderr_in_a_fresh_process() -> None:
    control = _run("control")
    assert "unclosed ring" in control.stderr  # the leak we are guarding against is real
    result = _run("tokenize", json.dumps(INVALID))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(INVALID))
    assert result.stderr == ""
