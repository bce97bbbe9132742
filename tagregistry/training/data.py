"""Training data: records from a plugin dataset or a CSV/JSONL/TXT file, split and hashed."""

from __future__ import annotations

import csv
import hashlib
import inspect
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError, PluginError
from tagregistry.hashing import update_with_records
from tagregistry.safe_json import parse_json
from tagregistry.training.recipe import DataSource, SplitConfig

Record = dict[str, Any]


SPLIT_NAMES = ("train", "validation", "test")
#: values of a ``data.split_field`` column, by the split they put a row in
SPLIT_VALUES = {"train": "train", "training": "train", "validation": "validation",
                "valid": "validation", "val": "validation", "dev": "validation", "test": "test"}


@dataclass
class Splits:
    """Train, validation and test records, and where each came from.

    ``origin`` maps a split to ``{"file": path, "rows": [0-based record indices]}`` (each file
    source) or ``{"dataset": name, "split": loader split}``: what the run folder records.
    """

    train: list[Record]
    validation: list[Record]
    test: list[Record]
    origin: dict[str, dict[str, Any]] = field(default_factory=dict)

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


def portable_path(path: str | Path) -> str:
    """``path`` relative to the working folder when it lies inside it, else its file name: what
    records and packs keep (never an absolute path of the author's disk)."""
    resolved = Path(path).expanduser().resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.name


