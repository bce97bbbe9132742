"""Why does the shipped ``<QED>`` lose to the ridge probe on MOSES? A refit study (issue 8).

The shipped head is a ridge regression on the mean of the function tag's positions at a few
layers. This script runs the shipped ``<SMILES>`` + ``<QED>`` prompt once per molecule and
keeps, for *every* layer, the mean over the function tag's positions and the mean over the
SMILES tokens (the probe's pooling, but inside the tagged prompt). Ridge heads on any subset of
those features, trained on NCI, MOSES or the mix, are then seconds each, so layer choice and the
training mix can be compared on validation before a recipe is changed.

Usage (one thread keeps the shared 2-core machine usable)::

    OMP_NUM_THREADS=1 python benchmarks/refit_study.py features   # ~20 min, one thread
    python benchmarks/refit_study.py fit                            # writes results/refit_study_qed.json
    python benchmarks/refit_study.py mlp                            # the product's MLP head refit
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import torch

PACK = Path(__file__).resolve().parents[1] / "plugins/tagregistry-chem/tagregistry_chem/packs/smollm2-135m"
RESULTS = Path(__file__).resolve().parent / "results" / "refit_study_qed.json"
#: (name, benchmark task, split) of every feature file
PARTS = (("nci-train", "qed-nci", "train"), ("nci-validation", "qed-nci", "validation"),
         ("nci-test", "qed-nci", "test"), ("moses-train", "qed-moses", "train"),
         ("moses-validation", "qed-moses", "validation"), ("moses-test", "qed-moses", "test"),
         ("scaffolds-test", "qed-moses-scaffolds", "test"))


def _records(task_name: str, split: str) -> list[dict[str, Any]]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness.tasks import get_task, load_split

    return load_split(get_task(task_name), split)


#: ``features --variant``: the shipped prompt, or one ablation of it (NCI parts only)
VARIANTS = ("shipped", "no-domain-tag", "no-function-tag", "p1-untrained", "p10-untrained", "p20-untrained")


def variant_prompts(variant: str, encoder: Any, spec: Any, smiles: list[str],
                    tags: dict[str, torch.Tensor]) -> list[Any]:
    """Encoded prompts of one variant (``tags`` holds the tensors the prompts may use)."""
    template = spec.template
    if variant == "no-function-tag":  # the paper's ablation: the head reads the last token
        template = template.replace("{" + spec.name + "}", "").rstrip()
    if variant == "no-domain-tag":  # the SMILES as plain text, no <SMILES> before it
        render = encoder.domain_tokenizer("SMILES").render
        return [encoder.encode(template.replace("{SMILES:smiles}", render(s)), {},
                               {k: v.shape[0] for k, v in tags.items()}) for s in smiles]
    return [encoder.encode(template, {"smiles": s}, {k: v.shape[0] for k, v in tags.items()})
            for s in smiles]


@torch.no_grad()
def cmd_features(args: argparse.Namespace) -> None:
    from safetensors.torch import load_file
    from tqdm import tqdm

    from tagregistry.compose.prompt import PromptEncoder
    from tagregistry.models.loading import load_base
    from tagregistry.plugins.manager import get_catalog
    from tagregistry.training.init import initial_tag

    qed_file = Path(args.qed_file or PACK / f"QED.v{args.qed_version}.safetensors")
    if args.qed_file and not qed_file.is_file():
        raise SystemExit(f"--qed-file {qed_file} not found")
    if not qed_file.is_file():
        raise SystemExit(f"{qed_file} not found: the pack no longer ships QED.v{args.qed_version}. Extract it "
                         f"from the last commit that did (git show 60b140a:{qed_file.relative_to(PACK.parents[4])} "
                         "> FILE) and pass --qed-file FILE")
    catalog = get_catalog()
    base = load_base("smollm2-135m", dtype=torch.float32, device="cpu")
    encoder = PromptEncoder(base.tokenizer, catalog)
    spec = catalog.get("functions", "QED")
    model, embed = base.model, base.model.get_input_embeddings()
    tags = {"SMILES": load_file(str(PACK / "SMILES.v1.safetensors"))["tag"].float(),
            "QED": load_file(str(qed_file))["tag"].float()}
    if args.variant.endswith("-untrained"):  # the mean-embedding initialisation, p vectors
        p = int(args.variant.split("-")[0][1:])
        tags["QED"] = initial_tag("mean", model, p, tokenizer=base.tokenizer, seed=0)
    out_dir = Path(args.out) / ("" if args.variant == "shipped" else args.variant)
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = PARTS if args.variant == "shipped" else [p for p in PARTS if p[0].startswith("nci-")]
    for name, task_name, split in parts:
        path = out_dir / f"{name}.pt"
        if path.exists():
            continue
        records = _records(task_name, split)
        if split == "train" and args.train_limit is not None:
            records = records[:args.train_limit]
        prompts = variant_prompts(args.variant, encoder, spec, [r["smiles"] for r in records], tags)
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i].input_ids))
        func, span_mean = [None] * len(prompts), [None] * len(prompts)
        started = time.perf_counter()
        for chunk in tqdm([order[i:i + args.batch] for i in range(0, len(order), args.batch)],
                          desc=name, mininterval=10):
            width = max(len(prompts[i].input_ids) for i in chunk)
            ids = torch.zeros(len(chunk), width, dtype=torch.long)  # right-padded: causal, harmless
            mask = torch.zeros(len(chunk), width, dtype=torch.long)
            for row, i in enumerate(chunk):
                ids[row, :len(prompts[i].input_ids)] = torch.tensor(prompts[i].input_ids)
                mask[row, :len(prompts[i].input_ids)] = 1
            emb = embed(ids).clone()
            for row, i in enumerate(chunk):
                for occ in prompts[i].tags:
                    emb[row, occ.start:occ.end] = tags[occ.name]
            hs = torch.stack(model.model(inputs_embeds=emb, attention_mask=mask,
                                         output_hidden_states=True).hidden_states[1:], dim=1)
            for row, i in enumerate(chunk):
                prompt, span = prompts[i], prompts[i].values[0] if prompts[i].values else None
                if prompt.function_start is None:  # no function tag: the last token
                    func[i] = hs[row, :, len(prompt.input_ids) - 1].half()
                else:
                    occ = prompt.tags[-1]
                    func[i] = hs[row, :, occ.start:occ.end].mean(1).half()
                span_mean[i] = (hs[row, :, span.start:span.end].mean(1) if span else torch.zeros_like(hs[row, :, 0])).half()
        torch.save({"function": torch.stack(func), "span": torch.stack(span_mean),
                    "label": torch.tensor([float(r["label"]) for r in records], dtype=torch.float64)},
                   path)
        print(f"{name}: {len(records)} molecules in {time.perf_counter() - started:.0f} s", flush=True)


#: readouts compared: the shipped one, the probe's depth, and spreads of shallow and deep layers
LAYER_SETS = ((7, 15, 22, 30), (5,), (3, 5, 7, 15, 22, 30), (2, 4, 6, 8, 10), (4, 8, 12, 16, 20, 24, 28))
#: training sets of the head: NCI only, MOSES only, both (as qed-nci-moses), both balanced
MIXES = {"nci": ["nci"], "moses": ["moses"], "mix": ["nci", "moses"], "balanced": ["nci", "moses"]}
EVALUATED = ("nci-test", "moses-test", "scaffolds-test")


def load_parts(out: str) -> dict[str, dict[str, torch.Tensor]]:
    return {name: torch.load(Path(out) / f"{name}.pt") for name, _, _ in PARTS}


def features_of(data: dict[str, Any], name: str, kind: str, layers: tuple[int, ...]) -> torch.Tensor:
    """``kind`` ("function" or "span") features of part ``name``, ``layers`` concatenated."""
    return torch.cat([data[name][kind][:, k - 1].double() for k in layers], dim=1)


def stacked(data: dict[str, Any], sources: list[str], split: str, kind: str,
            layers: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and labels of ``split`` over ``sources``, one after the other."""
    return (torch.cat([features_of(data, f"{s}-{split}", kind, layers) for s in sources]),
            torch.cat([data[f"{s}-{split}"]["label"] for s in sources]))


