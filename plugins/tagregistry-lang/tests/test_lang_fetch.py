"""Fetching the help packages into the data cache: pinned hashes, unpacking, failures."""

from __future__ import annotations

import shutil

import pytest
from lang_support import debs_of_tree, make_deb

from tagregistry.errors import IntegrityError, NotFoundError
from tagregistry.hashing import file_sha256
from tagregistry_lang import fetch
from tagregistry_lang.help_corpus import load_help_pairs


def test_fetch_from_a_folder_unpacks_only_the_help_pages(help_tree, tmp_path):
    debs = tmp_path / "debs"
    pins = debs_of_tree(help_tree, debs)
    root = fetch.fetch_help(debs, packages=pins)
    assert root == fetch.corpus_dir() / "usr/share/libreoffice/help"
    assert sorted(p.name for p in root.iterdir()) == ["en-US", "es", "fr", "pt-BR"]
    assert not (fetch.corpus_dir() / "usr/share/doc").exists()
    expected = load_help_pairs("train", "EN", "FR", help_tree)
    assert load_help_pairs("train", "EN", "FR", fetch.fetched_root(pins)) == expected
    shutil.rmtree(debs)  # fetched once: a second call does not need the files
    assert fetch.fetch_help(debs.parent, packages=pins) == root


def test_a_wrong_hash_or_a_missing_package_leaves_nothing(help_tree, tmp_path):
    debs = tmp_path / "debs"
    pins = debs_of_tree(help_tree, debs)
    wrong = {**pins, "libreoffice-help-fr": "0" * 64}
    with pytest.raises(IntegrityError, match="libreoffice-help-fr_.*has sha256 .*not the pinned"):
        fetch.fetch_help(debs, packages=wrong)
    assert not fetch.corpus_dir().exists()
    with pytest.raises(NotFoundError, match="has no libreoffice-help-it_4%3a7.4.7"):
        fetch.fetch_help(debs, packages={**pins, "libreoffice-help-it": "0" * 64})
    with pytest.raises(NotFoundError, match="python -m tagregistry_lang.fetch"):
        fetch.fetched_root(pins)
    with pytest.raises(NotFoundError, match="no such folder"):
        fetch.fetch_help(tmp_path / "nowhere", packages=pins)


def test_a_package_reaching_outside_the_folder_is_refused(tmp_path):
    deb = make_deb(tmp_path / "debs" / fetch.deb_name("libreoffice-help-fr"), {
        "./usr/share/libreoffice/help/fr/text/../../../../../../../evil.html": b"x"})
    pins = {"libreoffice-help-fr": file_sha256(deb)}
    with pytest.raises(IntegrityError, match="cannot be unpacked"):
        fetch.fetch_help(tmp_path / "debs", packages=pins)
    assert not (tmp_path / "evil.html").exists() and not fetch.corpus_dir().exists()
    not_deb = tmp_path / "plain" / fetch.deb_name("libreoffice-help-fr")
    not_deb.parent.mkdir()
    not_deb.write_bytes(b"not an archive")
    with pytest.raises(IntegrityError, match="not a Debian package"):
        fetch.unpack_help(not_deb, tmp_path / "out")


def test_without_apt_get_the_error_says_how_to_fetch_by_hand(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NotFoundError, match="apt-get is not available here.*--from"):
        fetch.apt_download(tmp_path)
    assert fetch.main(["--from", str(tmp_path / "missing")]) == 1
