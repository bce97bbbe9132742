"""Train the protein plugin's shipped tags on a GPU and write a verified tag pack.

Trains ``<Protein>`` (stage 1), ``<Descriptor>`` and ``<Antimicrobial>`` (stage 2) and
``<BindingAffinity>`` (stage 3 on the frozen ``<Protein>`` and the chem pack's ``<SMILES>``)
with the recipes in ``tagregistry_protein/recipes``, on the default base. After each tag it
rewrites ``OUT/protein-smollm2-135m`` (a pack of every protein tag so far), so a run cut off
by a time limit keeps what it finished; ``--resume-pack`` loads such a pack and trains only
what is missing. At the end the pack is loaded into a fresh registry (full verification),
the tags are scored on the test splits through ``compose``/``predict_batch``, the ten
showcase pairs are predicted, and everything goes to ``OUT/protein_tags.json``.

On a lent H200 (staging: docs/guides/protein-plugin.md):
    python -m benchmarks.gpu.train_protein_pack --out $OUT
On a CPU, a smoke run of the whole path on the tiny random base (seconds):
    python -m benchmarks.gpu.train_protein_pack --out /tmp/pack-smoke --smoke
Back on the development machine, verify the returned pack again and put it into the plugin:
    python -m benchmarks.gpu.train_protein_pack --adopt FILES/protein-smollm2-135m
(it refuses a pack whose ``<BindingAffinity>`` was trained on another ``<SMILES>`` than the
chem plugin now ships).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.gpu.protein_eval import evaluate_function, showcase

PACK_FOLDER = "protein-smollm2-135m"
PLUGIN_PACK = (Path(__file__).resolve().parents[2] / "plugins" / "tagregistry-protein"
               / "tagregistry_protein" / "packs" / "smollm2-135m")
CHEM_PACK = "chem-smollm2-135m"
#: function -> the domains composed with it for scoring
DOMAINS = {"Descriptor": ["Protein"], "Antimicrobial": ["Protein"],
           "BindingAffinity": ["Protein", "SMILES"]}


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_recipe_for(tag: str, smoke: bool, steps_scale: float) -> Any:
    """The shipped recipe of ``tag``; ``--smoke`` shrinks it to a few steps on the tiny base."""
    from tagregistry_protein.shipped import recipe_path

    from tagregistry.training.recipe import load_recipe

    recipe = load_recipe(recipe_path(tag))
    hyper, data = recipe.hyper, recipe.data
    if smoke:
        hyper = hyper.model_copy(update={"n_vectors": 2, "max_steps": 2, "batch_size": 4})
        if hyper.readout_layers is not None:  # the tiny base has two layers
            hyper = hyper.model_copy(update={"readout_layers": [1, 2]})
        options = {**data.options, "max_residues": 60} if tag != "Antimicrobial" else data.options
        data = data.model_copy(update={"limit": 16, "options": options})
        return recipe.model_copy(update={"base": "protein-tiny", "hyper": hyper, "data": data,
                                         "eval": recipe.eval.model_copy(update={"max_examples": 8})})
    if steps_scale != 1.0 and hyper.max_steps is not None:
        hyper = hyper.model_copy(update={"max_steps": max(1, round(hyper.max_steps * steps_scale))})
    return recipe.model_copy(update={"hyper": hyper})


def ensure_smiles(registry: Any, loaded: Any, smoke: bool) -> str:
    """``<SMILES>`` on this base: the chem plugin's pack (or, in a smoke run, 2 quick steps)."""
    if any(r.name == "SMILES" for r in registry.list(base=loaded.record)):
        return registry.get("SMILES", base=loaded.record).ref
    if smoke:
        registry.train({"base": "protein-tiny", "stage": 1, "tag": "SMILES",
                        "data": {"dataset": "smiles-nci-5k", "limit": 16},
                        "hyper": {"n_vectors": 2, "max_steps": 2, "batch_size": 4}},
                       base=loaded, progress=False)
    else:
        registry.install_pack(CHEM_PACK)
    return registry.get("SMILES", base=loaded.record).ref


def write_pack(registry: Any, base: Any, tags: list[str], out: Path) -> Path:
    """Replace ``out/PACK_FOLDER`` with a pack of ``tags`` on ``base`` (written aside first)."""
    target = out / PACK_FOLDER
    staging = Path(tempfile.mkdtemp(prefix=".pack-", dir=out)) / PACK_FOLDER
    registry.save_pack(tags, staging, base=base)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    shutil.rmtree(staging.parent)
    return target


