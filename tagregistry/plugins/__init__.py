"""Plugin discovery (entry points), hook specs and the built-in plugin."""

from tagregistry.plugins.hookspecs import hookimpl
from tagregistry.plugins.manager import Catalog, PluginInfo, get_catalog, load_object

__all__ = ["Catalog", "PluginInfo", "get_catalog", "hookimpl", "load_object"]
