"""Parallel text from files: OPUS (Moses format) file pairs and FLORES-101/200 folders.

Both are line-aligned plain text, one sentence a line, UTF-8. Nothing is downloaded here:
fetch the files where the network exists (OPUS: the "Moses" download of a corpus, two files
such as ``Europarl.en-fr.en`` and ``Europarl.en-fr.fr``; FLORES-101: the ``flores101_dataset``
folder with ``dev/eng.dev`` and ``devtest/eng.devtest``; FLORES-200: ``dev/eng_Latn.dev``)
and point the loaders at them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagregistry.errors import InputError, NotFoundError
from tagregistry_lang.help_corpus import split_of
from tagregistry_lang.languages import get_language

FLORES_SPLITS = {"validation": "dev", "test": "devtest"}


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file (without line ends); clear errors for a missing or
    undecodable file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise NotFoundError(f"parallel text file {file} does not exist")
    try:
        return file.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def aligned_records(
    source_lines: list[str], target_lines: list[str], source: str, target: str, what: str,
) -> list[dict[str, Any]]:
    """Records of two line-aligned sides (lines empty on either side are skipped)."""
    if len(source_lines) != len(target_lines):
        raise InputError(f"{what}: the source has {len(source_lines):,} lines and the target "
                         f"{len(target_lines):,}; line-aligned files must have as many")
    src, tgt = get_language(source).tag, get_language(target).tag
    if src == tgt:
        raise InputError(f"source and target are both {src}; choose two languages")
    return [
        {"text": left.strip(), "translation": right.strip(), "source_language": src,
         "target_language": tgt, "line": number}
        for number, (left, right) in enumerate(zip(source_lines, target_lines, strict=True), 1)
        if left.strip() and right.strip()
    ]


def load_parallel_files(
    split: str = "train", source_file: str | Path | None = None,
    target_file: str | Path | None = None, source: str = "EN", target: str = "FR",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Pairs from two line-aligned files, in the ``split`` (80/10/10) that the sha256 of
    the source sentence picks, so a sentence repeated in the files stays in one split."""
    if source_file is None or target_file is None:
        raise InputError("parallel-files needs the options source_file and target_file "
                         "(two line-aligned text files)")
    if split not in ("train", "validation", "test"):
        raise InputError(f"unknown split {split!r}; use train, validation or test")
    records = aligned_records(read_lines(source_file), read_lines(target_file), source, target,
                              f"{source_file} and {target_file}")
    chosen = [r for r in records if split_of(r["text"]) == split]
    return chosen[:limit] if limit is not None else chosen


def flores_file(folder: Path, language: str, split: str) -> Path:
    """The FLORES-101 (``eng.dev``) or FLORES-200 (``eng_Latn.dev``) file of a language."""
    lang = get_language(language)
    part = FLORES_SPLITS[split]
    candidates = [folder / part / f"{code}.{part}" for code in (lang.flores101, lang.flores200)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise NotFoundError(f"{folder} is not a FLORES folder with {lang.name} text: none of "
                        f"{', '.join(str(c.relative_to(folder)) for c in candidates)} exists")


def load_flores(
    split: str = "test", folder: str | Path | None = None, source: str = "EN",
    target: str = "FR", limit: int | None = None,
) -> list[dict[str, Any]]:
    """FLORES sentences ``source`` -> ``target``: ``validation`` is dev, ``test`` devtest."""
    if folder is None:
        raise InputError("flores needs the option folder (the FLORES-101 or -200 folder "
                         "holding dev/ and devtest/)")
    if split not in FLORES_SPLITS:
        raise InputError(f"FLORES has no {split!r} split (only validation = dev and test = "
                         "devtest); train on another data set and evaluate on FLORES")
    root = Path(folder).expanduser()
    left, right = flores_file(root, source, split), flores_file(root, target, split)
    records = aligned_records(read_lines(left), read_lines(right), source, target,
                              f"{left} and {right}")
    return records[:limit] if limit is not None else records