def train_all(registry: Any, loaded: Any, args: argparse.Namespace) -> dict[str, Any]:
    from tagregistry_protein.shipped import RECIPES

    timings: dict[str, Any] = {}
    done = [t for t in RECIPES if any(r.name == t for r in registry.list(base=loaded.record))]
    for tag in args.only or list(RECIPES):
        if tag in done:
            _say(f"<{tag}> already in the resumed pack: skipped")
            continue
        recipe = load_recipe_for(tag, args.smoke, args.steps_scale)
        _say(f"training <{tag}> (stage {recipe.stage}, {recipe.hyper.max_steps} steps of "
             f"{recipe.hyper.batch_size})")
        result = registry.train(recipe, base=loaded, progress=args.progress)
        timings[tag] = {"steps": result.steps, "seconds": round(result.seconds, 1),
                        "examples_per_second": round(result.examples_per_second, 1),
                        "metrics": result.metrics}
        _say(f"  {result.records[0].ref}: {result.steps} steps in {result.seconds:.0f} s, "
             + ", ".join(f"{k}={v:.4g}" for k, v in result.metrics.items() if k.startswith("test_")))
        done.append(tag)
        _say(f"  pack rewritten: {write_pack(registry, loaded.record, done, args.out)}")
    if not (args.out / PACK_FOLDER).is_dir():  # everything came from --resume-pack
        write_pack(registry, loaded.record, done, args.out)
    return timings


def verify_and_score(loaded: Any, args: argparse.Namespace, trained: Any) -> dict[str, Any]:
    """Load the written pack into a fresh registry, then score every function on its test split.

    ``<SMILES>`` comes from the chem pack as a user would get it (a smoke run copies the one
    it trained from the ``trained`` registry).
    """
    from tagregistry_protein.shipped import TRAINING_MAX_RESIDUES

    from tagregistry.registry import Registry

    fresh = Registry(f"sqlite:///{args.out / 'verify.db'}")
    fresh.register_base(loaded.record)
    if args.smoke:
        fresh.import_file(trained.export("SMILES", args.out / "smiles.safetensors", base=loaded.record))
    else:
        fresh.install_pack(CHEM_PACK)
    records = fresh.load_pack(args.out / PACK_FOLDER)
    _say("pack verified and loaded: " + ", ".join(r.ref for r in records))
    present = {r.name for r in records}
    cap = 60 if args.smoke else TRAINING_MAX_RESIDUES
    limit = 16 if args.smoke else None
    scores = {}
    for function, domains in DOMAINS.items():
        if function not in present:
            continue
        options = {} if function == "Antimicrobial" else {"max_residues": cap}
        started = time.perf_counter()
        scores[function] = evaluate_function(fresh, loaded, function, domains, options, limit)
        scores[function]["seconds"] = round(time.perf_counter() - started, 1)
        _say(f"<{function}> test: {scores[function]}")
    pairs = showcase(fresh, loaded, cap) if "BindingAffinity" in present else []
    for row in pairs:
        _say(f"  {row['protein_id']:<8} {row['ligand_id']:<15} measured {row['measured']:6.2f}  "
             f"predicted {row['predicted']:6.2f}")
    fresh.close()
    return {"test": scores, "showcase": pairs}


def adopt(pack: Path, target: Path = PLUGIN_PACK) -> int:
    """Verify ``pack`` on top of the chem pack and copy it to ``target`` (the protein plugin's)."""
    from tagregistry.registry import Registry

    results = pack.parent / "protein_tags.json"
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(f"sqlite:///{tmp}/adopt.db")
        registry.install_pack(CHEM_PACK)
        smiles = registry.get("SMILES")
        records = registry.load_pack(pack)
        registry.close()
    if results.is_file():
        trained_on = json.loads(results.read_text()).get("frozen_smiles_sha256")
        if trained_on and trained_on != smiles.sha256:
            raise SystemExit(
                f"refused: <BindingAffinity> was trained on a <SMILES> with sha256 {trained_on[:12]}, "
                f"but {CHEM_PACK} now ships {smiles.ref} with {smiles.sha256[:12]}; retrain it")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(pack, target)
    _say(f"verified {', '.join(r.ref for r in records)}; copied to {target}")
    return 0


