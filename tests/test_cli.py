"""The ``tagregistry`` command line: output, ``--json``, and exit codes 0 / 1 / 2.

Most tests call ``main([...])`` in-process (fast); a few run the console script.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.cli import run_cli

from tagregistry.cli.main import main
from tagregistry.registry import Registry
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload

HIDDEN = 8


@pytest.fixture
def db(tmp_path: Path, base_record) -> str:
    """A registry with QED@1..3 (v3 has a regression head) and SMILES@1."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Registry(url) as reg:
        for i in range(2):
            reg.register("QED", np.full((2, HIDDEN), i, np.float32), base=base_record,
                         kind="function")
        head = HeadPayload(spec=HeadSpec(type="regression"),
                           tensors={"linear.weight": np.ones((1, HIDDEN), np.float32)},
                           config={"mean": 0.6})
        reg.register("QED", np.full((2, HIDDEN), 2, np.float32), base=base_record,
                     kind="function", head=head, metrics={"mse": 0.125}, description="drug-likeness")
        reg.register("SMILES", np.zeros((3, HIDDEN), np.float32), base=base_record, kind="domain")
    return url


class Cli:
    """Run ``main`` in-process against one database; returns ``(code, stdout, stderr)``."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url = url
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            code = main(["--db", self.url, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str):  # type: ignore[no-untyped-def]
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    def fails(self, *args: str) -> str:
        """Assert a user error: exit 1, nothing on stdout, one line on stderr; return it."""
        code, out, err = self(*args)
        assert code == 1, (out, err)
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("error: ")
        return lines[0]


@pytest.fixture
def cli(db: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(db, capsys)


def test_list(cli: Cli) -> None:
    code, out, _ = cli("list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["NAME", "VERSION", "KIND", "BASE"]
    assert [r.split()[:4] for r in rows] == [["QED", "3", "function", "tiny-test"],
                                             ["SMILES", "1", "domain", "tiny-test"]]
    assert "regression" in rows[0]

    assert [(r["name"], r["version"]) for r in cli.json("list")] == [("QED", 3), ("SMILES", 1)]
    assert [r["name"] for r in cli.json("list", "--kind", "domain")] == ["SMILES"]
    assert [r["version"] for r in cli.json("list", "--kind", "function", "--all-versions")] == [
        1, 2, 3]
    assert len(cli.json("list", "--base", "tiny-test")) == 2
    smiles = cli.json("list", "--kind", "domain")[0]
    assert smiles.pop("created_at")[:19] == cli.json("show", "SMILES")["created_at"][:19]
    assert smiles == {
        "name": "SMILES", "version": 1, "kind": "domain", "base": "tiny-test", "n_vectors": 3,
        "dim": HIDDEN, "dtype": "float32", "head": None,
    }
    assert "did you mean tiny-test" in cli.fails("list", "--base", "tiny-tset")


def test_save_pack_reports_size_and_warns_on_large_files(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    code, out, err = cli("save-pack", "SMILES", "QED@3", str(tmp_path / "small"))
    assert code == 0 and err == ""
    files = list((tmp_path / "small").iterdir())
    total = sum(f.stat().st_size for f in files)
    assert 1000 < total < 1e6
    assert out.splitlines()[0].endswith(f": {len(files)} files, {round(total / 1000)} kB")
    monkeypatch.setattr("tagregistry.hub.pack.LARGE_FILE_BYTES", 100)  # the head file is ~150 bytes
    code, out, err = cli("save-pack", "QED@3", str(tmp_path / "large"))
    assert code == 0 and (tmp_path / "large" / "tagpack.json").is_file()  # written all the same
    warned = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert any(line.startswith("warning: QED.v3.head.safetensors is ") and "hyper.head_hidden" in line
               for line in warned), err
    assert any(line.startswith("warning: QED.v3.safetensors is ") for line in warned), err


def test_list_empty(tmp_path: Path, capsys) -> None:
    empty = Cli(f"sqlite:///{tmp_path / 'empty.db'}", capsys)
    assert empty("list") == (0, "no tags registered yet\n", "")
    assert empty.json("list") == []


def test_show(cli: Cli) -> None:
    code, out, _ = cli("show", "QED")
    assert code == 0
    assert out.splitlines()[0] == "QED@3  (function tag)"
    assert "tiny-test@main" in out and "2 x 8 float32" in out
    assert "regression -> 1, 8 parameters" in out and "mse=0.125" in out and "drug-likeness" in out

    record = cli.json("show", "QED@1")
    assert (record["name"], record["version"], record["kind"]) == ("QED", 1, "function")
    assert record["base"]["model_id"] == "tiny-test" and record["head"] is None
    assert cli.json("show", "QED")["head"]["config"] == {"mean": 0.6}

    assert "did you mean QED" in cli.fails("show", "QDE")
    assert "versions: 1-3" in cli.fails("show", "QED@9")
    assert "invalid tag name" in cli.fails("show", "../QED")


def test_versions(cli: Cli) -> None:
    code, out, _ = cli("versions", "QED")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [["QED", "1"], ["QED", "2"],
                                                                   ["QED", "3"]]
    assert [r["version"] for r in cli.json("versions", "QED")] == [1, 2, 3]
    assert "no tag named 'Nope'" in cli.fails("versions", "Nope")


def test_delete(cli: Cli) -> None:
    assert cli("delete", "QED@2") == (0, "deleted QED@2 (tiny-test)\n", "")
    assert [r["version"] for r in cli.json("versions", "QED")] == [1, 3]
    assert "pinned version" in cli.fails("delete", "QED")
    assert "no version 2" in cli.fails("delete", "QED@2")


def test_export_and_import(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "qed.safetensors"
    assert cli("export", "QED", str(target)) == (0, f"wrote {target}\n", "")
    assert "exists; choose a new file name or pass --force" in cli.fails("export", "QED@1", str(target))
    assert cli("export", "QED", str(target), "--force") == (0, f"wrote {target}\n", "")
    # identical bytes: already registered, as with packs
    assert cli("import", str(target)) == (0, "already registered as QED@3 (tiny-test)\n", "")
    record = cli.json("import", str(target))
    assert (record["version"], record["status"]) == (3, "already registered")
    cli("delete", "QED@3")
    assert cli("import", str(target)) == (0, "registered QED@4 (tiny-test)\n", "")
    record = cli.json("versions", "QED")[-1]
    assert record["version"] == 4
    record = cli.json("show", "QED@4")
    assert record["source"]["imported_from"] == {"file": "qed.safetensors", "version": 3}
    assert record["head"]["config"] == {"mean": 0.6}

    data = bytearray(target.read_bytes())
    data[-2] ^= 0xFF
    target.write_bytes(bytes(data))
    assert "sha256" in cli.fails("import", str(target))
    not_export = tmp_path / "notes.txt"
    not_export.write_text("hello, this is not a tensor file at all")
    assert "notes.txt" in cli.fails("import", str(not_export))
    assert "no such file" in cli.fails("import", str(tmp_path / "missing.safetensors"))
    assert [r["version"] for r in cli.json("versions", "QED")] == [1, 2, 4]


def test_db_path(cli: Cli, db: str, tmp_path: Path, capsys, monkeypatch) -> None:
    assert cli("db", "path") == (0, f"{tmp_path / 'cli.db'}\n", "")
    assert cli.json("db", "path") == {"url": db, "path": str(tmp_path / "cli.db")}
    home = tmp_path / "home"
    monkeypatch.setenv("TAGREGISTRY_HOME", str(home))
    capsys.readouterr()
    assert main(["db", "path"]) == 0
    assert capsys.readouterr().out == f"{home / 'registry.db'}\n"


def test_db_backup(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    assert cli("db", "backup", str(target)) == (0, f"backed up to {target}\n", "")
    copy = Cli(f"sqlite:///{target}", cli.capsys)
    assert copy.json("list", "--all-versions") == cli.json("list", "--all-versions")
    assert "exists" in cli.fails("db", "backup", str(target))


@pytest.mark.parametrize(
    "args",
    [[], ["show"], ["delete"], ["list", "--kind", "task"], ["frobnicate"], ["db"],
     ["export", "QED"], ["list", "--no-such-flag"]],
    ids=lambda a: " ".join(a) or "nothing",
)
def test_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    code, out, err = cli(*args)
    assert code == 2
    assert "usage:" in err


# -- the console script ----------------------------------------------------------------------
def test_console_script_exit_codes(db: str, tmp_path: Path) -> None:
    env = {"TAGREGISTRY_HOME": str(tmp_path)}
    done = run_cli("--db", db, "list", "--json", env=env)
    assert done.returncode == 0 and done.stderr == ""
    assert [r["name"] for r in json.loads(done.stdout)] == ["QED", "SMILES"]

    done = run_cli("--db", db, "show", "QDE", env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: no tag named 'QDE'")

    done = run_cli("--db", db, "show", env=env)
    assert done.returncode == 2 and "usage:" in done.stderr

    done = run_cli("--version", env=env)
    assert done.returncode == 0 and done.stdout.startswith("tagregistry ")


def test_closed_stdout_pipe_is_quiet(db: str) -> None:
    """``tagregistry show QED --json | head``: the reader is gone before the output is written."""
    import subprocess

    from support.cli import TAGREGISTRY

    process = subprocess.Popen([str(TAGREGISTRY), "--db", db, "show", "QED", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # like `head` exiting: every write now fails with EPIPE
    err = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert err == ""


def test_console_script_uses_tagregistry_home(tmp_path: Path, base_record) -> None:
    home = tmp_path / "home"
    with Registry(f"sqlite:///{home / 'registry.db'}") as reg:
        reg.register("QED", np.zeros((1, HIDDEN), np.float32), base=base_record, kind="function")
    done = run_cli("list", "--json", env={"TAGREGISTRY_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in json.loads(done.stdout)] == ["QED"]


@pytest.mark.postgres
def test_cli_on_postgresql(pg_url: str, base_record, tmp_path: Path) -> None:
    with Registry(pg_url) as reg:
        reg.register("QED", np.zeros((1, HIDDEN), np.float32), base=base_record, kind="function")
    env = {"TAGREGISTRY_DB_URL": pg_url, "TAGREGISTRY_HOME": str(tmp_path)}
    done = run_cli("list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert [(r["name"], r["version"]) for r in json.loads(done.stdout)] == [("QED", 1)]
    done = run_cli("db", "path", "--json", env=env)
    assert json.loads(done.stdout) == {"url": pg_url, "path": None}
    done = run_cli("db", "backup", str(tmp_path / "copy.db"), env=env)
    assert done.returncode == 1 and "pg_dump" in done.stderr and done.stderr.count("\n") == 1
