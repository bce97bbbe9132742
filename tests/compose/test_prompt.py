"""Template parsing and prompt encoding."""

from __future__ import annotations

import pytest

from tagregistry.engine.prompt import PromptEncoder
from tagregistry.engine.template import TagPiece, TextPiece, parse_template
from tagregistry.errors import InputError
from tagregistry.testing import tiny_tokenizer

LENGTHS = {"TestMol": 3, "TestScore": 2, "TestMolChars": 2}


def test_parse_template_pieces():
    pieces = parse_template("The molecule is {TestMol:mol}. Its score is {TestScore}  ")
    assert pieces == [TextPiece("The molecule is "), TagPiece("TestMol", "mol"),
                      TextPiece(". Its score is "), TagPiece("TestScore")]
    with pytest.raises(InputError, match="braces"):
        parse_template("bad {not a tag} {TestScore}")
    with pytest.raises(InputError, match="non-empty"):
        parse_template("  ")


def test_encode_positions_spans_and_bos(catalog):
    tok = tiny_tokenizer()
    encoder = PromptEncoder(tok, catalog)
    prompt = encoder.encode("The molecule is {TestMol:mol}. Its score is {TestScore}",
                            {"mol": "CCO"}, LENGTHS)
    assert prompt.input_ids[0] == tok.bos_token_id
    mol, score = prompt.tags
    assert (mol.name, mol.length, score.name, score.length) == ("TestMol", 3, "TestScore", 2)
    span = prompt.value_span("mol")
    assert span.start == mol.end  # the value follows its domain tag
    assert tok.decode(prompt.input_ids[span.start:span.end]) == " CCO"  # whitespace moved after the tag
    assert prompt.function_start == score.start and prompt.function == "TestScore"
    assert prompt.readout == len(prompt) - 1 == score.end - 1
    assert tok.decode(prompt.input_ids[1:mol.start]) == "The molecule is"


def test_stage_one_template_without_function(catalog):
    encoder = PromptEncoder(tiny_tokenizer(), catalog, add_special_tokens=False)
    prompt = encoder.encode("{TestMolChars:mol}", {"mol": "CCO"}, LENGTHS)
    assert prompt.tags[0].start == 0 and prompt.function_start is None
    span = prompt.values[0]
    assert (span.slot, span.domain, span.end) == ("mol", "TestMolChars", len(prompt))
    assert tiny_tokenizer().decode(prompt.input_ids[span.start:span.end]) == "C C O"


def test_domain_override_and_keys(catalog):
    encoder = PromptEncoder(tiny_tokenizer(), catalog)
    template = "The molecule is {TestMol:mol}. Its score is {TestScore}"
    prompt = encoder.encode(template, {"mol": "CCO"}, LENGTHS, domains={"mol": "TestMolChars"})
    assert [t.name for t in prompt.tags] == ["TestMolChars", "TestScore"]
    keys = prompt.keys()
    assert keys[prompt.tags[0].start] == ("tag", "TestMolChars", 0)


def test_encode_errors(catalog):
    encoder = PromptEncoder(tiny_tokenizer(), catalog, max_length=12)
    template = "The molecule is {TestMol:mol}. Its score is {TestScore}"
    with pytest.raises(InputError, match="missing slot"):
        encoder.encode(template, {}, LENGTHS)
    with pytest.raises(InputError, match="no vectors for tag 'TestScore'"):
        encoder.encode(template, {"mol": "C"}, {"TestMol": 3})
    with pytest.raises(InputError, match="context is 12"):
        encoder.encode(template, {"mol": "CCCCCCCC"}, LENGTHS)


def test_rejected_values_are_shown_cut_in_the_message(catalog):
    encoder = PromptEncoder(tiny_tokenizer(), catalog)
    long_value = "C" * 100 + "(("
    with pytest.raises(InputError) as info:
        encoder.render("SMILES", "smiles", long_value)  # the chem plugin's validator refuses it
    message = str(info.value)
    prefix = f"slot 'smiles' (SMILES) rejected '{'C' * 60}'... (102 characters): "
    assert message.startswith(prefix), message
    with pytest.raises(InputError, match=r"rejected 'CCO\(\(': "):
        encoder.render("SMILES", "smiles", "CCO((")  # short values are shown whole
