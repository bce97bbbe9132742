"""docs/results.md and the packs' results files are generated from benchmarks/results/*.json
and must match it."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import make_results_page as page


def test_results_page_and_pack_results_are_up_to_date() -> None:
    outputs = page.outputs()
    assert {p.name for p in outputs} == {"results.md", "smollm2-135m.results.json"} and len(outputs) == 3
    for path, text in outputs.items():
        assert path.read_text() == text, f"{path} is out of date: run python -m benchmarks.make_results_page"
    assert page.main(["--check"]) == 0


def _document(task: str, rows: list[tuple[str, float]]) -> dict:
    return {
        "task": task, "dataset": task, "function": "QED", "test_split": "test", "note": "",
        "sizes": {"train": 10, "validation": 2, "test": 3}, "data": {},
        "rows": [{"method": m, "metrics": {"mse": v, "mae": v, "pearson": 0.5, "n": 3},
                  "command": f"python -m benchmarks.baselines --task {task} # {m}"}
                 for m, v in rows],
    }


def test_page_puts_our_rows_beside_the_papers(tmp_path: Path) -> None:
    rows = [("training mean", 0.0286), ("ridge probe on frozen base", 0.0092),
            ("Tag-LLM SMILES@1 + QED@1", 0.0230)]
    (tmp_path / "baselines-qed-nci.json").write_text(json.dumps(_document("qed-nci", rows)))
    text = page.render(tmp_path)
    assert "| LLaMA linear probe | 0.012 | 0.0092 (ridge probe) |" in text
    assert "| training mean | – | 0.0286 |" in text
    assert "| Tag-LLM | 0.008 | 0.0230 (SMILES@1 + QED@1) |" in text
    assert "| LLaMA LoRA | 0.020 | not measured |" in text
    assert "`python -m benchmarks.baselines --task qed-nci # training mean`" in text
    assert "## Not measured yet" in text and "`qed-moses`" in text


def test_summary_puts_each_shipped_tag_beside_every_baseline(tmp_path: Path) -> None:
    rows = [("training mean", 0.03), ("nearest neighbour (Tanimoto, Morgan r=2)", 0.02),
            ("ridge probe on frozen base", 0.009), ("MLP probe on frozen base", 0.005),
            ("PEFT prompt tuning (p=10)", 0.025), ("PEFT LoRA (r=8)", 0.021),
            ("Tag-LLM SMILES@1 + QED@1", 0.02), ("Tag-LLM SMILES@1 + QED@2", 0.006)]
    (tmp_path / "baselines-qed-nci.json").write_text(json.dumps(_document("qed-nci", rows)))
    text = page.render(tmp_path, shipped=["QED@2"])
    assert text.index("## Summary") < text.index("## QED beside the paper")
    assert ("| qed-nci | MSE | QED@2 | 0.0060 | 0.0300 | 0.0200 | 0.0090 | **0.0050** | 0.0210 (LoRA) | – "
            "| loses to MLP probe (1.20x) |") in text
    assert "| qed-nci | MSE | QED@1 | 0.0200 |" in page.render(tmp_path, shipped=["QED@1"])
    assert "## Summary" not in page.render(tmp_path, shipped=["QED@9"])
    # commands and recipes sit in collapsed blocks, not in the tables
    assert '??? info "Choices, budgets and commands"' in text
    assert "| method | test MSE | MAE | Pearson r | n |" in text


def test_protein_rows_and_the_pack_results_files() -> None:
    summary = page.summary
    rows = summary.protein_rows(
        {"antimicrobial": {"sizes": {"test": 419}, "baselines": [
            {"baseline": "training class frequency", "roc_auc": None, "accuracy": 0.53},
            {"baseline": "k-mer logistic regression", "roc_auc": 0.97, "accuracy": 0.91}]},
         "descriptor": {"sizes": {"test": 442}, "baselines": [
             {"baseline": "training mean", "mse": 0.08}, {"baseline": "composition least squares", "mse": 0.0}]}},
        {"test": {"Antimicrobial": {"n": 419, "roc_auc": 0.98, "accuracy": 0.93}},
         "training": {"Descriptor": {"metrics": {"test_mse": 0.0004}}}},
        refs={"Antimicrobial": "Antimicrobial@1", "Descriptor": "Descriptor@1"})
    assert [(r.task, r.metric) for r in rows] == [("antimicrobial", "roc_auc"), ("antimicrobial", "accuracy"),
                                                  ("descriptor", "mse")]
    assert rows[0].strongest() == ("k-mer logistic regression", 0.97)
    assert rows[1].strongest() == ("k-mer logistic regression", 0.91)
    text = "\n".join(summary.summary_section(rows, str))
    assert "| antimicrobial | ROC-AUC | Antimicrobial@1 | **0.980** | – |" in text
    assert "beats k-mer logistic regression (+0.010)" in text
    assert "loses to composition least squares (exact: MSE 0)" in text
    files = summary.pack_results(rows)
    protein = json.loads(next(t for p, t in files.items() if "protein" in str(p)))
    assert protein["functions"]["Antimicrobial"][1] == {
        "task": "antimicrobial", "n": 419, "metric": "accuracy", "higher_is_better": True, "tag": 0.93,
        "training_mean": 0.53, "strongest": "k-mer logistic regression", "strongest_value": 0.91}
    chem = json.loads(next(t for p, t in files.items() if "chem" in str(p)))
    assert chem["functions"] == {}
