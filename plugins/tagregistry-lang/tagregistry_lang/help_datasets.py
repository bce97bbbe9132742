"""One loader per language for the ``libreoffice-help-<lang>`` data sets (stage-1 text)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tagregistry_lang.help_corpus import load_help_text

Loader = Callable[..., list[dict[str, Any]]]


def _text_loader(tag: str) -> Loader:
    def load(split: str = "train", folder: str | Path | None = None, limit: int | None = None,
             help_folders: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        return load_help_text(split, tag, folder, limit, help_folders)

    load.__doc__ = f"{tag} paragraphs of the help pages of ``split`` (see ``load_help_text``)."
    return load


load_text_en = _text_loader("EN")
load_text_fr = _text_loader("FR")
load_text_de = _text_loader("DE")
load_text_es = _text_loader("ES")
load_text_pt = _text_loader("PT")
load_text_it = _text_loader("IT")
