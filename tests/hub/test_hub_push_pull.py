"""Push and pull through the real huggingface_hub client against the local Hub server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch
from huggingface_hub import HfApi

from tagregistry.cli.main import main
from tagregistry.errors import BaseModelMismatchError
from tagregistry.hub.errors import HubError, PackCheckError, PackFormatError
from tagregistry.hub.manifest import MANIFEST_FILE

ROOT = Path(__file__).resolve().parents[2]


def _equal_tags(a, b, names=("SMILES", "QED")) -> None:
    for name in names:
        assert torch.equal(a.load(name), b.load(name))


def test_push_then_pull_round_trip(hub, tagged, other_registry, repo_id) -> None:
    unknown_before = len(hub.state.unknown)
    result = tagged.push(["SMILES", "QED"], repo_id)
    assert result.committed and result.repo_id == repo_id and result.revision == "main"
    assert len(result.commit_sha) == 40 and result.commit_sha in result.url
    assert set(result.files) == {
        "README.md", MANIFEST_FILE, "SMILES.v1.safetensors", "QED.v1.safetensors",
        "QED.v1.head.safetensors", "LICENSE.md",
    }
    records = other_registry.pull(repo_id)
    assert sorted(r.ref for r in records) == ["QED@1", "SMILES@1"]
    _equal_tags(tagged, other_registry)
    head = other_registry.load_head("QED")
    assert all(torch.equal(head[k], v) for k, v in tagged.load_head("QED").items())
    qed = other_registry.get("QED")
    assert qed.metrics == {"mse": 0.0123} and qed.license == "apache-2.0"
    assert qed.head.config == {"mean": 0.6, "std": 0.2}
    assert qed.source["pack"]["repo"] == repo_id
    assert qed.source["pack"]["revision"] == result.commit_sha
    assert other_registry.get("SMILES").source["recipe"] == "smiles-stage1"
    assert hub.state.unknown[unknown_before:] == [], "the client used routes the server lacks"


def test_server_names_unknown_routes(hub) -> None:
    request = urllib.request.Request(f"{hub.url}/api/models/lab/x/discussions", method="GET")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 404
    assert "no route for GET /api/models/lab/x/discussions" in info.value.read().decode()
    assert hub.state.unknown[-1] == ("GET", "/api/models/lab/x/discussions")


def test_repush_without_changes_makes_no_commit(hub, tagged, repo_id) -> None:
    first = tagged.push(["SMILES", "QED"], repo_id)
    commits = hub.state.commit_count(repo_id)
    again = tagged.push(["SMILES", "QED"], repo_id)
    assert not again.committed and again.files == ()
    assert again.commit_sha == first.commit_sha
    assert hub.state.commit_count(repo_id) == commits
    # a new version changes the pack: only changed files are uploaded, stale ones deleted
    tagged.register("QED", torch.ones(2, 16), base="tiny/llama-test", kind="function")
    third = tagged.push(["SMILES", "QED"], repo_id)
    assert third.committed
    assert set(third.files) == {
        "README.md", MANIFEST_FILE, "QED.v2.safetensors", "QED.v1.safetensors",
        "QED.v1.head.safetensors", "LICENSE.md",
    }
    files = set(hub.state.repos[repo_id].resolve("main").files)
    assert "QED.v1.safetensors" not in files and "QED.v2.safetensors" in files
    # QED@2 records no licence, so the pack is now plain "mit" and LICENSE.md is stale
    assert "LICENSE.md" not in files


def test_pinning_by_branch_tag_and_commit(hub, tagged, registry, base, tmp_path, repo_id) -> None:
    v1 = tagged.push(["SMILES"], repo_id)
    HfApi().create_tag(repo_id, tag="v1.0", revision=v1.commit_sha)
    tagged.register("SMILES", torch.full((3, 16), 2.0), base=base, kind="domain")
    v2 = tagged.push(["SMILES"], repo_id)
    exp = tagged.push(["SMILES@1"], repo_id, revision="experiment", commit_message="try v1")
    assert exp.committed and exp.revision == "experiment"
    assert len({v1.commit_sha, v2.commit_sha, exp.commit_sha}) == 3

    from tagregistry.registry import Registry

    cases = {
        f"{repo_id}@v1.0": (v1.commit_sha, 1),
        f"{repo_id}@{v1.commit_sha}": (v1.commit_sha, 1),
        f"{repo_id}@experiment": (exp.commit_sha, 1),
        repo_id: (v2.commit_sha, 2),
    }
    for index, (ref, (sha, version)) in enumerate(cases.items()):
        with Registry(f"sqlite:///{tmp_path}/pin{index}.db") as reg:
            (record,) = reg.pull(ref)
            assert record.source["pack"]["revision"] == sha, ref
            assert record.source["pack"]["version"] == version, ref
            assert torch.equal(reg.load("SMILES"), tagged.load(f"SMILES@{version}"))
    with Registry(f"sqlite:///{tmp_path}/kw.db") as reg:
        (record,) = reg.pull(repo_id, revision="v1.0")
        assert record.source["pack"]["revision"] == v1.commit_sha
    with pytest.raises(HubError, match="revision 'nope' does not exist"):
        registry.pull(f"{repo_id}@nope")
    with pytest.raises(HubError, match="use one"):
        registry.pull(f"{repo_id}@v1.0", revision="main")


def test_missing_repo_and_bad_names(other_registry) -> None:
    with pytest.raises(HubError, match="repository lab/does-not-exist not found"):
        other_registry.pull("lab/does-not-exist")
    for bad in ("no-slash", "a/b/c", "../x", "lab/x y"):
        with pytest.raises(HubError, match="invalid Hub repo"):
            other_registry.pull(bad)


def _upload(folder: Path, repo_id: str) -> str:
    api = HfApi()
    api.create_repo(repo_id, exist_ok=True)
    return api.upload_folder(repo_id=repo_id, folder_path=str(folder)).oid


def _tamper(pack: Path, how: str) -> None:
    manifest = json.loads((pack / MANIFEST_FILE).read_text())
    if how == "sha":
        path = pack / "SMILES.v1.safetensors"
        data = bytearray(path.read_bytes())
        data[-3] ^= 0x01
        path.write_bytes(bytes(data))
    elif how == "pickle":
        (pack / "pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")
    elif how == "traversal":
        manifest["tags"][0]["file"] = "../../../outside.safetensors"
    elif how == "name":
        manifest["tags"][0]["name"] = "<script>"
    elif how == "format":
        manifest["format_version"] = "2.0"
    elif how == "fingerprint":
        manifest["base_model"]["fingerprint"] = "0" * 64
    (pack / MANIFEST_FILE).write_text(json.dumps(manifest))


@pytest.mark.parametrize(("how", "error", "match"), [
    ("sha", PackCheckError, r"sha256 check failed for SMILES\.v1\.safetensors"),
    ("pickle", PackCheckError, r"pickle check failed for pytorch_model\.bin"),
    ("traversal", PackCheckError, "file name check failed"),
    ("name", PackCheckError, "tag name check failed"),
    ("format", PackFormatError, "format version 2.0 is not supported"),
    ("fingerprint", BaseModelMismatchError, "fingerprint 000000000000"),
])
def test_bad_remote_packs_register_nothing(
    hub, tagged, other_registry, base, tmp_path, repo_id, how, error, match
) -> None:
    pack = tagged.save_pack(["SMILES", "QED"], tmp_path / "pack")
    _tamper(pack, how)
    _upload(pack, repo_id)
    if how == "fingerprint":
        other_registry.register_base(base)
    with pytest.raises(error, match=match):
        other_registry.pull(repo_id)
    assert other_registry.list(all_versions=True) == []


@pytest.mark.parametrize(("mode", "error", "match"), [
    ("stored", PackCheckError, r"size check failed for QED\.v1\.safetensors: truncated"),
    ("short", HubError, "Consistency check failed"),
])
def test_truncated_downloads_are_refused(hub, tagged, other_registry, repo_id, mode, error, match) -> None:
    tagged.push(["SMILES", "QED"], repo_id)
    hub.state.truncate = {"QED.v1.safetensors": mode}
    with pytest.raises(error, match=match):
        other_registry.pull(repo_id)
    assert other_registry.list(all_versions=True) == [] and other_registry.bases() == []


def _cli(args: list[str], db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tagregistry.cli.main", "--db", f"sqlite:///{db}", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, **env},
    )


def test_lfs_upload_path_with_xet_disabled(hub, tagged, other_registry, tmp_path, repo_id) -> None:
    hub.state.lfs_patterns = ("*.safetensors",)
    done = _cli(["push", "SMILES", "QED", "--repo", repo_id, "--json"], tmp_path / "r.db",
                HF_HUB_DISABLE_XET="1")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["committed"]
    batch = [p for m, p in hub.state.requests if p == f"/{repo_id}.git/info/lfs/objects/batch"]
    assert batch, "the LFS batch endpoint was not used"
    files = hub.state.repos[repo_id].resolve("main").files
    assert files["QED.v1.safetensors"].lfs and not files[MANIFEST_FILE].lfs
    assert any(p.startswith("/lfs-verify/") for _, p in hub.state.requests)
    records = other_registry.pull(repo_id)
    assert {r.source["pack"]["revision"] for r in records} == {result["commit_sha"]}
    _equal_tags(tagged, other_registry)
    again = _cli(["push", "SMILES", "QED", "--repo", repo_id], tmp_path / "r.db",
                 HF_HUB_DISABLE_XET="1")
    assert again.returncode == 0 and "nothing to push" in again.stdout


def test_offline_pull_reads_the_cache(hub, tagged, tmp_path, repo_id) -> None:
    pushed = tagged.push(["SMILES", "QED"], repo_id)
    first = _cli(["pull", repo_id, "--json"], tmp_path / "online.db")
    assert first.returncode == 0, first.stderr
    seen = len(hub.state.requests)
    offline = _cli(["pull", repo_id, "--json"], tmp_path / "offline.db", HF_HUB_OFFLINE="1")
    assert offline.returncode == 0, offline.stderr
    assert len(hub.state.requests) == seen, "an offline pull reached the server"
    records = json.loads(offline.stdout)
    assert sorted(r["name"] for r in records) == ["QED", "SMILES"]
    assert {r["source"]["pack"]["revision"] for r in records} == {pushed.commit_sha}
    missing = _cli(["pull", "lab/never-pulled"], tmp_path / "offline.db", HF_HUB_OFFLINE="1")
    assert missing.returncode == 1
    assert "not in the local Hugging Face cache" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_cli_push_and_pull_in_process(hub, tagged, tmp_path, repo_id, capsys) -> None:
    db = f"sqlite:///{tmp_path}/r.db"
    assert main(["--db", db, "push", "SMILES", "QED@1", "--repo", repo_id, "--revision", "dev",
                 "--message", "first tags"]) == 0
    out = capsys.readouterr().out
    assert f"to {repo_id}@dev: commit" in out
    assert main(["--db", db, "push", "SMILES", "QED@1", "--repo", repo_id, "--revision", "dev"]) == 0
    assert "nothing to push" in capsys.readouterr().out
    other = f"sqlite:///{tmp_path}/other.db"
    assert main(["--db", other, "pull", f"{repo_id}@dev"]) == 0
    table = capsys.readouterr().out
    assert "SMILES" in table and "QED" in table and repo_id in table
    assert main(["--db", other, "pull", repo_id, "--revision", "missing-branch"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing-branch" in err and len(err.strip().splitlines()) == 1
    assert main(["--db", db, "push", "Nope", "--repo", repo_id]) == 1


def test_pull_downloads_only_the_files_the_manifest_lists(hub, tagged, other_registry, tmp_path,
                                                          repo_id) -> None:
    """Files the manifest does not list (here a large extra and a '..' path put into the
    commit directly, as no client would upload it) never reach this machine."""
    from hub_server import Blob

    pack = tagged.save_pack(["SMILES", "QED"], tmp_path / "pack")
    (pack / "extra").mkdir()
    (pack / "extra" / "big.txt").write_bytes(b"x" * 100_000)
    _upload(pack, repo_id)
    with hub.state.lock:
        repo = hub.state.repos[repo_id]
        head = repo.commits[repo.branches["main"]]
        files = {**head.files, "../evil.safetensors": Blob(b"not a tensor", lfs=False)}
        repo.branches["main"] = hub.state.new_commit(repo, head.sha, "add", files).sha
    hub.state.requests.clear()
    records = other_registry.pull(repo_id)
    assert sorted(r.name for r in records) == ["QED", "SMILES"]
    fetched = [path for _, path in hub.state.requests if "/resolve/" in path]
    assert fetched and not [p for p in fetched if "big.txt" in p or "evil" in p]
