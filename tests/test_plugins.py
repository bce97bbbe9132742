"""Plugin discovery through entry points, with real fake distributions (``*.dist-info``).

In-process tests put the fake site directory on ``sys.path``; CLI tests run the installed
``tagregistry`` script with ``PYTHONPATH`` pointing at it.
"""

from __future__ import annotations

import itertools
import json
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from support.cli import run_cli
from support.plugin_dists import (
    GOOD_PLUGIN,
    IMPORT_ERROR_PLUGIN,
    RAISING_HOOK_PLUGIN,
    make_plugin_dist,
)

from tagregistry.errors import InvalidNameError, PluginError
from tagregistry.plugins.manager import Catalog, PluginWarning, get_catalog, load_object

_IDS = itertools.count()
#: other installed plugins (e.g. tagregistry-chem) are disabled so that their state cannot
#: change what these tests see; the built-in plugin stays on
FOREIGN = sorted(
    ep.name for ep in entry_points(group="tagregistry") if ep.name != "builtin"
)


def disabled(*names: str) -> str:
    """A ``TAGREGISTRY_DISABLE_PLUGINS`` value: the foreign plugins plus ``names``."""
    return ",".join([*FOREIGN, *names])


def unique(stem: str) -> str:
    """A module/spec name not used by any other test in this process."""
    return f"{stem}{next(_IDS)}"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty site directory on ``sys.path`` (removed again after the test)."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    monkeypatch.delenv("TAGREGISTRY_STRICT_PLUGINS", raising=False)
    monkeypatch.setenv("TAGREGISTRY_DISABLE_PLUGINS", disabled())
    return path


def cli_env(site: Path, home: Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": str(site), "TAGREGISTRY_HOME": str(home),
            "TAGREGISTRY_DISABLE_PLUGINS": disabled(), **extra}


# -- the built-in plugin -------------------------------------------------------------------
def test_builtin_plugin_is_discovered_through_its_entry_point(monkeypatch) -> None:
    monkeypatch.setenv("TAGREGISTRY_DISABLE_PLUGINS", disabled())
    points = {ep.name: ep for ep in entry_points(group="tagregistry")}
    assert points["builtin"].value == "tagregistry.plugins.builtin"

    catalog = Catalog()
    builtin = catalog.plugins["builtin"]
    assert (builtin.status, builtin.distribution, builtin.error) == ("ok", "tagregistry", None)
    assert {"regression", "classification"} <= set(catalog.heads)
    assert {"plain", "characters"} <= set(catalog.tokenizers)
    assert "smollm2-135m" in catalog.base_models
    assert catalog.owner("heads", "regression").name == "builtin"
    assert load_object(catalog.tokenizers["characters"].factory)().render("MKT") == "M K T"
    # the process-wide catalog is cached; restore it afterwards so that this test's
    # disabled plugins do not leak into later tests
    monkeypatch.setattr("tagregistry.plugins.manager._CATALOG", None)
    assert get_catalog() is get_catalog()


def test_unknown_contribution_names_close_matches(monkeypatch) -> None:
    monkeypatch.setenv("TAGREGISTRY_DISABLE_PLUGINS", disabled())
    with pytest.raises(PluginError) as info:
        Catalog().get("heads", "regresion")
    assert "did you mean regression" in str(info.value)
    with pytest.raises(PluginError, match="cannot load"):
        load_object("tagregistry.heads_missing:Nothing")


# -- third-party plugins in-process ----------------------------------------------------------
def test_good_third_party_plugin_contributes(site: Path) -> None:
    module, domain, function = unique("goodplug"), unique("Dom"), unique("Fn")
    make_plugin_dist(site, "tagregistry-good", module, module,
                     GOOD_PLUGIN.format(domain=domain, function=function), version="2.3")
    catalog = Catalog()
    info = catalog.plugins[module]
    assert (info.status, info.distribution, info.version) == ("ok", "tagregistry-good", "2.3")
    assert info.contributes == {"domains": [domain], "functions": [function]}
    assert catalog.functions[function].slots[0].domains == [domain]
    assert catalog.owner("domains", domain).distribution == "tagregistry-good"


