"""Stage 1 aligned to a frozen domain tag (``hyper.align``) on the tiny random Llama."""

from __future__ import annotations

import json
import math

import pytest
import torch
from support.molecules import make_molecules

from tagregistry.engine.prompt import PromptEncoder
from tagregistry.engine.splice import TagTable
from tagregistry.training.align import encode_pairs, pair_templates
from tagregistry.training.recipe import load_recipe
from tagregistry.training.stages import TrainingError


@pytest.fixture
def paired_file(tmp_path):
    """Each molecule under ``chars`` (TestMolChars) and ``mol`` (TestMol)."""
    path = tmp_path / "paired.jsonl"
    path.write_text("".join(json.dumps({"chars": m, "mol": m}) + "\n" for m in make_molecules(64)))
    return path


def aligned_recipe(paired_file, hyper, **align) -> dict:
    return {"stage": 1, "tag": "TestMolChars",
            "data": {"file": str(paired_file), "text_field": "chars"},
            "hyper": hyper(align={"to": "TestMol", "field": "mol", **align})}


def test_pairs_share_the_text_after_the_span(base, catalog) -> None:
    templates = pair_templates(catalog, "TestMolChars", "TestMol")
    names = {t for t, _ in templates}
    assert "The molecule is {TestMol:mol}. Its score is {TestScore}" in names
    assert not any("TestPair" in t for t in names)  # two slots: needs other data
    encoder = PromptEncoder(base.tokenizer, catalog)
    lengths = {"TestMolChars": 3, "TestMol": 2, **{n: 4 for n in catalog.functions}}
    records = [{"chars": "CCO", "mol": "CCO"}, {"chars": "", "mol": "N"}, {"chars": "c1ccccc1",
                                                                          "mol": "c1ccccc1"}]
    examples = encode_pairs(encoder, templates, records, field="chars", pair_field="mol",
                            domain="TestMolChars", target="TestMol", lengths=lengths,
                            max_length=512)
    assert len(examples) == 2  # the record without a string is skipped
    for example in examples:
        student, teacher = example.prompt, example.pair
        assert student.tags[0].name == "TestMolChars" and teacher.tags[0].name == "TestMol"
        assert student.input_ids[student.values[0].end:] == teacher.input_ids[teacher.values[0].end:]
        assert example.lm_spans == [(student.values[0].start, student.values[0].end)]
    short = encode_pairs(encoder, templates, records, field="chars", pair_field="mol",
                         domain="TestMolChars", target="TestMol", lengths=lengths, max_length=12)
    assert short == []  # too long for max_length: skipped, not cut through the suffix


def test_aligned_stage1_trains_registers_and_lowers_the_alignment_loss(
        registry, catalog, base, trained_domain, paired_file, hyper, tmp_path) -> None:
    def run(steps: int, **extra):
        recipe = aligned_recipe(paired_file, lambda **a: hyper(max_steps=steps, lr=2e-1, **a),
                                layers=[1, -1], values=True, **extra)
        return registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / f"a{steps}",
                              progress=False, register=steps > 1)

    before, after = run(1, lm_weight=0.0), run(40, lm_weight=0.0)
    assert after.metrics["test_align_loss"] < 0.9 * before.metrics["test_align_loss"]
    assert math.isfinite(after.metrics["test_perplexity"])
    record = after.records[0]
    assert record.ref == "TestMolChars@1" and record.kind == "domain"
    assert [r.ref for r in after.records] == ["TestMolChars@1"]  # the frozen tag stays as it was
    assert record.source["frozen"] == [trained_domain.ref]
    assert "The molecule is {TestMolChars:mol}. Its score is {TestScore}" in record.source["contexts"]
    assert torch.equal(registry.load(trained_domain.ref), registry.load(trained_domain))
    with_lm = run(2)  # the next-token loss on the new span is part of the objective by default
    assert with_lm.metrics["train_loss"] > 0


def test_alignment_is_zero_for_identical_prompts(registry, catalog, base, trained_domain,
                                                 paired_file, hyper) -> None:
    from tagregistry.models.tokens import pad_token_id
    from tagregistry.training.align import setup_aligned
    from tagregistry.training.data import load_splits
    from tagregistry.training.examples import collate_examples
    from tagregistry.training.stages import make_encoder

    recipe = load_recipe(aligned_recipe(paired_file, hyper, layers=[0, 2, -1], values=True))
    splits = load_splits(recipe.data, recipe.split, recipe.seed, catalog)
    encoder = make_encoder(base.tokenizer, catalog, recipe, None)
    setup = setup_aligned(recipe, splits, encoder, base.model, registry.store, base.record)
    table = TagTable(setup.tags, trainable=setup.trainable)
    trainer = setup.align.trainer(base.model, table)
    pad = pad_token_id(base.tokenizer)
    setup.align.fit_scale(trainer, setup.train, pad_id=pad, device="cpu", batch_size=4)
    batch = collate_examples(setup.train[:4], table.layout(), pad)
    with torch.no_grad():
        teacher = trainer.aligned_features(batch.paired)
    assert float(setup.align.loss(teacher, teacher)) == 0.0
    student = trainer.aligned_features(batch.prompts)
    assert student["after"].shape == teacher["after"].shape  # position for position
    assert student["values"].shape == (3, 4, base.hidden_size)
    trainer.zero_grad()
    trainer(batch).backward()
    assert table.tensor("TestMolChars").grad.abs().sum() > 0
    assert all(table.tensor(n).grad is None for n in table.names if n != "TestMolChars")


def test_align_errors_are_one_clear_line(registry, catalog, base, trained_domain, paired_file,
                                         hyper, tmp_path) -> None:
    def train(recipe):
        return registry.train(recipe, catalog=catalog, base=base, output_dir=tmp_path / "e",
                              progress=False)

    with pytest.raises(TrainingError, match="'TestText' is not registered"):
        train({**aligned_recipe(paired_file, hyper), "hyper": hyper(align={"to": "TestText"})})
    with pytest.raises(TrainingError, match="no 'nope' field"):
        train(aligned_recipe(paired_file, hyper, field="nope"))
    with pytest.raises(TrainingError, match="align.to names 'TestMolChars'"):
        train({**aligned_recipe(paired_file, hyper),
               "hyper": hyper(align={"to": "TestMolChars"})})
    with pytest.raises(TrainingError, match="the base has 2 layers"):
        train(aligned_recipe(paired_file, hyper, layers=[5]))
    with pytest.raises(ValueError, match="stage-1 option"):
        load_recipe({"stage": 2, "tag": "TestScore", "data": {"file": str(paired_file)},
                     "hyper": hyper(align={"to": "TestMol"})})
    with pytest.raises(ValueError, match="remove 'contexts'"):
        load_recipe({**aligned_recipe(paired_file, hyper),
                     "hyper": hyper(align={"to": "TestMol"}, contexts=["functions"])})
    with pytest.raises(ValueError, match="at least one layer"):
        load_recipe({**aligned_recipe(paired_file, hyper), "hyper": hyper(align={"to": "TestMol",
                                                                                  "layers": []})})
