"""The Results page's fixed prose: introduction, how each method is fitted, which tag versions
the rows name, and the paper's QED column."""

from __future__ import annotations

#: Table 2 of the Tag-LLM paper, QED column (MSE, LLaMA-7B): the paper's numbers, not ours
PAPER_QED = [
    ("training mean", "–"), ("nearest neighbour", "0.040"), ("LLaMA prompted directly", "0.298"),
    ("GPT-4 prompted directly", "0.18"), ("LLaMA linear probe", "0.012"), ("MLP probe (not in the paper)", "–"),
    ("LLaMA prompt tuning", "1.387"), ("LLaMA LoRA", "0.020"), ("Tag-LLM", "0.008"),
]
#: which of our methods sits beside which paper row
COUNTERPART = {"training mean": "training mean", "nearest neighbour": "nearest neighbour", "ridge probe": "LLaMA linear probe",
               "MLP probe": "MLP probe (not in the paper)",
               "PEFT prompt tuning": "LLaMA prompt tuning", "PEFT LoRA": "LLaMA LoRA",
               "Tag-LLM": "Tag-LLM"}

INTRO = """# Results

Every number on this page was measured with this repository's code on the default base,
SmolLM2-135M-Instruct (hidden size 576), on a 2-core CPU shared with other jobs, one thread
(`OMP_NUM_THREADS=1`) unless a row says otherwise. The page is generated from the raw JSON in
`benchmarks/results/` by `python -m benchmarks.make_results_page` (a test fails when the page
and the JSON disagree); the same script writes the numbers `tagregistry demo` shows beside its
samples. Baselines and tags see the same splits (see `benchmarks/README.md`); where a task
has a `results/evaluate-<task>.json`, its tag and baseline rows are what `tagregistry evaluate`
printed (the command is in the task's collapsed block). Commands recorded before the benchmarks
became a package read `python benchmarks/<script>.py`; run them as `python -m benchmarks.<script>`.
"""

METHODS = """- **training mean**: predict the mean training label (classification: the training
  class frequencies).
- **nearest neighbour (frozen-base features)**, and the **ridge probe** and **MLP probe** of a
  task with a `results/evaluate-<task>.json` (measured by `tagregistry evaluate`, or
  `python -m benchmarks.baselines` on a task's own subsample): the product's baselines
  (`tagregistry.evaluation`) on the frozen base's hidden states for the function's prompt
  without tags, mean over the molecule's tokens at six evenly spaced depths, standardised on
  train: the nearest training record (Euclidean), the ridge fit `head_refit: ridge` uses
  (strength chosen on validation) and the MLP `head_refit: mlp` fits (3 x 32 units, averaged).
- **nearest neighbour (Tanimoto, Morgan r=2)** and the other ridge / MLP probe rows: measured by
  the former benchmark harness (`git show 7ec67e8:benchmarks/harness/probes.py`): the most
  Tanimoto-similar training molecule (Morgan fingerprints, radius 2, 2,048 bits); RidgeCV on
  the plain prompt "The SMILES of the molecule is ....", mean over the SMILES tokens or the
  last token, at six depths or middle + last layer, chosen on validation, alpha by
  leave-one-out on train; three MLPs of 256 units on all six depths.
- **PEFT prompt tuning / LoRA**: PEFT with p = 10 virtual tokens / LoRA r = 8 and a linear
  regression head on the last hidden state, for the optimiser steps stated in the row. Every
  task's PEFT rows ran 60 steps of batch 8 (480 examples, about 3 minutes per method on one CPU
  thread), far below the tags' 400 x 16: they show where a short PEFT run lands, not how far
  PEFT goes with the tags' budget.
- **Tag-LLM**: registered tags through `Registry.compose(...)` and `predict_batch`."""

VERSIONS = """Refs are the versions the chem pack shipped them under (its files are named
`QED.v6.safetensors` and so on; a fresh `install-pack` numbers them from 1 in a new registry):
the `--home` folder in the commands is a registry that loaded the pack folder of each commit
that changed the pack, in order (`Registry.load_pack`), plus, for the SELFIES rows,
`<SELFIES>` trained by `tagregistry train
plugins/tagregistry-chem/tagregistry_chem/recipes/selfies-stage1.yaml`. `QED@1` is the pack's
first `<QED>` (the paper's readout, 200 CPU steps); `QED@2` added the mean readout over layers
7, 15, 22, 30 and a ridge-refitted head (see "What the head reads"), trained on NCI only;
`QED@3` is the same recipe on `qed-nci-moses` (NCI plus the 1,000 MOSES training molecules the
MOSES rows' baselines are fitted on); `QED@4` adds `refit_balance: source` (NCI and MOSES weigh
the same in the head refit; see "Where the head is fitted"). `QED@5` reads the SMILES tokens
beside the function tag (`readout_values: true`) and has a hidden layer refitted as three
averaged MLPs (`head_hidden: 768`, `head_refit: mlp`, `qed-stage2-mlp.yaml`); measured, not
shipped, because its head is a 14 MB file. `QED@6`, the one the pack ships, is the same recipe
with a 96-unit head (1.8 MB; `tagregistry_chem/recipes/qed-stage2.yaml`). `LogP@2` and
`TPSA@2` are the QED@3 recipe for their properties; `LogP@3` is the QED@5 recipe for LogP
(`logp-stage2-mlp.yaml`) and `LogP@4`, shipped, the QED@6 one (`logp-stage2.yaml`); `TPSA@3` is
the QED@5 recipe for TPSA (`tag: TPSA`, `dataset: tpsa-nci-moses`), measured, not shipped: the
pack keeps `TPSA@2` (`tpsa-stage2.yaml`). The protein pack's tags are `@1`
(`docs/guides/protein-plugin.md`)."""
