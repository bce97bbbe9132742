"""Hook implementations (entry point ``protein``).

Only specs live here. Code is named by import path ("module:attribute") and imported on
first use, so ``tagregistry plugins`` and ``tagregistry --help`` never import torch.
"""

from __future__ import annotations

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.specs import (
    BaseModelSpec,
    DatasetSpec,
    DomainSpec,
    FunctionSpec,
    HeadSpec,
    HeadTypeSpec,
    SlotSpec,
    TokenizerSpec,
)


@hookimpl
def tagregistry_domains() -> list[DomainSpec]:
    return [
        DomainSpec(
            name="Protein", tokenizer="protein-chars", family="protein",
            description="proteins as one-letter amino-acid sequences",
        ),
    ]


@hookimpl
def tagregistry_tokenizers() -> list[TokenizerSpec]:
    return [
        TokenizerSpec(
            name="protein-chars", factory="tagregistry_protein.tokenizer:ProteinTokenizer",
            description="validated, upper-cased residues separated by spaces",
        ),
    ]


@hookimpl
def tagregistry_functions() -> list[FunctionSpec]:
    return [
        FunctionSpec(
            name="Descriptor",
            description="mean BLOSUM62 self-substitution score of the residues",
            slots=[SlotSpec(name="protein", domains=["Protein"], families=["protein"])],
            # the function tag {Descriptor} must come last
            template="The protein sequence is {Protein:protein}. "
                     "Its mean BLOSUM62 self-score is {Descriptor}",
            head=HeadSpec(type="regression", output_dim=1),
            output="scalar", metric="mse", dataset="descriptor-fasta",
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


@hookimpl
def tagregistry_datasets() -> list[DatasetSpec]:
    return [
        DatasetSpec(
            name="protein-fasta", loader="tagregistry_protein.datasets:load_sequences",
            description="unlabelled sequences from your FASTA file (options: path)",
            domains=["Protein"],
        ),
        DatasetSpec(
            name="descriptor-fasta", loader="tagregistry_protein.datasets:load_descriptor",
            description="sequences from your FASTA file labelled with Descriptor (options: path)",
            domains=["Protein"], function="Descriptor",
        ),
    ]


@hookimpl
def tagregistry_base_models() -> list[BaseModelSpec]:
    return [
        BaseModelSpec(
            name="protein-tiny", loader="tagregistry_protein.bases:load_tiny",
            model_id="tagregistry-protein/tiny-random-llama",
            description="2-layer random Llama for offline plugin tests (not a useful model)",
        ),
    ]
