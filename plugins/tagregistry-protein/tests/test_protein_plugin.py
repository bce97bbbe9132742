"""The plugin as users meet it: discovery, the code the core loads, and training end to end."""

from __future__ import annotations

import random
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path
from types import SimpleNamespace

import pytest

from tagregistry.errors import PluginError
from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.plugins.manager import Catalog, load_object
from tagregistry.specs import DomainSpec, HeadSpec
from tagregistry_protein import MAX_RESIDUES
from tagregistry_protein.tokenizer import STANDARD

RESIDUES = "".join(sorted(STANDARD))
FUNCTIONS = {"Descriptor": "descriptor-blosum1", "Antimicrobial": "antimicrobial-modlamp",
             "BindingAffinity": "bindingaffinity-kiba", "DrugCombination": "drugcomb-csv"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


# -- discovery --------------------------------------------------------------------------------
def test_registered_only_through_the_tagregistry_group() -> None:
    eps = list(distribution("tagregistry-protein").entry_points)
    assert [(ep.group, ep.name, ep.value) for ep in eps] == [
        ("tagregistry", "protein", "tagregistry_protein.plugin")
    ]


def test_catalog_discovers_every_contribution(catalog: Catalog) -> None:
    info = catalog.plugins["protein"]
    assert (info.status, info.distribution) == ("ok", "tagregistry-protein")
    assert info.contributes["domains"] == ["Protein", "CellLine"]
    assert info.contributes["functions"] == list(FUNCTIONS)
    assert info.contributes["tokenizers"] == ["protein-residues"]
    assert info.contributes["heads"] == ["mlp-regression"]
    assert info.contributes["base_models"] == ["protein-tiny"]
    assert set(FUNCTIONS.values()) <= set(info.contributes["datasets"])
    protein = catalog.get("domains", "Protein")
    assert (protein.family, protein.tokenizer, protein.max_length) == (
        "protein", "protein-residues", MAX_RESIDUES)
    for name, dataset in FUNCTIONS.items():
        spec = catalog.get("functions", name)
        assert spec.dataset == dataset and catalog.datasets[dataset].function == name
        assert spec.head.type in catalog.heads


def test_binding_affinity_reads_the_protein_first(catalog: Catalog) -> None:
    spec = catalog.get("functions", "BindingAffinity")
    assert [s.name for s in spec.slots] == ["protein", "smiles"]
    assert spec.template.index("{Protein:protein}") < spec.template.index("{SMILES:smiles}")
    assert (spec.output, spec.metric) == ("scalar", "pearson")
    amp = catalog.get("functions", "Antimicrobial")
    assert (amp.output, amp.head.type, amp.head.labels) == ("class", "classification", ["non-AMP", "AMP"])


def test_discovery_imports_no_plugin_code() -> None:
    code = (
        "import sys; from tagregistry.plugins.manager import Catalog; Catalog(); "
        "print(sorted(m for m in sys.modules if m.startswith('tagregistry_protein')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['tagregistry_protein', 'tagregistry_protein.plugin']"


def test_a_second_plugin_with_the_same_domain_is_an_error() -> None:
    @hookimpl(specname="tagregistry_domains")
    def domains() -> list[DomainSpec]:
        return [DomainSpec(name="Protein")]

    with pytest.raises(PluginError, match="'Protein' is registered by two plugins"):
        Catalog(extra=[("clash", SimpleNamespace(tagregistry_domains=domains))])


# -- code the core loads through import paths -------------------------------------------------
def test_loaders_resolve_and_return_slot_fields(catalog: Catalog) -> None:
    expected = {
        "protein-peptides-kiba": {"protein"},
        "descriptor-blosum1": {"protein", "label"},
        "antimicrobial-modlamp": {"protein", "label"},
        "bindingaffinity-kiba": {"protein", "smiles", "label", "protein_id", "ligand_id"},
    }
    for name, fields in expected.items():
        records = load_object(catalog.datasets[name].loader)(split="validation", limit=3, seed=0)
        assert len(records) == 3 and all(set(r) == fields for r in records)


def test_prompt_renders_one_residue_per_word(catalog: Catalog) -> None:
    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.testing import tiny_tokenizer

    spec = catalog.get("functions", "BindingAffinity")
    tokenizer = tiny_tokenizer()
    prompt = PromptEncoder(tokenizer, catalog).encode(
        spec.template, {"protein": "mktay", "smiles": "OCC"},
        {"Protein": 2, "SMILES": 2, "BindingAffinity": 3},
    )
    assert [(t.name, t.length) for t in prompt.tags] == [
        ("Protein", 2), ("SMILES", 2), ("BindingAffinity", 3)]
    assert prompt.function_start == prompt.tags[-1].start
    span = prompt.value_span("protein")
    assert tokenizer.decode(prompt.input_ids[span.start:span.end]) == " M K T A Y"


def test_head_type_builds_and_round_trips(catalog: Catalog) -> None:
    import torch

    from tagregistry.heads.outputs import build_head

    spec = HeadSpec(type="mlp-regression", output_dim=2)
    head = build_head(catalog, spec, hidden_size=32)
    assert head(torch.zeros(3, 32)).shape == (3, 2)
    again = build_head(catalog, spec, hidden_size=32, tensors=head.state_dict())
    x = torch.randn(4, 32)
    assert torch.equal(head(x), again(x))


def test_named_base_loads_offline(catalog: Catalog) -> None:
    from tagregistry.models.loading import load_base

    base = load_base("protein-tiny", catalog=catalog, device="cpu")
    assert base.record.model_id == "tagregistry-protein/tiny-random-llama"
    assert base.record.hidden_size == 32


# -- the whole path: train both stages, compose, predict ----------------------------------------
def _fasta(tmp_path: Path, n: int = 120) -> str:
    rng = random.Random(1)
    seqs = ["".join(rng.choice(RESIDUES) for _ in range(rng.randint(5, 40))) for _ in range(n)]
    path = tmp_path / "proteins.fasta"
    path.write_text("".join(f">seq{i}\n{s[:20]}\n{s[20:]}\n" for i, s in enumerate(seqs)))
    return str(path)


def test_train_compose_predict_on_the_tiny_base(tmp_path: Path) -> None:
    from tagregistry import Registry

    path = _fasta(tmp_path)
    common = {"base": "protein-tiny", "hyper": {"n_vectors": 2, "max_steps": 3, "batch_size": 4}}
    with Registry(f"sqlite:///{tmp_path / 'registry.db'}") as reg:
        stage1 = reg.train(
            {**common, "stage": 1, "tag": "Protein",
             "data": {"dataset": "protein-fasta", "options": {"path": path}}},
            output_dir=tmp_path / "run1", device="cpu", progress=False,
        )
        stage2 = reg.train(
            {**common, "stage": 2, "tag": "Descriptor",
             "data": {"dataset": "descriptor-fasta", "options": {"path": path}}},
            output_dir=tmp_path / "run2", device="cpu", progress=False,
        )
        assert [r.ref for r in stage1.records + stage2.records] == ["Protein@1", "Descriptor@1"]
        descriptor = reg.get("Descriptor")
        assert descriptor.head is not None and descriptor.source["domains"] == ["Protein"]

        model = reg.compose("Protein", "Descriptor", base="protein-tiny", device="cpu")
        assert isinstance(model.predict(protein="MKTAYIAKQR"), float)
        assert model.prompt_text(protein="mktay").endswith("Its mean BLOSUM1 index is<Descriptor>")