def read_file(path: str | Path) -> list[Record]:
    """Records from ``.csv`` (header row), ``.jsonl`` (one object a line) or ``.txt`` (``text``)."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"data file {file} does not exist")
    suffix = file.suffix.lower()
    if suffix == ".csv":
        with file.open(newline="", encoding="utf-8") as handle:
            records: list[Record] = [dict(row) for row in csv.DictReader(handle)]
    elif suffix in (".jsonl", ".ndjson"):
        records = []
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = parse_json(line)
            except ValueError as exc:
                raise InputError(f"{file}:{number}: not valid JSON ({exc})") from exc
            if not isinstance(item, dict):
                raise InputError(f"{file}:{number}: each line must be a JSON object")
            records.append(item)
    elif suffix in (".txt", ".smi"):
        lines = file.read_text(encoding="utf-8").splitlines()
        records = [{"text": line.split()[0]} for line in lines if line.strip()]
    else:
        raise InputError(f"{file}: unsupported data file type {suffix!r}; use .csv, .jsonl or .txt")
    if not records:
        raise InputError(f"data file {file} holds no records")
    return records


def _call_loader(loader: Any, split: str, limit: int | None, seed: int, options: dict[str, Any]) -> list[Record]:
    kwargs: dict[str, Any] = {"split": split, **options}
    params = inspect.signature(loader).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = sorted(n for n, p in params.items() if p.kind in keyword and n not in ("split", "limit", "seed"))
    unknown = sorted(set(options) - set(accepted))
    if unknown and not accepts_any:
        raise InputError(
            f"unknown data.options key(s) {', '.join(map(repr, unknown))}: the dataset's loader "
            f"takes {', '.join(accepted) or 'no options'} (besides split, limit and seed)"
        )
    if "limit" in params or accepts_any:
        kwargs["limit"] = limit
    if "seed" in params or accepts_any:
        kwargs["seed"] = seed
    return [dict(r) for r in loader(**kwargs)]


def load_splits(source: DataSource, split: SplitConfig, seed: int, catalog: Any,
                limits: Mapping[str, int | None] | None = None) -> Splits:
    """Load the recipe's data and split it (the source's own splits when it has them).

    ``limits`` caps the splits it names (``{"train": 1000, "test": 500}``), overriding
    ``source.limit`` and its quarter for the held-out splits."""
    cut = split_limits(source.limit, limits)
    if source.files is not None:
        return _limit(_own_files(source.files, split, seed), cut)
    if source.file is not None:
        records = read_file(source.file)
        if source.split_field is not None:
            return _limit(_split_by_field(records, source.file, source.split_field), cut)
        return _limit(random_split(records, split, seed, file=source.file), cut)
    spec = catalog.get("datasets", source.dataset)
    own = set(spec.splits)
    if split.use_source_splits and {"train", "validation", "test"} <= own:
        result = Splits(*(load_dataset_split(source, name, seed, catalog, cut[name])
                          for name in SPLIT_NAMES),
                        origin={name: {"dataset": source.dataset, "split": name} for name in SPLIT_NAMES})
    else:
        records = load_dataset_split(source, "train", seed, catalog, None)
        result = _limit(random_split(records, split, seed), cut)
        result.origin = {name: {"dataset": source.dataset, "split": "train", **rows}
                         for name, rows in result.origin.items()}
    if not result.train:
        raise PluginError(f"dataset {source.dataset!r} returned no training records")
    return result


def split_limits(limit: int | None, limits: Mapping[str, int | None] | None = None) -> dict[str, int | None]:
    """Per split, at most how many records: ``limit`` for train and a quarter of it for the
    held-out splits, unless ``limits`` names the split."""
    held_out = None if limit is None else max(1, limit // 4)
    cut: dict[str, int | None] = {"train": limit, "validation": held_out, "test": held_out}
    return {**cut, **dict(limits or {})}


def load_dataset_split(source: DataSource, name: str, seed: int, catalog: Any,
                       limit: int | None) -> list[Record]:
    """The records of split ``name`` of the plugin dataset ``source.dataset`` (any split its
    spec declares, e.g. MOSES's ``test_scaffolds``)."""
    from tagregistry.plugins.manager import load_object

    spec = catalog.get("datasets", source.dataset)
    if name not in spec.splits:
        raise InputError(f"dataset {source.dataset!r} has no split {name!r}; its splits: "
                         f"{', '.join(spec.splits)}")
    return _call_loader(load_object(spec.loader), name, limit, seed, source.options)


def _limit(splits: Splits, cut: Mapping[str, int | None]) -> Splits:
    if all(cut.get(name) is None for name in SPLIT_NAMES):
        return splits
    origin = {name: {**where, "rows": where["rows"][: cut.get(name)]} if "rows" in where else where
              for name, where in splits.origin.items()}
    return Splits(*(getattr(splits, name)[: cut.get(name)] for name in SPLIT_NAMES), origin)


def random_split(records: list[Record], split: SplitConfig, seed: int,
                 file: str | Path | None = None, cut: tuple[str, ...] = ("validation", "test")) -> Splits:
    """Shuffle with ``seed`` and cut the ``cut`` splits' fractions off the end (the others
    stay empty). ``origin`` records each split's row indices (in ``file``, when given)."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n = len(records)
    n_test = int(round(n * split.test)) if "test" in cut else 0
    n_val = int(round(n * split.validation)) if "validation" in cut else 0
    if n - n_test - n_val < 1:
        raise InputError(f"only {n} records: too few to split off validation and test sets")
    parts = {"train": order[: n - n_test - n_val], "validation": order[n - n_test - n_val : n - n_test],
             "test": order[n - n_test :]}
    where = {} if file is None else {"file": portable_path(file)}
    return Splits(*([records[i] for i in parts[name]] for name in SPLIT_NAMES),
                  origin={name: {**where, "rows": rows} for name, rows in parts.items()})


def _own_files(files: dict[str, str], split: SplitConfig, seed: int) -> Splits:
    """``data.files``: each split from its own file; a missing validation or test file is cut
    from the training file by the ``split`` fractions."""
    missing = tuple(name for name in ("validation", "test") if name not in files)
    splits = random_split(read_file(files["train"]), split, seed, file=files["train"], cut=missing)
    for name in SPLIT_NAMES:
        if name in files and name != "train":
            records = read_file(files[name])
            setattr(splits, name, records)
            splits.origin[name] = {"file": portable_path(files[name]), "rows": list(range(len(records)))}
    return splits


def _split_by_field(records: list[Record], file: str | Path, column: str) -> Splits:
    """``data.split_field``: the column saying which split each row belongs to."""
    parts: dict[str, list[int]] = {name: [] for name in SPLIT_NAMES}
    for index, record in enumerate(records):
        value = str(record.get(column, "")).strip().lower()
        if value not in SPLIT_VALUES:
            raise InputError(f"{file}: record {index} has {column}={record.get(column)!r}; the split "
                             f"column takes {', '.join(sorted(SPLIT_VALUES))}")
        parts[SPLIT_VALUES[value]].append(index)
    if not parts["train"]:
        raise InputError(f"{file}: no record has {column}=train; the split column must mark "
                         "the training rows")
    where = {"file": portable_path(file)}
    return Splits(*([records[i] for i in parts[name]] for name in SPLIT_NAMES),
                  origin={name: {**where, "rows": rows} for name, rows in parts.items()})


def data_hash(splits: Splits) -> str:
    """sha256 over the canonical JSON of every split (identifies the exact data used)."""
    digest = hashlib.sha256()
    for name in ("train", "validation", "test"):
        digest.update(name.encode())
        update_with_records(digest, getattr(splits, name))
    return digest.hexdigest()


def text_field(records: list[Record], requested: str | None) -> str:
    """The field holding a stage-1 domain string: ``requested`` or the only string field."""
    first = records[0]
    if requested is not None:
        if requested not in first:
            raise InputError(f"records have no field {requested!r}; fields: {sorted(first)}")
        return requested
    candidates = [k for k, v in first.items() if isinstance(v, str)]
    if len(candidates) == 1:
        return candidates[0]
    for preferred in ("text", "smiles", "sequence"):
        if preferred in candidates:
            return preferred
    raise InputError(
        f"cannot tell which field holds the text among {sorted(candidates)}; set data.text_field"
    )
