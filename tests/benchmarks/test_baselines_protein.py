"""The protein harness: its tasks come from the shared task table, and its ridge probe is the
product's ridge baseline (the same features and fit ``tagregistry evaluate`` uses), on a tiny
random base saved to a folder (nothing downloaded)."""

from __future__ import annotations

import pytest
import torch

from benchmarks.baselines_protein import score
from benchmarks.protein_baselines import simple
from benchmarks.protein_baselines.probe import ridge_probe
from benchmarks.tasks import CHEM_TASKS, PROTEIN_TASKS, get_task, load_task_data
from tagregistry.heads import ClassificationHead, RegressionHead
from tagregistry.models.loading import load_base
from tagregistry.plugins.manager import get_catalog
from tagregistry.registry import Registry
from tagregistry.store.tag_store import HeadPayload
from tagregistry.testing import tiny_model, tiny_tokenizer

LIMITS = {"train": 24, "validation": 8, "test": 16}


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A tiny base's folder and a registry URL holding random Protein, Antimicrobial and
    Descriptor tags on it."""
    folder = tmp_path_factory.mktemp("tiny-llama")
    tiny_model("llama").save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    loaded = load_base(str(folder))
    catalog = get_catalog()
    url = f"sqlite:///{tmp_path_factory.mktemp('home') / 'registry.db'}"
    gen = torch.Generator().manual_seed(0)
    with Registry(url) as registry:
        registry.register("Protein", torch.randn(3, loaded.hidden_size, generator=gen) * 0.02,
                          base=loaded.record, kind="domain")
        for name, head_type in (("Antimicrobial", ClassificationHead), ("Descriptor", RegressionHead)):
            head = head_type(loaded.hidden_size, catalog.functions[name].head)
            registry.register(name, torch.randn(3, loaded.hidden_size, generator=gen) * 0.02,
                              base=loaded.record, kind="function", source={"domains": ["Protein"]},
                              head=HeadPayload(spec=head.spec, tensors=head.state_dict()))
    return str(folder), url


def test_both_harnesses_share_one_task_table() -> None:
    assert not set(CHEM_TASKS) & set(PROTEIN_TASKS)
    task = get_task("binding-affinity", {"train": 5})
    assert task.refs == ["Protein", "SMILES", "BindingAffinity"] and task.slot == "protein"
    assert task.limits == {"train": 5} and task.options == {"max_residues": 1500}
    assert get_task("qed-selfies-zeroshot").refs == ["SELFIES", "QED"]


@pytest.mark.parametrize("name", ["antimicrobial", "descriptor"])
def test_the_probe_scores_what_tagregistry_evaluate_scores(tiny_home: tuple[str, str], name: str) -> None:
    base, url = tiny_home
    data = load_task_data(get_task(name, LIMITS))
    assert {s: len(r) for s, r in data.splits.items()} == LIMITS
    with Registry(url) as registry:
        model = registry.compose(*data.task.refs, base=base)
        preds, notes = ridge_probe(data, model, batch_size=4)
        report = registry.evaluate(data.task.refs, base=base, data=data.task.dataset, limit=LIMITS,
                                   baselines=["ridge"], batch_size=4)
    assert len(preds) == LIMITS["test"] and "layers" in notes["readout"]
    assert report.counts["scored"] == LIMITS["test"]
    ours, product = score(data, preds), report.row("ridge")
    if data.classification:
        assert all(0.0 <= p <= 1.0 for p in preds) and set(data.labels("test")) == {0.0, 1.0}
        assert ours["roc_auc"] == pytest.approx(product["roc_auc"])
        assert ours["accuracy"] == pytest.approx(product["accuracy"])
    else:
        assert ours["mse"] == pytest.approx(product["mse"])
    assert simple.training_mean(data)[0] == [pytest.approx(sum(data.labels("train")) / 24)] * 16
