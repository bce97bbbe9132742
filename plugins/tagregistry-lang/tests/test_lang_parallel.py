"""FLORES folders and OPUS (Moses) file pairs, on small local files."""

from __future__ import annotations

import pytest

from tagregistry.errors import InputError, NotFoundError
from tagregistry.plugins.manager import Catalog, load_object
from tagregistry_lang.help_corpus import split_of
from tagregistry_lang.parallel import load_flores, load_parallel_files

ENGLISH = [f"Sentence number {i} is here." for i in range(40)]
FRENCH = [f"La phrase numéro {i} est ici." for i in range(40)]


def write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_moses_pairs_are_split_by_the_source_sentence(tmp_path):
    source = write(tmp_path / "corpus.en-fr.en", [*ENGLISH, "", ENGLISH[0]])
    target = write(tmp_path / "corpus.en-fr.fr", [*FRENCH, "orphan", FRENCH[0]])
    splits = {s: load_parallel_files(s, source, target, "en", "fr")
              for s in ("train", "validation", "test")}
    assert sum(len(v) for v in splits.values()) == 41  # the empty source line is skipped
    for split, records in splits.items():
        assert all(split_of(r["text"]) == split for r in records)
    first = next(r for r in splits[split_of(ENGLISH[3])] if r["line"] == 4)
    assert first == {"text": ENGLISH[3], "translation": FRENCH[3], "source_language": "EN",
                     "target_language": "FR", "line": 4}
    assert len(load_parallel_files("train", source, target, limit=3)) == 3


def test_moses_files_must_align(tmp_path):
    source = write(tmp_path / "a.en", ENGLISH)
    target = write(tmp_path / "a.fr", FRENCH[:-1])
    with pytest.raises(InputError, match="source has 40 lines and the target 39"):
        load_parallel_files("train", source, target)
    with pytest.raises(InputError, match="needs the options source_file and target_file"):
        load_parallel_files("train")
    with pytest.raises(NotFoundError, match="does not exist"):
        load_parallel_files("train", tmp_path / "missing.en", target)
    (tmp_path / "latin1.fr").write_bytes("é\n".encode("latin-1") * 40)
    with pytest.raises(InputError, match="is not UTF-8 text"):
        load_parallel_files("train", source, tmp_path / "latin1.fr")


@pytest.mark.parametrize(("english", "french"), [("eng", "fra"), ("eng_Latn", "fra_Latn")])
def test_flores_folders_of_both_releases(tmp_path, english, french):
    for part in ("dev", "devtest"):
        write(tmp_path / part / f"{english}.{part}", [f"{part} {s}" for s in ENGLISH[:5]])
        write(tmp_path / part / f"{french}.{part}", [f"{part} {s}" for s in FRENCH[:5]])
    test = load_flores("test", tmp_path, "EN", "FR")
    assert [r["text"] for r in test] == [f"devtest {s}" for s in ENGLISH[:5]]
    assert load_flores("validation", tmp_path, "FR", "EN", limit=2)[1]["translation"] == f"dev {ENGLISH[1]}"
    with pytest.raises(InputError, match="FLORES has no 'train' split"):
        load_flores("train", tmp_path)
    with pytest.raises(NotFoundError, match="no.*German|German text"):
        load_flores("test", tmp_path, "EN", "DE")


def test_the_catalog_names_both_loaders(tmp_path):
    catalog = Catalog()
    assert catalog.get("datasets", "flores").splits == ["validation", "test"]
    loader = load_object(catalog.get("datasets", "parallel-files").loader)
    source = write(tmp_path / "a.es", ["Hola mundo."] * 3)
    target = write(tmp_path / "a.pt", ["Olá mundo."] * 3)
    split = split_of("Hola mundo.")
    assert len(loader(split=split, source_file=source, target_file=target, source="ES",
                      target="PT")) == 3
