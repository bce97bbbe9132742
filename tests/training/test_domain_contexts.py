"""Stage 1 in the contexts where a domain tag is used, and the tag measured in them."""

from __future__ import annotations

import math

import pytest

from tagregistry.engine.contexts import (
    function_contexts,
    slot_context,
    stage1_contexts,
)
from tagregistry.engine.prompt import PromptEncoder
from tagregistry.errors import InputError
from tagregistry.models.tokens import pad_token_id
from tagregistry.training.domain_layouts import as_metrics, domain_layouts, measure_domain
from tagregistry.training.init import initial_tag


def test_a_slot_context_is_the_text_since_the_previous_tag() -> None:
    template = "The molecule {TestMol:mol} and the sentence {TestText:text} give {TestPair}"
    assert slot_context(template, "mol", "TestMol") == "The molecule {TestMol:mol}"
    assert slot_context(template, "text", "TestText") == "and the sentence {TestText:text}"
    assert slot_context(template, "text", "Other") == "and the sentence {Other:text}"
    with pytest.raises(InputError, match="no slot 'nope'"):
        slot_context(template, "nope", "TestMol")


def test_function_contexts_cover_every_function_taking_the_domain(catalog) -> None:
    found = function_contexts(catalog, "TestMol")
    assert found["TestScore"] == "The molecule is {TestMol:mol}"
    assert found["TestDescribe"] == "Describe the molecule {TestMol:mol}"
    assert "TestPair" in found
    # a domain of the same family fills the slot zero-shot: its own name in the context
    assert function_contexts(catalog, "TestMolChars")["TestScore"] == "The molecule is {TestMolChars:mol}"


def test_stage1_contexts_expand_functions_and_rename_the_slot(catalog) -> None:
    assert stage1_contexts([], catalog, "TestMol", "smiles") == ["{TestMol:smiles}"]
    chosen = stage1_contexts(["{TestMol:x}", "functions"], catalog, "TestMol", "smiles")
    assert chosen[0] == "{TestMol:smiles}"
    assert "The molecule is {TestMol:smiles}" in chosen and len(chosen) == len(set(chosen))
    with pytest.raises(InputError, match="exactly one"):
        stage1_contexts(["The {TestMol:a} and {TestMol:b}"], catalog, "TestMol", "mol")
    with pytest.raises(InputError, match="exactly one"):
        stage1_contexts(["plain text"], catalog, "TestMol", "mol")


def test_removing_a_tag_gives_the_plain_prompt(base, catalog) -> None:
    encoder = PromptEncoder(base.tokenizer, catalog)
    tagged = encoder.encode("The molecule is {TestMol:mol}", {"mol": "CCO"}, {"TestMol": 3})
    plain = tagged.without_tag("TestMol")
    assert len(plain) == len(tagged) - 3 and not plain.tags
    value = tagged.values[0]
    assert plain.input_ids[plain.values[0].start:plain.values[0].end] == \
        tagged.input_ids[value.start:value.end]
    assert plain.input_ids == [i for k, i in enumerate(tagged.input_ids)
                               if not 0 <= k - tagged.tags[0].start < 3]


def test_stage1_trains_in_function_contexts_and_records_them(registry, catalog, base, mol_file,
                                                            hyper, tmp_path) -> None:
    result = registry.train(
        {"stage": 1, "tag": "TestMol", "data": {"file": str(mol_file), "text_field": "mol"},
         "hyper": hyper(contexts=["{TestMol:mol}", "functions"])},
        catalog=catalog, base=base, output_dir=tmp_path / "ctx", progress=False)
    source = result.records[0].source
    assert source["contexts"][0] == "{TestMol:mol}"
    assert "The molecule is {TestMol:mol}" in source["contexts"]
    assert source["recipe"]["dtype"] == "float32"  # the tiny base was built in float32
    # the record carries the tag measured in its bare layout and in every function's context
    metrics = result.records[0].metrics
    shared = next(k for k in metrics if k.startswith("test_perplexity@") and "TestScore" in k
                  and not k.endswith(("_no_tag", "_untrained")))
    for key in ("test_perplexity@bare", shared):
        assert math.isfinite(metrics[key]) and metrics[f"{key}_no_tag"] > 1.0
        assert math.isfinite(metrics[f"{key}_untrained"])


