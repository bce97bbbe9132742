"""Import cost: the package, the registry and the CLI's parser never load heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tagregistry

HEAVY = ("torch", "transformers", "rdkit")

_PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _heavy_modules_after(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import tagregistry",
        "import tagregistry.registry",
        "from tagregistry import Registry, TagRecord, HeadPayload, TagRegistryError",
        "import tagregistry.cli.main as m; m.build_parser()",
        (
            "from tagregistry.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit as exc:\n    assert exc.code == 0"
        ),
    ],
    ids=["package", "registry", "lazy-names", "parser", "help"],
)
def test_light_imports(code: str) -> None:
    assert _heavy_modules_after(code) == []


def test_listing_and_resolving_stay_light(tmp_path) -> None:
    """Registering numpy tags, listing and resolving them never needs torch."""
    code = (
        "import numpy as np\n"
        "from tagregistry.registry import Registry\n"
        "from tagregistry.specs import BaseModelRecord\n"
        f"reg = Registry('sqlite:///{tmp_path / 'r.db'}')\n"
        "base = BaseModelRecord(model_id='tiny-test', hidden_size=8, fingerprint='0' * 64)\n"
        "reg.register('QED', np.zeros((1, 8), np.float32), base=base, kind='function')\n"
        "reg.get('QED'); reg.get('QED@1'); reg.list(); reg.versions('QED')\n"
        "from tagregistry.cli.main import main\n"
        f"assert main(['--db', 'sqlite:///{tmp_path / 'r.db'}', 'list']) == 0"
    )
    assert _heavy_modules_after(code) == []


def test_console_script_help_is_fast_and_complete() -> None:
    from support.cli import run_cli

    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("plugins", "list", "show", "versions", "delete", "export", "import", "db"):
        assert command in done.stdout


def test_lazy_public_names() -> None:
    assert set(tagregistry.__all__) == {"__version__", *tagregistry._LAZY}
    for name in tagregistry._LAZY:
        assert getattr(tagregistry, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        tagregistry.Nope  # noqa: B018
