"""The per-user model cache: location, override, and builds that race between processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tagregistry.models.cache import MODEL_CACHE_ENV, build_once, model_cache_dir


def test_default_is_the_user_cache_folder_shared_by_every_registry(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TAGREGISTRY_HOME", str(tmp_path / "one"))
    first = model_cache_dir()
    monkeypatch.setenv("TAGREGISTRY_HOME", str(tmp_path / "two"))
    assert model_cache_dir() == first
    if sys.platform.startswith("linux"):
        assert first == tmp_path / "xdg" / "tagregistry" / "models"


def test_environment_variable_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path / "mine"))
    assert model_cache_dir() == tmp_path / "mine"


def _valid(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    payload = folder / "weights.bin"
    return meta if payload.is_file() and payload.stat().st_size == meta["size"] else None


def test_stale_cache_is_replaced(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "meta.json").write_text('{"size": 99}')  # payload missing: not valid

    def build(folder: Path) -> None:
        (folder / "weights.bin").write_bytes(b"x" * 4)
        (folder / "meta.json").write_text('{"size": 4}')

    assert build_once(target, _valid, build) == {"size": 4}
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["model"]


def test_a_failed_build_leaves_no_cache(tmp_path):
    target = tmp_path / "model"

    def build(folder: Path) -> None:
        (folder / "weights.bin").write_bytes(b"half")
        raise RuntimeError("disk full (test)")

    with pytest.raises(RuntimeError):
        build_once(target, _valid, build)
    assert not target.exists()
    assert [p for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


RACER = textwrap.dedent('''
    import json, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from test_model_cache import _valid
    from tagregistry.models.cache import build_once

    target, log = Path(sys.argv[1]), Path(sys.argv[2])

    def build(folder):
        with log.open("a") as handle:
            handle.write("built\\n")
        data = b"w" * 2_000_000
        for _ in range(4):  # slow, chunked writes: a reader of a half-built cache would see it
            with (folder / "weights.bin").open("ab") as handle:
                handle.write(data[:500_000])
            time.sleep(0.3)
        (folder / "meta.json").write_text(json.dumps({"size": 2_000_000}))

    print(json.dumps(build_once(target, _valid, build)))
''')


def test_two_processes_building_at_once_build_once(tmp_path):
    target = tmp_path / "cache" / "model"
    log = tmp_path / "builds.log"
    script = tmp_path / "racer.py"
    script.write_text(RACER)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    racers = [subprocess.Popen([sys.executable, str(script), str(target), str(log),
                                str(Path(__file__).parent)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
              for _ in range(2)]
    outputs = [r.communicate(timeout=120) for r in racers]
    for racer, (out, err) in zip(racers, outputs, strict=True):
        assert racer.returncode == 0, err
        assert json.loads(out) == {"size": 2_000_000}
    assert log.read_text().splitlines() == ["built"]
    assert _valid(target) == {"size": 2_000_000}
    leftovers = [p.name for p in target.parent.iterdir() if p.name.startswith((".tmp", ".stale"))]
    assert leftovers == []
