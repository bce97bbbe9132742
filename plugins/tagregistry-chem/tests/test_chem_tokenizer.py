"""SmilesTokenizer: units join back exactly, canonical vs kept input, render separators.

Property tests run over SMILES built from fragments (valid by construction), over random
(non-canonical) writings of real molecules, and over every molecule in RDKit's NCI file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem, RDConfig, rdBase

from tagregistry.engine.domain_tokenizers import DomainTokenizer
from tagregistry.errors import InputError
from tagregistry_chem.tokenizer import SmilesTokenizer
from tagregistry_chem.units import is_atom

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# -- a strategy for valid SMILES ---------------------------------------------------------
#: backbone atoms (symbol, valence); children hang off them as branches or the chain
BACKBONE = [("C", 4), ("C", 4), ("N", 3), ("O", 2), ("S", 2)]
#: terminal fragments: (bond order used to attach, text, text starts with its own bond)
LEAVES = [
    (1, "C", False),
    (1, "O", False),
    (1, "N", False),
    (1, "F", False),
    (1, "Cl", False),
    (1, "Br", False),
    (1, "I", False),
    (1, "[2H]", False),
    (1, "[13CH3]", False),
    (1, "[NH3+]", False),
    (1, "[O-]", False),
    (1, "C(=O)O", False),
    (1, "C#N", False),
    (1, "[N+](=O)[O-]", False),
    (1, "S(=O)(=O)N", False),
    (1, "*", False),
    (1, "[C@@H](F)Cl", False),
    (1, "[C@H](O)C", False),
    (1, "P(=O)(O)O", False),
    (1, "B(O)O", False),
    (1, "/C=C/C", True),
    (1, "/C=C\\Br", True),
    (2, "O", False),
    (2, "C", False),
    (2, "S", False),
    (3, "N", False),
    (3, "C", False),
]
#: self-contained rings attached by a single bond; {r} is a ring-closure label
RINGS = [
    "c{r}ccccc{r}",
    "c{r}ccncc{r}",
    "c{r}cc[nH]c{r}",
    "c{r}ccoc{r}",
    "c{r}ccsc{r}",
    "C{r}CCCCC{r}",
    "C{r}CC{r}",
    "[C@H]{r}CCCO{r}",
    "c{r}cc[n+](C)cc{r}",
    "C{r}=CCCC{r}",
]
RING_LABELS = [str(i) for i in range(1, 10)] + ["%10", "%57", "%99", "%(123)"]
SALTS = ["[Na+]", "[Cl-]", "O", "[K+]", "[NH4+]"]
BOND = {1: ["", "-"], 2: ["="], 3: ["#"]}


def _child(draw: st.DrawFn, depth: int, max_order: int) -> tuple[int, str]:
    kind = draw(st.sampled_from(["leaf", "ring", "node"] if depth > 0 else ["leaf", "ring"]))
    if kind == "ring":
        label = draw(st.sampled_from(RING_LABELS))
        return 1, draw(st.sampled_from(BOND[1])) + draw(st.sampled_from(RINGS)).format(r=label)
    if kind == "leaf":
        order, text, own_bond = draw(
            st.sampled_from([leaf for leaf in LEAVES if leaf[0] <= max_order])
        )
        return order, text if own_bond else draw(st.sampled_from(BOND[order])) + text
    order = draw(st.integers(1, min(max_order, 3)))
    text = _node(draw, depth - 1, incoming=order)
    return order, draw(st.sampled_from(BOND[order])) + text


def _node(draw: st.DrawFn, depth: int, incoming: int) -> str:
    symbol, valence = draw(st.sampled_from([b for b in BACKBONE if b[1] >= incoming]))
    free = valence - incoming
    n_children = draw(st.integers(0, min(free, 3)))
    children = []
    for i in range(n_children):
        order, text = _child(draw, depth, max_order=free - (n_children - i - 1))
        free -= order
        children.append(text)
    branches = "".join(f"({c})" for c in children[:-1])
    return symbol + branches + (children[-1] if children else "")


@st.composite
def built_smiles(draw: st.DrawFn) -> str:
    """A valid SMILES assembled from backbone atoms, leaf fragments and rings."""
    parts = [_node(draw, depth=draw(st.integers(0, 3)), incoming=0)]
    parts += draw(st.lists(st.sampled_from(SALTS), max_size=2))
    return ".".join(parts)


@lru_cache(maxsize=1)
def nci_smiles() -> tuple[str, ...]:
    """Every line's SMILES from RDKit's NCI file (parseable or not)."""
    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    return tuple(line.split()[0] for line in path.read_text().splitlines() if line.strip())


def _mol(smiles: str) -> Chem.Mol | None:
    with rdBase.BlockLogs():
        return Chem.MolFromSmiles(smiles)


@lru_cache(maxsize=1)
def valid_nci() -> tuple[str, ...]:
    return tuple(s for s in nci_smiles() if _mol(s) is not None)


@st.composite
def random_writings(draw: st.DrawFn) -> str:
    """A random (non-canonical) SMILES of a real NCI molecule."""
    mol = _mol(draw(st.sampled_from(valid_nci())))
    seed = draw(st.integers(0, 2**31 - 1))
    return Chem.MolToRandomSmilesVect(mol, 1, randomSeed=seed)[0]


def rdkit_canonical(smiles: str) -> str:
    mol = _mol(smiles)
    assert mol is not None, f"test input {smiles!r} should be valid"
    return Chem.MolToSmiles(mol, isomericSmiles=True)


def check_units(smiles: str) -> None:
    canonical = SmilesTokenizer().units(smiles)
    expected = rdkit_canonical(smiles)
    assert "".join(canonical) == expected
    assert sum(map(is_atom, canonical)) == _mol(expected).GetNumAtoms()

    kept = SmilesTokenizer(canonical=False).units(smiles)
    assert "".join(kept) == smiles
    with rdBase.BlockLogs():
        raw = Chem.MolFromSmiles(smiles, sanitize=False)
    assert sum(map(is_atom, kept)) == raw.GetNumAtoms()

    spaced = SmilesTokenizer(separator=" ").render(smiles)
    assert spaced.split(" ") == canonical


# -- properties ---------------------------------------------------------------------------
@PROPERTY_SETTINGS
@given(built_smiles())
def test_built_smiles_are_valid_and_split_exactly(smiles: str) -> None:
    assert _mol(smiles) is not None, f"strategy built an invalid SMILES {smiles!r}"
    check_units(smiles)


@PROPERTY_SETTINGS
@given(random_writings())
def test_random_writings_canonicalise_to_one_string(smiles: str) -> None:
    check_units(smiles)
    assert SmilesTokenizer().render(smiles) == rdkit_canonical(smiles)


@PROPERTY_SETTINGS
@given(built_smiles())
def test_canonical_render_is_a_fixed_point(smiles: str) -> None:
    tok = SmilesTokenizer()
    once = tok.render(smiles)
    assert tok.render(once) == once


def test_every_nci_molecule_splits_exactly() -> None:
    valid = valid_nci()
    assert len(valid) > 4800
    for smiles in valid:
        check_units(smiles)


# -- examples -----------------------------------------------------------------------------
def test_protocol_and_name() -> None:
    tok = SmilesTokenizer()
    assert isinstance(tok, DomainTokenizer)
    assert tok.name == "smiles"


def test_canonical_by_default_keeps_stereo_and_isotopes() -> None:
    tok = SmilesTokenizer()
    assert tok.render("OC(=O)c1ccccc1OC(C)=O") == "CC(=O)Oc1ccccc1C(=O)O"
    assert tok.render("Br[C@@H](Cl)F") == "F[C@H](Cl)Br"
    assert tok.render("Br[C@H](Cl)F") == "F[C@@H](Cl)Br"
    assert tok.render("C/C=C/C") == "C/C=C/C"
    assert tok.render("[2H]C") == "[2H]C"


def test_keep_input_form() -> None:
    tok = SmilesTokenizer(canonical=False)
    assert tok.render("OCC") == "OCC"
    assert tok.render("  OCC\n") == "OCC"  # surrounding whitespace dropped
    assert SmilesTokenizer().render("OCC") == "CCO"
    with pytest.raises(InputError):
        tok.render("OCC(")  # still validated


def test_render_separator() -> None:
    assert SmilesTokenizer(separator=" ").render("ClCC(=O)O") == "O = C ( O ) C Cl"
    assert SmilesTokenizer(separator=" ", canonical=False).render("ClCC(=O)O") == "Cl C C ( = O ) O"
    with pytest.raises(InputError):
        SmilesTokenizer(separator=1)  # type: ignore[arg-type]
