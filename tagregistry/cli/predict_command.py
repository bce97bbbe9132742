"""``tagregistry predict REF... --input FILE``: predictions for every row of a file.

Columns fill the composed functions' slots by name (``--map column=slot`` otherwise). Rows
are read, predicted and written in chunks, in input order. A row whose input is invalid gets
its reason in the ``error`` column and the run goes on; the exit status is 1 when any row
failed. File formats are handled by :mod:`tagregistry.cli.table_files`, the row loop by
:mod:`tagregistry.cli.predict_rows`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any


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
                   help="base model: a named base, Hugging Face id or folder (default: the one "
                   "the tags were trained on, else smollm2-135m)")
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


def cmd_predict(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from tagregistry.cli.predict_rows import predict_file
    from tagregistry.errors import InputError
    from tagregistry.registry import Registry
    from tagregistry.terminal import echo, print_json

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
    with tqdm(unit="row", desc="predict", disable=not show, file=sys.stderr) as bar:
        run = predict_file(model, functions, args.input, args.output, mapping, args.batch_size,
                           progress=bar.update)
    tally, error_column = run.tally, run.error_column
    tally.seconds = time.perf_counter() - started
    summary = _summary(args, model, run)
    if args.json:
        print_json(summary)
    elif not args.quiet:
        echo(f"predicted {tally.rows - tally.failed} of {tally.rows} rows with "
             f"{', '.join(summary['functions'].values())} in {tally.seconds:.1f}s"
             + (f" -> {args.output}" if args.output else ""), err=True)
    if tally.failed:
        where = args.output or "the output"
        echo(f"error: {tally.failed} of {tally.rows} rows failed (reasons in the "
             f"{error_column!r} column of {where}; first: {tally.first_errors[0]})", err=True)
        return 1
    return 0


def _summary(args: argparse.Namespace, model: Any, run: Any) -> dict[str, Any]:
    tally = run.tally
    return {
        "input": run.input,
        "output": args.output,
        "rows": tally.rows,
        "predicted": tally.rows - tally.failed,
        "failed": tally.failed,
        "errors": tally.first_errors,
        "functions": {t.function: model.binding(t.function).record.ref for t in run.targets},
        "columns": {t.function: t.output_column for t in run.targets},
        "error_column": run.error_column,
        "base": str(model.base.record),
        "seconds": round(tally.seconds, 3),
    }
