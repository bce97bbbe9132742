"""Register trained tags (and heads) as new versions with metrics and provenance."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagregistry.provenance import FROZEN_SHA256
from tagregistry.specs import FunctionSpec, HeadSpec, TagRecord
from tagregistry.store.tag_store import HeadPayload, NewTag

if TYPE_CHECKING:
    from tagregistry.plugins.manager import Catalog
    from tagregistry.store.tag_store import TagStore

_LIBRARIES = ("tagregistry", "torch", "transformers", "accelerate", "safetensors")


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a training result (and Python's)."""
    found = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def head_payload(head: Any, spec: HeadSpec, config: dict[str, Any]) -> HeadPayload:
    """The head's float32 tensors (CPU) with its spec and config (label scaling)."""
    tensors = {k: v.detach().float().cpu().contiguous() for k, v in head.state_dict().items()}
    return HeadPayload(spec=spec, tensors=tensors, config=config)


def register_run(store: TagStore, catalog: Catalog, recipe: Any, setup: Any, loaded: Any,
                 result: Any, splits: Any) -> list[TagRecord]:
    """Store the run's trained tags (and head) as new versions with metrics and provenance."""
    from tagregistry.hashing import file_sha256
    from tagregistry.training.data import portable_path

    data: dict[str, Any] = {"sizes": splits.sizes()}
    license = recipe.license
    portable = recipe.model_dump(mode="json")  # data paths: relative or bare names, never absolute
    if recipe.data.dataset is not None:
        data["dataset"] = recipe.data.dataset
        spec = catalog.datasets.get(recipe.data.dataset)
        license = license or (spec.license if spec is not None else None)
    else:
        files = recipe.data.files or {"train": recipe.data.file}
        data["files"] = {split: {"path": portable_path(path), "sha256": file_sha256(path)}
                         for split, path in files.items()}
        data["file"] = Path(files["train"]).name
        for key in ("file", "files"):
            value = portable["data"].get(key)
            portable["data"][key] = ({k: portable_path(v) for k, v in value.items()}
                                     if isinstance(value, dict) else value and portable_path(value))
    source = {
        "trained_by": "tagregistry.training", "stage": recipe.stage,
        # the dtype the base ran in, not "auto": what the tag was trained on
        "recipe": {**portable, "dtype": result.dtype},
        "recipe_sha256": recipe.fingerprint(),
        "seed": recipe.seed, "library_versions": library_versions(), "data": data,
        "domains": setup.domains, "frozen": [r.ref for r in setup.frozen],
        FROZEN_SHA256: {r.name: r.sha256 for r in setup.frozen},
        "template": setup.template, **({"contexts": setup.contexts} if len(setup.contexts) > 1 else {}),
        "steps": result.steps,
        "train_seconds": round(result.seconds, 3), "base_name": loaded.name,
    }
    records = []
    function_name = recipe.tag if recipe.stage != 1 else None
    for name in setup.trainable:
        kind = "function" if name == function_name else "domain"
        head = None
        if kind == "function" and setup.head is not None:
            config = dict(setup.scaling)
            readout = recipe.hyper.head_readout()
            if not readout.is_default:
                config["readout"] = readout.to_config()
            head = head_payload(setup.head, setup.head_spec, config)
        extra = {} if kind == "function" or recipe.stage == 1 else {"enriched_with": recipe.tag}
        catalog.check_kind(name, kind)
        records.append(store.register(NewTag(
            name=name, tensor=result.tensors[name].detach().float().cpu().contiguous(),
            kind=kind, base=loaded.record, head=head, license=license,
            description=run_description(recipe, catalog, name, kind),
            source={**source, **extra}, data_hash=result.data_hash,
            metrics={k: float(v) for k, v in result.metrics.items()},
        )))
    return records


def run_description(recipe: Any, catalog: Any, name: str, kind: str) -> str:
    """The recipe's description, else that of the spec the tag was trained for."""
    if recipe.description:
        return recipe.description
    if kind == "function" and isinstance(recipe.function, FunctionSpec):
        return recipe.function.description
    spec = (catalog.functions if kind == "function" else catalog.domains).get(name)
    return spec.description if spec is not None else ""
