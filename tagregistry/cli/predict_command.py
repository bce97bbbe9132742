"""``tagregistry predict REF... --input FILE``: predictions for every row of a file.

Columns fill the composed functions' slots by name (``--map column=slot`` otherwise). Rows
are read, predicted and written in chunks, in input order. A row whose input is invalid gets
its reason in the ``error`` column and the run goes on; the exit status is 1 when any row
failed. File formats are handled by :mod:`tagregistry.cli.table_files`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

CHUNK_BATCHES = 8
ERROR_COLUMN = "error"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the ``predict`` subcommand."""
    p = sub.add_parser(
        "predict", help="predict every row of a CSV/TSV/JSONL/SDF file with composed tags",
        description="Compose the tags (domains and functions) onto their base model and "
        "predict each input row; writes the input columns plus one column per function and "
        "an error column, in input order. Exit status 1 if any row failed.",
    )
    p.add_argument("refs", nargs="+", metavar="NAME[@V]", help="domain and function tags to compose")
    p.add_argument("-i", "--input", required=True, metavar="FILE|-",
                   help="rows to predict: .csv, .tsv, .jsonl or .sdf (molecules); '-' reads stdin")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write: .csv, .tsv or .jsonl (default: CSV on stdout)")
    p.add_argument("--function", action="append", metavar="NAME",
                   help="predict only this composed function (repeatable; default: all)")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=SLOT",
                   help="fill slot SLOT from column COLUMN (default: the column named like the slot)")
    p.add_argument("--base", metavar="NAME|ID|PATH",
                   help="base model: a named base, Hugging Face id or folder (default: smollm2-135m)")
    p.add_argument("--batch-size", type=int, default=16, metavar="N", help="rows per forward pass")
    p.add_argument("--device", metavar="D", help="cpu, cuda, cuda:1, mps... (default: cuda if available)")
    p.add_argument("--dtype", metavar="T", help="float32, bfloat16 or float16 (default: float32 on CPU)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary line")
    p.add_argument("--json", action="store_true",
                   help="print a JSON summary on stdout (needs --output for the predictions)")
    p.set_defaults(handler=cmd_predict)


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """``["col=slot", ...]`` -> ``{slot: column}``."""
    from tagregistry.errors import InputError

    out: dict[str, str] = {}
    for item in items:
        column, sep, slot = item.partition("=")
        if not sep or not column.strip() or not slot.strip():
            raise InputError(f"--map {item!r}: write COLUMN=SLOT, e.g. --map input_column=slot_name")
        slot = slot.strip()
        if slot in out:
            raise InputError(f"--map gives slot {slot!r} twice ({out[slot]!r} and {column.strip()!r})")
        out[slot] = column.strip()
    return out


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
    """A :class:`Target` per function, checking that every slot has a column."""
    from tagregistry.errors import InputError

    slots = {s for f in functions for s in model.binding(f).slots}
    unknown = sorted(set(mapping) - slots)
    if unknown:
        raise InputError(f"--map names slot(s) {', '.join(map(repr, unknown))}, but the composed "
                         f"functions take {', '.join(sorted(slots)) or 'no slots'}")
    lowered = {c.lower(): c for c in columns}
    taken = set(columns) | {ERROR_COLUMN}
    targets = []
    for name in functions:
        binding = model.binding(name)
        chosen: dict[str, str] = {}
        for slot in binding.slots:
            column = mapping.get(slot) or (slot if slot in columns else lowered.get(slot.lower()))
            if column is None or (columns and column not in columns):
                shown = ", ".join(columns) or "none"
                raise InputError(
                    f"{input_name} has no column for {name}'s slot {slot!r} (columns: {shown}); "
                    f"rename one or pass --map COLUMN={slot}"
                )
            chosen[slot] = column
        output = name if name not in taken else f"{name}_predicted"
        taken.add(output)
        targets.append(Target(name, chosen, output, generate=binding.head is None))
    return targets


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
                  batch_size: int) -> list[dict[str, Any]]:
    """Output dicts for ``rows``: inputs, one value per target, and the error (or ``None``)."""
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
        out.append({**row.values, **results[i], ERROR_COLUMN: "; ".join(parts) or None})
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


def cmd_predict(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from tagregistry.cli.output import echo, print_json
    from tagregistry.cli.table_files import RowWriter, open_rows
    from tagregistry.errors import InputError
    from tagregistry.registry import Registry

    mapping = parse_map(args.map)
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.json and not args.output:
        raise InputError("--json prints a summary on stdout; pass --output FILE for the predictions")
    show = not args.quiet and not args.json and sys.stderr.isatty()
    if not show:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # its weight-loading bar too
    started = time.perf_counter()
    registry = Registry(args.db)
    model = registry.compose(*args.refs, base=args.base, device=args.device, dtype=args.dtype)
    functions = list(dict.fromkeys(args.function or model.functions))
    if not functions:
        raise InputError("no function tag among the references; add one after its domain tags "
                         "(`tagregistry list --kind function` shows them)")
    for name in functions:
        model.binding(name)
    tally = Tally()
    with open_rows(args.input) as source:
        targets = plan_targets(model, functions, source.columns, mapping, source.name)
        columns = [*source.columns, *(t.output_column for t in targets), ERROR_COLUMN]
        writer = RowWriter(args.output, columns)
        try:
            with tqdm(unit="row", desc="predict", disable=not show, file=sys.stderr) as bar:
                for chunk in _chunks(source.rows, args.batch_size * CHUNK_BATCHES):
                    for row in predict_chunk(model, targets, chunk, args.batch_size):
                        writer.write(row)
                        tally.rows += 1
                        if row[ERROR_COLUMN]:
                            tally.failed += 1
                            if len(tally.first_errors) < 3:
                                tally.first_errors.append(row[ERROR_COLUMN])
                    bar.update(len(chunk))
        except BaseException:
            writer.abort()
            raise
        writer.close()
    tally.seconds = time.perf_counter() - started
    summary = _summary(args, model, targets, source.name, tally)
    if args.json:
        print_json(summary)
    elif not args.quiet:
        echo(f"predicted {tally.rows - tally.failed} of {tally.rows} rows with "
             f"{', '.join(summary['functions'].values())} in {tally.seconds:.1f}s"
             + (f" -> {args.output}" if args.output else ""), err=True)
    if tally.failed:
        where = args.output or "the output"
        echo(f"error: {tally.failed} of {tally.rows} rows failed (reasons in the "
             f"{ERROR_COLUMN!r} column of {where}; first: {tally.first_errors[0]})", err=True)
        return 1
    return 0


def _summary(args: argparse.Namespace, model: Any, targets: Sequence[Target], input_name: str,
             tally: Tally) -> dict[str, Any]:
    return {
        "input": input_name,
        "output": args.output,
        "rows": tally.rows,
        "predicted": tally.rows - tally.failed,
        "failed": tally.failed,
        "errors": tally.first_errors,
        "functions": {t.function: model.binding(t.function).record.ref for t in targets},
        "columns": {t.function: t.output_column for t in targets},
        "base": str(model.base.record),
        "seconds": round(tally.seconds, 3),
    }
