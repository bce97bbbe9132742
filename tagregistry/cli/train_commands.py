"""Training command: ``tagregistry train RECIPE.yaml [--resume] [--output-dir DIR] [--json]``."""

from __future__ import annotations

import argparse

from tagregistry.terminal import echo


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this group's subcommands."""
    p = sub.add_parser(
        "train", help="run a training recipe (YAML) and register the result",
        description="Train a domain tag (stage 1) or a function tag (stages 2 and 3) as the "
        "recipe says; on success the tag (and head) is registered as a new version. Works "
        "unchanged under 'accelerate launch'.",
    )
    p.add_argument("recipe", metavar="RECIPE.yaml", help="the recipe file")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint in the output directory")
    p.add_argument("--output-dir", metavar="DIR", default=None,
                   help="checkpoints and result.json (default: $TAGREGISTRY_HOME/runs/NAME-HASH)")
    p.add_argument("--dtype", metavar="T", default=None,
                   help="the frozen base's dtype: auto, float32, bfloat16 or float16 (default: the "
                   "recipe's, auto = bfloat16 where the hardware multiplies it natively)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--json", action="store_true", help="print the result summary as JSON")
    p.set_defaults(handler=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from tagregistry.registry import Registry, load_recipe
    from tagregistry.terminal import print_json

    recipe = load_recipe(args.recipe)  # a broken recipe is reported before the registry opens
    result = Registry(args.db).train(recipe, output_dir=args.output_dir, resume=args.resume,
                                     dtype=args.dtype,
                                     progress=not args.no_progress and not args.json)
    if not result.records:
        return 0  # a non-main process under accelerate launch
    if args.json:
        print_json(result.summary())
        return 0
    for record in result.records:
        echo(f"registered {record.ref} ({record.kind} tag on {record.base.model_id})")
    if result.resumed_from is not None:
        echo(f"  resumed from step {result.resumed_from}")
    echo("  " + ", ".join(f"{k}={v:.4g}" for k, v in result.metrics.items()))
    echo(f"  {result.steps} steps in {result.seconds:.1f}s ({result.dtype} base); checkpoints in "
         f"{result.output_dir}")
    return 0
