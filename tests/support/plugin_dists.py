"""Fake third-party plugin distributions: a real ``*.dist-info`` folder plus a module.

``importlib.metadata.entry_points`` finds them once their folder is on ``sys.path`` (or on
``PYTHONPATH`` for a subprocess), exactly as it finds an installed wheel.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

GROUP = "tagregistry"

#: a plugin module contributing one domain and one function through hooks
GOOD_PLUGIN = '''
from tagregistry.plugins import hookimpl
from tagregistry.specs import DomainSpec, FunctionSpec, HeadSpec


@hookimpl
def tagregistry_domains():
    return [DomainSpec(name="{domain}", description="a test domain")]


@hookimpl
def tagregistry_functions():
    return [FunctionSpec(
        name="{function}", template="The value of {{{domain}:x}} is {{{function}}}",
        slots=[{{"name": "x", "domains": ["{domain}"]}}], head=HeadSpec(type="regression"),
    )]
'''

#: a plugin whose module raises at import
IMPORT_ERROR_PLUGIN = '''
raise ImportError("this plugin needs the package 'notinstalled' (test)")
'''

#: a plugin whose domain hook works but whose function hook raises
RAISING_HOOK_PLUGIN = '''
from tagregistry.plugins import hookimpl
from tagregistry.specs import DomainSpec, TokenizerSpec


@hookimpl
def tagregistry_domains():
    return [DomainSpec(name="{domain}")]


@hookimpl
def tagregistry_functions():
    raise RuntimeError("function table is corrupt (test)")


@hookimpl
def tagregistry_tokenizers():
    return [TokenizerSpec(name="{tokenizer}", factory="tagregistry.engine.domain_tokenizers:PlainTokenizer")]
'''


def make_plugin_dist(
    site: Path, dist: str, entry_name: str, module: str, source: str, version: str = "1.0"
) -> Path:
    """Write ``module.py`` and ``<dist>-<version>.dist-info`` under ``site``; return ``site``."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{entry_name} = {module}\n")
    (info / "top_level.txt").write_text(f"{module}\n")
    return site
