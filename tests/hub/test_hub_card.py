"""Pack cards the Hub accepts, a true "Use" section, plugin requirements, and save-pack."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
import yaml
from huggingface_hub import hf_hub_download  # at collection: before any test sets HF_HUB_OFFLINE
from support.cli import run_cli

from tagregistry.errors import InvalidNameError, PluginError
from tagregistry.hub.licenses import HUB_LICENSE_IDS, hub_license_id, license_metadata
from tagregistry.hub.manifest import MANIFEST_FILE
from tagregistry.hub.pack import UnresolvablePackWarning
from tagregistry.plugins.manager import get_catalog
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload
from tagregistry.testing import tiny_base


def front(folder: Path) -> dict:
    return yaml.safe_load((folder / "README.md").read_text().split("---")[1])


def use_section(folder: Path) -> str:
    return (folder / "README.md").read_text().split("## Use", 1)[1]


def assert_hub_valid(meta: dict, folder: Path) -> None:
    """The rules the Hub applies to ``license`` in card metadata (see hub/licenses.py)."""
    assert meta["license"] in HUB_LICENSE_IDS, meta["license"]
    if meta["license"] == "other":
        assert meta["license_name"] and meta["license_name"] == meta["license_name"].lower()
        assert set(meta["license_name"]) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
        assert (folder / meta["license_link"]).is_file()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BSD-3-Clause (RDKit data file)", "bsd-3-clause"),
        ("Apache-2.0", "apache-2.0"),
        ("CC-BY-4.0; attribution: X", "cc-by-4.0"),
        ("GPL-3.0-only", "gpl-3.0"),
        ("MIT", "mit"),
        ("RDKit data licence", None),
        ("other", None),
        ("", None),
    ],
)
def test_free_text_licences_map_to_hub_ids(text, expected):
    assert hub_license_id(text) == expected


def test_license_metadata_cases():
    assert license_metadata([None, ""]) == {}
    assert license_metadata(["MIT", "mit (data)"]) == {"license": "mit"}
    single = license_metadata(["Proprietary lab licence v2"])
    assert single == {"license": "other", "license_name": "proprietary-lab-licence-v2",
                      "license_link": "LICENSE.md"}
    assert license_metadata(["MIT", "Apache-2.0"])["license_name"] == "mixed-apache-2-0-mit"


def test_shipped_chem_pack_card_is_hub_valid_and_says_install_pack():
    catalog = get_catalog()
    folder = Path(catalog.packs["chem-smollm2-135m"].path)
    meta = front(folder)
    assert_hub_valid(meta, folder)
    assert meta["license"] == "bsd-3-clause"
    use = use_section(folder)
    assert "tagregistry install-pack chem-smollm2-135m" in use
    assert "pull" not in use.split("```python")[0]
    owner = catalog.owner("packs", "chem-smollm2-135m")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["name"] == "chem-smollm2-135m"
    assert manifest["requires"] == [{"distribution": owner.distribution, "version": owner.version,
                                     "provides": ["SMILES", "SELFIES", "QED", "LogP", "TPSA"]}]
    assert meta["tagregistry"]["requires"] == manifest["requires"]
    assert f"pip install '{owner.distribution}>={owner.version}'" in (folder / "README.md").read_text()


def test_folder_pack_names_plugins_and_says_load_pack(tagged, tmp_path):
    folder = tagged.save_pack(["SMILES", "QED"], tmp_path / "out", name="lab-chem")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["name"] == "lab-chem"
    chem = get_catalog().owner("functions", "QED")
    assert manifest["requires"] == [{"distribution": "tagregistry-chem", "version": chem.version,
                                     "provides": ["SMILES", "QED"]}]
    meta = front(folder)
    assert_hub_valid(meta, folder)
    use = use_section(folder)
    assert 'reg.load_pack("lab-chem")' in use and "tagregistry pull" in use
    assert "tagregistry load-pack lab-chem" in use
    assert 'model = reg.compose("SMILES", "QED")' in use


def test_pushed_pack_says_pull(hub, tagged, repo_id, tmp_path):
    tagged.push(["SMILES", "QED"], repo_id)
    card = Path(hf_hub_download(repo_id, "README.md"))
    assert f"tagregistry pull {repo_id}" in card.read_text().split("## Use", 1)[1]
    link = yaml.safe_load(card.read_text().split("---")[1])["license_link"]
    assert Path(hf_hub_download(repo_id, link)).read_text().startswith("# Licences")


def test_invalid_pack_name_is_refused(tagged, tmp_path):
    with pytest.raises(InvalidNameError, match="invalid pack name"):
        tagged.save_pack(["SMILES"], tmp_path / "p", name="../up")
    assert not (tmp_path / "p").exists()


def test_manifest_1_0_without_requires_loads(tagged, other_registry, tmp_path):
    folder = tagged.save_pack(["SMILES", "QED"], tmp_path / "old")
    data = json.loads((folder / MANIFEST_FILE).read_text())
    data["format_version"] = "1.0"
    del data["requires"]
    (folder / MANIFEST_FILE).write_text(json.dumps(data))
    records = other_registry.load_pack(folder)
    assert sorted(r.ref for r in records) == ["QED@1", "SMILES@1"]
    assert "requires" not in records[0].source["pack"]


def test_compose_names_the_missing_distribution(registry, other_registry, tmp_path):
    base = tiny_base("llama")
    gen = torch.Generator().manual_seed(1)
    registry.register("Ghost", torch.randn(2, base.hidden_size, generator=gen), base=base.record,
                      kind="function", head=HeadPayload(
                          spec=HeadSpec(type="regression"),
                          tensors={"linear.weight": torch.randn(1, base.hidden_size, generator=gen),
                                   "linear.bias": torch.zeros(1)}))
    registry.register("GhostDomain", torch.randn(2, base.hidden_size, generator=gen),
                      base=base.record, kind="domain")
    with pytest.warns(UnresolvablePackWarning, match="Ghost@1: no installed plugin declares"):
        folder = registry.save_pack(["Ghost", "GhostDomain"], tmp_path / "ghost")
    data = json.loads((folder / MANIFEST_FILE).read_text())
    assert data["requires"] == []  # no installed plugin declares them here
    data["requires"] = [{"distribution": "tagregistry-ghost", "version": "2.1",
                         "provides": ["Ghost", "GhostDomain"]}]
    (folder / MANIFEST_FILE).write_text(json.dumps(data))
    other_registry.load_pack(folder)
    with pytest.raises(PluginError, match=r"tagregistry-ghost.*pip install 'tagregistry-ghost>=2.1'"):
        other_registry.compose("Ghost", base=base)
    with pytest.raises(PluginError, match=r"domain tag GhostDomain@1 .*tagregistry-ghost"):
        other_registry.compose("GhostDomain", "Ghost", base=base)
    # re-saving keeps the requirement recorded at load time (the plugin is still absent)
    again = other_registry.save_pack(["Ghost"], tmp_path / "again")
    assert json.loads((again / MANIFEST_FILE).read_text())["requires"] == [
        {"distribution": "tagregistry-ghost", "version": "2.1", "provides": ["Ghost"]}]


def test_save_pack_cli(tagged, tmp_path):
    env = {"OMP_NUM_THREADS": "1", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    out = tmp_path / "cli-pack"
    result = run_cli("--db", tagged.url, "save-pack", "SMILES", "QED", str(out),
                     "--name", "my-pack", "--json", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["name"] == "my-pack" and summary["tags"] == ["SMILES@1", "QED@1"]
    assert summary["requires"][0]["distribution"] == "tagregistry-chem"
    assert "tagpack.json" in summary["files"] and "LICENSE.md" in summary["files"]
    assert summary["bytes"] == sum(f.stat().st_size for f in out.iterdir())
    again = run_cli("--db", tagged.url, "save-pack", "SMILES", str(out), env=env)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.startswith("error: ") and "not an empty folder" in again.stderr
    text = run_cli("--db", tagged.url, "save-pack", "QED", str(tmp_path / "plain"), env=env)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].startswith(f"wrote pack 'plain' (QED@1) to {tmp_path / 'plain'}: 4 files, ")
    assert "needs tagregistry-chem" in text.stdout
