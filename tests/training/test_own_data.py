"""Own data without a plugin: recipe-defined functions stored with the tag and used by compose,
one file per split or a split column, packs loaded from a folder, portable records."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch
from support.tables import write_csv

from tagregistry.errors import InputError, PluginError
from tagregistry.hub.pack import UnresolvablePackWarning, portable_source, unresolvable
from tagregistry.specs import HeadSpec
from tagregistry.store.tag_store import HeadPayload
from tagregistry.training.data import load_splits
from tagregistry.training.recipe import DataSource, RecipeError, SplitConfig, load_recipe

SCORE_TEMPLATE = "The molecule is {TestMol:mol}. Its score is {TestScore}"


def spec(name: str, template: str, head: str = "regression") -> dict:
    return {"name": name, "template": template, "slots": [{"name": "mol", "domains": ["TestMol"]}],
            "head": {"type": head}}


def _rows(n: int, start: int = 0) -> list[dict]:
    return [{"mol": "C" * (1 + (i % 7)) + "O" * (i % 3), "label": (i % 7) / 10, "part": "train"}
            for i in range(start, start + n)]


def _hand_registered(registry, base, name: str, source: dict):
    gen = torch.Generator().manual_seed(1)
    return registry.register(
        name, torch.randn(2, base.hidden_size, generator=gen), base=base.record, kind="function",
        source=source, head=HeadPayload(spec=HeadSpec(type="regression"), tensors={
            "linear.weight": torch.randn(1, base.hidden_size, generator=gen), "linear.bias": torch.zeros(1)}))


# -- splits ----------------------------------------------------------------------------------
def test_one_file_per_split_and_a_missing_one_cut_from_train(tmp_path, catalog) -> None:
    train, test = write_csv(tmp_path / "train.csv", _rows(40)), write_csv(tmp_path / "test.csv", _rows(6, 40))
    source = DataSource(files={"train": str(train), "test": str(test)})
    splits = load_splits(source, SplitConfig(validation=0.25), 3, catalog)
    assert splits.sizes() == {"train": 30, "validation": 10, "test": 6}
    assert splits.test == [{k: str(v) for k, v in r.items()} for r in _rows(6, 40)]
    assert splits.origin["test"] == {"file": "test.csv", "rows": [0, 1, 2, 3, 4, 5]}
    rows = splits.origin["train"]["rows"] + splits.origin["validation"]["rows"]
    assert sorted(rows) == list(range(40)) and splits.origin["train"]["file"] == "train.csv"
    assert [splits.train[i]["mol"] for i in range(3)] == [_rows(40)[j]["mol"]
                                                          for j in splits.origin["train"]["rows"][:3]]


def test_a_split_column(tmp_path, catalog) -> None:
    rows = _rows(10)
    for i, part in enumerate(["valid", "TEST", "val", "dev", "test"]):
        rows[i]["part"] = part
    file = write_csv(tmp_path / "all.csv", rows)
    splits = load_splits(DataSource(file=str(file), split_field="part"), SplitConfig(), 0, catalog)
    assert splits.sizes() == {"train": 5, "validation": 3, "test": 2}
    assert splits.origin["validation"]["rows"] == [0, 2, 3]
    rows[7]["part"] = "holdout"
    write_csv(file, rows)
    with pytest.raises(InputError, match="record 7 has part='holdout'; the split column takes .*valid"):
        load_splits(DataSource(file=str(file), split_field="part"), SplitConfig(), 0, catalog)


def test_recipe_data_sources_are_checked(tmp_path) -> None:
    (tmp_path / "train.csv").write_text("mol,label\nC,1\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("stage: 2\ntag: TestScore\ndata: {files: {train: train.csv}}\n")
    assert load_recipe(recipe).data.files == {"train": str(tmp_path / "train.csv")}
    for data, message in (
        ({"file": "a.csv", "files": {"train": "a.csv"}}, "exactly one of .* got file, files"),
        ({"files": {"test": "a.csv"}}, "needs a 'train' file"),
        ({"dataset": "x", "split_field": "part"}, "split_field names a column of data.file"),
        ({"files": {"train": "a.csv", "holdout": "b.csv"}}, "data.files.holdout"),
    ):
        with pytest.raises(RecipeError, match=message):
            load_recipe({"stage": 2, "tag": "TestScore", "data": data})


# -- recipe-defined functions ----------------------------------------------------------------
def test_a_recipe_defined_function_composes_and_the_record_is_portable(
        registry, catalog, base, trained_domain, tmp_path, monkeypatch, hyper) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "train.csv", _rows(40))
    result = registry.train({"stage": 2, "tag": "Width", "freeze": ["TestMol"],
                             "function": spec("Width", "The molecule is {TestMol:mol}. Width: {Width}"),
                             "data": {"files": {"train": str(tmp_path / "train.csv")}}, "hyper": hyper()},
                            catalog=catalog, base=base, output_dir=tmp_path / "run", progress=False)
    record = result.records[0]
    assert record.source["recipe"]["data"]["files"] == {"train": "train.csv"}
    assert record.source["data"]["files"]["train"]["path"] == "train.csv"
    assert len(record.source["data"]["files"]["train"]["sha256"]) == 64
    assert str(tmp_path) not in json.dumps(record.source)
    assert json.loads((tmp_path / "run" / "splits.json").read_text())["train"]["file"] == "train.csv"
    model = registry.compose("TestMol", "Width", base=base, catalog=catalog)
    assert model.binding("Width").spec.template == "The molecule is {TestMol:mol}. Width: {Width}"
    assert isinstance(model.predict(mol="CCO"), float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnresolvablePackWarning)
        folder = registry.save_pack(["TestMol", "Width"], tmp_path / "pack")
    manifest = json.loads((folder / "tagpack.json").read_text())
    assert manifest["requires"] == [] and str(tmp_path) not in json.dumps(manifest)


def test_plugin_declaration_wins_and_disagreement_is_an_error(registry, catalog, base, trained_domain,
                                                              mol_file, hyper, tmp_path) -> None:
    same = {"stage": 2, "tag": "TestScore", "freeze": ["TestMol"], "function": spec("TestScore", SCORE_TEMPLATE),
            "data": {"file": str(mol_file)}, "hyper": hyper()}
    registry.train(same, catalog=catalog, base=base, output_dir=tmp_path / "same", progress=False)
    model = registry.compose("TestMol", "TestScore", base=base, catalog=catalog)
    assert model.binding().spec is catalog.functions["TestScore"]
    other = {**same, "function": spec("TestScore", "Score of {TestMol:mol}: {TestScore}")}
    with pytest.raises(PluginError, match="this recipe defines function 'TestScore', but the installed "
                       "plugin 'testing' .* different template .*TAGREGISTRY_DISABLE_PLUGINS=testing"):
        registry.train(other, catalog=catalog, base=base, output_dir=tmp_path / "other", progress=False)
    _hand_registered(registry, base, "TestScore", {"recipe": {"function": other["function"]}})
    with pytest.raises(PluginError, match="recipe of function tag TestScore@2 defines .* different template"):
        registry.compose("TestMol", "TestScore", base=base, catalog=catalog)


def test_a_head_type_is_code_and_needs_its_plugin(registry, catalog, base, trained_domain, tmp_path) -> None:
    fancy = spec("Fancy", "The molecule is {TestMol:mol}. Fancy: {Fancy}", head="fancy")
    _hand_registered(registry, base, "Fancy", {"recipe": {"function": fancy},
                                               "pack": {"requires": [{"distribution": "tagregistry-fancy",
                                                                      "version": "1.2"}]}})
    with pytest.raises(PluginError, match=r"Fancy@1 is defined by its recipe, but its head type 'fancy' "
                       r"is code .* not installed .*pip install 'tagregistry-fancy>=1.2'"):
        registry.compose("TestMol", "Fancy", base=base, catalog=catalog)
    _hand_registered(registry, base, "Ghost", {})
    with pytest.raises(PluginError, match="Ghost@1 has no function spec .* its recipe did not define it"):
        registry.compose("TestMol", "Ghost", base=base, catalog=catalog)
    with pytest.warns(UnresolvablePackWarning, match="Ghost@1: no installed plugin declares .* cannot compose"):
        registry.save_pack(["Ghost"], tmp_path / "ghost")
    from tagregistry.hub.manifest import read_manifest

    assert len(unresolvable(read_manifest(tmp_path / "ghost"), catalog)) == 1


# -- packs -----------------------------------------------------------------------------------
def test_pack_folders_are_pointed_at_load_pack(registry, base, trained_domain, tmp_path) -> None:
    folder = registry.save_pack(["TestMol"], tmp_path / "pack")
    for call in (lambda: registry.pull(str(folder)), lambda: registry.install_pack(str(folder)),
                 lambda: registry.import_files([folder])):
        with pytest.raises(InputError, match=f"{folder} is a tag pack folder .*tagregistry load-pack {folder}"):
            call()


def test_shipped_sources_carry_no_absolute_paths() -> None:
    source = {"recipe": {"data": {"file": "/home/me/data/sol.csv", "label_field": "y"}, "seed": 1},
              "pack": {"path": "/home/me/packs/chem", "name": "chem"},
              "upstream": [{"imported_from": {"file": "/tmp/x.safetensors"}}], "seed": 1}
    assert portable_source(source) == {
        "recipe": {"data": {"file": "sol.csv", "label_field": "y"}, "seed": 1},
        "pack": {"path": "chem", "name": "chem"},
        "upstream": [{"imported_from": {"file": "x.safetensors"}}], "seed": 1}


@pytest.mark.filterwarnings("ignore:Cannot enable progress bars")  # HF_HUB_DISABLE_PROGRESS_BARS in tests
def test_library_progress_bars_hidden_and_restored() -> None:
    from transformers.utils import logging

    from tagregistry.models.progress import library_progress

    before = logging.is_progress_bar_enabled()
    try:
        for start in (True, False):
            (logging.enable_progress_bar if start else logging.disable_progress_bar)()
            with library_progress(False):
                assert not logging.is_progress_bar_enabled()
            assert logging.is_progress_bar_enabled() is start
            with library_progress(True):
                assert logging.is_progress_bar_enabled() is start
    finally:
        (logging.enable_progress_bar if before else logging.disable_progress_bar)()


def test_the_recipe_reference_lists_every_field_with_its_default() -> None:
    from pydantic_core import PydanticUndefined

    from tagregistry.training.align_config import AlignConfig
    from tagregistry.training.recipe import CheckpointConfig, EvalConfig, HyperParameters, Recipe

    page = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "recipe.md").read_text()
    for model in (Recipe, DataSource, SplitConfig, HyperParameters, AlignConfig, EvalConfig,
                  CheckpointConfig):
        for name, field in model.model_fields.items():
            if field.default_factory is not None:
                value = field.default_factory()
                shown = "(see below)" if hasattr(value, "model_dump") else f"`{json.dumps(value)}`"
            else:
                shown = "required" if field.default is PydanticUndefined else f"`{json.dumps(field.default)}`"
            assert f"| `{name}` | {shown} | " in page, (model.__name__, name, shown)


def test_the_demo_finds_a_recipe_defined_function_in_a_shipped_pack(registry, base, trained_domain,
                                                                    tmp_path) -> None:
    from tagregistry.demo.samples import discover
    from tagregistry.plugins.hookspecs import hookimpl
    from tagregistry.plugins.manager import Catalog
    from tagregistry.specs import DatasetSpec, PackSpec
    from tagregistry.testing import testing_plugin

    width = {**spec("Width", "The molecule is {TestMol:mol}. Width: {Width}"), "dataset": "mol-widths"}
    _hand_registered(registry, base, "Width", {"recipe": {"function": width}})
    folder = registry.save_pack(["TestMol", "Width"], tmp_path / "pack")

    class _Shipper:
        @hookimpl
        def tagregistry_packs(self):
            return [PackSpec(name="widths", path=str(folder), base="tiny")]

        @hookimpl
        def tagregistry_datasets(self):
            return [DatasetSpec(name="mol-widths", loader="tests:none")]

    catalog = Catalog(extra=[("testing", testing_plugin), ("widths", _Shipper())])
    found = discover(catalog, "tiny")
    assert [(e.function, e.domains, e.dataset) for e in found] == [("Width", ("TestMol",), "mol-widths")]


def test_a_pack_does_not_require_the_plugin_of_a_recipe_defined_function(registry, catalog, base,
                                                                          trained_domain) -> None:
    from tagregistry.hub.requirements import _contributors

    declared = _hand_registered(registry, base, "TestScore", {})
    inline = _hand_registered(registry, base, "TestScore",
                              {"recipe": {"function": spec("TestScore", SCORE_TEMPLATE)}})
    assert _contributors(declared, catalog) == [("functions", "TestScore"), ("heads", "regression")]
    assert _contributors(inline, catalog) == [("heads", "regression")]
