"""Score composed protein tags on the test splits through the public API (``compose`` + ``predict_batch``)."""

from __future__ import annotations

from typing import Any


def _records(registry: Any, function: str, options: dict[str, Any], limit: int | None) -> list[dict[str, Any]]:
    from tagregistry.plugins.manager import load_object

    spec = registry.catalog.get("functions", function)
    loader = load_object(registry.catalog.get("datasets", spec.dataset).loader)
    return loader(split="test", limit=limit, **options)


def evaluate_function(registry: Any, loaded: Any, function: str, domains: list[str],
                      options: dict[str, Any], limit: int | None = None,
                      batch_size: int = 32) -> dict[str, Any]:
    """Test metrics of ``<function>`` composed with ``domains``: regression MSE/MAE/Pearson r,
    classification ROC-AUC and accuracy."""
    from tagregistry.heads.metrics import accuracy, mae, mse, pearson

    records = _records(registry, function, options, limit)
    model = registry.compose(*domains, function, base=loaded)
    slots = model.binding(function).slots
    inputs = [{s: r[s] for s in slots} for r in records]
    spec = model.binding(function).spec
    if spec.output == "class":
        from sklearn.metrics import roc_auc_score

        positive = spec.head.labels[1]
        probs = model.predict_batch(inputs, output="probabilities", batch_size=batch_size)
        scores = [p[positive] for p in probs]
        truth = [float(r["label"] == positive) for r in records]
        return {"n": len(records), "roc_auc": float(roc_auc_score(truth, scores)),
                "accuracy": accuracy([float(s >= 0.5) for s in scores], truth)}
    preds = [float(p) for p in model.predict_batch(inputs, batch_size=batch_size)]
    truth = [float(r["label"]) for r in records]
    return {"n": len(records), "mse": mse(preds, truth), "mae": mae(preds, truth),
            "pearson": pearson(preds, truth)}


def showcase(registry: Any, loaded: Any, max_residues: int | None) -> list[dict[str, Any]]:
    """The ten KIBA test pairs of ``binding_affinity_examples`` with predictions."""
    from tagregistry_protein.showcase import binding_affinity_examples

    model = registry.compose("Protein", "SMILES", "BindingAffinity", base=loaded)
    rows = binding_affinity_examples(10, max_residues=max_residues)
    preds = model.predict_batch([{"protein": r["protein"], "smiles": r["smiles"]} for r in rows])
    return [{"protein_id": r["protein_id"], "ligand_id": r["ligand_id"],
             "measured": r["measured"], "predicted": float(p)} for r, p in zip(rows, preds, strict=True)]
