"""Where converted base models and fingerprints are cached.

One cache per user, shared by every registry: ``$TAGREGISTRY_MODEL_CACHE`` if set, else
the platform's user cache folder for ``tagregistry`` (on Linux ``~/.cache/tagregistry/models``).
Writes go through :mod:`tagregistry.cache_folders` (file lock, temporary sibling, atomic rename).
"""

from __future__ import annotations

import os
from pathlib import Path

# the safe-write helpers, importable from here as before (plugins use them)
from tagregistry.cache_folders import LOCK_TIMEOUT_S as LOCK_TIMEOUT_S
from tagregistry.cache_folders import atomic_directory as atomic_directory
from tagregistry.cache_folders import build_once as build_once
from tagregistry.cache_folders import cache_lock as cache_lock
from tagregistry.cache_folders import folder_setting
from tagregistry.cache_folders import read_json as read_json
from tagregistry.cache_folders import write_json_atomic as write_json_atomic

MODEL_CACHE_ENV = "TAGREGISTRY_MODEL_CACHE"


def model_cache_dir() -> Path:
    """``$TAGREGISTRY_MODEL_CACHE``, or ``models`` in the user cache folder of ``tagregistry``."""
    env = os.environ.get(MODEL_CACHE_ENV)
    if env:
        return folder_setting(Path(env).expanduser(), MODEL_CACHE_ENV)
    from platformdirs import user_cache_path

    return user_cache_path("tagregistry", appauthor=False) / "models"
