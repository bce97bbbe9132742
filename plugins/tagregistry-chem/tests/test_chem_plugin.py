"""The plugin is found through its entry point and contributes valid, loadable specs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest

from tagregistry.engine.domain_tokenizers import DomainTokenizer
from tagregistry.plugins.manager import Catalog, load_object

FUNCTIONS = {"QED": "qed-nci", "LogP": "logp-nci", "TPSA": "tpsa-nci"}
MOSES = {"QED": "qed-moses", "LogP": "logp-moses", "TPSA": "tpsa-moses"}
BOTH = {"QED": "qed-nci-moses", "LogP": "logp-nci-moses", "TPSA": "tpsa-nci-moses"}
DATASETS = ["smiles-nci-5k", "selfies-nci-5k", "selfies-smiles-nci-5k", "smiles-moses",
            *(name for f in FUNCTIONS for name in (FUNCTIONS[f], BOTH[f], MOSES[f]))]
#: record fields other than {"smiles", "label"}
FIELDS = {"smiles-nci-5k": {"smiles"}, "selfies-nci-5k": {"selfies"}, "smiles-moses": {"smiles"},
          "selfies-smiles-nci-5k": {"selfies", "smiles"},
          **{name: {"smiles", "label", "source"} for name in BOTH.values()}}
CLI = Path(sys.executable).with_name("tagregistry")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGREGISTRY_")}
    env["TAGREGISTRY_HOME"] = str(tmp_path)
    return env


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def test_registered_only_through_the_tagregistry_group() -> None:
    eps = list(distribution("tagregistry-chem").entry_points)
    assert [(ep.group, ep.name, ep.value) for ep in eps] == [
        ("tagregistry", "chem", "tagregistry_chem.plugin")
    ]


def test_catalog_owns_domain_tokenizer_functions_datasets(catalog: Catalog) -> None:
    info = catalog.plugins["chem"]
    assert (info.status, info.distribution, info.version) == ("ok", "tagregistry-chem", "0.1.0")
    domain = catalog.get("domains", "SMILES")
    assert (domain.family, domain.tokenizer) == ("molecule", "smiles")
    assert catalog.owner("domains", "SMILES").distribution == "tagregistry-chem"
    assert catalog.owner("tokenizers", "smiles").distribution == "tagregistry-chem"
    for name, dataset in FUNCTIONS.items():
        spec = catalog.get("functions", name)
        assert catalog.owner("functions", name).distribution == "tagregistry-chem"
        assert (spec.head.type, spec.head.output_dim) == ("regression", 1)
        assert (spec.output, spec.metric, spec.dataset) == ("scalar", "mse", dataset)
        assert spec.template.startswith("The SMILES of the molecule is {SMILES:smiles}. ")
        assert spec.template.endswith("{" + name + "}")
        assert [s.name for s in spec.slots] == ["smiles"]
        assert spec.slots[0].domains == ["SMILES"]
        assert spec.head.type in catalog.heads  # the core provides the regression head
        assert catalog.datasets[dataset].function == name
        assert catalog.datasets[MOSES[name]].function == name
        assert catalog.datasets[MOSES[name]].splits == ["train", "validation", "test",
                                                        "test_scaffolds"]
    selfies = catalog.get("domains", "SELFIES")
    assert (selfies.family, selfies.tokenizer) == ("molecule", "selfies")
    for name in DATASETS:
        assert catalog.owner("datasets", name).distribution == "tagregistry-chem"


def test_factories_and_loaders_resolve(catalog: Catalog) -> None:
    tokenizer = load_object(catalog.tokenizers["smiles"].factory)()
    assert isinstance(tokenizer, DomainTokenizer)
    assert tokenizer.render("OCC") == "CCO"
    for name in DATASETS:
        records = load_object(catalog.datasets[name].loader)(split="validation", limit=3, seed=0)
        assert len(records) == 3
        expected = FIELDS.get(name, {"smiles", "label"})
        assert all(set(r) == expected for r in records)


def test_plugin_module_and_catalog_do_not_import_rdkit(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import tagregistry_chem.plugin\n"
        "from tagregistry.plugins.manager import Catalog\n"
        "c = Catalog()\n"
        "assert 'SMILES' in c.domains\n"
        "print(sorted(m for m in sys.modules if m == 'rdkit' or m.startswith('rdkit.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_cli_plugins_json_lists_chem(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(CLI), "plugins", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    chem = plugins["chem"]
    assert (chem["distribution"], chem["status"], chem["error"]) == ("tagregistry-chem", "ok", None)
    assert chem["contributes"]["domains"] == ["SMILES", "SELFIES"]
    assert chem["contributes"]["functions"] == ["QED", "LogP", "TPSA"]
    assert chem["contributes"]["tokenizers"] == ["smiles", "selfies"]
    assert chem["contributes"]["datasets"] == DATASETS
