"""The LibreOffice help as a corpus: monolingual text per language and aligned sentence pairs.

A help tree holds one folder per language (``en-US``, ``fr``, ...), each with the same pages
under ``text/``. A paragraph is keyed by its page (path without extension) and its id, so two
languages align where both have the key. Splits are by page: the sha256 of the page path puts
it in train (80%), validation (10%) or test (10%), the same page in the same split for every
language and pair. Help pages embed shared paragraphs of other pages, so a sentence can sit on
pages of two splits: held-out records whose source text also occurs in an earlier split
(train, then validation) are dropped, and no held-out source sentence is one trained on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import zip_longest
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError, NotFoundError
from tagregistry_lang.help_pages import page_paragraphs
from tagregistry_lang.languages import HELP_VARIANTS, get_language

SPLITS = ("train", "validation", "test")
#: the directions <Translate> is trained on (the paper's seen pairs)
SEEN_PAIRS = ("EN-FR", "FR-EN", "EN-DE", "DE-EN")
PAGE_SUFFIXES = (".html", ".xhp")
#: where a help tree sits inside an extracted Debian package
DEB_HELP_PATH = Path("usr/share/libreoffice/help")
FETCH_HINT = ("fetch it with `python -m tagregistry_lang.fetch` or pass folder= (a folder holding "
              "usr/share/libreoffice/help/<lang>/text or <lang>/text)")


def split_of(page: str) -> str:
    """``train``, ``validation`` or ``test`` for a page path (80/10/10 by its sha256)."""
    bucket = int(hashlib.sha256(page.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 80 else "validation" if bucket < 90 else "test"


def help_root(folder: str | Path | None) -> Path:
    """The folder holding one sub-folder per language (``folder`` or the fetched copy)."""
    if folder is None:
        from tagregistry_lang.fetch import fetched_root

        return fetched_root()
    base = Path(folder).expanduser()
    for candidate in (base, base / DEB_HELP_PATH, base / "help"):
        if candidate.is_dir() and any((child / "text").is_dir() for child in candidate.iterdir()
                                      if child.is_dir()):
            return candidate
    raise NotFoundError(f"{base} holds no LibreOffice help pages; {FETCH_HINT}")


def _folder_of(tag: str, help_folders: Mapping[str, str] | None) -> str:
    lang = get_language(tag)
    chosen = (help_folders or {}).get(lang.tag, lang.help_folder)
    allowed = HELP_VARIANTS.get(lang.tag, (lang.help_folder,))
    if chosen not in allowed:
        raise InputError(f"help folder {chosen!r} is not one of {lang.name}'s: {', '.join(allowed)}")
    return chosen


def _translated(root: Path, tag: str, help_folders: Mapping[str, str] | None) -> dict[tuple[str, str], str]:
    """``{(page, id): text}`` of language ``tag``, without the paragraphs a translation left in
    English (the same text as the English page's paragraph of that id)."""
    texts = _paragraphs(root, _folder_of(tag, help_folders))
    english = get_language("EN")
    if tag.upper() == english.tag:
        return texts
    source = _paragraphs(root, english.help_folder)
    return {key: text for key, text in texts.items() if source.get(key) != text}


@lru_cache(maxsize=16)
def _paragraphs(root: Path, folder: str) -> dict[tuple[str, str], str]:
    """``{(page, id): text}`` of one language folder (read once per process)."""
    base = root / folder
    if not (base / "text").is_dir():
        raise NotFoundError(f"{root} has no {folder}/text folder (no pages in that language); "
                            f"{FETCH_HINT}")
    out: dict[tuple[str, str], str] = {}
    pages = sorted(p for p in (base / "text").rglob("*") if p.suffix.lower() in PAGE_SUFFIXES)
    for path in pages:
        page = path.relative_to(base).with_suffix("").as_posix()
        for ident, text in page_paragraphs(path).items():
            out[(page, ident)] = text
    if not out:
        raise NotFoundError(f"{base / 'text'} holds no help paragraphs (.html or .xhp pages)")
    return out


def _limited(records: Iterator[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    out = []
    for record in records:
        if limit is not None and len(out) >= limit:
            break
        out.append(record)
    return out


def _held_out_filter(split: str, keys: list[tuple[str, str]], texts: Mapping[tuple[str, str], str]) -> set[str]:
    """Source texts of the splits before ``split`` (train; train and validation for test)."""
    earlier = SPLITS[: SPLITS.index(split)]
    return {texts[k] for k in keys if split_of(k[0]) in earlier}


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")


def load_help_text(
    split: str = "train", language: str = "EN", folder: str | Path | None = None,
    limit: int | None = None, help_folders: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Monolingual paragraphs of ``language`` on the pages of ``split`` (stage-1 data).

    Records: ``text``, ``language``, ``page``, ``paragraph``; each text once per split.
    Paragraphs a translation left in English are not text of that language and are skipped.
    """
    _check_split(split)
    texts = _translated(help_root(folder), language, help_folders)
    keys = sorted(texts)
    seen = _held_out_filter(split, keys, texts)
    tag = language.upper()

    def records() -> Iterator[dict[str, Any]]:
        for key in keys:
            text = texts[key]
            if split_of(key[0]) == split and text not in seen:
                seen.add(text)
                yield {"text": text, "language": tag, "page": key[0], "paragraph": key[1]}

    return _limited(records(), limit)


def load_help_pairs(
    split: str = "train", source: str = "EN", target: str = "FR", folder: str | Path | None = None,
    limit: int | None = None, help_folders: Mapping[str, str] | None = None,
    max_words: int | None = None,
) -> list[dict[str, Any]]:
    """Aligned paragraphs ``source`` -> ``target`` on the pages of ``split`` (Translate data).

    Records: ``text`` (source), ``translation`` (target), ``source_language``,
    ``target_language``, ``page``, ``paragraph``. Paragraphs left in English by a translation
    and pairs whose two sides are identical are skipped; each source text appears once per
    split. ``max_words``: keep only pairs whose two sides have at most that many words.
    """
    _check_split(split)
    src, tgt = source.upper(), target.upper()
    if src == tgt:
        raise InputError(f"source and target are both {src}; choose two languages")
    root = help_root(folder)
    left = _translated(root, src, help_folders)
    right = _translated(root, tgt, help_folders)
    keys = sorted(k for k in left if k in right and left[k] != right[k])
    seen = _held_out_filter(split, keys, left)

    def records() -> Iterator[dict[str, Any]]:
        for key in keys:
            text = left[key]
            if split_of(key[0]) == split and text not in seen and _short(max_words, text, right[key]):
                seen.add(text)
                yield {"text": text, "translation": right[key], "source_language": src,
                       "target_language": tgt, "page": key[0], "paragraph": key[1]}

    return _limited(records(), limit)


def _short(max_words: int | None, *texts: str) -> bool:
    return max_words is None or all(len(t.split()) <= max_words for t in texts)


def load_help_pair_mix(
    split: str = "train", pairs: Sequence[str] = SEEN_PAIRS, folder: str | Path | None = None,
    limit: int | None = None, help_folders: Mapping[str, str] | None = None,
    max_words: int | None = None,
) -> list[dict[str, Any]]:
    """Several directions at once (``"EN-FR"``, ``"FR-EN"``...), records taken in turn from
    each, so any ``limit`` holds every direction in equal parts: the data of one ``Translate``
    run whose records say their own languages (``source_language``, ``target_language``)."""
    directions = [_direction(pair) for pair in ([pairs] if isinstance(pairs, str) else pairs)]
    if not directions:
        raise InputError("pairs is empty; name directions such as ['EN-FR', 'FR-EN']")
    each = [load_help_pairs(split, src, tgt, folder, None, help_folders, max_words)
            for src, tgt in directions]
    mixed = [r for row in zip_longest(*each) for r in row if r is not None]
    return mixed if limit is None else mixed[:limit]


def _direction(pair: str) -> tuple[str, str]:
    parts = pair.split("-") if isinstance(pair, str) else []
    if len(parts) != 2:
        raise InputError(f"pair {pair!r} is not SOURCE-TARGET, e.g. 'EN-FR'")
    return get_language(parts[0]).tag, get_language(parts[1]).tag
