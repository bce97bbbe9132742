"""Training recipes: validated pydantic models, loadable from YAML files or dicts.

A recipe says which base model, which stage, which tag to train and which to freeze, where
the data comes from, how to split it, the hyper-parameters, the seed and the metric.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tagregistry.errors import TagRegistryError
from tagregistry.models.precision import AUTO, dtype_name
from tagregistry.names import parse_ref, validate_name
from tagregistry.safe_json import MAX_DEPTH, too_deep
from tagregistry.specs import FunctionSpec
from tagregistry.training.hyper import HyperParameters


class RecipeError(TagRegistryError, ValueError):
    """A recipe that does not validate or cannot be read."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


SplitName = Literal["train", "validation", "test"]


class DataSource(_Model):
    """Where the examples come from: a plugin dataset, one file, or one file per split."""

    dataset: str | None = Field(None, description="dataset name contributed by a plugin")
    file: str | None = Field(None, description="path to a .csv, .jsonl or .txt file (relative "
                             "paths: to the recipe's folder)")
    files: dict[SplitName, str] | None = Field(
        None, description="one file per split, e.g. {train: train.csv, test: test.csv}; a "
        "missing validation or test file is cut from the training file by the split fractions")
    split_field: str | None = Field(
        None, description="with 'file': the column naming each row's split (train, validation "
        "or test; also valid, val, dev)")
    options: dict[str, Any] = Field(default_factory=dict, description="extra loader keywords")
    limit: int | None = Field(None, ge=1, description="use at most this many training examples "
                              "(validation and test: a quarter of it)")
    text_field: str | None = Field(None, description="stage 1: field holding the domain string")
    label_field: str = Field("label", description="stages 2/3: field holding the target")
    slot_domain_fields: dict[str, str] | None = Field(
        None, description="stages 2/3: {slot: field} naming, per record, the domain tag that "
        "fills the slot (e.g. {text: source_language, target: target_language}), for data whose "
        "records mix domains; every domain named is frozen")

    @model_validator(mode="after")
    def _one_source(self) -> DataSource:
        given = [name for name in ("dataset", "file", "files") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("data needs exactly one of 'dataset' (a plugin dataset), 'file' or "
                             f"'files' (one file per split), got {', '.join(given) or 'none'}")
        if self.files is not None and "train" not in self.files:
            raise ValueError("data.files needs a 'train' file")
        if self.split_field is not None and self.file is None:
            raise ValueError("data.split_field names a column of data.file; use it with 'file'")
        return self


class SplitConfig(_Model):
    """Held-out fractions, used when the source has no ready-made validation/test splits."""

    validation: float = Field(0.1, ge=0.0, lt=1.0, description="fraction of the records held "
                              "out for validation (0: none)")
    test: float = Field(0.1, ge=0.0, lt=1.0, description="fraction held out for the test "
                        "metrics (0: none, e.g. when a separate test file exists)")
    use_source_splits: bool = Field(
        True, description="use the dataset's own validation/test splits when it has them"
    )

    @model_validator(mode="after")
    def _leaves_training(self) -> SplitConfig:
        if self.validation + self.test >= 0.9:
            raise ValueError("validation + test fractions must leave at least 10% for training")
        return self


class EvalConfig(_Model):
    """Periodic held-out evaluation."""

    metric: str | None = Field(None, description="default: the function's metric (stage 1: loss)")
    every: int | None = Field(None, ge=1, description="evaluate every N optimiser steps")
    batch_size: int = Field(16, ge=1)
    max_examples: int | None = Field(None, ge=1)


class CheckpointConfig(_Model):
    """Checkpoints for resuming a killed run."""

    every: int | None = Field(None, ge=1, description="save every N optimiser steps")
    keep: int = Field(2, ge=1, description="checkpoints kept on disk")


class Recipe(_Model):
    """A complete, validated training job."""

    name: str | None = Field(None, description="run name (default: the trained tag)")
    base: str | None = Field(None, description="named base, HF id or local path (default base)")
    dtype: str = Field(
        "auto", description="the frozen base's dtype: auto (bfloat16 where the hardware multiplies "
        "it natively, else float32; float32 for a function tag with a head), float32, bfloat16 "
        "or float16; tags and heads stay float32",
    )
    stage: Literal[1, 2, 3]
    tag: str = Field(description="the tag to train: a domain (stage 1) or a function (2, 3)")
    function: str | FunctionSpec | None = Field(
        None, description="stages 2/3: the function spec (default: the plugin function named tag)"
    )
    domain_tokenizer: str | None = Field(None, description="stage 1: override the domain's")
    freeze: list[str] = Field(default_factory=list, description="registered tags to keep frozen")
    data: DataSource
    split: SplitConfig = Field(default_factory=SplitConfig)
    hyper: HyperParameters = Field(default_factory=HyperParameters)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    checkpoint: CheckpointConfig = Field(default_factory=CheckpointConfig)
    seed: int = 0
    description: str = ""
    license: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        validate_name(self.tag)
        self.dtype = AUTO if self.dtype.strip().lower() == AUTO else dtype_name(self.dtype)
        for ref in self.freeze:
            if parse_ref(ref).name == self.tag:
                raise ValueError(f"tag {self.tag!r} cannot be both trained and frozen")
        if self.stage == 1 and self.function is not None:
            raise ValueError("stage 1 trains a domain tag: remove 'function'")
        if self.stage == 1 and self.hyper.enrich:
            raise ValueError("'enrich' is a stage-2 option")
        if self.stage != 1 and self.hyper.align is not None:
            raise ValueError("'align' trains a domain tag: a stage-1 option")
        if self.stage == 3 and self.hyper.enrich:
            raise ValueError("stage 3 keeps domain tags frozen: remove 'enrich'")
        if isinstance(self.function, FunctionSpec) and self.function.name != self.tag:
            raise ValueError(f"function spec is named {self.function.name!r} but tag is {self.tag!r}")
        return self

    @property
    def run_name(self) -> str:
        return self.name or self.tag

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON form (used to match checkpoints to recipes).

        Fields at their defaults are left out, so adding a field keeps old fingerprints (and
        the run folders and checkpoints they name).
        """
        text = json.dumps(self.model_dump(mode="json", exclude_defaults=True), sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load_recipe(recipe: Recipe | dict[str, Any] | str | Path) -> Recipe:
    """A ``Recipe`` from a model, a dict or a YAML/JSON file path."""
    if isinstance(recipe, Recipe):
        return recipe
    where = "recipe"
    if isinstance(recipe, str | Path):
        path = Path(recipe)
        if not path.is_file():
            raise RecipeError(f"recipe file {path} does not exist")
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise RecipeError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); a "
                              "recipe is a YAML or JSON file") from None
        except RecursionError:
            raise RecipeError(f"{path}: nested too deeply to read; a recipe needs a few levels") from None
        except yaml.YAMLError as exc:
            raise RecipeError(f"{path}: not valid YAML ({exc})") from exc
        where = str(path)
        if not isinstance(data, dict):
            raise RecipeError(f"{path}: a recipe is a mapping of keys, got {type(data).__name__}")
        if too_deep(data):
            raise RecipeError(f"{path}: nested deeper than {MAX_DEPTH} levels; a recipe needs a few")
        data = _resolve_paths(data, path.parent)
    elif isinstance(recipe, dict):
        data = recipe
    else:
        raise RecipeError(f"a recipe is a Recipe, a dict or a file path, got {type(recipe).__name__}")
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise RecipeError(f"{where} is invalid: {problems}") from exc


def _resolve_paths(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Make relative ``data.file`` / ``data.files`` paths relative to the recipe file's folder."""

    def resolve(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        file = Path(value).expanduser()
        return str((folder / file).resolve()) if not file.is_absolute() and not file.exists() else value

    source = data.get("data")
    if not isinstance(source, dict):
        return data
    source = {**source, "file": resolve(source.get("file"))} if "file" in source else dict(source)
    if isinstance(source.get("files"), dict):
        source["files"] = {k: resolve(v) for k, v in source["files"].items()}
    return {**data, "data": source}
