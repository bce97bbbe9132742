"""Where fetched data files live, and fetching + unpacking them once per user.

One folder per pinned distribution, ``<data cache>/<name>-<version>/``, holds the members a
plugin asked for at their paths inside the file, and a stamp naming the file and its sha256.
The data cache is ``$TAGREGISTRY_DATA_FILES``, else ``data`` in the platform's user cache
folder for ``tagregistry`` (on Linux ``~/.cache/tagregistry/data``), beside the converted
base models. Folders are built under a file lock and published by an atomic rename
(:func:`~tagregistry.cache_folders.build_once`), so an interrupted or concurrent fetch never
leaves a half-unpacked folder; the downloaded archive itself is not kept.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tagregistry.cache_folders import build_once, folder_setting, read_json, write_json_atomic
from tagregistry.datafiles.download import check_sha256, download
from tagregistry.errors import DataUnavailableError
from tagregistry.specs import DataPackageSpec

DATA_FILES_ENV = "TAGREGISTRY_DATA_FILES"
STAMP = "tagregistry-data.json"


def data_files_dir() -> Path:
    """``$TAGREGISTRY_DATA_FILES``, or ``data`` in the user cache folder of ``tagregistry``."""
    env = os.environ.get(DATA_FILES_ENV)
    if env:
        return folder_setting(Path(env).expanduser(), DATA_FILES_ENV)
    from platformdirs import user_cache_path

    return user_cache_path("tagregistry", appauthor=False) / "data"


def package_dir(spec: DataPackageSpec) -> Path:
    """The folder ``spec``'s members are unpacked into."""
    return data_files_dir() / f"{spec.name}-{spec.version}"


def _stamp(spec: DataPackageSpec) -> dict[str, Any]:
    return {"filename": spec.filename, "sha256": spec.sha256, "members": sorted(spec.members)}


def _valid(spec: DataPackageSpec, folder: Path) -> dict[str, Any] | None:
    meta = read_json(folder / STAMP)
    if meta == _stamp(spec) and all((folder / m).is_file() for m in spec.members):
        return meta
    return None


def is_fetched(spec: DataPackageSpec) -> bool:
    """Whether ``spec``'s members are already in the data cache."""
    return _valid(spec, package_dir(spec)) is not None


def _copy_members(spec: DataPackageSpec, folder: Path, names: set[str],
                  opener: Callable[[str], IO[bytes] | None]) -> None:
    missing = [m for m in spec.members if m not in names]
    if missing:
        raise DataUnavailableError(f"{spec.filename} holds no {', '.join(missing)}; the plugin names "
                                   "members the file does not have (update the plugin)")
    for member in spec.members:
        target = folder / member
        target.parent.mkdir(parents=True, exist_ok=True)
        stream = opener(member)
        assert stream is not None  # a regular file: listed in ``names``
        with stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)


def _unpack(archive: Path, spec: DataPackageSpec, folder: Path) -> None:
    """Write ``spec``'s members from ``archive`` under ``folder`` (paths as in the archive)."""
    try:
        if spec.filename.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as zipped:
                _copy_members(spec, folder, set(zipped.namelist()), zipped.open)
        else:
            with tarfile.open(archive, "r:gz") as tarred:
                names = {m.name for m in tarred.getmembers() if m.isfile()}
                _copy_members(spec, folder, names, tarred.extractfile)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise DataUnavailableError(f"{archive} is not a readable {spec.filename} ({exc})") from exc
    write_json_atomic(folder / STAMP, _stamp(spec))


def fetch(spec: DataPackageSpec, source: Path | None = None, progress: bool = True) -> Path:
    """Unpack ``spec``'s members into the data cache (once) and return their folder.

    ``source``: a folder that holds ``spec.filename`` already (no download; the sha256 is
    still checked). Otherwise the file is downloaded from the index with a progress bar.
    """
    def build(folder: Path) -> None:
        if source is not None:
            archive = Path(source) / spec.filename
            if not archive.is_file():
                raise DataUnavailableError(f"{archive} does not exist; put {spec.filename} "
                                           f"({spec.name} {spec.version}) there or fetch it online")
            check_sha256(archive, spec)
            _unpack(archive, spec, folder)
            return
        archive = download(spec, folder / f".{spec.filename}", progress=progress)
        try:
            _unpack(archive, spec, folder)
        finally:
            archive.unlink(missing_ok=True)

    target = package_dir(spec)
    build_once(target, lambda folder: _valid(spec, folder), build)
    return target


def data_path(spec: DataPackageSpec, member: str) -> Path:
    """The path of ``member`` (one of ``spec.members``), fetching the file on first use."""
    if member not in spec.members:
        raise ValueError(f"{member!r} is not one of the members of {spec.name}: {spec.members}")
    folder = package_dir(spec)
    if _valid(spec, folder) is None:
        fetch(spec)
    return folder / member
