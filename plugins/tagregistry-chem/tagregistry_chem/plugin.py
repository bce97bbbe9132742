"""Hook implementations of tagregistry-chem (entry point ``chem``).

Only specs live here; code is named by import path so that listing plugins never imports
RDKit.
"""

from __future__ import annotations

from pathlib import Path

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.specs import (
    DataPackageSpec,
    DatasetSpec,
    DomainSpec,
    FunctionSpec,
    HeadSpec,
    PackSpec,
    SlotSpec,
    TokenizerSpec,
)

_PREFIX = "The SMILES of the molecule is {SMILES:smiles}. "
_LICENSE = "BSD-3-Clause (RDKit data file)"
#: Longest SMILES accepted (characters). Real molecules fit well inside it: the longest of
#: RDKit's 5,000 NCI molecules has 291 characters, vancomycin 206, and ubiquitin (a
#: 76-residue protein) 1,496. RDKit slows down sharply and finally crashes on huge inputs,
#: so the core refuses longer values before RDKit sees them (see the plugin README).
SMILES_MAX_LENGTH = 2_000
_MOSES_LICENSE = "MIT (MOSES data in the molsets package)"
_MOSES_SPLITS = ["train", "validation", "test", "test_scaffolds"]
# The PyPI file the MOSES data sets read (tagregistry_chem.moses): pinned, never installed.
DATA_DIR = "moses/dataset/data"
MOLSETS = DataPackageSpec(
    name="molsets", version="0.3.1", filename="molsets-0.3.1-py3-none-any.whl",
    sha256="7f4450e3ebecebe79c3a2a55950c93daddee071120daf64a163d03481e811d34", size=51_584_291,
    members=[f"{DATA_DIR}/{name}.csv.gz" for name in ("train", "test", "test_scaffolds")],
    license="MIT", description="the MOSES benchmark's SMILES files (train, test, scaffold test)",
)

#: function name -> (what the template calls it, dataset, dataset loader, description)
_PROPERTIES: dict[str, tuple[str, str, str, str]] = {
    "QED": (
        "The quantitative estimate of drug-likeness (QED) is",
        "qed-nci",
        "load_qed",
        "quantitative estimate of drug-likeness (0..1), RDKit's QED",
    ),
    "LogP": (
        "The octanol-water partition coefficient (logP) is",
        "logp-nci",
        "load_logp",
        "Crippen octanol-water partition coefficient (logP)",
    ),
    "TPSA": (
        "The topological polar surface area (TPSA) is",
        "tpsa-nci",
        "load_tpsa",
        "topological polar surface area in square angstroms",
    ),
}


@hookimpl
def tagregistry_domains() -> list[DomainSpec]:
    return [
        DomainSpec(
            name="SMILES",
            family="molecule",
            tokenizer="smiles",
            max_length=SMILES_MAX_LENGTH,
            description="small molecules as SMILES strings (validated and canonicalised by RDKit)",
        ),
        DomainSpec(
            name="SELFIES",
            family="molecule",
            tokenizer="selfies",
            # a SELFIES symbol ("[C]", "[=Branch1]") spells about one SMILES character in 3-9
            max_length=4 * SMILES_MAX_LENGTH,
            description="small molecules as SELFIES strings (validated by selfies and RDKit)",
        ),
    ]


@hookimpl
def tagregistry_tokenizers() -> list[TokenizerSpec]:
    return [
        TokenizerSpec(
            name="smiles",
            factory="tagregistry_chem.tokenizer:SmilesTokenizer",
            description="RDKit-validated canonical SMILES split into atoms, bonds, rings",
        ),
        TokenizerSpec(
            name="selfies",
            factory="tagregistry_chem.selfies_tokenizer:SelfiesTokenizer",
            description="validated SELFIES (canonical by default) split into bracketed symbols",
        ),
    ]