def ridge_head(train: tuple[torch.Tensor, torch.Tensor], validation: tuple[torch.Tensor, torch.Tensor],
               groups: Any = None) -> tuple[Any, dict]:
    """A regression head fitted by the product's ridge refit (:func:`refit_ridge_head`)."""
    from tagregistry.heads import RegressionHead
    from tagregistry.specs import HeadSpec
    from tagregistry.training.features import refit_ridge_head

    head = RegressionHead(train[0].shape[1], HeadSpec(type="regression")).double()
    found = refit_ridge_head(head, (train[0], train[1][:, None]), (validation[0], validation[1][:, None]),
                             groups=groups)
    return head, found


def update_results(path: str, fields: dict[str, Any]) -> None:
    """Merge ``fields`` into the summary JSON (other commands' keys are kept)."""
    target = Path(path)
    document = json.loads(target.read_text()) if target.is_file() else {}
    document.update(fields)
    target.write_text(json.dumps(document, indent=1) + "\n")


def fit_head(data: dict[str, Any], kind: str, layers: tuple[int, ...], mix: str) -> tuple[Any, dict]:
    """The product's ridge refit on one training mix (balanced: each source weighs the same)."""
    sources = MIXES[mix]
    groups = None
    if mix == "balanced":
        groups = tuple([s for s in sources for _ in range(len(data[f"{s}-{split}"]["label"]))]
                       for split in ("train", "validation"))
    return ridge_head(stacked(data, sources, "train", kind, layers),
                      stacked(data, sources, "validation", kind, layers), groups)


