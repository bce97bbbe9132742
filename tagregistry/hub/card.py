"""The pack's ``README.md`` model card: YAML front matter the Hub indexes, and a readable body."""

from __future__ import annotations

from typing import Any

from tagregistry.hub.manifest import FORMAT_VERSION, PackManifest


def front_matter(manifest: PackManifest) -> dict[str, Any]:
    """Metadata for the Hub: library, base model, tags, metric names, licences."""
    licences = sorted({t.license for t in manifest.tags if t.license})
    metric_names = sorted({m for t in manifest.tags for m in t.metrics})
    meta: dict[str, Any] = {
        "library_name": "tagregistry",
        "base_model": manifest.base_model.model_id,
        "tags": ["tagregistry", "tag-llm", *sorted({t.name for t in manifest.tags})],
    }
    if len(licences) == 1:
        meta["license"] = licences[0]
    elif licences:
        meta["license"] = "other"
        meta["license_name"] = "mixed: " + ", ".join(licences)
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
    }
    return meta


def render_card(manifest: PackManifest, repo_id: str | None = None) -> str:
    """The full ``README.md`` text."""
    import yaml

    meta = yaml.safe_dump(front_matter(manifest), sort_keys=False, allow_unicode=True)
    base = manifest.base_model
    where = repo_id or manifest.name
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
        head = f"{t.head.spec.type} ({t.head.spec.output_dim})" if t.head else "-"
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(t.metrics.items())) or "-"
        lines.append(
            f"| `{t.name}` | {t.version} | {t.kind} | {t.shape[0]} x {t.shape[1]} {t.dtype} "
            f"| {head} | {metrics} | {t.license or '-'} |"
        )
    described = [t for t in manifest.tags if t.description]
    if described:
        lines += ["", "## Descriptions", ""]
        lines += [f"- `{t.name}`: {t.description}" for t in described]
    lines += [
        "", "## Use", "", "```bash", f"tagregistry pull {where}", "```", "", "```python",
        "from tagregistry import Registry", "", "reg = Registry()", f'reg.pull("{where}")',
        "```", "",
        "Pull verifies every file's sha256, shape and dtype and the base model's fingerprint "
        "before it registers anything. The weights are safetensors; the pack holds no pickle.", "",
    ]
    return "\n".join(lines)