def test_plugin_that_fails_to_import_is_broken_with_a_warning(site: Path) -> None:
    module = unique("badimport")
    make_plugin_dist(site, "tagregistry-badimport", module, module, IMPORT_ERROR_PLUGIN)
    with pytest.warns(PluginWarning, match="notinstalled") as warned:
        catalog = Catalog()
    assert "tagregistry-badimport" in str(warned[0].message)
    info = catalog.plugins[module]
    assert info.status == "broken"
    assert "import failed" in info.error and "ImportError" in info.error
    assert catalog.plugins["builtin"].status == "ok"  # the others still load
    assert "regression" in catalog.heads


def test_plugin_whose_hook_raises_loses_all_contributions(site: Path) -> None:
    module, domain, tokenizer = unique("raiser"), unique("RaiseDom"), unique("raisetok")
    make_plugin_dist(site, "tagregistry-raiser", module, module,
                     RAISING_HOOK_PLUGIN.format(domain=domain, tokenizer=tokenizer))
    with pytest.warns(PluginWarning, match="function table is corrupt"):
        catalog = Catalog()
    info = catalog.plugins[module]
    assert info.status == "broken"
    assert "tagregistry_functions" in info.error
    assert info.contributes == {}
    assert domain not in catalog.domains  # contributed before the raise: dropped
    assert tokenizer not in catalog.tokenizers  # would come after: never collected
    assert ("domains", domain) not in catalog.owners


