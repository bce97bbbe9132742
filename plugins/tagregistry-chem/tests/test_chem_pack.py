"""The tag pack shipped in ``tagregistry_chem/packs`` installs verified, once, with provenance."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tagregistry.errors import IntegrityError
from tagregistry.plugins.manager import get_catalog
from tagregistry.registry import Registry

PACK = "chem-smollm2-135m"


def test_the_pack_is_contributed_through_the_plugin() -> None:
    catalog = get_catalog()
    assert PACK in catalog.packs
    assert catalog.owner("packs", PACK).distribution == "tagregistry-chem"
    assert (Path(catalog.packs[PACK].path) / "tagpack.json").is_file()


def test_install_pack_registers_verified_tags_once(tmp_path: Path) -> None:
    registry = Registry(f"sqlite:///{tmp_path}/r.db")
    records = registry.install_pack(PACK)
    names = {r.name for r in records}
    assert {"SMILES", "SELFIES", "QED", "LogP", "TPSA"} <= names
    for record in records:
        assert record.base.model_id == "HuggingFaceTB/SmolLM2-135M-Instruct"
        assert record.base.hidden_size == 576
        assert record.source["pack"]["plugin"] == "tagregistry-chem"
        assert [r["distribution"] for r in record.source["pack"]["requires"]] == ["tagregistry-chem"]
        assert record.n_vectors == 10
    assert {r.name for r in records if r.kind == "domain"} == {"SMILES", "SELFIES"}
    for name in names - {"SMILES", "SELFIES"}:
        function = next(r for r in records if r.name == name)
        assert function.kind == "function"
        assert function.head is not None and "label_mean" in function.head.config
        assert function.source["domains"] == ["SMILES"]
    assert records.already_registered == []
    # <SMILES>@2 (trained where it is used) ships beside the <SMILES> the functions were
    # trained with; each function names that one by content hash, so compose keeps it
    smiles = sorted((r for r in records if r.name == "SMILES"), key=lambda r: r.version)
    assert len(smiles) == 2
    for name in names - {"SMILES", "SELFIES"}:
        function = next(r for r in records if r.name == name)
        assert function.source["frozen_sha256"] == {"SMILES": smiles[0].sha256}
    again = registry.install_pack(PACK)
    assert sorted(r.ref for r in again) == sorted(r.ref for r in records)
    assert again.already_registered == list(again)
    assert len(registry.list(all_versions=True)) == len(records)
    registry.close()


def test_a_damaged_copy_of_the_pack_registers_nothing(tmp_path: Path) -> None:
    source = Path(get_catalog().packs[PACK].path)
    copy = tmp_path / "pack"
    shutil.copytree(source, copy)
    victim = next(p for p in sorted(copy.glob("*.safetensors")))
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    registry = Registry(f"sqlite:///{tmp_path}/r.db")
    with pytest.raises(IntegrityError):
        registry.load_pack(copy)
    assert registry.list(all_versions=True) == []
    registry.close()


def test_cli_install_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from tagregistry.cli.main import main

    db = f"sqlite:///{tmp_path}/r.db"
    assert main(["--db", db, "install-pack", PACK, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"SMILES", "QED", "TPSA"} <= {r["name"] for r in rows}
    assert {r["status"] for r in rows} == {"registered"}
    assert main(["--db", db, "install-pack", PACK]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == len(rows) + 1 and all(line.endswith("already registered") for line in table[1:])
    assert main(["--db", db, "install-pack", "no-such-pack"]) == 1
    assert "no tag pack named 'no-such-pack'" in capsys.readouterr().err
