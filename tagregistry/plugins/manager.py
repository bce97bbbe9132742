"""Discover plugins through the ``tagregistry`` entry-point group and collect their specs.

A plugin that fails to import or raises in a hook is skipped with a warning and listed as
broken (``TAGREGISTRY_STRICT_PLUGINS=1`` makes that fatal). ``TAGREGISTRY_DISABLE_PLUGINS``
names entry points to skip. Two plugins contributing the same name is always an error.
"""

from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
from pydantic import BaseModel, ValidationError

from tagregistry.errors import InvalidNameError, PluginError
from tagregistry.plugins import hookspecs
from tagregistry.specs import (
    BaseModelSpec,
    DataPackageSpec,
    DatasetSpec,
    DomainSpec,
    FunctionSpec,
    HeadTypeSpec,
    PackSpec,
    TagKind,
    TokenizerSpec,
)

ENTRY_POINT_GROUP = "tagregistry"

#: catalog attribute -> (hook name, spec type, singular noun for messages)
CONTRIBUTIONS: dict[str, tuple[str, type[BaseModel], str]] = {
    "domains": ("tagregistry_domains", DomainSpec, "domain"),
    "functions": ("tagregistry_functions", FunctionSpec, "function"),
    "tokenizers": ("tagregistry_tokenizers", TokenizerSpec, "tokenizer"),
    "heads": ("tagregistry_heads", HeadTypeSpec, "head type"),
    "datasets": ("tagregistry_datasets", DatasetSpec, "dataset"),
    "base_models": ("tagregistry_base_models", BaseModelSpec, "base model"),
    "packs": ("tagregistry_packs", PackSpec, "tag pack"),
    "data_packages": ("tagregistry_data_packages", DataPackageSpec, "data package"),
}


class PluginWarning(UserWarning):
    """A plugin was skipped because it is broken."""


@dataclass
class PluginInfo:
    """One discovered plugin and what it contributed."""

    name: str
    distribution: str
    version: str
    status: str = "ok"  # ok | broken | disabled
    error: str | None = None
    contributes: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "distribution": self.distribution, "version": self.version,
            "status": self.status, "error": self.error, "contributes": self.contributes,
        }


def _strict() -> bool:
    return os.environ.get("TAGREGISTRY_STRICT_PLUGINS", "").lower() in ("1", "true", "yes")