def test_strict_mode_makes_a_broken_plugin_fatal(site: Path, monkeypatch) -> None:
    module = unique("strictbad")
    make_plugin_dist(site, "tagregistry-strictbad", module, module, IMPORT_ERROR_PLUGIN)
    monkeypatch.setenv("TAGREGISTRY_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError) as info:
        Catalog()
    assert "tagregistry-strictbad" in str(info.value) and "TAGREGISTRY_STRICT_PLUGINS" in str(info.value)


def test_disabled_plugin_is_not_imported(site: Path, monkeypatch) -> None:
    module, domain, function = unique("disabled"), unique("OffDom"), unique("OffFn")
    make_plugin_dist(site, "tagregistry-off", module, module,
                     GOOD_PLUGIN.format(domain=domain, function=function))
    monkeypatch.setenv("TAGREGISTRY_DISABLE_PLUGINS", f"someother, {disabled(module)}")
    catalog = Catalog()
    assert catalog.plugins[module].status == "disabled"
    assert domain not in catalog.domains
    assert module not in sys.modules


def test_two_plugins_with_the_same_domain_name_clash(site: Path) -> None:
    domain = unique("Shared")
    first, second = unique("clasha"), unique("clashb")
    make_plugin_dist(site, "tagregistry-first", first, first,
                     GOOD_PLUGIN.format(domain=domain, function=unique("F")))
    make_plugin_dist(site, "tagregistry-second", second, second,
                     GOOD_PLUGIN.format(domain=domain, function=unique("F")))
    with pytest.raises(PluginError) as info:
        Catalog()
    message = str(info.value)
    assert f"domain '{domain}'" in message
    assert "tagregistry-first" in message and "tagregistry-second" in message


def test_plugin_returning_invalid_specs_is_broken(site: Path) -> None:
    module = unique("invalidspec")
    make_plugin_dist(site, "tagregistry-invalid", module, module, '''
from tagregistry.plugins import hookimpl


@hookimpl
def tagregistry_domains():
    return [{"name": "../etc"}]
''')
    with pytest.warns(PluginWarning, match="invalid DomainSpec"):
        catalog = Catalog()
    assert catalog.plugins[module].status == "broken"


# -- the CLI ----------------------------------------------------------------------------------
def test_cli_lists_plugins_with_broken_ones(tmp_path: Path) -> None:
    site = tmp_path / "site"
    good, bad = unique("cligood"), unique("clibad")
    make_plugin_dist(site, "tagregistry-cligood", good, good,
                     GOOD_PLUGIN.format(domain="CliDom", function="CliFn"), version="0.4")
    make_plugin_dist(site, "tagregistry-clibad", bad, bad, IMPORT_ERROR_PLUGIN)
    env = cli_env(site, tmp_path)

    done = run_cli("plugins", env=env)
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert "ok" in lines["builtin"] and "regression" in lines["builtin"]
    assert "tagregistry-cligood" in lines[good] and "0.4" in lines[good]
    assert "domains: CliDom" in lines[good]
    assert "broken" in lines[bad] and "notinstalled" in lines[bad]

    done = run_cli("plugins", "--json", env=env)
    assert done.returncode == 0, done.stderr
    plugins = {p["name"]: p for p in json.loads(done.stdout)}
    assert plugins[bad]["status"] == "broken" and "ImportError" in plugins[bad]["error"]
    assert plugins[bad]["distribution"] == "tagregistry-clibad"
    assert plugins[good]["contributes"] == {"domains": ["CliDom"], "functions": ["CliFn"]}
    assert plugins["builtin"]["status"] == "ok"


def test_cli_strict_mode_exits_1_with_one_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    bad = unique("strictcli")
    make_plugin_dist(site, "tagregistry-strictcli", bad, bad, IMPORT_ERROR_PLUGIN)
    done = run_cli("plugins", env=cli_env(site, tmp_path, TAGREGISTRY_STRICT_PLUGINS="1"))
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: plugin") and "tagregistry-strictcli" in lines[0]


def test_cli_disable_skips_a_plugin(tmp_path: Path) -> None:
    site = tmp_path / "site"
    bad = unique("skipme")
    make_plugin_dist(site, "tagregistry-skipme", bad, bad, IMPORT_ERROR_PLUGIN)
    env = cli_env(site, tmp_path, TAGREGISTRY_STRICT_PLUGINS="1",
                  TAGREGISTRY_DISABLE_PLUGINS=disabled(bad))
    done = run_cli("plugins", "--json", env=env)
    assert done.returncode == 0, done.stderr
    plugins = {p["name"]: p for p in json.loads(done.stdout)}
    assert plugins[bad]["status"] == "disabled" and plugins[bad]["error"] is None


def test_cli_reports_clashing_plugins(tmp_path: Path) -> None:
    site = tmp_path / "site"
    first, second = unique("dupa"), unique("dupb")
    make_plugin_dist(site, "tagregistry-dup-a", first, first,
                     GOOD_PLUGIN.format(domain="Twice", function="FnA"))
    make_plugin_dist(site, "tagregistry-dup-b", second, second,
                     GOOD_PLUGIN.format(domain="Twice", function="FnB"))
    done = run_cli("plugins", env=cli_env(site, tmp_path))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "tagregistry-dup-a" in lines[0] and "tagregistry-dup-b" in lines[0]
    assert "'Twice'" in lines[0]


def test_register_refuses_a_kind_that_contradicts_the_plugins(registry, base_record) -> None:
    """SMILES is a domain in tagregistry-chem: registering it as a function would break compose."""
    import numpy as np

    if "SMILES" not in get_catalog(refresh=True).domains:
        pytest.skip("tagregistry-chem is not installed")
    tensor = np.zeros((1, 8), np.float32)
    with pytest.raises(InvalidNameError, match=r"declared a domain by the installed plugin 'chem'"):
        registry.register("SMILES", tensor, base=base_record, kind="function")
    with pytest.raises(InvalidNameError, match="declared a function"):
        registry.register("QED", tensor, base=base_record, kind="domain")
    assert registry.list() == [] and registry.bases() == []
    assert registry.register("SMILES", tensor, base=base_record).kind == "domain"  # inferred
    assert registry.register("MyTag", tensor, base=base_record, kind="function").kind == "function"
