"""Training data: records from a plugin dataset or a CSV/JSONL/TXT file, split and hashed."""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagregistry.errors import InputError, PluginError
from tagregistry.safe_json import parse_json
from tagregistry.training.recipe import DataSource, SplitConfig

Record = dict[str, Any]


@dataclass
class Splits:
    """Train, validation and test records."""

    train: list[Record]
    validation: list[Record]
    test: list[Record]

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


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
    if "limit" in params or accepts_any:
        kwargs["limit"] = limit
    if "seed" in params or accepts_any:
        kwargs["seed"] = seed
    return [dict(r) for r in loader(**kwargs)]


def load_splits(source: DataSource, split: SplitConfig, seed: int, catalog: Any) -> Splits:
    """Load the recipe's data and split it (the source's own splits when it has them)."""
    if source.file is not None:
        records = read_file(source.file)
        return _limit(random_split(records, split, seed), source.limit)
    from tagregistry.plugins.manager import load_object

    spec = catalog.get("datasets", source.dataset)
    loader = load_object(spec.loader)
    own = set(spec.splits)
    if split.use_source_splits and {"train", "validation", "test"} <= own:
        eval_limit = None if source.limit is None else max(1, source.limit // 4)
        result = Splits(
            train=_call_loader(loader, "train", source.limit, seed, source.options),
            validation=_call_loader(loader, "validation", eval_limit, seed, source.options),
            test=_call_loader(loader, "test", eval_limit, seed, source.options),
        )
    else:
        records = _call_loader(loader, "train", None, seed, source.options)
        result = _limit(random_split(records, split, seed), source.limit)
    if not result.train:
        raise PluginError(f"dataset {source.dataset!r} returned no training records")
    return result


def _limit(splits: Splits, limit: int | None) -> Splits:
    if limit is None:
        return splits
    eval_limit = max(1, limit // 4)
    return Splits(splits.train[:limit], splits.validation[:eval_limit], splits.test[:eval_limit])


def random_split(records: list[Record], split: SplitConfig, seed: int) -> Splits:
    """Shuffle with ``seed`` and cut validation and test fractions off the end."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n = len(records)
    n_test = int(round(n * split.test))
    n_val = int(round(n * split.validation))
    if n - n_test - n_val < 1:
        raise InputError(f"only {n} records: too few to split off validation and test sets")
    shuffled = [records[i] for i in order]
    return Splits(
        train=shuffled[: n - n_test - n_val],
        validation=shuffled[n - n_test - n_val : n - n_test],
        test=shuffled[n - n_test :],
    )


def data_hash(splits: Splits) -> str:
    """sha256 over the canonical JSON of every split (identifies the exact data used)."""
    digest = hashlib.sha256()
    for name in ("train", "validation", "test"):
        digest.update(name.encode())
        for record in getattr(splits, name):
            digest.update(json.dumps(record, sort_keys=True, default=str).encode())
            digest.update(b"\n")
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


def labels_of(records: list[Record], field: str) -> list[Any]:
    """The target of every record, with a clear error for a missing one."""
    out = []
    for index, record in enumerate(records):
        if field not in record or record[field] in (None, ""):
            raise InputError(f"record {index} has no {field!r} value; set data.label_field")
        out.append(record[field])
    return out
