"""Property tests: any name or reference, through the Python API and the CLI, either works
or raises one of our error classes — never a raw ``AttributeError``, ``TypeError``,
database error or traceback. Also arbitrary nested sources and manifests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagregistry.cli.main import main
from tagregistry.errors import TagRegistryError
from tagregistry.names import NAME_PATTERN
from tagregistry.registry import Registry
from tagregistry.specs import BaseModelRecord

HIDDEN = 8
BASE = BaseModelRecord(model_id="tiny-test", hidden_size=HIDDEN, fingerprint="0" * 64)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# -- strategies ---------------------------------------------------------------------------
valid_names = st.from_regex(NAME_PATTERN, fullmatch=True)
#: near misses: valid names with a bad character inserted or appended
bad_characters = st.sampled_from(list(" @<>/\\.:\x00\x1b\n\t\u202eé") + ["", "@@", "<", ">"])
near_names = st.builds(lambda name, cut, bad: name[:cut] + bad + name[cut:],
                       valid_names, st.integers(0, 70), bad_characters)
names = st.one_of(valid_names, near_names, st.text(max_size=80))
versions = st.one_of(st.integers(-3, 10**20).map(str), st.text(max_size=6))
references = st.one_of(
    names,
    st.builds(lambda n, v: f"{n}@{v}", names, versions),
    st.builds(lambda n, v: f"<{n}@{v}>", valid_names, versions),
)
not_strings = st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=8),
                        st.lists(st.text(max_size=3), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), children,
                                               max_size=3),
                               st.tuples(children, children)),
    max_leaves=30,
)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory):
    """One registry holding QED@1, QED@2 and SMILES@1 for the whole module."""
    path = tmp_path_factory.mktemp("properties") / "r.db"
    reg = Registry(f"sqlite:///{path}")
    for _ in range(2):
        reg.register("QED", np.ones((2, HIDDEN), np.float32), base=BASE, kind="function")
    reg.register("SMILES", np.zeros((1, HIDDEN), np.float32), base=BASE, kind="domain")
    yield reg
    reg.close()


def _ours_or_success(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return call(*args, **kwargs)
    except TagRegistryError:
        return None


@PROPERTY
@given(name=st.one_of(names, not_strings))
def test_register_any_name(registry: Registry, name: object) -> None:
    record = _ours_or_success(registry.register, name, np.ones((1, HIDDEN), np.float32),
                              base=BASE, kind="domain")
    if record is not None:
        assert isinstance(name, str) and NAME_PATTERN.match(name)
        assert registry.get(f"{name}@{record.version}").sha256 == record.sha256
    else:
        assert not (isinstance(name, str) and NAME_PATTERN.match(name))


@PROPERTY
@given(ref=st.one_of(references, not_strings))
def test_lookups_any_reference(registry: Registry, ref: object) -> None:
    record = _ours_or_success(registry.get, ref)
    if record is not None:
        assert record.name in ("QED", "SMILES") or NAME_PATTERN.match(record.name)
    _ours_or_success(registry.versions, ref)
    _ours_or_success(registry.load, ref)
    _ours_or_success(registry.get, ref, base=BASE)
    deleted = _ours_or_success(registry.delete, ref, base="no-such-base")
    assert deleted is None  # no tag lives on that base


@PROPERTY
@given(ref=references)
def test_cli_show_any_reference(registry: Registry, ref: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["--db", registry.url, "show", ref])
    except SystemExit as exc:  # argparse: a reference that looks like an option
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    if code == 1:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and out == ""
    assert "\x1b" not in out + err and "Traceback" not in err


@PROPERTY
@given(source=json_values)
def test_register_any_source(registry: Registry, source: object) -> None:
    record = _ours_or_success(registry.register, "Src", np.ones((1, HIDDEN), np.float32),
                              base=BASE, kind="domain", source=source)
    if record is not None:
        stored = registry.get(record.ref).source
        expected = {} if source is None else json.loads(json.dumps(source))
        assert stored == record.source == expected


@PROPERTY
@given(manifest=json_values, wrap=st.booleans())
def test_load_pack_any_manifest(registry: Registry, tmp_path_factory: pytest.TempPathFactory,
                                manifest: object, wrap: bool) -> None:
    folder = tmp_path_factory.mktemp("pack")
    if wrap:  # get past the format check so the rest of the manifest is read
        manifest = {"format": "tagregistry.pack", "format_version": "1.0", "tags": manifest}
    (folder / "tagpack.json").write_text(json.dumps(manifest))
    before = len(registry.list(all_versions=True))
    with pytest.raises(TagRegistryError):
        registry.load_pack(folder)
    assert len(registry.list(all_versions=True)) == before


def test_strategies_reach_both_outcomes(registry: Registry) -> None:
    """The name strategy produces valid and invalid names (so the property means something)."""
    assert _ours_or_success(registry.get, "QED@2") is not None
    assert _ours_or_success(registry.get, "QED@0") is None
    assert _ours_or_success(registry.register, "Ok-1", np.ones((1, HIDDEN), np.float32),
                            base=BASE, kind="domain") is not None
    assert Path(registry.db_path or "").is_file()
