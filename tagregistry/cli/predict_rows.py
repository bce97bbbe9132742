"""Rows -> predictions for ``tagregistry predict``: which column fills each slot, where results
go, and the loop that writes every input row exactly once (predicted, or with its reason).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

CHUNK_BATCHES = 8
ERROR_COLUMN = "error"


@dataclass
class Target:
    """One function to predict: which column fills each slot and where its result goes."""

    function: str
    columns: dict[str, str]
    output_column: str
    generate: bool


@dataclass
class Tally:
    """Counts for the summary."""

    rows: int = 0
    failed: int = 0
    seconds: float = 0.0
    first_errors: list[str] = field(default_factory=list)


def plan_targets(model: Any, functions: Sequence[str], columns: Sequence[str],
                 mapping: dict[str, str], input_name: str) -> list[Target]:
    """A :class:`Target` per function, checking that every slot has a column.

    A slot takes the column ``--map`` names, else the column named like it (exactly, then
    ignoring case and surrounding spaces; with no columns known, as in a JSON Lines file
    without one object, the slot's name: rows without it fail alone). Output columns never reuse an input column's name:
    a clash gets the suffix ``_predicted`` (then ``_predicted_2``...).
    """
    from tagregistry.errors import InputError

    slots = {s for f in functions for s in model.binding(f).slots}
    unknown = sorted(set(mapping) - slots)
    if unknown:
        raise InputError(f"--map names slot(s) {', '.join(map(repr, unknown))}, but the composed "
                         f"functions take {', '.join(sorted(slots)) or 'no slots'}")
    shown = ", ".join(map(repr, columns)) if columns else "none"
    for slot, column in mapping.items():
        if columns and column not in columns:
            raise InputError(f"--map {column}={slot}: {input_name} has no column {column!r} "
                             f"(columns: {shown})")
    loose = {}
    for column in reversed(columns):
        loose[column.strip().casefold()] = column
    taken = set(columns)
    targets = []
    for name in functions:
        binding = model.binding(name)
        chosen: dict[str, str] = {}
        for slot in binding.slots:
            column = mapping.get(slot) or (slot if slot in columns or not columns
                                           else loose.get(slot.casefold()))
            if column is None:
                raise InputError(
                    f"{input_name} has no column for {name}'s slot {slot!r} (columns: {shown}); "
                    f"rename one or pass --map COLUMN={slot}"
                )
            chosen[slot] = column
        output = unused_name(name, taken)
        taken.add(output)
        targets.append(Target(name, chosen, output, generate=binding.head is None))
    return targets


def unused_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_predicted`` (``_predicted_2``...) when ``taken`` has it."""
    if name not in taken:
        return name
    candidate, n = f"{name}_predicted", 2
    while candidate in taken:
        candidate, n = f"{name}_predicted_{n}", n + 1
    return candidate


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def predict_chunk(model: Any, targets: Sequence[Target], rows: Sequence[Any],
                  batch_size: int, error_column: str = ERROR_COLUMN) -> list[dict[str, Any]]:
    """Output dicts for ``rows``: inputs, one value per target, and the error (or ``None``)
    under ``error_column``."""
    from tagregistry.errors import InputError

    errors: dict[int, dict[str, list[str]]] = {}  # row -> message -> functions it applies to

    def fail(i: int, message: str, function: str = "") -> None:
        errors.setdefault(i, {}).setdefault(" ".join(message.split()), []).append(function)

    results: dict[int, dict[str, Any]] = {i: {} for i in range(len(rows))}
    for i, row in enumerate(rows):
        if row.error:
            fail(i, row.error)
    for target in targets:
        ready: list[tuple[int, dict[str, Any]]] = []
        for i, row in enumerate(rows):
            if row.error:
                continue
            slots = {slot: row.values.get(column) for slot, column in target.columns.items()}
            empty = [column for column, value in zip(target.columns.values(), slots.values(), strict=True)
                     if value is None or (isinstance(value, str) and not value.strip())]
            try:
                if empty:
                    raise InputError(f"no value in column {empty[0]!r}")
                model.encode(target.function, **slots)  # validates without model work
            except InputError as exc:
                fail(i, str(exc), target.function)
                continue
            ready.append((i, slots))
        for (i, _), value in zip(ready, _run(model, target, [s for _, s in ready], batch_size),
                                 strict=True):
            if isinstance(value, InputError):
                fail(i, str(value), target.function)
            else:
                results[i][target.output_column] = value
    out = []
    for i, row in enumerate(rows):
        parts = [message if len(functions) >= len(targets) or not any(functions)
                 else f"{', '.join(functions)}: {message}"
                 for message, functions in errors.get(i, {}).items()]
        out.append({**row.values, **results[i], error_column: "; ".join(parts) or None})
    return out


def _run(model: Any, target: Target, records: list[dict[str, Any]], batch_size: int) -> list[Any]:
    """Predictions for valid records; a batch that still fails is retried row by row."""
    from tagregistry.errors import InputError

    if not records:
        return []
    call = model.generate_batch if target.generate else model.predict_batch
    try:
        return list(call(records, target.function, batch_size=batch_size, progress=False))
    except InputError:
        if len(records) == 1:
            raise
    values: list[Any] = []
    for record in records:
        try:
            values.append(call([record], target.function, batch_size=1, progress=False)[0])
        except InputError as exc:
            values.append(exc)
    return values


@dataclass
class PredictRun:
    """What :func:`predict_file` did: counts, the targets and the columns it wrote."""

    input: str
    targets: list[Target]
    error_column: str
    tally: Tally


def predict_file(model: Any, functions: Sequence[str], input_path: str, output_path: str | None,
                 mapping: dict[str, str], batch_size: int,
                 progress: Callable[[int], object] = lambda n: None) -> PredictRun:
    """Predict every row of ``input_path`` into ``output_path`` (``None``: stdout), in order.

    Every input row is written exactly once: predicted, or with the reason it was not. The
    output appears complete or not at all (interrupted runs remove their partial file).
    """
    from tagregistry.cli.table_files import RowWriter, open_rows

    tally = Tally()
    with open_rows(input_path) as source:
        targets = plan_targets(model, functions, source.columns, mapping, source.name)
        error_column = unused_name(ERROR_COLUMN, {*source.columns, *(t.output_column for t in targets)})
        columns = [*source.columns, *(t.output_column for t in targets), error_column]
        writer = RowWriter(output_path, columns)
        try:
            for chunk in _chunks(source.rows, batch_size * CHUNK_BATCHES):
                for row in predict_chunk(model, targets, chunk, batch_size, error_column):
                    writer.write(row)
                    tally.rows += 1
                    if row[error_column]:
                        tally.failed += 1
                        if len(tally.first_errors) < 3:
                            tally.first_errors.append(row[error_column])
                progress(len(chunk))
        except BaseException:
            writer.abort()
            raise
        writer.close()
    return PredictRun(source.name, targets, error_column, tally)
