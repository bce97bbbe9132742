"""What should a regression head read? A study on QED with the default base (issue 8).

The function tag sits at the end of the prompt, so with the domain tag frozen everything before
it is constant across training steps. This script runs that prefix once per molecule, keeps its
KV cache, and then trains ``<QED>`` plus a linear head on the suffix alone, for several
*readouts* of the suffix's hidden states:

* ``last``          the paper's: final layer, the function tag's last position;
* ``mean@K``        layer ``K`` averaged over the function tag's p positions;
* ``mean@K+L``      the same for two layers, concatenated.

Usage (one thread per process keeps the shared 2-core machine usable)::

    OMP_NUM_THREADS=1 python benchmarks/readout_study.py prefix --out runs/study
    OMP_NUM_THREADS=1 python benchmarks/readout_study.py train --out runs/study \
        --readout mean@15+30 --steps 600 --batch 16 --lr 1e-3
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import torch

PACK = Path(__file__).resolve().parents[1] / "plugins/tagregistry-chem/tagregistry_chem/packs/smollm2-135m"


def load_everything(p: int, task: str = "QED") -> tuple[Any, Any, dict[str, Any]]:
    from safetensors.torch import load_file

    from tagregistry.engine.prompt import PromptEncoder
    from tagregistry.models.loading import load_base
    from tagregistry.plugins.manager import get_catalog

    catalog = get_catalog()
    base = load_base("smollm2-135m", dtype=torch.float32, device="cpu")
    encoder = PromptEncoder(base.tokenizer, catalog)
    spec = catalog.get("functions", task)
    smiles_tag = load_file(str(PACK / "SMILES.v1.safetensors"))["tag"].float()
    return base, encoder, {"spec": spec, "smiles_tag": smiles_tag, "p": p}


def split_records(task: str, split: str, limit: int | None) -> list[dict[str, Any]]:
    import tagregistry_chem.datasets as ds

    loader = {"QED": ds.load_qed, "LogP": ds.load_logp, "TPSA": ds.load_tpsa}[task]
    return loader(split=split, limit=limit)


@torch.no_grad()
def run_prefixes(base: Any, encoder: Any, ctx: dict[str, Any], records: list[dict[str, Any]],
                 pool_layers: list[int]) -> dict[str, Any]:
    """Per record: the prefix KV cache (fp16) and SMILES-span means of ``pool_layers``."""
    from tqdm import tqdm

    model = base.model
    spec, p = ctx["spec"], ctx["p"]
    embed = model.get_input_embeddings()
    out: dict[str, Any] = {"kv": [], "pooled": [], "length": [], "label": []}
    for rec in tqdm(records, desc="prefix passes", mininterval=10):
        prompt = encoder.encode(spec.template, {"smiles": rec["smiles"]},
                                {"SMILES": ctx["smiles_tag"].shape[0], spec.name: p})
        split = prompt.function_start
        ids = torch.tensor(prompt.input_ids[:split]).unsqueeze(0)
        emb = embed(ids).clone()
        smiles_occ = prompt.tags[0]
        emb[0, smiles_occ.start:smiles_occ.end] = ctx["smiles_tag"]
        res = model.model(inputs_embeds=emb, use_cache=True, output_hidden_states=True)
        span = prompt.values[0]
        hs = res.hidden_states
        out["pooled"].append(torch.stack([hs[k][0, span.start:span.end].mean(0) for k in pool_layers]))
        layers = res.past_key_values.layers
        kv = torch.stack([torch.stack([lay.keys[0], lay.values[0]]) for lay in layers])
        out["kv"].append(kv.to(torch.float16))  # (n_layers, 2, kv_heads, L, head_dim)
        out["length"].append(split)
        out["label"].append(float(rec["label"]))
    return out


def cmd_prefix(args: argparse.Namespace) -> None:
    torch.manual_seed(0)
    base, encoder, ctx = load_everything(args.p, args.task)
    n_layers = base.model.config.num_hidden_layers
    pool_layers = sorted({n_layers // 4, n_layers // 2, 3 * n_layers // 4, n_layers})
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for split, limit in (("train", args.train_limit), ("validation", None), ("test", None)):
        path = out_dir / f"{args.task}-{split}.pt"
        if path.exists():
            print(f"{path} exists; skipping")
            continue
        started = time.perf_counter()
        data = run_prefixes(base, encoder, ctx, split_records(args.task, split, limit), pool_layers)
        data["pool_layers"] = pool_layers
        torch.save(data, path)
        print(f"{split}: {len(data['label'])} prefixes in {time.perf_counter() - started:.0f} s")


def batch_cache(kvs: list[torch.Tensor], lengths: list[int]) -> tuple[Any, torch.Tensor, int]:
    """Left-pad cached prefixes to one ``DynamicCache`` and its attention mask."""
    from transformers import DynamicCache

    width = max(lengths)
    n_layers = kvs[0].shape[0]
    padded = []
    for kv, length in zip(kvs, lengths, strict=True):
        pad = width - length
        padded.append(torch.nn.functional.pad(kv.float(), (0, 0, pad, 0)))
    stacked = torch.stack(padded, dim=2)  # (n_layers, 2, B, kv_heads, W, hd)
    cache = DynamicCache(ddp_cache_data=[(stacked[i, 0], stacked[i, 1]) for i in range(n_layers)])
    mask = torch.zeros(len(kvs), width, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, width - length:] = 1
    return cache, mask, width


def parse_readout(text: str, n_layers: int) -> tuple[str, list[int]]:
    if text == "last":
        return "last", [n_layers]
    kind, _, layers = text.partition("@")
    return kind, [int(x) for x in layers.split("+")]


def suffix_features(model: Any, tag: torch.Tensor, kvs: list[torch.Tensor], lengths: list[int],
                    kind: str, layers: list[int]) -> torch.Tensor:
    cache, mask, width = batch_cache(kvs, lengths)
    b, p = len(kvs), tag.shape[0]
    embeds = tag.unsqueeze(0).expand(b, -1, -1)
    full_mask = torch.cat([mask, torch.ones(b, p, dtype=torch.long)], dim=1)
    positions = torch.tensor(lengths).unsqueeze(1) + torch.arange(p).unsqueeze(0)
    res = model.model(inputs_embeds=embeds, attention_mask=full_mask, position_ids=positions,
                      cache=cache, use_cache=True, output_hidden_states=True)
    hs = res.hidden_states
    if kind == "last":
        return res.last_hidden_state[:, -1]
    return torch.cat([hs[k].mean(1) for k in layers], dim=-1)


def load_study(args: argparse.Namespace) -> tuple[Any, str, list[int], tuple[dict, dict, dict],
                                                  tuple[torch.Tensor, torch.Tensor]]:
    """The frozen base, the parsed readout, the cached splits and the label mean/std."""
    from tagregistry.models.loading import load_base

    model = load_base("smollm2-135m", dtype=torch.float32, device="cpu").model
    model.requires_grad_(False)
    kind, layers = parse_readout(args.readout, model.config.num_hidden_layers)
    out_dir = Path(args.out)
    splits = tuple(torch.load(out_dir / f"{args.task}-{s}.pt") for s in ("train", "validation", "test"))
    y = torch.tensor(splits[0]["label"])
    return model, kind, layers, splits, (y.mean(), y.std())


def pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp(min=1e-12))


def cmd_train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    from tagregistry.engine.splice import mean_embedding_init

    model, kind, layers, (train, val, test), (mean, std) = load_study(args)
    out_dir = Path(args.out)
    y = torch.tensor(train["label"])
    tag = torch.nn.Parameter(mean_embedding_init(model, args.p, seed=args.seed))
    width = model.config.hidden_size * (1 if kind == "last" else len(layers))
    head = torch.nn.Linear(width, 1)
    sub = {k: v[: args.ridge_n] if isinstance(v, list) else v for k, v in train.items()}
    init_feats = all_features(model, tag.detach(), sub, kind, layers)
    f_mean, f_std = init_feats.mean(0), init_feats.std(0).clamp(min=1e-6)
    if args.no_standardize:
        f_mean, f_std = torch.zeros_like(f_mean), torch.ones_like(f_std)

    def features(*a: Any) -> torch.Tensor:
        return (suffix_features(*a) - f_mean) / f_std

    if args.readout_init == "ridge":
        fit_ridge_head((init_feats - f_mean) / f_std, sub, head, mean, std, args)
    params = [{"params": [tag], "lr": args.lr}, {"params": head.parameters(), "lr": args.lr * args.head_lr_mult}]
    opt = torch.optim.AdamW(params, weight_decay=0.0)
    warm = max(1, int(0.03 * args.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    n = len(train["label"])
    gen = torch.Generator().manual_seed(args.seed)
    log: list[dict[str, Any]] = []
    best = (float("inf"), None)
    started = time.perf_counter()
    order = torch.randperm(n, generator=gen)
    cursor = 0
    for step in range(1, args.steps + 1):
        if cursor + args.batch > n:
            order, cursor = torch.randperm(n, generator=gen), 0
        idx = order[cursor:cursor + args.batch].tolist()
        cursor += args.batch
        feats = features(model, tag, [train["kv"][i] for i in idx],
                                [train["length"][i] for i in idx], kind, layers)
        target = (y[idx] - mean) / std
        loss = torch.nn.functional.mse_loss(head(feats).squeeze(-1), target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([tag, *head.parameters()], 1.0)
        opt.step()
        sched.step()
        if step % args.eval_every == 0 or step == args.steps:
            if args.refit:
                refit_head(model, tag, sub, val, head, kind, layers, mean, std, (f_mean, f_std))
            v = evaluate(model, tag, head, val, kind, layers, mean, std, (f_mean, f_std))
            row = {"step": step, "train_loss": float(loss), "val_mse": v["mse"], "val_r": v["r"],
                   "seconds": round(time.perf_counter() - started)}
            log.append(row)
            print(json.dumps(row), flush=True)
            if v["mse"] < best[0]:
                best = (v["mse"], (tag.detach().clone(), {k: t.clone() for k, t in head.state_dict().items()}, step))
    tag.data.copy_(best[1][0])
    head.load_state_dict(best[1][1])
    t = evaluate(model, tag, head, test, kind, layers, mean, std, (f_mean, f_std))
    result = {"task": args.task, "readout": args.readout, "p": args.p, "steps": args.steps,
              "batch": args.batch, "lr": args.lr, "head_lr_mult": args.head_lr_mult,
              "readout_init": args.readout_init, "best_step": best[1][2], "val_mse": best[0],
              "test_mse": t["mse"], "test_r": t["r"], "log": log,
              "train_n": n, "test_n": len(test["label"])}
    name = (f"{args.task}-{args.readout.replace('+', '_').replace('@', '')}-p{args.p}-s{args.steps}"
            f"-{args.readout_init}{'-refit' if args.refit else ''}-lr{args.lr:g}")
    (out_dir / f"result-{name}.json").write_text(json.dumps(result, indent=1))
    torch.save({"tag": tag.detach(), "head": head.state_dict(), "mean": mean, "std": std},
               out_dir / f"weights-{name}.pt")
    print(json.dumps({k: v for k, v in result.items() if k != "log"}))


@torch.no_grad()
def all_features(model: Any, tag: torch.Tensor, data: dict[str, Any], kind: str, layers: list[int],
                 batch: int = 64) -> torch.Tensor:
    feats = []
    for s in range(0, len(data["label"]), batch):
        feats.append(suffix_features(model, tag, data["kv"][s:s + batch], data["length"][s:s + batch],
                                     kind, layers))
    return torch.cat(feats)


@torch.no_grad()
def evaluate(model: Any, tag: torch.Tensor, head: Any, data: dict[str, Any], kind: str,
             layers: list[int], mean: torch.Tensor, std: torch.Tensor,
             norm: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
    feats = (all_features(model, tag, data, kind, layers) - norm[0]) / norm[1]
    pred = head(feats).squeeze(-1) * std + mean
    truth = torch.tensor(data["label"])
    return {"mse": float(((pred - truth) ** 2).mean()), "r": pearson(pred, truth)}


@torch.no_grad()
def refit_head(model: Any, tag: torch.Tensor, sub: dict[str, Any], val: dict[str, Any], head: Any,
               kind: str, layers: list[int], mean: torch.Tensor, std: torch.Tensor,
               norm: tuple[torch.Tensor, torch.Tensor]) -> None:
    """Replace the head by the closed-form ridge fit on the current tag's features.

    The ridge strength is picked on validation from a small grid."""
    x = ((all_features(model, tag, sub, kind, layers) - norm[0]) / norm[1]).double()
    xv = ((all_features(model, tag, val, kind, layers) - norm[0]) / norm[1]).double()
    t = ((torch.tensor(sub["label"]) - mean) / std).double()
    mu = x.mean(0)
    xc = x - mu
    gram, rhs = xc.T @ xc, xc.T @ t
    truth = torch.tensor(val["label"]).double()
    best = None
    for rel in (1e-4, 1e-3, 1e-2, 1e-1, 1.0):
        alpha = rel * gram.diagonal().mean()
        w = torch.linalg.solve(gram + alpha * torch.eye(gram.shape[0], dtype=gram.dtype), rhs)
        pred = ((xv - mu) @ w) * std + mean
        mse = float(((pred - truth) ** 2).mean())
        if best is None or mse < best[0]:
            best = (mse, w)
    w = best[1]
    head.weight.copy_(w.float().unsqueeze(0))
    head.bias.copy_((-(mu @ w)).float())


def fit_ridge_head(feats: torch.Tensor, sub: dict[str, Any], head: Any, mean: torch.Tensor,
                   std: torch.Tensor, args: argparse.Namespace) -> None:
    """Start the head at the ridge solution on the initial tag's features (subsample)."""
    x = feats.double()
    t = ((torch.tensor(sub["label"]) - mean) / std).double()
    mu = x.mean(0)
    xc = x - mu
    gram = xc.T @ xc
    alpha = args.ridge_alpha * gram.diagonal().mean()
    w = torch.linalg.solve(gram + alpha * torch.eye(gram.shape[0], dtype=gram.dtype), xc.T @ t)
    with torch.no_grad():
        head.weight.copy_(w.float().unsqueeze(0))
        head.bias.copy_((-(mu @ w)).float())


