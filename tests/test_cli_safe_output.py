"""CLI output cannot drive the terminal, and a closed pipe ends the CLI quietly.

Records imported from files or pulled from the Hub carry descriptions, sources and base
model ids written by someone else. Human output shows their control characters as escapes;
``--json`` output stays exact JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support.cli import TAGREGISTRY

from tagregistry.cli.main import main
from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord
from tagregistry.terminal import safe

HIDDEN = 8
EVIL_DESCRIPTION = "drug\x1b[2J\x1b[31mlike\x07\r\nQED@9  (forged line)\u202egnp.exe\x9b31m"
EVIL_SOURCE = {"repo": "org/pack\x1b]0;pwned\x07", "note": "tab\there"}
EVIL_BASE = "org/model\x1b[8m"
CONTROL = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + ["\u202e"]


def _clean(text: str) -> bool:
    lines = text.split("\n")
    return not any(ch in line for line in lines for ch in CONTROL)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A registry holding one tag imported from a file written by someone else."""
    source_url = f"sqlite:///{tmp_path / 'theirs.db'}"
    exported = tmp_path / "qed.safetensors"
    base = BaseModelRecord(model_id=EVIL_BASE, hidden_size=HIDDEN, fingerprint="2" * 64)
    with Registry(source_url) as theirs:
        theirs.register("QED", np.ones((2, HIDDEN), np.float32), base=base, kind="function",
                        description=EVIL_DESCRIPTION, source=EVIL_SOURCE, license="MIT\x1b[0m")
        theirs.export("QED", exported)
    url = f"sqlite:///{tmp_path / 'ours.db'}"
    with Registry(url) as ours:
        ours.import_file(exported)
    return url


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_safe_escapes_controls_and_keeps_text() -> None:
    assert safe("a\x1b[31mb\r\n\x07\x7f\x9b\u202ec") == "a\\x1b[31mb\\x0d\\x0a\\x07\\x7f\\x9b\\u202ec"
    assert safe("CC(=O)Oc1ccccc1 — QED 0.55 µ") == "CC(=O)Oc1ccccc1 — QED 0.55 µ"


def test_show_escapes_imported_fields(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--db", db, "show", "QED")
    assert code == 0
    assert _clean(out), out
    assert "drug\\x1b[2J\\x1b[31mlike\\x07\\x0d\\x0aQED@9  (forged line)\\u202egnp.exe" in out
    assert "org/pack\\x1b]0;pwned\\x07" in out
    assert "tab\\x09here" in out
    assert "org/model\\x1b[8m@main" in out
    assert "MIT\\x1b[0m" in out
    assert not any(line.startswith("QED@9") for line in out.splitlines())


@pytest.mark.parametrize("command", [["list"], ["list", "--all-versions"], ["versions", "QED"]])
def test_tables_escape_base_ids(db: str, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, _ = _run(capsys, "--db", db, *command)
    assert code == 0
    assert _clean(out), out
    assert "org/model\\x1b[8m" in out


def test_json_output_is_exact(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--db", db, "show", "QED", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["description"] == EVIL_DESCRIPTION
    assert data["source"]["repo"] == EVIL_SOURCE["repo"]
    assert data["base"]["model_id"] == EVIL_BASE
    assert _clean(out)  # json escapes control characters itself


def test_import_and_delete_messages_escape_the_base(db: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "again.safetensors"
    assert _run(capsys, "--db", db, "export", "QED", str(path))[0] == 0
    code, out, _ = _run(capsys, "--db", db, "import", str(path))
    # identical bytes: reported as already registered, with the base escaped
    assert code == 0 and _clean(out) and "already registered as QED@1 (org/model\\x1b[8m)" in out
    code, out, _ = _run(capsys, "--db", db, "delete", "QED@1")
    assert code == 0 and _clean(out) and "org/model\\x1b[8m" in out


def test_error_messages_are_escaped(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--db", db, "show", "QED", "--base", "nope\x1b[2J")
    assert code == 1 and out == ""
    assert _clean(err) and "nope\\x1b[2J" in err


def test_closed_pipe_ends_quietly(db: str, tmp_path: Path) -> None:
    """``tagregistry show QED --json | head -1``: no traceback, no error line."""
    with Registry(db) as reg:  # a record bigger than any pipe buffer
        reg.register("SMILES", np.zeros((1, HIDDEN), np.float32), base=EVIL_BASE, kind="domain",
                     source={"notes": "x" * 500_000})
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    process = subprocess.Popen([str(TAGREGISTRY), "--db", db, "show", "SMILES", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"{\n"
    process.stdout.close()  # what `head -1` does after its line
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert err == ""


def test_bases_delete_unused_escapes_the_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with Registry(url) as reg:
        reg.register_base(BaseModelRecord(model_id="org/m\x1b]0;pwned\x07\x1b[2J", hidden_size=HIDDEN,
                                          fingerprint="3" * 64))
    code, out, err = _run(capsys, "--db", url, "bases", "delete", "--unused")
    assert code == 0 and err == "" and _clean(out)
    assert out == "deleted base model org/m\\x1b]0;pwned\\x07\\x1b[2J@main\n"


def test_db_check_damaged_lines_are_escaped(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3
    from contextlib import closing

    path = db.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE tags SET description = 'changed behind its back'")
    code, out, _ = _run(capsys, "--db", db, "db", "check")
    assert code == 1 and _clean(out), out
    assert "DAMAGED  QED@1 (org/model\\x1b[8m): record metadata fails its checksum" in out
