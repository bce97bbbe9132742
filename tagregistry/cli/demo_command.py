"""``tagregistry demo``: the shipped tags on the default base, with tables and scatter plots."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the ``demo`` subcommand."""
    from tagregistry.demo import add_arguments

    p = sub.add_parser(
        "demo", help="install the shipped tag packs and evaluate them (tables + PNG plots)",
        description="Loads the default base model (converted once into the model cache), "
        "installs the tag packs that plugins ship for it, predicts each function's held-out "
        "records and writes a predicted-vs-true scatter PNG per function.",
    )
    add_arguments(p)
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from tagregistry.demo import run_demo

    return run_demo(args.records, args.functions, args.output_dir, not args.no_plots, db=args.db,
                    base=args.base, dtype=args.dtype)
