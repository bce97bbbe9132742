"""Base models: registered in the same transaction as their first tag; listed and pruned."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.cli import run_cli

from tagregistry import tensors
from tagregistry.errors import BaseModelMismatchError, InvalidNameError, NotFoundError
from tagregistry.exchange import FORMAT
from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord
from tagregistry.store.writes import NewTag

HIDDEN = 8


def vectors(value: float, dim: int = HIDDEN) -> np.ndarray:
    return np.full((2, dim), value, np.float32)


def _export_with_base(source: Registry, ref: str, path: Path, **base_changes: object) -> Path:
    """Export ``ref`` with its record's base model edited (a forged or mistaken file)."""
    record = source.get(ref)
    edited = record.model_copy(update={"base": record.base.model_copy(update=base_changes)})
    meta = {"format": FORMAT, "record": edited.model_dump_json()}
    path.write_bytes(tensors.encode({tensors.TAG_KEY: source.load(record)}, metadata=meta))
    return path


def test_failed_import_leaves_no_base_behind(db_registry, tmp_path: Path, base_record) -> None:
    """Regression (issue 12, bug 2): a refused import registered its base model anyway."""
    with Registry(f"sqlite:///{tmp_path / 'publisher.db'}") as publisher:
        publisher.register("QED", vectors(1), base=base_record, kind="function")
        publisher.export("QED", tmp_path / "good.safetensors")
        _export_with_base(publisher, "QED", tmp_path / "bad.safetensors", hidden_size=HIDDEN * 2,
                          fingerprint="9" * 64)
    reg = db_registry
    with pytest.raises(BaseModelMismatchError, match="hidden size 16"):
        reg.import_file(tmp_path / "bad.safetensors")
    assert reg.bases() == []
    record = reg.import_file(tmp_path / "good.safetensors")  # the valid file is not refused
    assert record.base == base_record and reg.bases() == [base_record]


def test_failed_register_leaves_no_base_behind(db_registry, base_record) -> None:
    reg = db_registry
    with pytest.raises(BaseModelMismatchError):
        reg.register("QED", vectors(1, dim=HIDDEN + 1), base=base_record, kind="function")
    assert reg.bases() == []
    with pytest.raises(InvalidNameError):
        reg.store.register_many([
            NewTag(name="QED", tensor=vectors(1), kind="function", base=base_record),
            NewTag(name="../bad", tensor=vectors(1), kind="function", base=base_record),
        ])
    assert reg.bases() == []


def test_list_and_delete_unused_bases(db_registry, base_record, other_base) -> None:
    reg = db_registry
    reg.register("QED", vectors(1), base=base_record, kind="function")
    reg.register("QED", vectors(2), base=base_record, kind="function")
    reg.register_base(other_base)
    assert reg.base_usage() == [(base_record, 2), (other_base, 0)]
    assert reg.bases(unused=True) == [other_base]

    with pytest.raises(InvalidNameError, match="used by 2 tag"):
        reg.delete_base("tiny-test")
    with pytest.raises(NotFoundError, match="tiny-other"):
        reg.delete_base("tiny-othr")
    assert reg.delete_base("tiny-other@main") == other_base
    assert reg.bases() == [base_record]

    reg.delete("QED@1")
    reg.delete("QED@2")
    assert reg.delete_base(base_record) == base_record
    assert reg.bases() == []
    # counters went with the base: its tags start again at version 1
    assert reg.register("QED", vectors(3), base=base_record, kind="function").version == 1


def test_bases_cli(tmp_path: Path, base_record, other_base) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with Registry(url) as reg:
        reg.register("QED", vectors(1), base=base_record, kind="function")
        reg.register_base(other_base)
    done = run_cli("--db", url, "bases", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["model_id"], r["tags"]) for r in rows] == [("tiny-test", 1), ("tiny-other", 0)]
    done = run_cli("--db", url, "bases", "list", "--unused")
    assert "tiny-other" in done.stdout and "tiny-test" not in done.stdout

    done = run_cli("--db", url, "bases", "delete", "tiny-test")
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "used by 1 tag" in done.stderr
    done = run_cli("--db", url, "bases", "delete")
    assert done.returncode == 1 and "--unused" in done.stderr
    done = run_cli("--db", url, "bases", "delete", "--unused")
    assert done.returncode == 0 and done.stdout.strip() == "deleted base model tiny-other@main"
    with Registry(url) as reg:
        assert reg.bases() == [base_record]


def test_changed_weights_under_the_same_id_are_still_refused(db_registry, base_record) -> None:
    reg = db_registry
    reg.register("QED", vectors(1), base=base_record, kind="function")
    changed = BaseModelRecord(model_id="tiny-test", hidden_size=HIDDEN, fingerprint="f" * 64)
    with pytest.raises(BaseModelMismatchError, match="fingerprint"):
        reg.register("QED", vectors(2), base=changed, kind="function")
    assert reg.bases() == [base_record]


def test_deleting_several_bases_says_which_was_not_deleted(tmp_path: Path, base_record, other_base) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with Registry(url) as reg:
        reg.register("QED", vectors(1), base=base_record, kind="function")
        reg.register_base(other_base)
    done = run_cli("--db", url, "bases", "delete", "tiny-other", "tiny-test")
    assert done.returncode == 1 and done.stdout == "deleted base model tiny-other@main\n"
    assert "nothing was deleted" not in done.stderr
    assert done.stderr.strip().endswith("tiny-test@main was not deleted")
