"""The SELFIES domain: validation with clear errors, exact round trips, zero-shot composition."""

from __future__ import annotations

import pytest
import selfies as sf
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem
from test_chem_tokenizer import built_smiles

from tagregistry.engine.domain_tokenizers import DomainTokenizer
from tagregistry.errors import InputError
from tagregistry.heads import RegressionHead
from tagregistry.plugins.manager import Catalog
from tagregistry.registry import Registry
from tagregistry.store.tag_store import HeadPayload
from tagregistry.testing import tiny_base
from tagregistry_chem.datasets import load_selfies, load_selfies_pairs, load_smiles, nci_molecules
from tagregistry_chem.selfies_codec import selfies_to_smiles, smiles_to_selfies
from tagregistry_chem.selfies_tokenizer import SelfiesTokenizer

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALPHABET = sorted(sf.get_semantic_robust_alphabet())


def canonical(smiles: str) -> str:
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


def encodable(smiles: str) -> str | None:
    try:
        return smiles_to_selfies(smiles)
    except InputError:
        return None


@PROPERTY
@given(st.sampled_from(nci_molecules()))
def test_nci_round_trip_is_exact(smiles: str) -> None:
    written = encodable(smiles)
    if written is None:  # beyond SELFIES' valence rules: refused with a clear error instead
        with pytest.raises(InputError, match="cannot be written as SELFIES"):
            smiles_to_selfies(smiles)
        return
    assert selfies_to_smiles(written) == canonical(smiles)


@PROPERTY
@given(built_smiles())
def test_generated_smiles_round_trip_is_exact(smiles: str) -> None:
    written = encodable(smiles)
    if written is not None:
        assert selfies_to_smiles(written) == canonical(smiles)


@PROPERTY
@given(st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=40))
def test_generated_selfies_round_trip_through_smiles(symbols: list[str]) -> None:
    text = "".join(symbols)
    decoded = sf.decoder(text)
    if not decoded:  # only branch/ring symbols: no atoms, refused
        with pytest.raises(InputError, match="decodes to no atoms"):
            SelfiesTokenizer().units(text)
        return
    smiles = selfies_to_smiles(text)
    assert smiles == canonical(decoded)
    assert selfies_to_smiles(smiles_to_selfies(smiles)) == smiles
    tokenizer = SelfiesTokenizer()
    assert "".join(tokenizer.units(text)) == tokenizer.normalize(text)
    assert tokenizer.render(tokenizer.normalize(text)) == tokenizer.normalize(text)  # fixed point


def test_almost_every_nci_molecule_is_expressible() -> None:
    molecules = nci_molecules()
    refused = [s for s in molecules if encodable(s) is None]
    assert len(refused) < 0.01 * len(molecules)


def test_tokenizer_renders_symbols() -> None:
    tokenizer = SelfiesTokenizer(separator=" ")
    assert isinstance(tokenizer, DomainTokenizer)
    assert tokenizer.units("[C][C][O]") == ["[C]", "[C]", "[O]"]
    assert tokenizer.render("[O][C][C]") == "[C] [C] [O]"  # canonical: ethanol as CCO
    assert SelfiesTokenizer(canonical=False).render("  [O][C][C] ") == "[O][C][C]"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty SELFIES"),
        (42, "expected a SELFIES string, got int"),
        ("C[C]", r"'C' at position 1 is not part of a bracketed symbol\n  C\[C\]\n  \^"),
        ("[C] [C]", "whitespace at position 4"),
        ("[C][=C", r"'\[' at position 4"),
        ("[C][Xx]", r"invalid symbol '\[Xx\]'"),
        ("[Branch1][Ring1]", "decodes to no atoms"),
    ],
)
def test_invalid_selfies_errors_are_clear(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        SelfiesTokenizer().render(value)  # type: ignore[arg-type]


def test_smiles_errors_pass_through() -> None:
    with pytest.raises(InputError, match="invalid SMILES 'C1CC'"):
        smiles_to_selfies("C1CC")


def test_stage1_dataset_is_the_nci_split_as_selfies() -> None:
    smiles = [r["smiles"] for r in load_smiles("validation", limit=20)]
    written = load_selfies("validation", limit=20)
    assert [selfies_to_smiles(r["selfies"]) for r in written] == [
        s for s in smiles if encodable(s) is not None
    ]


def test_paired_dataset_writes_each_molecule_both_ways() -> None:
    pairs = load_selfies_pairs("validation", limit=20)
    assert [{"selfies": r["selfies"]} for r in pairs] == load_selfies("validation", limit=20)
    assert pairs and all(selfies_to_smiles(r["selfies"]) == r["smiles"] for r in pairs)
    assert {r["smiles"] for r in pairs} <= {r["smiles"] for r in load_smiles("validation")}
    spec = Catalog().datasets["selfies-smiles-nci-5k"]
    assert spec.domains == ["SELFIES", "SMILES"]


def test_compose_selfies_with_a_qed_tag_trained_with_smiles(tmp_path) -> None:
    catalog = Catalog()
    base = tiny_base("llama")
    scale = float(base.model.get_input_embeddings().weight.std())
    gen = torch.Generator().manual_seed(0)
    head = RegressionHead(base.hidden_size, catalog.functions["QED"].head)
    with Registry(f"sqlite:///{tmp_path}/r.db") as reg:
        for name in ("SMILES", "SELFIES"):
            reg.register(name, torch.randn(4, base.hidden_size, generator=gen) * scale,
                         base=base.record, kind="domain")
        reg.register("QED", torch.randn(3, base.hidden_size, generator=gen) * scale,
                     base=base.record, kind="function", source={"domains": ["SMILES"]},
                     head=HeadPayload(spec=head.spec, tensors=head.state_dict(),
                                      config={"label_mean": [0.5], "label_std": [0.2]}))
        zero = reg.compose("SELFIES", "QED", base=base, catalog=catalog)
        same = reg.compose("SMILES", "QED", base=base, catalog=catalog)
    assert zero.metadata["functions"]["QED"]["slots"] == {"smiles": "SELFIES"}
    assert zero.metadata["functions"]["QED"]["zero_shot_slots"] == ["smiles"]
    assert not same.metadata["zero_shot"]
    ethanol = smiles_to_selfies("CCO")
    assert "is<SELFIES> [C][C][O]. The" in zero.prompt_text(smiles=ethanol)
    value = zero.predict(smiles=ethanol)
    assert isinstance(value, float) and value != same.predict(smiles="CCO")
    with pytest.raises(InputError, match=r"slot 'smiles' \(SELFIES\) rejected 'CCO'"):
        zero.predict(smiles="CCO")


@pytest.mark.parametrize("value", [" " * 5000, "C" * 5000, ["[C]"] * 5000])
def test_selfies_errors_do_not_echo_long_inputs(value: object) -> None:
    with pytest.raises(InputError) as caught:
        SelfiesTokenizer().render(value)  # type: ignore[arg-type]
    assert len(str(caught.value)) < 600
