"""``tagregistry.installed``: the plugins and data packages the CLI lists, without a registry."""

from __future__ import annotations

import pytest

from tagregistry.errors import InputError
from tagregistry.installed import data_packages, plugins


def test_data_packages_are_chosen_by_plugin_distribution_or_package_name() -> None:
    everything = data_packages()
    assert [spec.name for _, spec in everything] == sorted(spec.name for _, spec in everything)
    protein = {spec.name for plugin, spec in everything if plugin == "protein"}
    assert protein  # the in-repo protein plugin reads modlamp and pydebiaseddta
    assert {spec.name for _, spec in data_packages(["protein"])} == protein
    assert {spec.name for _, spec in data_packages(["tagregistry-protein"])} == protein
    one = sorted(protein)[0]
    assert [(p, s.name) for p, s in data_packages([one])] == [("protein", one)]


def test_an_unknown_name_is_one_error_listing_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"no plugin or data package named 'nosuch'; known: .*protein"):
        data_packages(["protein", "nosuch"])


def test_plugins_lists_each_with_its_status() -> None:
    found = {info["name"]: info for info in plugins()}
    assert found["builtin"]["status"] == "ok" and found["protein"]["distribution"] == "tagregistry-protein"
    assert set(found["protein"]) == {"name", "distribution", "version", "status", "error", "contributes"}
