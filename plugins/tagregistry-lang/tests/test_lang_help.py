"""The LibreOffice help corpus: page parsing (.html and .xhp), alignment, splits by page."""

from __future__ import annotations

from collections import Counter

import pytest
from lang_support import page_names, write_help

from tagregistry.errors import InputError, NotFoundError
from tagregistry.plugins.manager import Catalog, load_object
from tagregistry_lang.help_corpus import help_root, load_help_pairs, load_help_text, split_of
from tagregistry_lang.help_pages import page_paragraphs

XHP = """<?xml version="1.0" encoding="UTF-8"?>
<helpdocument version="1.0"><meta><topic id="x"><title id="tit" xml-lang="en-US">Page title</title>
</topic></meta><body>
<bookmark xml-lang="en-US" branch="index" id="bm_id1"><bookmark_value>index entry</bookmark_value></bookmark>
<paragraph role="heading" id="hd_id1" level="1" xml-lang="en-US">Saving <emph>documents</emph></paragraph>
<paragraph role="paragraph" id="par_id2" xml-lang="en-US">Choose <switchinline select="sys"><caseinline
 select="MAC">LibreOffice - Preferences</caseinline><defaultinline>Tools - Options</defaultinline>
</switchinline> and <embedvar href="text/shared/x.xhp#y"/>click OK.<comment>UFI: note</comment></paragraph>
<paragraph role="paragraph" id="par_id3" xml-lang="en-US">   </paragraph>
</body></helpdocument>
"""


def test_html_page_keeps_paragraph_ids_and_default_variants(help_tree):
    page = help_tree / "usr/share/libreoffice/help/fr" / f"{page_names(12)[0]}.html"
    assert page_paragraphs(page) == {
        "hd_id01": "Ouvrez le fichier. 0",
        "par_id02": "Enregistrez le document en PDF.",
        "par_id03": "Choisissez Outils - Options.",  # the MAC variant is dropped
        "par_id04": "LibreOffice Calc",
    }


def test_xhp_page_keeps_default_text_without_index_entries_or_comments(tmp_path):
    path = tmp_path / "page.xhp"
    path.write_text(XHP, encoding="utf-8")
    assert page_paragraphs(path) == {
        "tit": "Page title",
        "hd_id1": "Saving documents",
        "par_id2": "Choose Tools - Options and click OK.",
    }


def test_pages_are_split_by_their_path_for_every_language_and_pair(help_tree):
    pages = page_names(12)
    train = load_help_pairs("train", "EN", "FR", help_tree)
    test = load_help_pairs("test", "ES", "PT", help_tree)
    assert {r["page"] for r in train} == {p for p in pages if split_of(p) == "train"}
    assert {r["page"] for r in test} <= {p for p in pages if split_of(p) == "test"}
    assert Counter(split_of(p) for p in pages)["validation"] >= 1
    record = next(r for r in train if r["paragraph"] == "par_id03")
    assert record["text"] == "Choose Tools - Options."
    assert record["translation"] == "Choisissez Outils - Options."
    assert (record["source_language"], record["target_language"]) == ("EN", "FR")


def test_held_out_sentences_were_never_trained_on(help_tree):
    train = {r["text"] for r in load_help_pairs("train", "EN", "FR", help_tree)}
    validation = load_help_pairs("validation", "EN", "FR", help_tree)
    test = load_help_pairs("test", "EN", "FR", help_tree)
    assert validation and test
    assert not train & {r["text"] for r in validation}
    assert not (train | {r["text"] for r in validation}) & {r["text"] for r in test}
    # the paragraphs shared by every page sit in train once, and only there
    assert sum(r["text"] == "Save the document as PDF." for r in validation + test) == 0
    texts = [r["text"] for r in load_help_pairs("train", "EN", "FR", help_tree)]
    assert len(texts) == len(set(texts))


def test_untranslated_and_identical_paragraphs_are_not_pairs(help_tree):
    es_pt = load_help_pairs("train", "ES", "PT", help_tree)
    assert "Guarde el documento como PDF." not in {r["text"] for r in es_pt}  # PT left English
    assert "LibreOffice Calc" not in {r["text"] for r in es_pt}  # same in both
    portuguese = {r["text"] for r in load_help_text("train", "PT", help_tree)}
    assert "Save the document as PDF." not in portuguese
    assert any(text.startswith("Abra o arquivo.") for text in portuguese)
    english = {r["text"] for r in load_help_text("train", "EN", help_tree)}
    assert "LibreOffice Calc" in english and "Save the document as PDF." in english


def test_limit_and_the_help_folder_variant(help_tree):
    assert len(load_help_pairs("train", "EN", "FR", help_tree, limit=2)) == 2
    with pytest.raises(NotFoundError, match="no pt/text folder"):
        load_help_text("train", "PT", help_tree, help_folders={"PT": "pt"})
    with pytest.raises(InputError, match="not one of Portuguese's"):
        load_help_text("train", "PT", help_tree, help_folders={"PT": "br"})


def test_help_root_accepts_the_extracted_package_or_the_help_folder(help_tree, tmp_path):
    inner = help_tree / "usr/share/libreoffice/help"
    assert help_root(help_tree) == inner
    assert help_root(inner) == inner
    with pytest.raises(NotFoundError, match="holds no LibreOffice help pages; fetch it with"):
        help_root(tmp_path / "empty")
    with pytest.raises(NotFoundError, match="python -m tagregistry_lang.fetch"):
        load_help_text("train", "EN")  # nothing fetched into this test's data cache


def test_bad_requests_are_one_clear_error(help_tree):
    with pytest.raises(InputError, match="unknown split 'dev'"):
        load_help_pairs("dev", "EN", "FR", help_tree)
    with pytest.raises(InputError, match="both FR"):
        load_help_pairs("train", "fr", "FR", help_tree)
    with pytest.raises(InputError, match="unknown language 'XX'"):
        load_help_pairs("train", "XX", "FR", help_tree)
    with pytest.raises(NotFoundError, match="no it/text folder"):
        load_help_pairs("train", "EN", "IT", help_tree)


def test_the_catalog_data_sets_load_the_tree(tmp_path):
    tree = write_help(tmp_path / "tree", page_names(6))
    catalog = Catalog()
    french = load_object(catalog.get("datasets", "libreoffice-help-fr").loader)
    records = french(split="train", folder=tree)
    assert records and all(r["language"] == "FR" for r in records)
    pairs = load_object(catalog.get("datasets", "libreoffice-help-pairs").loader)
    assert pairs(split="train", folder=tree, source="ES", target="EN")[0]["target_language"] == "EN"