def _disabled() -> set[str]:
    raw = os.environ.get("TAGREGISTRY_DISABLE_PLUGINS", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def load_object(path: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, _, attr = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"cannot load {path!r}: {exc}") from exc
    return obj


class Catalog:
    """Everything the installed plugins contribute, keyed by name."""

    def __init__(self, extra: list[tuple[str, object]] | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.owners: dict[tuple[str, str], str] = {}
        self.domains: dict[str, DomainSpec] = {}
        self.functions: dict[str, FunctionSpec] = {}
        self.tokenizers: dict[str, TokenizerSpec] = {}
        self.heads: dict[str, HeadTypeSpec] = {}
        self.datasets: dict[str, DatasetSpec] = {}
        self.base_models: dict[str, BaseModelSpec] = {}
        self.packs: dict[str, PackSpec] = {}
        self.data_packages: dict[str, DataPackageSpec] = {}
        self._discover()
        for name, obj in extra or []:
            self._register(name, "<in-process>", "", lambda obj=obj: obj)
        self._collect()

    # -- discovery ------------------------------------------------------------------------
    def _broken(self, info: PluginInfo, what: str, exc: BaseException) -> None:
        info.status = "broken"
        info.error = f"{what}: {type(exc).__name__}: {exc}"
        message = f"plugin {info.name!r} ({info.distribution}) is broken and was skipped — {info.error}"
        if _strict():
            raise PluginError(message + " (TAGREGISTRY_STRICT_PLUGINS is set)") from exc
        warnings.warn(message + "; set TAGREGISTRY_DISABLE_PLUGINS to silence", PluginWarning, stacklevel=3)

    def _register(self, name: str, dist: str, version: str, load: Any) -> None:
        info = PluginInfo(name=name, distribution=dist, version=version)
        self.plugins[name] = info
        if name in _disabled():
            info.status = "disabled"
            return
        try:
            obj = load()
            self.pm.register(obj, name=name)
        except Exception as exc:  # noqa: BLE001 - any failure in third-party code marks it broken
            self._broken(info, "import failed", exc)

    def _discover(self) -> None:
        seen: set[str] = set()
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in seen:
                continue  # the same distribution visible twice on sys.path
            seen.add(ep.name)
            dist = ep.dist.name if ep.dist is not None else "<unknown>"
            version = ep.dist.version if ep.dist is not None else ""
            self._register(ep.name, dist, version, _loader(ep))

    # -- collection -----------------------------------------------------------------------
    def _collect(self) -> None:
        for attr, (hook_name, spec_type, noun) in CONTRIBUTIONS.items():
            target: dict[str, Any] = getattr(self, attr)
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                info = self.plugins[impl.plugin_name]
                if info.status != "ok":
                    continue
                try:
                    items = [_as_spec(item, spec_type) for item in (impl.function() or [])]
                except Exception as exc:  # noqa: BLE001 - a raising hook marks the plugin broken
                    self._broken(info, f"hook {hook_name} raised", exc)
                    self._forget(info)
                    continue
                for item in items:
                    key = (attr, item.name)
                    if key in self.owners and self.owners[key] != info.name:
                        other = self.plugins[self.owners[key]]
                        raise PluginError(
                            f"{noun} {item.name!r} is registered by two plugins: "
                            f"{other.distribution} ({other.name}) and {info.distribution} ({info.name}); "
                            "uninstall one or disable it with TAGREGISTRY_DISABLE_PLUGINS"
                        )
                    self.owners[key] = info.name
                    target[item.name] = item
                    info.contributes.setdefault(attr, []).append(item.name)

    def _forget(self, info: PluginInfo) -> None:
        """Drop what a plugin contributed before it turned out to be broken."""
        for attr, names in info.contributes.items():
            for name in names:
                getattr(self, attr).pop(name, None)
                self.owners.pop((attr, name), None)
        info.contributes = {}

    # -- lookups --------------------------------------------------------------------------
    def get(self, attr: str, name: str) -> Any:
        """A contributed spec by kind (``"domains"``...) and name, or a helpful error."""
        from tagregistry.names import did_you_mean

        table: dict[str, Any] = getattr(self, attr)
        if name not in table:
            noun = CONTRIBUTIONS[attr][2]
            known = ", ".join(sorted(table)) or "none"
            raise PluginError(
                f"no {noun} named {name!r}{did_you_mean(name, table)}; installed: {known}. "
                f"Install the plugin that provides it (pip install tagregistry-<domain>)"
            )
        return table[name]

    def owner(self, attr: str, name: str) -> PluginInfo:
        """The plugin that contributed ``name``."""
        return self.plugins[self.owners[(attr, name)]]

    def declared_kind(self, name: str) -> TagKind | None:
        """What the installed plugins declare ``name`` to be (``None``: nothing declares it)."""
        if name in self.domains:
            return "domain"
        if name in self.functions:
            return "function"
        return None

    def check_kind(self, name: str, kind: TagKind) -> None:
        """Refuse a kind that contradicts what an installed plugin declares for ``name``."""
        declared = self.declared_kind(name)
        if declared is not None and declared != kind:
            kinds = "domains" if declared == "domain" else "functions"
            owner = self.owner(kinds, name)
            raise InvalidNameError(
                f"{name!r} is declared a {declared} by the installed plugin {owner.name!r} "
                f"({owner.distribution}), so it cannot be registered as a {kind} tag: compose "
                f"would misuse it; register it as kind={declared!r} or choose another name"
            )


def _loader(ep: EntryPoint) -> Any:
    return ep.load


def _as_spec(item: Any, spec_type: type[BaseModel]) -> BaseModel:
    if isinstance(item, spec_type):
        return item
    if isinstance(item, dict):
        try:
            return spec_type.model_validate(item)
        except ValidationError as exc:
            raise PluginError(f"invalid {spec_type.__name__}: {exc}") from exc
    raise PluginError(f"expected {spec_type.__name__}, got {type(item).__name__}")


_CATALOG: Catalog | None = None


def get_catalog(refresh: bool = False) -> Catalog:
    """The process-wide catalog, discovered on first use."""
    global _CATALOG
    if _CATALOG is None or refresh:
        _CATALOG = Catalog()
    return _CATALOG