def combine(parts: list[Path], out: Path) -> int:
    """One pack (and one ``protein_tags.json``) from runs made in parts, e.g. two processes
    that each trained some tags on top of the same resumed pack."""
    from tagregistry.registry import Registry

    out.mkdir(parents=True, exist_ok=True)
    results = [json.loads((p.parent / "protein_tags.json").read_text()) for p in parts]
    frozen = {r["frozen_smiles_sha256"] for r in results}
    if len(frozen) != 1:
        raise SystemExit(f"refused: the parts were trained on different <SMILES> ({sorted(frozen)})")
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(f"sqlite:///{tmp}/combine.db")
        registry.install_pack(CHEM_PACK)
        names: list[str] = []
        for part in parts:  # the tags they share are identical files: imported once
            names += [r.name for r in registry.load_pack(part) if r.name not in names]
        base = registry.get(names[0]).base
        target = write_pack(registry, base, names, out)
        registry.close()
    merged: dict[str, Any] = {**results[0], "training": {}, "test": {}, "showcase": [],
                              "parts": [str(p) for p in parts]}
    for result in results:
        merged["training"].update(result.get("training", {}))
        merged["test"].update(result.get("test", {}))
        merged["showcase"] = result.get("showcase") or merged["showcase"]
    merged["total_seconds"] = round(sum(r.get("total_seconds", 0) for r in results), 1)
    (out / "protein_tags.json").write_text(json.dumps(merged, indent=2, default=str) + "\n")
    _say(f"combined {', '.join(names)} into {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the pack and results")
    parser.add_argument("--adopt", type=Path, help="verify a returned pack and copy it into the plugin")
    parser.add_argument("--adopt-into", type=Path, default=PLUGIN_PACK, help=argparse.SUPPRESS)
    parser.add_argument("--resume-pack", type=Path, help="a pack folder from an earlier, cut-off run")
    parser.add_argument("--steps-scale", type=float, default=1.0,
                        help="multiply every recipe's max_steps (e.g. 0.5 to fit a shorter time slot)")
    parser.add_argument("--only", nargs="+", choices=["Protein", "Descriptor", "Antimicrobial",
                                                      "BindingAffinity"],
                        help="train only these tags (with --resume-pack, finish a run in parts)")
    parser.add_argument("--smoke", action="store_true", help="tiny base, a few steps, on the CPU")
    parser.add_argument("--progress", action="store_true", help="show training progress bars")
    parser.add_argument("--combine", nargs="+", type=Path, metavar="PACK",
                        help="pack folders of runs made in parts: write one pack of all their "
                        "tags, and their merged results, into --out")
    args = parser.parse_args(argv)
    if args.adopt:
        return adopt(args.adopt, args.adopt_into)
    if args.combine:
        if args.out is None:
            parser.error("--combine needs --out")
        return combine(args.combine, args.out)
    if args.out is None:
        parser.error("--out is required (or --adopt PACK)")
    args.out.mkdir(parents=True, exist_ok=True)

    from tagregistry.models.loading import load_base
    from tagregistry.registry import Registry

    started = time.perf_counter()
    loaded = load_base("protein-tiny" if args.smoke else None, device="cpu" if args.smoke else None)
    _say(f"base: {loaded.record} on {loaded.device}")
    registry = Registry(f"sqlite:///{args.out / 'train.db'}")
    registry.register_base(loaded.record)
    smiles_ref = ensure_smiles(registry, loaded, args.smoke)
    if args.resume_pack:
        resumed = registry.load_pack(args.resume_pack)
        _say("resumed: " + ", ".join(r.ref for r in resumed))
    timings = train_all(registry, loaded, args)
    earlier = args.out / "protein_tags.json"
    if args.resume_pack and earlier.is_file():  # a run in parts keeps the earlier parts' records
        timings = {**json.loads(earlier.read_text()).get("training", {}), **timings}
    result = {"base": str(loaded.record), "device": str(loaded.device), "frozen_smiles": smiles_ref,
              "frozen_smiles_sha256": registry.get(smiles_ref, base=loaded.record).sha256,
              "training": timings, **verify_and_score(loaded, args, registry),
              "total_seconds": round(time.perf_counter() - started, 1)}
    registry.close()
    (args.out / "protein_tags.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    _say(f"done in {result['total_seconds']:.0f} s: {args.out / PACK_FOLDER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
