"""Pulling and installing tags that are already registered (issue 11 item 5, issue 12 bug 5)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest
import torch

from tagregistry.cli.main import main
from tagregistry.errors import InvalidNameError
from tagregistry.registry import Registry


def test_pull_twice_reports_already_registered(hub, tagged, tmp_path, repo_id, capsys) -> None:
    repo_id = "lab/pull-twice-" + repo_id.rsplit("-", 1)[1]  # no "already" in the name itself
    tagged.push(["SMILES", "QED"], repo_id)
    other = f"sqlite:///{tmp_path}/other.db"
    assert main(["--db", other, "pull", repo_id]) == 0
    first = capsys.readouterr().out
    assert first.count(" registered ") == 2 and "already" not in first and repo_id in first
    assert main(["--db", other, "pull", repo_id]) == 0
    again = capsys.readouterr().out
    assert again.count("already registered") == 2
    assert "?@?" not in again and "?" not in again
    with Registry(other) as reg:
        assert [r.version for r in reg.versions("QED")] == [1]
        records = reg.pull(repo_id)
        assert records.already_registered == list(records)
    # the publisher's own records are "already registered" too, not "FROM ?@?"
    assert main(["--db", f"sqlite:///{tmp_path}/r.db", "pull", repo_id]) == 0
    own = capsys.readouterr().out
    assert own.count("already registered") == 2 and "?@?" not in own


def test_pull_keeps_the_publishers_provenance(hub, tagged, tmp_path, repo_id) -> None:
    first_repo, second_repo = repo_id + "-a", repo_id + "-b"
    tagged.push(["QED"], first_repo)
    with Registry(f"sqlite:///{tmp_path}/relay.db") as relay:
        pulled = relay.pull(first_repo)[0]
        relay.push(["QED"], second_repo)
    with Registry(f"sqlite:///{tmp_path}/consumer.db") as consumer:
        record = consumer.pull(second_repo)[0]
    assert record.source["pack"]["repo"] == second_repo
    assert record.source["upstream"] == [{"pack": pulled.source["pack"]}]
    assert record.source["upstream"][0]["pack"]["repo"] == first_repo


def test_pack_kinds_must_match_installed_declarations(tagged, other_registry, base, tmp_path) -> None:
    """A pack (or import) cannot register a plugin-declared domain as a function tag."""
    tagged.register("SMILES", torch.ones(1, 16), base=base, kind="domain")
    # forge: a tag named like a declared domain but marked as a function
    registry = Registry(f"sqlite:///{tmp_path}/forge.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Registry, "check_kind", lambda *a: None)
        registry.register("SMILES", torch.ones(1, 16), base=base, kind="function")
    folder = registry.save_pack(["SMILES"], tmp_path / "pack")
    registry.close()
    declared = other_registry.declared_kind("SMILES")
    if declared is None:
        pytest.skip("no installed plugin declares SMILES (tagregistry-chem not installed)")
    with pytest.raises(InvalidNameError, match="declared a domain"):
        other_registry.load_pack(folder)
    assert other_registry.list(all_versions=True) == []


def _installer(url: str, folders: list[str], start_at: float, queue) -> None:  # type: ignore[no-untyped-def]
    try:
        with Registry(url) as reg:
            time.sleep(max(0.0, start_at - time.time()))
            created = []
            for folder in folders:
                records = reg.load_pack(folder)
                created += [r.ref for r in records if records.is_new(r)]
        queue.put(created)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        queue.put(f"{type(exc).__name__}: {exc}")


def _packs(tmp_path: Path, base, rounds: int) -> list[str]:
    """``rounds`` pack folders, each with its own two tags (distinct bytes)."""
    folders = []
    with Registry(f"sqlite:///{tmp_path}/publisher.db") as publisher:
        for i in range(rounds):
            gen = torch.Generator().manual_seed(i)
            refs = []
            for name, kind in (("SMILES", "domain"), ("Sol", "function")):
                refs.append(publisher.register(name, torch.randn(2, 16, generator=gen), base=base,
                                               kind=kind).ref)
            folders.append(str(publisher.save_pack(refs, tmp_path / f"pack{i}")))
    return folders


def _concurrent_installs(url: str, tmp_path: Path, base) -> None:
    """Regression (issue 12, bug 5): 4 concurrent installs of one pack made SMILES@1..4."""
    processes, rounds = 4, 5
    folders = _packs(tmp_path, base, rounds)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3.0
    workers = [context.Process(target=_installer, args=(url, folders, start_at, queue))
               for _ in range(processes)]
    for proc in workers:
        proc.start()
    results = [queue.get(timeout=180) for _ in workers]
    for proc in workers:
        proc.join(timeout=30)
    errors = [r for r in results if isinstance(r, str)]
    assert not errors, errors
    created = sorted(ref for refs in results for ref in refs)
    with Registry(url) as reg:
        versions = {name: [r.version for r in reg.versions(name)] for name in ("SMILES", "Sol")}
    assert versions == {"SMILES": list(range(1, rounds + 1)), "Sol": list(range(1, rounds + 1))}
    assert len(created) == 2 * rounds  # each tag registered by exactly one installer


def test_concurrent_installs_register_once_sqlite(tmp_path: Path, base) -> None:
    _concurrent_installs(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path, base)


@pytest.mark.postgres
def test_concurrent_installs_register_once_postgresql(pg_url: str, tmp_path: Path, base) -> None:
    _concurrent_installs(pg_url, tmp_path, base)
