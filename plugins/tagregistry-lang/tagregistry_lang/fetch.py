"""Fetch the LibreOffice help (Debian's ``libreoffice-help-<lang>`` 7.4 packages) into the
user's data cache, pinned by version and sha256.

    python -m tagregistry_lang.fetch                  # apt-get download, verify, unpack
    python -m tagregistry_lang.fetch --from DEBS_DIR  # .deb files you downloaded yourself

``apt-get download`` needs Debian's package lists (``apt-get update`` once) but no root. Each
``.deb`` must match its pinned sha256 before anything is unpacked; only the help pages
(``usr/share/libreoffice/help/<lang>/text/**``) are unpacked, by Python (no ``dpkg-deb``
needed), into ``<data cache>/libreoffice-help-7.4/`` through a temporary folder and a rename.
The data cache is ``$TAGREGISTRY_DATA_FILES``, else ``~/.cache/tagregistry/data`` on Linux.
"""

from __future__ import annotations

import argparse
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from tagregistry.errors import IntegrityError, NotFoundError, TagRegistryError
from tagregistry.hashing import file_sha256
from tagregistry.models.cache import build_once, folder_setting, read_json, write_json_atomic

DATA_FILES_ENV = "TAGREGISTRY_DATA_FILES"
VERSION = "4:7.4.7-1+deb12u14"
CORPUS = "libreoffice-help-7.4"
STAMP = "tagregistry-data.json"
HELP_PREFIX = "usr/share/libreoffice/help/"
#: Debian package -> sha256 of its .deb (version VERSION)
PACKAGES = {
    "libreoffice-help-en-us": "8faa840285734d6cfe1ed25537b48f07e74bd6412e3917bf8e5f8a653f7b3712",
    "libreoffice-help-fr": "c796530d3e95af1ea4d054076682efc8aad2b569ae9513f3d4a776b2df3fd206",
    "libreoffice-help-de": "00490b63c509ac96f7f212d6a6e40452d3e0d1f97ccf4b824dd5ec4c01e8277f",
    "libreoffice-help-es": "9128a84d83d92c8b1c618d90469d16affddb7d1290b09d42a0c5109cb16f0480",
    "libreoffice-help-pt": "0130802d755de8666c663cc0745ba7a23d546d35a918f349a7a9adb78d16e7a4",
    "libreoffice-help-pt-br": "600d4294e52a6534be923521aff7b1b9eb7e6ddb7e30b2598ad04b2fe9cf8278",
    "libreoffice-help-it": "7fa29342a302bb495981fdabf98f3a9c3628123f3f191b2a5c95cb583c9ff212",
}


def data_files_dir() -> Path:
    """``$TAGREGISTRY_DATA_FILES``, or ``data`` in the user cache folder of ``tagregistry``."""
    env = os.environ.get(DATA_FILES_ENV)
    if env:
        return folder_setting(Path(env).expanduser(), DATA_FILES_ENV)
    from platformdirs import user_cache_path

    return user_cache_path("tagregistry", appauthor=False) / "data"


def corpus_dir() -> Path:
    """Where the fetched help lives (the folder holding ``usr/share/libreoffice/help``)."""
    return data_files_dir() / CORPUS


def _stamp(packages: Mapping[str, str]) -> dict[str, Any]:
    return {"version": VERSION, "packages": dict(sorted(packages.items()))}


def _valid(folder: Path, packages: Mapping[str, str]) -> dict[str, Any] | None:
    meta = read_json(folder / STAMP)
    return meta if meta == _stamp(packages) and (folder / HELP_PREFIX).is_dir() else None


def fetched_root(packages: Mapping[str, str] = PACKAGES) -> Path:
    """The fetched help tree; NotFoundError saying how to fetch it when it is not there."""
    folder = corpus_dir()
    if _valid(folder, packages) is None:
        raise NotFoundError(
            f"the LibreOffice help corpus is not in {folder}; fetch it once with "
            "`python -m tagregistry_lang.fetch` (or pass folder= pointing at an extracted copy)"
        )
    return folder / HELP_PREFIX


def deb_name(package: str) -> str:
    """The file name ``apt-get download`` gives ``package`` at :data:`VERSION`."""
    return f"{package}_{VERSION.replace(':', '%3a')}_all.deb"


