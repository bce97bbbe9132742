"""The pack's ``README.md`` model card: YAML front matter the Hub indexes, and a readable body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagregistry.hub.licenses import LICENSE_FILE, license_file_text, license_metadata
from tagregistry.hub.manifest import CARD_FILE, FORMAT_VERSION, PackManifest
from tagregistry.hub.requirements import install_hint
from tagregistry.models.loading import DEFAULT_BASE


def front_matter(manifest: PackManifest) -> dict[str, Any]:
    """Metadata for the Hub: library, base model, tags, metric names, licence, requirements.

    ``license`` is one of the Hub's listed ids, or ``other`` with ``license_name`` and
    ``license_link`` (see :mod:`tagregistry.hub.licenses`).
    """
    metric_names = sorted({m for t in manifest.tags for m in t.metrics})
    meta: dict[str, Any] = {
        "library_name": "tagregistry",
        "base_model": manifest.base_model.model_id,
        "tags": ["tagregistry", "tag-llm", *sorted({t.name for t in manifest.tags})],
        **license_metadata(t.license for t in manifest.tags),
    }
    if metric_names:
        meta["metrics"] = metric_names
    meta["tagregistry"] = {
        "format_version": FORMAT_VERSION,
        "base_model_revision": manifest.base_model.revision,
        "base_model_fingerprint": manifest.base_model.fingerprint,
        "tags": [
            {
                "name": t.name, "version": t.version, "kind": t.kind,
                **({"license": t.license} if t.license else {}),
                **({"metrics": dict(sorted(t.metrics.items()))} if t.metrics else {}),
            }
            for t in manifest.tags
        ],
        **({"requires": [r.model_dump() for r in manifest.requires]} if manifest.requires else {}),
    }
    return meta


def render_card(manifest: PackManifest, repo_id: str | None = None,
                shipped_by: str | None = None) -> str:
    """The full ``README.md`` text (see :func:`write_card` for ``repo_id`` and ``shipped_by``)."""
    import yaml

    meta = yaml.safe_dump(front_matter(manifest), sort_keys=False, allow_unicode=True)
    base = manifest.base_model
    lines = [
        "---", meta.rstrip("\n"), "---", "",
        f"# {manifest.name}: Tag-LLM tags for {base.model_id}", "",
        "Learned input tags (Tag-LLM, arXiv 2402.05140) published with "
        f"[tagregistry](https://pypi.org/project/tagregistry/) {manifest.library.get('version', '')}.",
        f"They are bound to the base model `{base.model_id}` at revision `{base.revision}` "
        f"(hidden size {base.hidden_size}, embedding fingerprint `{base.fingerprint[:16]}`).", "",
        "| tag | version | kind | vectors | head | metrics | licence |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in manifest.tags:
        head = "-"
        if t.head:
            hidden = f", hidden {t.head.spec.hidden}" if t.head.spec.hidden else ""
            head = f"{t.head.spec.type} ({t.head.spec.output_dim}{hidden})"
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(t.metrics.items())) or "-"
        lines.append(
            f"| `{t.name}` | {t.version} | {t.kind} | {t.shape[0]} x {t.shape[1]} {t.dtype} "
            f"| {head} | {metrics} | {t.license or '-'} |"
        )
    described = [t for t in manifest.tags if t.description]
    if described:
        lines += ["", "## Descriptions", ""]
        lines += [f"- `{t.name}`: {t.description}" for t in described]
    lines += _requirements_section(manifest)
    lines += _use_section(manifest, repo_id, shipped_by)
    return "\n".join(lines)


def _requirements_section(manifest: PackManifest) -> list[str]:
    if not manifest.requires:
        return []
    lines = ["", "## Requirements", "",
             "Composing these tags needs the plugins that declare their domains and functions:", ""]
    for r in manifest.requires:
        made = f" (the pack was made with {r.version})" if r.version else ""
        lines.append(f"- `{r.distribution}`{made}: {', '.join(f'`{n}`' for n in r.provides)}")
    return [*lines, "", "```bash", install_hint(manifest.requires), "```"]


def _use_section(manifest: PackManifest, repo_id: str | None, shipped_by: str | None) -> list[str]:
    """How a consumer registers this pack: pull (Hub), install-pack (plugin) or load-pack."""
    # a pack may hold two versions of a name (a newer domain tag beside the one its
    # functions were trained with): compose names each once and picks the version
    names = list(dict.fromkeys(t.name for t in manifest.tags))
    domains = list(dict.fromkeys(t.name for t in manifest.tags if t.kind == "domain"))
    functions = list(dict.fromkeys(t.name for t in manifest.tags if t.kind == "function"))
    lines = ["", "## Use", ""]
    if repo_id:
        shell, python = f"tagregistry pull {repo_id}", f'reg.pull("{repo_id}")'
        intro = "Pull it from the Hub into your registry:"
    elif shipped_by:
        shell = f"tagregistry install-pack {manifest.name}"
        python = f'reg.install_pack("{manifest.name}")'
        intro = f"The pack ships inside the `{shipped_by}` distribution; install it into your registry:"
    else:
        shell = f"tagregistry load-pack {manifest.name}        # this folder"
        python = f'reg.load_pack("{manifest.name}")        # this folder'
        intro = ("Load this folder into your registry (share it with `tagregistry push "
                 f"{' '.join(names)} --repo ORG/NAME`; others then `tagregistry pull ORG/NAME`):")
    lines += [intro, ""]
    if shell:
        lines += ["```bash", shell, "```", ""]
    compose = ", ".join(f'"{n}"' for n in [*domains, *functions])
    bases = {t.source.get("base_name") for t in manifest.tags}
    named = bases.pop() if len(bases) == 1 else None
    on_base = isinstance(named, str) and named and named != DEFAULT_BASE
    compose += f', base="{named}"' if on_base else ""
    lines += ["```python", "from tagregistry import Registry", "", "reg = Registry()", python]
    if functions:
        lines.append(f"model = reg.compose({compose})")
    lines += ["```", ""]
    if functions:
        flag = f" --base {named}" if on_base else ""
        lines += [f"Predict a file from the shell: `tagregistry predict {' '.join(names)}{flag} "
                  "--input rows.csv` (one column per input slot).", ""]
    lines += [
        "Every file's sha256, shape and dtype and the base model's fingerprint are verified "
        "before anything is registered. The weights are safetensors; the pack holds no pickle.", "",
    ]
    return lines


def write_card(folder: Path, manifest: PackManifest, *, repo_id: str | None = None,
               shipped_by: str | None = None) -> None:
    """Write ``README.md`` (and ``LICENSE.md`` when the licence is ``other``) into ``folder``.

    The "Use" section pulls from ``repo_id`` when given, installs through the plugin
    distribution ``shipped_by`` when given, and loads the folder otherwise.
    """
    meta = license_metadata(t.license for t in manifest.tags)
    (folder / CARD_FILE).write_text(render_card(manifest, repo_id, shipped_by), encoding="utf-8")
    if meta.get("license") == "other":
        licences = {t.ref: t.license for t in manifest.tags}
        (folder / LICENSE_FILE).write_text(license_file_text(manifest.name, licences),
                                           encoding="utf-8")