def cmd_fit(args: argparse.Namespace) -> None:
    data = load_parts(args.out)
    rows = []
    for kind, layers, mix in itertools.product(("function", "span"), LAYER_SETS, MIXES):
        head, found = fit_head(data, kind, layers, mix)
        row = {"features": kind, "layers": list(layers), "train": mix,
               "alpha": found["ridge_alpha"], "validation_mse": found["ridge_validation_mse"]}
        with torch.no_grad():
            for name in EVALUATED:
                pred = head(features_of(data, name, kind, layers))[:, 0]
                row[name] = float(((pred - data[name]["label"]) ** 2).mean())
        rows.append(row)
        print(f"{kind:8s} {'+'.join(map(str, layers)):20s} {mix:9s} "
              + " ".join(f"{n}={row[n]:.4f}" for n in EVALUATED), flush=True)
    update_results(args.results, {"task": "qed", "qed_version": args.qed_version, "rows": rows,
                                  "command": "OMP_NUM_THREADS=1 python benchmarks/refit_study.py features && "
                                             "python benchmarks/refit_study.py fit"})
    print(f"wrote {args.results}")


#: ``mlp`` rows: the readouts compared (the function tag's positions, the SMILES tokens, both)
MLP_FEATURES = (("function",), ("span",), ("function", "span"))