def _find_deb(folder: Path, package: str) -> Path | None:
    """``package``'s .deb in ``folder`` (apt-get's name, or the archive's without the epoch)."""
    plain = f"{package}_{VERSION.split(':', 1)[-1]}_all.deb"
    return next((folder / n for n in (deb_name(package), plain) if (folder / n).is_file()), None)


def apt_download(folder: Path, packages: Mapping[str, str] = PACKAGES) -> None:
    """``apt-get download`` every pinned package into ``folder``."""
    if shutil.which("apt-get") is None:
        raise NotFoundError("apt-get is not available here; download the .deb files "
                            f"({', '.join(deb_name(p) for p in packages)}) from Debian yourself "
                            "and run `python -m tagregistry_lang.fetch --from THAT_FOLDER`")
    command = ["apt-get", "download", *(f"{p}={VERSION}" for p in packages)]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise NotFoundError(f"apt-get download failed ({reason}); run `apt-get update` once, or "
                            f"fetch the {VERSION} .deb files yourself and pass --from FOLDER")


def _data_member(handle: IO[bytes], deb: Path) -> IO[bytes]:
    """The ``data.tar.xz`` stream of an open ``.deb`` (an ``ar`` archive)."""
    if handle.read(8) != b"!<arch>\n":
        raise IntegrityError(f"{deb} is not a Debian package (no ar header)")
    while header := handle.read(60):
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        if name == "data.tar.xz":
            return lzma.open(_Window(handle, size))
        handle.seek(size + (size % 2), os.SEEK_CUR)
    raise IntegrityError(f"{deb} holds no data.tar.xz")


class _Window:
    """Read at most ``size`` bytes of ``handle`` (one ar member)."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self.handle, self.left = handle, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.handle.read(n)
        self.left -= len(data)
        return data



def unpack_help(deb: Path, target: Path) -> int:
    """Unpack the help pages of ``deb`` under ``target``; returns how many files."""
    count = 0
    try:
        with deb.open("rb") as handle, _data_member(handle, deb) as stream, \
                tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                name = member.name.removeprefix("./")
                if member.isfile() and name.startswith(HELP_PREFIX) and "/text/" in name:
                    member.name = name
                    archive.extract(member, target, filter="data")  # refuses ../ and links
                    count += 1
    except (tarfile.TarError, lzma.LZMAError, EOFError) as exc:
        raise IntegrityError(f"{deb.name} cannot be unpacked: {exc}") from None
    return count


def _build(folder: Path, debs: Path | None, packages: Mapping[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="lohelp-", dir=folder.parent) as scratch:
        source = debs or Path(scratch)
        if debs is None:
            apt_download(source, packages)
        found_debs = {}
        for package, expected in packages.items():
            deb = _find_deb(source, package)
            if deb is None:
                raise NotFoundError(f"{source} has no {deb_name(package)}; download version {VERSION} of "
                                    f"{package} (apt-get download {package}={VERSION})")
            found = file_sha256(deb)
            if found != expected:
                raise IntegrityError(f"{deb.name} has sha256 {found[:16]}..., not the pinned "
                                     f"{expected[:16]}...; download it again")
            found_debs[package] = deb
        for deb in found_debs.values():
            unpack_help(deb, folder)
    write_json_atomic(folder / STAMP, _stamp(packages))


def fetch_help(debs: str | Path | None = None, packages: Mapping[str, str] = PACKAGES) -> Path:
    """Fetch (or take from ``debs``), verify and unpack the help; returns its help tree.

    ``packages`` maps each Debian package to the sha256 its .deb must have (the pins).
    """
    source = None if debs is None else Path(debs).expanduser()
    if source is not None and not source.is_dir():
        raise NotFoundError(f"--from {source}: no such folder")
    build_once(corpus_dir(), lambda folder: _valid(folder, packages),
               lambda folder: _build(folder, source, packages))
    return fetched_root(packages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tagregistry_lang.fetch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="debs", metavar="FOLDER",
                        help="take the .deb files from FOLDER instead of apt-get download")
    args = parser.parse_args(argv)
    try:
        root = fetch_help(args.debs)
    except (TagRegistryError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
