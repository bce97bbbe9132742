"""Run one stage-2 training (used by test_train_distributed.py, with or without a launcher).

Usage: python ddp_train_script.py DB_URL BASE_DIR DATA_FILE OUT.safetensors
"""

from __future__ import annotations

import sys

import torch
from safetensors.torch import save_file

from tagregistry.registry import Registry

FUNCTION = {
    "name": "Size", "template": "The molecule is {Mol:mol}. Its size is {Size}",
    "slots": [{"name": "mol", "domains": ["Mol"]}], "head": {"type": "regression"},
}


def main() -> None:
    db, base, data, out = sys.argv[1:5]
    torch.set_num_threads(1)
    registry = Registry(db)
    recipe = {
        "stage": 2, "tag": "Size", "base": base, "function": FUNCTION, "data": {"file": data},
        "hyper": {"n_vectors": 4, "batch_size": 8, "grad_accum": 2, "max_steps": 4, "lr": 1e-2},
    }
    result = registry.train(recipe, output_dir=out + ".run", progress=False, register=False,
                            device="cpu")
    from accelerate import PartialState

    state = PartialState()
    if state.is_main_process:
        tensors = {"tag": result.tensors["Size"]}
        tensors.update({f"head.{k}": v for k, v in result.head_tensors.items()})
        tensors["world"] = torch.tensor([state.num_processes])
        save_file(tensors, out)


if __name__ == "__main__":
    main()
