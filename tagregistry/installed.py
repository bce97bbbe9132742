"""What is installed besides the registry: the plugins, and the PyPI data files they read.

``tagregistry plugins`` and ``tagregistry data list|fetch`` use these; they need no
registry. A broken plugin is listed with its error instead of warning here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

# the data cache's public names: the folder, a package's folder, whether fetched, fetch it
from tagregistry.datafiles.cache import data_files_dir as data_files_dir
from tagregistry.datafiles.cache import fetch as fetch_data_package
from tagregistry.datafiles.cache import is_fetched as is_fetched
from tagregistry.datafiles.cache import package_dir as data_package_dir
from tagregistry.errors import InputError

__all__ = ["data_files_dir", "data_package_dir", "data_packages", "fetch_data_package", "is_fetched",
           "plugin_catalog", "plugins"]

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.specs import DataPackageSpec


def plugin_catalog() -> Catalog:
    """The installed plugins' catalog, without :class:`PluginWarning` for broken plugins
    (each plugin's status and error are in ``catalog.plugins``)."""
    from tagregistry.plugins.manager import PluginWarning, get_catalog

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        return get_catalog()


def plugins() -> list[dict[str, Any]]:
    """Every discovered plugin: name, distribution, version, status, error, contributes."""
    return [info.as_dict() for info in plugin_catalog().plugins.values()]


def data_packages(names: Sequence[str] = ()) -> list[tuple[str, DataPackageSpec]]:
    """``(plugin name, spec)`` of the installed plugins' data packages, sorted by package;
    ``names`` (plugins, their distributions or package names) selects some, else all."""
    catalog = plugin_catalog()
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