def test_measure_domain_reports_tag_untrained_and_no_tag(base, catalog) -> None:
    encoder = PromptEncoder(base.tokenizer, catalog)
    records = [{"mol": m} for m in ("CCO", "c1ccccc1O", "CC(=O)N", "ClCCl", "OCC(O)CO", "FC(F)F")]
    layouts = domain_layouts(catalog, "TestMol", "mol")
    shared = "TestClass+TestScore+TestVector"  # one context, three functions: measured once
    assert list(layouts)[0] == "stage 1" and layouts[shared] == "The molecule is {TestMol:mol}"
    init = initial_tag("mean", base.model, 3, tokenizer=base.tokenizer, seed=0)
    scores = measure_domain(base.model, encoder, "TestMol", init * 1.5, init, records, "mol",
                            {k: layouts[k] for k in ("stage 1", shared)},
                            pad_id=pad_token_id(base.tokenizer), batch_size=4)
    assert [s.layout for s in scores] == ["stage 1", shared]
    for score in scores:
        assert score.tokens > 0
        assert all(math.isfinite(v) and v > 1 for v in (score.tag, score.untrained, score.no_tag))
        assert score.tag != score.untrained  # the fill changes what the base reads
    metrics = as_metrics(scores)
    assert metrics["test_perplexity@bare"] == scores[0].tag
    assert metrics[f"test_perplexity@{shared}_no_tag"] == scores[1].no_tag


def test_registry_evaluates_a_domain_tag_on_its_held_out_split(registry, catalog, local_base,
                                                              mol_file, hyper, tmp_path,
                                                              monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the record keeps data paths relative to the training folder
    registry.train({"stage": 1, "tag": "TestMol", "base": str(local_base),
                    "data": {"file": str(mol_file), "text_field": "mol"}, "hyper": hyper()},
                   catalog=catalog, output_dir=tmp_path / "s1", progress=False)
    scores = registry.evaluate_domain("TestMol", base=str(local_base), limit=8, catalog=catalog)
    layouts = [s.layout for s in scores]
    assert layouts[0] == "stage 1" and any("TestScore" in name for name in layouts)
    assert all(s.tokens > 0 and s.no_tag > 1 for s in scores)
    with pytest.raises(InputError, match="split must be"):
        registry.evaluate_domain("TestMol", base=str(local_base), split="dev", catalog=catalog)


def test_cli_evaluates_a_domain_tag(registry, local_base, hyper, tmp_path, monkeypatch) -> None:
    import json

    from support.cli import run_cli

    monkeypatch.chdir(tmp_path)  # the record keeps data paths relative to the training folder
    molecules = ["CCO", "c1ccccc1O", "CC(=O)N", "ClCCl", "OCC(O)CO", "FC(F)F", "CCN(CC)CC",
                 "CC(C)O", "C1CCCCC1", "O=C=O", "CC#N", "NCCO"] * 4
    data = tmp_path / "smiles.jsonl"
    data.write_text("".join(json.dumps({"smiles": m}) + "\n" for m in molecules))
    registry.train({"stage": 1, "tag": "SMILES", "base": str(local_base),
                    "data": {"file": str(data), "text_field": "smiles"},
                    "hyper": hyper(contexts=["{SMILES:smiles}", "functions"])},
                   output_dir=tmp_path / "s1", progress=False)
    env = {"TAGREGISTRY_DB_URL": registry.url, "OMP_NUM_THREADS": "1"}
    run = run_cli("evaluate", "SMILES", "--base", str(local_base), "--limit", "4", "--json", "-",
                  env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["tag"] == "SMILES@1"
    layouts = {row["layout"]: row for row in report["layouts"]}
    assert "stage 1" in layouts and "LogP+QED+TPSA" in layouts  # the chem plugin's functions
    assert layouts["LogP+QED+TPSA"]["context"] == "The SMILES of the molecule is {SMILES:smiles}"
    table = run_cli("evaluate", "SMILES", "--base", str(local_base), "--limit", "4", env=env,
                    timeout=300)
    assert table.returncode == 0 and "vs no tag" in table.stdout.lower() and "QED" in table.stdout
