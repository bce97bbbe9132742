"""Base model commands: ``bases list`` and ``bases delete``."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this group's subcommands."""
    bases = sub.add_parser("bases", help="registered base models: list, delete unused ones")
    bases_sub = bases.add_subparsers(dest="bases_command", metavar="ACTION", required=True)
    p = bases_sub.add_parser("list", help="base models with the number of tag versions bound to each")
    p.add_argument("--unused", action="store_true", help="only base models no tag is bound to")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_bases_list)
    p = bases_sub.add_parser("delete", help="delete base models that no tag is bound to")
    p.add_argument("bases", nargs="*", metavar="ID[@REV]", help="base models to delete")
    p.add_argument("--unused", action="store_true", help="delete every base model no tag is bound to")
    p.set_defaults(handler=cmd_bases_delete)


def cmd_bases_list(args: argparse.Namespace) -> int:
    from tagregistry.registry import Registry
    from tagregistry.terminal import print_json, print_table

    with Registry(args.db) as registry:
        usage = registry.base_usage()
    rows = [{**base.model_dump(), "tags": n} for base, n in usage if n == 0 or not args.unused]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["model_id", "revision", "hidden_size", "fingerprint", "tags"],
                    empty="no unused base models" if args.unused else "no base models registered yet")
    return 0


def cmd_bases_delete(args: argparse.Namespace) -> int:
    from tagregistry.errors import InvalidNameError
    from tagregistry.registry import Registry
    from tagregistry.terminal import echo

    if bool(args.bases) == bool(args.unused):
        raise InvalidNameError("name the base models to delete (ID or ID@REVISION), or pass --unused")
    with Registry(args.db) as registry:
        targets = [f"{b.model_id}@{b.revision}" for b in registry.bases(unused=True)] if args.unused else args.bases
        for target in targets:
            record = registry.delete_base(target)
            echo(f"deleted base model {record.model_id}@{record.revision}")
        if not targets:
            echo("no unused base models")
    return 0
