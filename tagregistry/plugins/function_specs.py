"""Function specs written in a recipe and stored with the tags trained on them.

A recipe may define its function inline (template, slots, head type: data, never code). The
tag's record keeps that spec (``source["recipe"]["function"]``), so compose and predict can use
it where no installed plugin declares the function. A plugin's declaration wins; a plugin that
declares the same name differently is an error, since the tag was trained on another prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tagregistry.errors import IntegrityError, PluginError
from tagregistry.specs import FunctionSpec

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog

#: the parts of a function spec that change what a trained tag computes (which domains a
#: slot accepts does not: the plugin's lists apply)
BEHAVIOUR_FIELDS = ("template", "output")
HEAD_FIELDS = ("type", "output_dim", "labels")


def recorded_function_spec(source: Mapping[str, Any], where: str = "the tag") -> FunctionSpec | None:
    """The recipe-defined spec stored in a record's ``source`` (``None``: a plugin's function)."""
    recipe = source.get("recipe")
    inline = recipe.get("function") if isinstance(recipe, Mapping) else None
    if not isinstance(inline, Mapping):
        return None
    try:
        return FunctionSpec.model_validate(dict(inline))
    except ValidationError as exc:
        problem = "; ".join(err["msg"] for err in exc.errors())
        raise IntegrityError(f"{where} stores a recipe-defined function spec that does not "
                             f"validate ({problem}); register it again from a valid recipe") from exc


def spec_differences(declared: FunctionSpec, recorded: FunctionSpec) -> list[str]:
    """Which behaviour-changing fields of two specs of one function differ."""
    found = [name for name in BEHAVIOUR_FIELDS if getattr(declared, name) != getattr(recorded, name)]
    if [slot.name for slot in declared.slots] != [slot.name for slot in recorded.slots]:
        found.append("slots")
    heads = (declared.head, recorded.head)
    if (heads[0] is None) != (heads[1] is None):
        found.append("head")
    elif heads[0] is not None and heads[1] is not None:
        found += [f"head.{name}" for name in HEAD_FIELDS
                  if getattr(heads[0], name) != getattr(heads[1], name)]
    return found


def check_agreement(declared: FunctionSpec, recorded: FunctionSpec, catalog: Catalog, what: str) -> None:
    """PluginError when the installed plugin declares ``recorded.name`` differently."""
    differ = spec_differences(declared, recorded)
    if not differ:
        return
    owner = catalog.owner("functions", declared.name)
    raise PluginError(
        f"{what} defines function {declared.name!r}, but the installed plugin "
        f"{owner.name!r} ({owner.distribution}) declares {declared.name!r} with a different "
        f"{', '.join(differ)} (plugin: {_shown(declared, differ)}; recipe: {_shown(recorded, differ)}); "
        f"the tag would be misused: rename the recipe's function, or disable the plugin with "
        f"TAGREGISTRY_DISABLE_PLUGINS={owner.name}"
    )


def _shown(spec: FunctionSpec, fields: list[str]) -> str:
    """The differing ``fields`` of ``spec``, for an error message."""
    values = {"slots": [slot.name for slot in spec.slots], "head": spec.head}
    parts = []
    for name in fields:
        head, _, attr = name.partition(".")
        value = getattr(spec.head, attr) if attr else values.get(name, getattr(spec, name, None))
        parts.append(f"{name} {value!r}")
    return ", ".join(parts)


def function_spec_for(name: str, ref: str, source: Mapping[str, Any], catalog: Catalog,
                      advice: str = "install the plugin that provides it") -> FunctionSpec | None:
    """The spec of function tag ``ref``: the installed plugin's, else the one its recipe defined
    (``None`` when neither exists). Disagreeing specs, and a recipe-defined spec whose head
    type is code no installed plugin provides, raise PluginError (ending with ``advice``:
    which distribution to install)."""
    recorded = recorded_function_spec(source, f"function tag {ref}")
    declared = catalog.functions.get(name)
    if declared is not None:
        if recorded is not None:
            check_agreement(declared, recorded, catalog, f"the recipe of function tag {ref}")
        return declared
    if recorded is not None and recorded.head is not None and recorded.head.type not in catalog.heads:
        raise PluginError(
            f"function tag {ref} is defined by its recipe, but its head type "
            f"{recorded.head.type!r} is code from a plugin that is not installed (installed head "
            f"types: {', '.join(sorted(catalog.heads)) or 'none'}); "
            f"{advice}"
        )
    return recorded
