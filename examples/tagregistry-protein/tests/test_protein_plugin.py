"""Tests of the example plugin; run after ``pip install -e examples/tagregistry-protein``."""

from __future__ import annotations

import random
import subprocess
import sys
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tagregistry_protein.datasets import load_descriptor, load_sequences
from tagregistry_protein.descriptor import BLOSUM62_DIAGONAL, mean_blosum_index
from tagregistry_protein.tokenizer import STANDARD, ProteinTokenizer

from tagregistry.domain_tokenizers import DomainTokenizer
from tagregistry.errors import InputError, PluginError
from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.plugins.manager import Catalog
from tagregistry.specs import DomainSpec, HeadSpec

RESIDUES = "".join(sorted(STANDARD))
sequences = st.text(alphabet=RESIDUES + RESIDUES.lower(), min_size=1, max_size=200)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


# -- discovery --------------------------------------------------------------------------------
def test_catalog_discovers_every_contribution(catalog: Catalog) -> None:
    info = catalog.plugins["protein"]
    assert (info.status, info.distribution) == ("ok", "tagregistry-protein")
    assert info.contributes == {
        "domains": ["Protein"], "functions": ["Descriptor"], "tokenizers": ["protein-chars"],
        "heads": ["mlp-regression"], "datasets": ["protein-fasta", "descriptor-fasta"],
        "base_models": ["protein-tiny"],
    }
    assert catalog.get("functions", "Descriptor").slots[0].domains == ["Protein"]


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


# -- tokenizer properties ---------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(sequences)
def test_units_join_back_to_the_upper_cased_input(sequence: str) -> None:
    tokenizer = ProteinTokenizer()
    assert "".join(tokenizer.units(sequence)) == sequence.upper()
    assert tokenizer.render(sequence).split(" ") == tokenizer.units(sequence)


@settings(max_examples=200, deadline=None)
@given(sequences, st.text(alphabet="0123456789*-.#JjBZX", min_size=1, max_size=3), st.data())
def test_non_residues_are_rejected(sequence: str, junk: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(sequence)))
    with pytest.raises(InputError, match="not one-letter amino-acid codes"):
        ProteinTokenizer().units(sequence[:at] + junk + sequence[at:])


def test_extended_alphabet_and_protocol() -> None:
    assert ProteinTokenizer(extended=True).units("mxbz") == ["M", "X", "B", "Z"]
    assert isinstance(ProteinTokenizer(), DomainTokenizer)
    for empty in ("", "   "):
        with pytest.raises(InputError, match="non-empty"):
            ProteinTokenizer().units(empty)


# -- labels and data ------------------------------------------------------------------------
def test_descriptor_values() -> None:
    assert mean_blosum_index("W") == 11
    assert mean_blosum_index("aw") == pytest.approx(7.5)
    assert mean_blosum_index(RESIDUES) == pytest.approx(sum(BLOSUM62_DIAGONAL.values()) / 20)


def _fasta(tmp_path, n: int = 80) -> tuple[str, list[str]]:
    rng = random.Random(1)
    seqs = ["".join(rng.choice(RESIDUES) for _ in range(rng.randint(5, 40))) for _ in range(n)]
    text = "".join(f">seq{i}\n{s[:20]}\n{s[20:]}\n" for i, s in enumerate(seqs))
    path = tmp_path / "proteins.fasta"
    path.write_text(text)
    return str(path), seqs


def test_splits_partition_the_file_and_labels_are_computed(tmp_path) -> None:
    path, seqs = _fasta(tmp_path)
    splits = {s: load_descriptor(s, path=path) for s in ("train", "validation", "test")}
    found = [r["protein"] for records in splits.values() for r in records]
    assert sorted(found) == sorted(set(seqs))
    assert len(splits["train"]) > len(splits["validation"]) + len(splits["test"])
    for record in splits["train"]:
        assert record["label"] == mean_blosum_index(record["protein"])
    assert load_sequences("train", limit=5, seed=3, path=path) == (
        [{"protein": r["protein"]} for r in load_descriptor("train", limit=5, seed=3, path=path)]
    )


def test_loaders_explain_what_is_missing(tmp_path) -> None:
    with pytest.raises(InputError, match="options: {path: FILE.fasta}"):
        load_sequences()
    with pytest.raises(InputError, match="does not exist"):
        load_sequences(path=str(tmp_path / "missing.fasta"))
    path, _ = _fasta(tmp_path, 3)
    with pytest.raises(InputError, match="unknown split"):
        load_sequences("dev", path=path)


# -- code the core loads through import paths -------------------------------------------------
def test_prompt_renders_the_sequence_after_the_domain_tag(catalog: Catalog) -> None:
    from tagregistry.compose.prompt import PromptEncoder
    from tagregistry.testing import tiny_tokenizer

    spec = catalog.get("functions", "Descriptor")
    tokenizer = tiny_tokenizer()
    prompt = PromptEncoder(tokenizer, catalog).encode(
        spec.template, {"protein": "mktay"}, {"Protein": 2, "Descriptor": 3}
    )
    assert [(t.name, t.length) for t in prompt.tags] == [("Protein", 2), ("Descriptor", 3)]
    assert prompt.function_start == prompt.tags[-1].start
    span = prompt.value_span("protein")
    assert tokenizer.decode(prompt.input_ids[span.start:span.end]) == " M K T A Y"


def test_head_type_builds_and_round_trips(catalog: Catalog) -> None:
    import torch

    from tagregistry.compose.heads import build_head

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
    assert len(base.record.fingerprint) == 64


# -- the whole path: train both stages, compose, predict ----------------------------------------
def test_train_compose_predict_on_the_tiny_base(tmp_path) -> None:
    from tagregistry import Registry

    path, _ = _fasta(tmp_path, 120)
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
        assert descriptor.base.model_id == "tagregistry-protein/tiny-random-llama"

        model = reg.compose("Protein", "Descriptor", base="protein-tiny", device="cpu")
        value = model.predict(protein="MKTAYIAKQR")
        assert isinstance(value, float)
        assert model.prompt_text(protein="mktay").endswith("Its mean BLOSUM62 self-score is<Descriptor>")