@hookimpl
def tagregistry_functions() -> list[FunctionSpec]:
    slot = SlotSpec(name="smiles", domains=["SMILES"], families=["molecule"])
    return [
        FunctionSpec(
            name=name,
            description=description,
            slots=[slot],
            template=f"{_PREFIX}{phrase} {{{name}}}",
            head=HeadSpec(type="regression", output_dim=1),
            output="scalar",
            metric="mse",
            dataset=dataset,
        )
        for name, (phrase, dataset, _, description) in _PROPERTIES.items()
    ]


@hookimpl
def tagregistry_datasets() -> list[DatasetSpec]:
    specs = [
        DatasetSpec(
            name="smiles-nci-5k",
            loader="tagregistry_chem.datasets:load_smiles",
            description="about 5,000 unlabelled NCI molecules from RDKit's Data/NCI/first_5K.smi",
            domains=["SMILES"],
            license=_LICENSE,
        ),
    ]
    specs.append(
        DatasetSpec(
            name="selfies-nci-5k",
            loader="tagregistry_chem.datasets:load_selfies",
            description="the smiles-nci-5k molecules written as SELFIES (stage-1 <SELFIES> data)",
            domains=["SELFIES"],
            license=_LICENSE,
        )
    )
    specs.append(
        DatasetSpec(
            name="selfies-smiles-nci-5k",
            loader="tagregistry_chem.datasets:load_selfies_pairs",
            description="the smiles-nci-5k molecules written as SELFIES and as SMILES, paired "
            "(hyper.align: <SELFIES> trained to read like <SMILES>)",
            domains=["SELFIES", "SMILES"],
            license=_LICENSE,
        )
    )
    specs.append(
        DatasetSpec(
            name="smiles-moses",
            loader="tagregistry_chem.moses:load_smiles_moses",
            description="MOSES molecules (1.57 M train, 176 K test, 176 K scaffold test)",
            domains=["SMILES"],
            license=_MOSES_LICENSE,
            splits=_MOSES_SPLITS,
        )
    )
    for name, (_, dataset, loader, description) in _PROPERTIES.items():
        specs.append(
            DatasetSpec(
                name=dataset,
                loader=f"tagregistry_chem.datasets:{loader}",
                description=f"NCI molecules labelled with {description}, computed by RDKit",
                domains=["SMILES"],
                function=name,
                license=_LICENSE,
            )
        )
        specs.append(
            DatasetSpec(
                name=dataset.replace("-nci", "-nci-moses"),
                loader=f"tagregistry_chem.combined:{loader}_nci_moses",
                description=f"NCI molecules plus 1,000 MOSES training molecules (options: "
                f"moses_train, moses_eval) labelled with {description}",
                domains=["SMILES"],
                function=name,
                license=f"{_LICENSE} AND {_MOSES_LICENSE}",
            )
        )
        specs.append(
            DatasetSpec(
                name=dataset.replace("-nci", "-moses"),
                loader=f"tagregistry_chem.moses:{loader}_moses",
                description=f"MOSES molecules labelled with {description} (cached on disk)",
                domains=["SMILES"],
                function=name,
                license=_MOSES_LICENSE,
                splits=_MOSES_SPLITS,
            )
        )
    return specs


@hookimpl
def tagregistry_data_packages() -> list[DataPackageSpec]:
    """The molsets wheel, for the MOSES SMILES files (RDKit's own data needs no fetching)."""
    return [MOLSETS]


PACKS_DIR = Path(__file__).resolve().parent / "packs"


@hookimpl
def tagregistry_packs() -> list[PackSpec]:
    """Pretrained tags shipped in ``packs/`` (verified like any pack when installed)."""
    shipped = PACKS_DIR / "smollm2-135m"
    if not (shipped / "tagpack.json").is_file():
        return []
    return [
        PackSpec(
            name="chem-smollm2-135m", path=str(shipped), base="smollm2-135m",
            results=str(PACKS_DIR / "smollm2-135m.results.json"),
            description="<SMILES> and property tags trained on the default base (CPU runs)",
        )
    ]