def cmd_probe(args: argparse.Namespace) -> None:
    """Ridge on SMILES-span pooled features, layer sets chosen on validation (sklearn RidgeCV)."""
    import itertools

    import numpy as np
    from sklearn.linear_model import RidgeCV

    out_dir = Path(args.out)
    train = torch.load(out_dir / f"{args.task}-train.pt")
    val = torch.load(out_dir / f"{args.task}-validation.pt")
    test = torch.load(out_dir / f"{args.task}-test.pt")
    layers = train["pool_layers"]
    ytr, yva, yte = (np.array(d["label"]) for d in (train, val, test))
    best = None
    for r in (1, 2):
        for combo in itertools.combinations(range(len(layers)), r):
            def x(d: dict[str, Any], combo: tuple[int, ...] = combo) -> Any:
                return torch.stack(d["pooled"])[:, list(combo)].flatten(1).numpy()
            model = RidgeCV(alphas=np.logspace(-3, 4, 15)).fit(x(train), ytr)
            mse = float(((model.predict(x(val)) - yva) ** 2).mean())
            print(f"layers {[layers[i] for i in combo]}: val MSE {mse:.5f}")
            if best is None or mse < best[0]:
                best = (mse, combo, model, x)
    mse, combo, model, x = best
    pred = model.predict(x(test))
    result = {"task": args.task, "probe_layers": [layers[i] for i in combo], "val_mse": mse,
              "test_mse": float(((pred - yte) ** 2).mean()),
              "test_r": float(np.corrcoef(pred, yte)[0, 1]),
              "mean_baseline_test_mse": float(((ytr.mean() - yte) ** 2).mean())}
    (out_dir / f"probe-{args.task}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


def cmd_initprobe(args: argparse.Namespace) -> None:
    """Ridge on each readout's features with the *initial* (untrained) function tag."""
    import numpy as np
    from sklearn.linear_model import RidgeCV

    from tagregistry.engine.splice import mean_embedding_init
    from tagregistry.models.loading import load_base

    model = load_base("smollm2-135m", dtype=torch.float32, device="cpu").model
    out_dir = Path(args.out)
    tag = mean_embedding_init(model, args.p, seed=0)
    feats, labels = {}, {}
    for split in ("train", "validation"):
        data = torch.load(out_dir / f"{args.task}-{split}.pt")
        n = min(len(data["label"]), args.limit)
        rows = []
        with torch.no_grad():
            for s in range(0, n, 32):
                cache, mask, _ = batch_cache(data["kv"][s:min(s + 32, n)], data["length"][s:min(s + 32, n)])
                b = mask.shape[0]
                res = model.model(
                    inputs_embeds=tag.unsqueeze(0).expand(b, -1, -1),
                    attention_mask=torch.cat([mask, torch.ones(b, args.p, dtype=torch.long)], 1),
                    position_ids=torch.tensor(data["length"][s:s + b]).unsqueeze(1) + torch.arange(args.p),
                    cache=cache, use_cache=True, output_hidden_states=True)
                rows.append(torch.stack([torch.stack([h.mean(1), h[:, -1]]) for h in res.hidden_states], 1))
        feats[split] = torch.cat(rows, dim=2)  # (2: mean/last, n_layers+1, n, H)
        labels[split] = np.array(data["label"][:n])
    n_layers = feats["train"].shape[1] - 1
    results = {}
    candidates = [("last", [n_layers])] + [("mean", [k]) for k in range(2, n_layers + 1, 2)] + [
        ("mean", [n_layers // 2, n_layers]), ("mean", [n_layers // 3, 2 * n_layers // 3]),
        ("mean", [n_layers // 4, n_layers // 2, 3 * n_layers // 4, n_layers]),
        ("last", [n_layers // 2]), ("last", [n_layers // 2, n_layers])]
    for kind, layers in candidates:
        which = 0 if kind == "mean" else 1
        def x(split: str, which: int = which, layers: list[int] = layers) -> Any:
            return torch.cat([feats[split][which, k] for k in layers], -1).numpy()
        model_ = RidgeCV(alphas=np.logspace(-2, 5, 15)).fit(x("train"), labels["train"])
        mse = float(((model_.predict(x("validation")) - labels["validation"]) ** 2).mean())
        name = f"{kind}@{'+'.join(map(str, layers))}"
        results[name] = mse
        print(f"{name:>22}: val MSE {mse:.5f} (alpha {model_.alpha_:.3g})", flush=True)
    (out_dir / f"initprobe-{args.task}-p{args.p}.json").write_text(json.dumps(results, indent=1))


def cmd_refit(args: argparse.Namespace) -> None:
    """Ridge-refit the head on ``--train-n`` training prefixes for a saved (or the initial) tag."""
    from tagregistry.engine.splice import mean_embedding_init
    model, kind, layers, (train, val, test), (mean, std) = load_study(args)
    out_dir = Path(args.out)
    tag = (torch.load(args.weights)["tag"] if args.weights
           else mean_embedding_init(model, args.p, seed=0))
    sub = {k: v[: args.train_n] if isinstance(v, list) else v for k, v in train.items()}
    feats = all_features(model, tag, sub, kind, layers)
    norm = (feats.mean(0), feats.std(0).clamp(min=1e-6))
    head = torch.nn.Linear(feats.shape[1], 1)
    refit_head(model, tag, sub, val, head, kind, layers, mean, std, norm)
    v = evaluate(model, tag, head, val, kind, layers, mean, std, norm)
    t = evaluate(model, tag, head, test, kind, layers, mean, std, norm)
    result = {"task": args.task, "readout": args.readout, "tag": args.weights or "initial",
              "train_n": len(sub["label"]), "val_mse": v["mse"], "test_mse": t["mse"], "test_r": t["r"]}
    name = Path(args.weights).stem if args.weights else "initial"
    (out_dir / f"refit-{name}-n{len(sub['label'])}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result), flush=True)


STUDY = "OMP_NUM_THREADS=1 python benchmarks/readout_study.py"


def cmd_summary(args: argparse.Namespace) -> None:
    """Collect the study's JSON outputs into ``benchmarks/results/readout_study_qed_nci.json``."""
    out_dir = Path(args.out)
    rows = []
    probe = json.loads((out_dir / f"probe-{args.task}.json").read_text())
    rows.append({"model": f"ridge probe: SMILES tokens mean-pooled, layers "
                          f"{'+'.join(map(str, probe['probe_layers']))} (chosen on validation)",
                 "val_mse": probe["val_mse"], "test_mse": probe["test_mse"], "test_r": probe["test_r"],
                 "command": f"{STUDY} probe"})
    initial = json.loads((out_dir / f"initprobe-{args.task}-p{args.p}.json").read_text())
    for readout, label in (("last@30", "the paper's: last position, final layer"),
                           ("mean@15+30", "mean of the p positions, layers 15+30"),
                           ("mean@7+15+22+30", "mean of the p positions, layers 7+15+22+30")):
        rows.append({"model": f"untrained <QED> (mean-embedding init), ridge head on {label}; "
                              "2,000 train", "val_mse": initial[readout], "test_mse": None,
                     "test_r": None, "command": f"{STUDY} initprobe --limit 2000"})
    for path in sorted(out_dir.glob(f"result-{args.task}-*.json")):
        res = json.loads(path.read_text())
        rows.append({"model": f"trained <QED>: readout {res['readout']}, {res['steps']} steps x "
                              f"{res['batch']}, lr {res['lr']:g} (head x{res['head_lr_mult']:g}), "
                              f"ridge-refit head on 1,500 train at each evaluation; best step "
                              f"{res['best_step']}", "val_mse": res["val_mse"],
                     "test_mse": res["test_mse"], "test_r": res["test_r"],
                     "command": f"{STUDY} train --readout {res['readout']} --readout-init ridge "
                                f"--refit --ridge-n 1500 --steps {res['steps']} --batch {res['batch']} "
                                f"--lr {res['lr']:g} --head-lr-mult {res['head_lr_mult']:g} --eval-every 100"})
    for path in sorted(out_dir.glob("refit-*.json")):
        res = json.loads(path.read_text())
        which = "untrained <QED>" if res["tag"] == "initial" else "the trained <QED> above"
        rows.append({"model": f"{which}, head ridge-refit on all {res['train_n']:,} train, readout "
                              f"{res['readout']}", "val_mse": res["val_mse"], "test_mse": res["test_mse"],
                     "test_r": res["test_r"],
                     "command": f"{STUDY} refit" + (f" --weights {res['tag']}" if res["tag"] != "initial" else "")})
    summary = {"task": f"{args.task.lower()}-nci", "rows": rows, "summary": args.summary,
               "notes": args.notes}
    target = Path(__file__).resolve().parent / "results" / "readout_study_qed_nci.json"
    target.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("prefix", "train", "probe", "initprobe", "refit", "summary"):
        p = sub.add_parser(name)
        p.add_argument("--out", default="runs/study")
        p.add_argument("--task", default="QED", choices=["QED", "LogP", "TPSA"])
        p.add_argument("--p", type=int, default=10)
    sub.choices["prefix"].add_argument("--train-limit", type=int, default=None)
    sub.choices["initprobe"].add_argument("--limit", type=int, default=2000)
    rf = sub.choices["refit"]
    rf.add_argument("--readout", default="mean@7+15+22+30")
    rf.add_argument("--weights", default=None, help="a weights-*.pt file from `train` (default: initial tag)")
    rf.add_argument("--train-n", type=int, default=100_000)
    sm = sub.choices["summary"]
    sm.add_argument("--summary", default="", help="the paragraph above the table")
    sm.add_argument("--notes", default="", help="the paragraph below the table")
    tr = sub.choices["train"]
    tr.add_argument("--readout", default="last")
    tr.add_argument("--steps", type=int, default=400)
    tr.add_argument("--batch", type=int, default=16)
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--head-lr-mult", type=float, default=1.0)
    tr.add_argument("--eval-every", type=int, default=100)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--readout-init", choices=["random", "ridge"], default="random")
    tr.add_argument("--ridge-n", type=int, default=2000)
    tr.add_argument("--ridge-alpha", type=float, default=1e-3)
    tr.add_argument("--no-standardize", action="store_true")
    tr.add_argument("--refit", action="store_true", help="ridge-refit the head at each evaluation")
    args = parser.parse_args()
    {"prefix": cmd_prefix, "train": cmd_train, "probe": cmd_probe,
     "initprobe": cmd_initprobe, "refit": cmd_refit, "summary": cmd_summary}[args.command](args)


if __name__ == "__main__":
    main()
