"""Fixtures for tagregistry-lang: an isolated home, data cache and model cache, a registry,
and a tiny LibreOffice help tree (:mod:`lang_support`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lang_support import page_names, write_help


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("TAGREGISTRY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TAGREGISTRY_DATA_FILES", str(tmp_path / "data"))
    monkeypatch.setenv("TAGREGISTRY_MODEL_CACHE", os.environ.get("TAGREGISTRY_MODEL_CACHE")
                       or str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def help_tree(tmp_path) -> Path:
    return write_help(tmp_path / "extracted", page_names(12))


@pytest.fixture
def registry(tmp_path):
    from tagregistry.registry import Registry

    reg = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    yield reg
    reg.close()
