"""Baselines that need no training loop: training mean, nearest neighbour, ridge probe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

RIDGE_ALPHAS = np.logspace(-3, 5, 17)


def mean_baseline(train_y: Sequence[float], n_test: int) -> list[float]:
    """The training mean for every test molecule."""
    return [float(np.mean(train_y))] * n_test


def morgan_bits(smiles: Sequence[str], radius: int = 2, n_bits: int = 2048) -> list[Any]:
    """RDKit Morgan fingerprints (bit vectors) of canonical SMILES."""
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    return [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]


def nearest_neighbour(train_smiles: Sequence[str], train_y: Sequence[float],
                      test_smiles: Sequence[str]) -> list[float]:
    """The label of the most Tanimoto-similar training molecule (Morgan r=2, 2,048 bits)."""
    from rdkit import DataStructs

    train_fps = morgan_bits(train_smiles)
    out = []
    for fp in morgan_bits(test_smiles):
        similarity = DataStructs.BulkTanimotoSimilarity(fp, train_fps)
        out.append(float(train_y[int(np.argmax(similarity))]))
    return out


def candidate_views(layers: Sequence[int]) -> dict[str, list[int]]:
    """Feature views to choose from: each stored layer, and middle + last concatenated."""
    views = {f"layer {layer}": [j] for j, layer in enumerate(layers)}
    middle = min(range(len(layers)), key=lambda j: abs(layers[j] - layers[-1] / 2))
    if middle != len(layers) - 1:
        views[f"layers {layers[middle]}+{layers[-1]}"] = [middle, len(layers) - 1]
    return views


def _view(features: np.ndarray, columns: list[int]) -> np.ndarray:
    return features[:, columns, :].reshape(features.shape[0], -1)


def ridge_probe(train: dict[str, np.ndarray], train_y: Sequence[float],
                validation: dict[str, np.ndarray], validation_y: Sequence[float],
                test: dict[str, np.ndarray], layers: Sequence[int]) -> dict[str, Any]:
    """RidgeCV (leave-one-out alpha on train) on standardised features for every pooling and
    view; the fit with the lowest validation MSE predicts test (train only, like the tags).
    Returns the predictions, the choice and every validation score."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y_train = np.asarray(train_y, dtype=np.float64)
    y_val = np.asarray(validation_y, dtype=np.float64)
    scores: dict[str, float] = {}
    best: tuple[float, str, str, list[int], Any] | None = None
    for pooling in train:
        for name, columns in candidate_views(layers).items():
            model = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
            model.fit(_view(train[pooling], columns), y_train)
            mse = float(np.mean((model.predict(_view(validation[pooling], columns)) - y_val) ** 2))
            scores[f"{pooling} / {name}"] = mse
            if best is None or mse < best[0]:
                best = (mse, pooling, name, columns, model)
    assert best is not None
    _, pooling, name, columns, model = best
    return {
        "predictions": model.predict(_view(test[pooling], columns)).tolist(),
        "choice": {"pooling": pooling, "view": name, "alpha": float(model[-1].alpha_),
                   "validation_mse": best[0]},
        "validation_mse": scores,
    }


def mlp_probe(train: dict[str, np.ndarray], train_y: Sequence[float],
              validation: dict[str, np.ndarray], validation_y: Sequence[float],
              test: dict[str, np.ndarray], members: int = 3, hidden: int = 768) -> dict[str, Any]:
    """The head that ``head_refit: mlp`` fits (``members`` MLPs of ``hidden / members`` units,
    early-stopped on validation, averaged), on the mean over the value's tokens at every stored
    layer of the frozen base: the non-linear counterpart of :func:`ridge_probe`."""
    import torch

    from tagregistry.heads import RegressionHead, fit_label_scaling, scale_labels, unscale
    from tagregistry.heads.mlp import refit_mlp_head
    from tagregistry.specs import HeadSpec

    def features(split: dict[str, np.ndarray]) -> torch.Tensor:
        values = split["mean"]
        return torch.from_numpy(values.reshape(values.shape[0], -1).astype(np.float32))

    y = torch.tensor(train_y, dtype=torch.float64)[:, None]
    scaling = fit_label_scaling(y)
    head = RegressionHead(features(train).shape[1], HeadSpec(type="regression", hidden=hidden))
    found = refit_mlp_head(head, (features(train), scale_labels(y, scaling)),
                           (features(validation),
                            scale_labels(torch.tensor(validation_y, dtype=torch.float64)[:, None], scaling)),
                           members=members)
    with torch.no_grad():
        predictions = unscale(head(features(test)).double(), scaling)[:, 0]
    return {"predictions": predictions.tolist(),
            "choice": {"pooling": "mean", "view": "every stored layer", "members": members,
                       "hidden": hidden, **found}}
