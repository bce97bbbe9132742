"""Which records an evaluation fits its baselines on and scores: the tag's own recipe data
(the same files, split and seed), a plugin dataset, or a user's file of held-out records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError
from tagregistry.hashing import file_sha256
from tagregistry.specs import TagRecord
from tagregistry.training.data import (
    Record,
    Splits,
    load_dataset_split,
    load_splits,
    read_file,
    split_limits,
)
from tagregistry.training.recipe import DataSource, SplitConfig

SPLITS = ("train", "validation", "test")


@dataclass
class EvaluationData:
    """Records to fit on (train, validation) and to score, and where they came from."""

    train: list[Record]
    validation: list[Record]
    scored: list[Record]
    label: str
    scored_label: str
    source: dict[str, Any] = field(default_factory=dict)


def recorded_recipe(record: TagRecord) -> dict[str, Any]:
    """The recipe stored with a trained tag (``{}`` for a tag registered by hand)."""
    recipe = record.source.get("recipe")
    return dict(recipe) if isinstance(recipe, Mapping) else {}


def evaluation_data(record: TagRecord, catalog: Any, *, data: str | None = None, split: str = "test",
                    input: str | Path | None = None, label: str | None = None,
                    limit: int | Mapping[str, int] | None = None) -> EvaluationData:
    """The records to evaluate ``record`` (a function tag) on.

    Args:
        data: a plugin dataset (default: the data of the tag's recipe).
        split: the split to score when ``input`` is not given: ``test``, ``validation`` or
            another split the plugin dataset declares (e.g. MOSES's ``test_scaffolds``).
        input: a file of held-out records to score instead of a split; the baselines are
            still fitted on the recipe's (or ``data``'s) training split.
        label: the field holding the target in ``input`` (or, without ``input``, in the data);
            default: the recipe's ``label_field``.
        limit: at most this many training records (held-out splits: a quarter of it), or per
            split (``{"train": 1000, "validation": 200, "test": 500}``; unnamed splits: all);
            default: the recipe's own ``data.limit`` when evaluating on the recipe's data.
    """
    recipe = recorded_recipe(record)
    recorded = dict(recipe.get("data") or {})
    if data is not None:
        same = recorded.get("dataset") == data
        recorded = {"dataset": data, **({"options": recorded.get("options", {}),
                                          "limit": recorded.get("limit")} if same else {})}
        split_config = recipe.get("split") if same else None
    elif not recorded:
        raise InputError(f"{record.ref} records no training data (it was not trained by a recipe): "
                         "name a plugin dataset to evaluate on (--data DATASET)")
    else:
        split_config = recipe.get("split")
        recorded = local_files(record, recorded)
    trained_label = str((recipe.get("data") or {}).get("label_field") or "label")
    if input is None:  # the scored records come from the same data
        trained_label = label or trained_label
    per_split = dict(limit) if isinstance(limit, Mapping) else None
    whole = recorded.get("limit") if limit is None else None if per_split is not None else limit
    source = DataSource(**{key: value for key, value in recorded.items()
                           if key in ("dataset", "file", "files", "split_field", "options")},
                        limit=whole, label_field=trained_label)
    seed = int(recipe.get("seed", 0))
    extra = input is None and split not in SPLITS
    if extra and source.dataset is None:
        raise InputError(f"split must be one of {', '.join(SPLITS)} for data from files, got {split!r}")
    cut = split_limits(whole, per_split)
    scored_cut = cut.get(split, cut["test"])
    splits = load_splits(source, SplitConfig(**(split_config or {})), seed, catalog,
                         {"test": scored_cut if extra else cut["test"],
                          **{k: v for k, v in cut.items() if k in ("train", "validation")}})
    where = {k: v for k, v in recorded.items()
             if k in ("dataset", "file", "files", "split_field") and v is not None}
    if input is not None:
        scored, scored_from = read_file(input), {"input": Path(input).name}
    elif extra:
        scored = load_dataset_split(source, split, seed, catalog, scored_cut)
        scored_from = {"split": split}
    else:
        scored, scored_from = getattr(splits, split), {"split": split}
        if not scored:
            raise InputError(f"the {split} split of {record.ref}'s data is empty (the recipe held "
                             "none out): score a file of held-out records (--input FILE --label "
                             "COLUMN) or another split (--split validation)")
    train, validation = _probe_splits(splits)
    return EvaluationData(train, validation, scored, trained_label, label or trained_label,
                          {**where, **scored_from})


def local_files(record: TagRecord, data: dict[str, Any]) -> dict[str, Any]:
    """The recipe's data with its file paths checked against the working folder: the record
    keeps them relative (never the author's absolute paths) with each file's sha256."""
    if data.get("dataset"):
        return data
    files = data.get("files") or {"train": data.get("file")}
    hashes = record.source.get("data", {}).get("files", {})
    for split_name, path in files.items():
        if not isinstance(path, str) or not Path(path).is_file():
            raise InputError(
                f"{record.ref} was trained on {path!r} (its {split_name} data), which is not in "
                f"{Path.cwd()}: run evaluate from the folder it was trained in, or copy the file "
                "there (or evaluate on a plugin dataset with --data)")
        wanted = (hashes.get(split_name) or {}).get("sha256")
        if wanted and file_sha256(path) != wanted:
            raise InputError(f"{path} is not the file {record.ref} was trained on (its sha256 "
                             f"differs from the recorded {wanted[:12]}); evaluate next to the "
                             "original file")
    return data


def _probe_splits(splits: Splits) -> tuple[list[Record], list[Record]]:
    """Training and validation records for the probes; without a validation split, the last
    tenth of the training records chooses their strengths."""
    if splits.validation:
        return splits.train, splits.validation
    cut = max(1, len(splits.train) // 10)
    if len(splits.train) - cut < 2:
        raise InputError(f"only {len(splits.train)} training records: too few to fit the baselines")
    return splits.train[:-cut], splits.train[-cut:]
