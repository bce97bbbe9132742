"""The languages of the plugin: domain tag, English name and where each data source keeps them."""

from __future__ import annotations

from dataclasses import dataclass

from tagregistry.errors import InputError


@dataclass(frozen=True)
class Language:
    """One language: its domain tag (``FR``), name, LibreOffice help folder and FLORES codes."""

    tag: str
    name: str
    help_folder: str
    flores101: str
    flores200: str


LANGUAGES: dict[str, Language] = {
    lang.tag: lang
    for lang in (
        Language("EN", "English", "en-US", "eng", "eng_Latn"),
        Language("FR", "French", "fr", "fra", "fra_Latn"),
        Language("DE", "German", "de", "deu", "deu_Latn"),
        Language("ES", "Spanish", "es", "spa", "spa_Latn"),
        Language("PT", "Portuguese", "pt-BR", "por", "por_Latn"),
        Language("IT", "Italian", "it", "ita", "ita_Latn"),
    )
}
#: help folders a user may choose instead (``help_folders={"PT": "pt"}``); Brazilian Portuguese
#: is the default: its help is the more complete (33,548 EN-PT pairs against 23,876)
HELP_VARIANTS = {"PT": ("pt-BR", "pt")}


def get_language(tag: str) -> Language:
    """The language with domain tag ``tag`` (case-insensitive); InputError naming the known ones."""
    if isinstance(tag, str) and tag.upper() in LANGUAGES:
        return LANGUAGES[tag.upper()]
    raise InputError(f"unknown language {tag!r}; tagregistry-lang knows {', '.join(LANGUAGES)}")
