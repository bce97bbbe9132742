"""Run the installed ``tagregistry`` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TAGREGISTRY = Path(sys.executable).with_name("tagregistry")


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``tagregistry ARGS`` with the current environment plus ``env``; output captured as text.

    ``input`` is sent to its standard input (which is otherwise empty).
    """
    full_env = {**os.environ, **(env or {})}
    command = [str(TAGREGISTRY)] if TAGREGISTRY.exists() else [sys.executable, "-m", "tagregistry.cli.main"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=full_env, timeout=timeout,
        input=input if input is not None else "",
    )
