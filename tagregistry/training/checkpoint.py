"""Checkpoints with atomic writes: safetensors for tensors, JSON for the rest (no pickle).

A checkpoint is a folder ``checkpoint-<step>`` written under a temporary name and renamed
into place; ``latest.json`` (replaced atomically) names the newest complete one. A run
killed at any moment therefore leaves either the previous or the new checkpoint, never a
half-written one.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagregistry.errors import TagRegistryError

LATEST = "latest.json"
TENSORS = "tensors.safetensors"
STATE = "state.json"
FORMAT = 1


class CheckpointError(TagRegistryError):
    """A checkpoint that is missing, unreadable or belongs to another recipe."""


@dataclass
class TrainState:
    """Everything needed to continue a run exactly where it stopped."""

    step: int
    params: dict[str, Any]
    optimizer: dict[str, Any]
    recipe_fingerprint: str
    history: list[dict[str, float]] = field(default_factory=list)
    rng: dict[str, Any] = field(default_factory=dict)


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(json.dumps(data, indent=1).encode())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _split_optimizer(state_dict: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    tensors: dict[str, Any] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entry in state_dict["state"].items():
        for key, value in entry.items():
            if hasattr(value, "shape"):
                tensors[f"optim.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": scalars}


def _join_optimizer(tensors: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for index, entry in meta["scalars"].items():
        state.setdefault(int(index), {}).update(entry)
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


def capture_rng() -> dict[str, Any]:
    """Python and torch RNG states (torch's as a uint8 tensor)."""
    import torch

    return {"python": random.getstate(), "torch": torch.get_rng_state()}


def restore_rng(rng: dict[str, Any]) -> None:
    import torch

    if "python" in rng:
        version, internal, gauss = rng["python"]
        random.setstate((version, tuple(internal), gauss))
    if "torch" in rng:
        torch.set_rng_state(rng["torch"])


def save_checkpoint(directory: str | Path, state: TrainState, keep: int = 2) -> Path:
    """Write ``checkpoint-<step>`` atomically, point ``latest.json`` at it, prune old ones."""
    from safetensors.torch import save

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"checkpoint-{state.step:08d}"
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    opt_tensors, opt_meta = _split_optimizer(state.optimizer)
    tensors = {f"param.{k}": v.detach().cpu().contiguous() for k, v in state.params.items()}
    tensors.update({k: v.detach().cpu().contiguous() for k, v in opt_tensors.items()})
    rng = dict(state.rng)
    if "torch" in rng:
        tensors["rng.torch"] = rng.pop("torch")
    _fsync_write(tmp / TENSORS, save(tensors))
    meta = {
        "format": FORMAT, "step": state.step, "recipe_fingerprint": state.recipe_fingerprint,
        "optimizer": opt_meta, "history": state.history, "rng": rng,
    }
    _fsync_write(tmp / STATE, json.dumps(meta).encode())
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    _write_json_atomic(root / LATEST, {"checkpoint": target.name, "step": state.step})
    _prune(root, keep)
    return target


def _prune(root: Path, keep: int) -> None:
    found = sorted(p for p in root.glob("checkpoint-*") if p.is_dir())
    for old in found[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    for partial in root.glob(".partial-*"):
        shutil.rmtree(partial, ignore_errors=True)


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The newest complete checkpoint folder, or ``None``."""
    root = Path(directory)
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    try:
        name = json.loads(pointer.read_text())["checkpoint"]
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"{pointer} is unreadable ({exc}); delete it to start over") from exc
    path = root / name
    if not (path / STATE).is_file() or not (path / TENSORS).is_file():
        raise CheckpointError(f"{pointer} names {name}, which is incomplete; delete {root} to restart")
    return path


def load_checkpoint(path: str | Path, recipe_fingerprint: str) -> TrainState:
    """Read a checkpoint folder, refusing one written for a different recipe."""
    from safetensors.torch import load_file

    folder = Path(path)
    meta = json.loads((folder / STATE).read_text())
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{folder}: checkpoint format {meta.get('format')} is not {FORMAT}")
    if meta["recipe_fingerprint"] != recipe_fingerprint:
        raise CheckpointError(
            f"{folder} was written by a different recipe; resume with the same recipe, "
            "or choose another --output-dir to start a new run"
        )
    tensors = load_file(str(folder / TENSORS))
    params = {k.removeprefix("param."): v for k, v in tensors.items() if k.startswith("param.")}
    rng = dict(meta.get("rng") or {})
    if "rng.torch" in tensors:
        rng["torch"] = tensors["rng.torch"]
    return TrainState(
        step=int(meta["step"]), params=params,
        optimizer=_join_optimizer(tensors, meta["optimizer"]),
        recipe_fingerprint=meta["recipe_fingerprint"], history=list(meta.get("history") or []),
        rng=rng,
    )
