"""SMILES longer than the domain's ``max_length`` are refused by the core before RDKit runs.

``predict(smiles="C" * 100_000)`` used to keep RDKit busy for about 9 minutes and then
crash the process (SIGSEGV); now it is an InputError naming the slot, the length and the
cap, raised before the plugin's tokenizer is even created.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagregistry.engine.prompt import PromptEncoder
from tagregistry.errors import InputError, TagRegistryError
from tagregistry.heads import RegressionHead
from tagregistry.plugins.manager import Catalog
from tagregistry.registry import Registry
from tagregistry.store.tag_store import HeadPayload
from tagregistry.testing import tiny_base, tiny_tokenizer
from tagregistry.training.examples import encode_function_examples
from tagregistry_chem.plugin import SMILES_MAX_LENGTH
from tagregistry_chem.tokenizer import SmilesTokenizer

HUGE = "C" * 100_000


class CountingTokenizer:
    """The real SMILES tokenizer, counting how often plugin code is asked to render."""

    def __init__(self) -> None:
        self.inner = SmilesTokenizer()
        self.calls = 0

    def render(self, value: str) -> str:
        self.calls += 1
        return self.inner.render(value)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture
def model(tmp_path: Path, catalog: Catalog):
    base = tiny_base()
    registry = Registry(f"sqlite:///{tmp_path / 'r.db'}")
    generator = torch.Generator().manual_seed(0)
    registry.register("SMILES", torch.randn(2, base.hidden_size, generator=generator),
                      base=base.record, kind="domain")
    spec = catalog.functions["QED"].head
    head = HeadPayload(spec=spec, tensors=RegressionHead(base.hidden_size, spec).state_dict())
    registry.register("QED", torch.randn(2, base.hidden_size, generator=generator),
                      base=base.record, kind="function", head=head)
    yield registry.compose("SMILES", "QED", base=base, catalog=catalog)
    registry.close()


def test_chem_declares_a_cap_sized_to_real_molecules(catalog: Catalog) -> None:
    assert catalog.domains["SMILES"].max_length == SMILES_MAX_LENGTH == 2_000


def test_predict_refuses_a_huge_smiles_with_slot_length_and_cap(model) -> None:
    with pytest.raises(InputError) as info:
        model.predict(smiles=HUGE)
    message = str(info.value)
    assert "slot 'smiles' (SMILES)" in message
    assert "100,000 characters" in message and "2,000-character limit" in message
    assert len(message) < 300  # the value itself is not echoed


def test_predict_still_works_for_a_real_molecule(model) -> None:
    assert isinstance(model.predict(smiles="CC(=O)Oc1ccccc1C(=O)O"), float)


def test_batch_and_many_paths_refuse_it_too(model) -> None:
    with pytest.raises(InputError, match=r"record 1: slot 'smiles' \(SMILES\) got a value of 2,001"):
        model.predict_batch([{"smiles": "CCO"}, {"smiles": "C" * 2_001}])
    with pytest.raises(InputError, match="100,000 characters"):
        model.predict_many(["QED"], smiles=HUGE)


def test_the_check_runs_before_plugin_code(catalog: Catalog) -> None:
    counting = CountingTokenizer()
    encoder = PromptEncoder(tiny_tokenizer(), catalog, {"SMILES": counting})
    at_cap = "C" * SMILES_MAX_LENGTH
    assert encoder.render("SMILES", "smiles", at_cap) == at_cap
    assert counting.calls == 1
    with pytest.raises(InputError, match="2,001 characters"):
        encoder.render("SMILES", "smiles", at_cap + "C")
    assert counting.calls == 1  # refused without calling the plugin


def test_training_records_over_the_cap_are_refused_by_index(catalog: Catalog) -> None:
    encoder = PromptEncoder(tiny_tokenizer(), catalog)
    records = [{"smiles": "CCO", "label": 0.4}, {"smiles": HUGE, "label": 0.5}]
    with pytest.raises(InputError, match=r"^record 1: slot 'smiles' \(SMILES\) got a value of 100,000"):
        encode_function_examples(encoder, catalog.functions["QED"].template, ["smiles"], records,
                                 {"SMILES": 2, "QED": 2}, label_field="label", output="scalar")


def test_long_invalid_smiles_gives_a_short_message_with_a_window() -> None:
    """Under the cap but invalid: the message quotes 60 characters and points into a window."""
    value = "C" * 1_000 + "X" + "C" * 900
    with pytest.raises(InputError) as info:
        SmilesTokenizer().render(value)
    message = str(info.value)
    assert len(message) < 500
    assert "(1,901 characters)" in message and "around position 1001" in message
    shown, caret = message.splitlines()[1:3]
    assert shown[caret.index("^")] == "X"


# -- property: any SMILES-like input through predict -------------------------------------
SMILES_CHARACTERS = "CNOSPFIclnosbBr[]()=#@+-/\\.%0123456789H*:$~ \t\n\x00\x1b"
smiles_like = st.one_of(
    st.text(alphabet=SMILES_CHARACTERS, max_size=60),
    st.text(max_size=30),
    st.text(alphabet="C(", min_size=SMILES_MAX_LENGTH - 5, max_size=SMILES_MAX_LENGTH + 5),
    st.builds(lambda n: "C" * n, st.integers(SMILES_MAX_LENGTH - 3, SMILES_MAX_LENGTH + 3)),
)
not_strings = st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=8),
                        st.lists(st.just("C"), max_size=2))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=st.one_of(smiles_like, not_strings))
def test_predict_any_input_is_a_number_or_our_error(model, value: object) -> None:
    try:
        result = model.predict(smiles=value)
    except TagRegistryError as exc:
        assert str(exc) and len(str(exc)) < 2_000
        return
    assert isinstance(value, str) and len(value) <= SMILES_MAX_LENGTH
    assert isinstance(result, float)