def mlp_row(data: dict[str, Any], kinds: tuple[str, ...], layers: tuple[int, ...], mix: str,
            members: int, epochs: int, units: int = 256) -> dict[str, Any]:
    """The product's MLP refit (:func:`refit_mlp_head`, ``members`` x ``units`` averaged) on
    ``kinds`` features of NCI + MOSES, plain (``mix``) or with each source weighing the same."""
    from tagregistry.heads import RegressionHead
    from tagregistry.heads.mlp import refit_mlp_head
    from tagregistry.specs import HeadSpec

    def pair(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [stacked(data, MIXES[mix], split, kind, layers) for kind in kinds]
        return torch.cat([x for x, _ in parts], 1), parts[0][1]

    (x, y), (xv, yv) = pair("train"), pair("validation")
    y_mu, y_sd = y.mean(), y.std()  # the product refits on standardised labels
    groups = None
    if mix == "balanced":
        groups = tuple([s for s in MIXES[mix] for _ in range(len(data[f"{s}-{split}"]["label"]))]
                       for split in ("train", "validation"))
    head = RegressionHead(x.shape[1], HeadSpec(type="regression", hidden=units * members))
    found = refit_mlp_head(head, (x, ((y - y_mu) / y_sd)[:, None]), (xv, ((yv - y_mu) / y_sd)[:, None]),
                           groups=groups, members=members, epochs=epochs)
    row = {"features": "+".join(kinds), "layers": list(layers), "train": mix, "head": "mlp",
           "members": members, "units": units, "validation_mse": found["mlp_validation_mse"] * float(y_sd) ** 2}
    with torch.no_grad():
        for name in EVALUATED:
            x_test = torch.cat([features_of(data, name, kind, layers) for kind in kinds], 1).float()
            pred = head(x_test)[:, 0].double() * y_sd + y_mu
            row[name] = float(((pred - data[name]["label"]) ** 2).mean())
    return row


#: ``mlp --per-source``: the probe's six depths, the SMILES tokens, one head per data set
PROBE_LAYERS = (5, 10, 15, 20, 25, 30)


def cmd_mlp(args: argparse.Namespace) -> None:
    """The product's MLP head refit (``head_refit: mlp``) on the shipped readout's layers;
    with ``--per-source``, on the SMILES tokens at the probe's depths, one head per data set
    (what the MLP probe does on the plain prompt)."""
    data = load_parts(args.out)
    if args.per_source:
        rows = [mlp_row(data, ("span",), PROBE_LAYERS, mix, args.members, args.epochs) for mix in ("nci", "moses")]
        for row in rows:
            print(f"mlp span {row['train']:6s} " + " ".join(f"{n}={row[n]:.4f}" for n in EVALUATED), flush=True)
        update_results(args.results, {"mlp_source_rows": rows, "mlp_source_command": (
            f"python benchmarks/refit_study.py mlp --per-source --members {args.members} --epochs {args.epochs}")})
        return
    if args.widths:
        rows = [mlp_row(data, ("function", "span"), (7, 15, 22, 30), "balanced", args.members, args.epochs, units)
                for units in args.widths]
        for row in rows:
            print(f"mlp width {row['members']}x{row['units']:<4d} " + " ".join(f"{n}={row[n]:.4f}" for n in EVALUATED),
                  flush=True)
        update_results(args.results, {"mlp_width_rows": rows, "mlp_width_command": (
            f"python benchmarks/refit_study.py mlp --widths {' '.join(map(str, args.widths))} "
            f"--members {args.members} --epochs {args.epochs}")})
        return
    rows = []
    for kinds, mix in itertools.product(MLP_FEATURES, ("mix", "balanced")):
        rows.append(mlp_row(data, kinds, (7, 15, 22, 30), mix, args.members, args.epochs))
        print(f"mlp {rows[-1]['features']:14s} {mix:9s} "
              + " ".join(f"{n}={rows[-1][n]:.4f}" for n in EVALUATED), flush=True)
    update_results(args.results, {"mlp_rows": rows, "mlp_command": (
        f"python benchmarks/refit_study.py mlp --members {args.members} --epochs {args.epochs}")})


def cmd_ablate(args: argparse.Namespace) -> None:
    """Ablations on NCI QED: the product's ridge refit on each variant's function-tag (or
    last-token) features, layers 7+15+22+30, the first ``--train-limit`` training molecules."""
    from tagregistry.heads.metrics import pearson

    layers = (7, 15, 22, 30)
    rows = []
    for variant in VARIANTS:
        folder = Path(args.out) / ("" if variant == "shipped" else variant)
        if not (folder / "nci-test.pt").is_file():
            print(f"{variant}: no features (run features --variant {variant})")
            continue
        data = {f"nci-{n}": torch.load(folder / f"nci-{n}.pt") for n in ("train", "validation", "test")}
        x, y = stacked(data, ["nci"], "train", "function", layers)
        n = min(args.train_limit, len(y))
        head, found = ridge_head((x[:n], y[:n]), stacked(data, ["nci"], "validation", "function", layers))
        x_test, truth = stacked(data, ["nci"], "test", "function", layers)
        with torch.no_grad():
            pred = head(x_test)[:, 0]
        rows.append({"variant": variant, "train": n, "validation_mse": found["ridge_validation_mse"],
                     "test_mse": float(((pred - truth) ** 2).mean()),
                     "test_r": pearson(pred.tolist(), truth.tolist())})
        print(f"{variant:16s} train {n} test MSE {rows[-1]['test_mse']:.4f} r {rows[-1]['test_r']:.3f}", flush=True)
    update_results(args.results, {
        "ablation_rows": rows,
        "ablation_command": (f"OMP_NUM_THREADS=1 python benchmarks/refit_study.py features --variant V "
                             f"--train-limit {args.train_limit} (each V), then "
                             f"python benchmarks/refit_study.py ablate --train-limit {args.train_limit}")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("features", "fit", "mlp", "ablate"):
        p = sub.add_parser(name)
        p.add_argument("--out", default="runs/refit", help="feature files (ignored folder)")
        p.add_argument("--results", default=str(RESULTS), help="the summary JSON")
        p.add_argument("--qed-version", type=int, default=4, help="the pack's <QED> file version")
    sub.choices["features"].add_argument("--batch", type=int, default=16)
    sub.choices["features"].add_argument(
        "--qed-file", default=None, help="a <QED> tag file the pack no longer ships, e.g. QED.v4 "
        "from the last commit that shipped it (git show 60b140a:plugins/.../QED.v4.safetensors > FILE)")
    sub.choices["features"].add_argument("--variant", choices=VARIANTS, default="shipped",
                                         help="the shipped prompt or an ablation (NCI parts only)")
    sub.choices["features"].add_argument("--train-limit", type=int, default=None,
                                         help="first N training molecules (ablations)")
    sub.choices["ablate"].add_argument("--train-limit", type=int, default=1500)
    sub.choices["mlp"].add_argument("--epochs", type=int, default=100)
    sub.choices["mlp"].add_argument("--members", type=int, default=3)
    sub.choices["mlp"].add_argument("--widths", type=int, nargs="+", default=None,
                                    help="units per member to compare (function + SMILES tokens, balanced)")
    sub.choices["mlp"].add_argument("--per-source", action="store_true",
                                    help="one head per data set on the SMILES tokens (probe depths)")
    args = parser.parse_args()
    {"features": cmd_features, "fit": cmd_fit, "mlp": cmd_mlp, "ablate": cmd_ablate}[args.cmd](args)


if __name__ == "__main__":
    main()
