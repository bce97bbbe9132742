"""Push and pull a 100-tag pack (p=10, hidden 576) through huggingface_hub and a local Hub server.

Run: ``python -m benchmarks.bench_hub [--tags 100] [--vectors 10] [--hidden 576] [--lfs]``.
``--lfs`` stores the safetensors files through the LFS batch/upload/verify path
(``HF_HUB_DISABLE_XET=1``) instead of inline "regular" files. Prints wall-clock times.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=100)
    parser.add_argument("--vectors", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=576)
    parser.add_argument("--lfs", action="store_true", help="use the LFS upload path")
    args = parser.parse_args()

    from tests.hub import (
        hub_server,  # the local Hub API server; must start before huggingface_hub loads
    )

    server = hub_server.bootstrap()
    if args.lfs:
        os.environ["HF_HUB_DISABLE_XET"] = "1"
        server.state.lfs_patterns = ("*.safetensors",)

    import torch

    from tagregistry.registry import Registry
    from tagregistry.specs import BaseModelRecord, HeadSpec
    from tagregistry.store.tag_store import HeadPayload

    base = BaseModelRecord(
        model_id="bench/base", hidden_size=args.hidden, fingerprint="0f" * 32
    )
    work = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    source = Registry(f"sqlite:///{work}/source.db")
    refs = []
    for i in range(args.tags):
        function = i % 2 == 1
        head = HeadPayload(
            spec=HeadSpec(type="regression"),
            tensors={"linear.weight": torch.randn(1, args.hidden), "linear.bias": torch.zeros(1)},
        ) if function else None
        record = source.register(
            f"Tag{i:03d}", torch.randn(args.vectors, args.hidden), base=base,
            kind="function" if function else "domain", head=head, metrics={"mse": 0.1},
        )
        refs.append(record.ref)
    size = sum(len(b or b"") for r in source.list() for b in source.store.raw_payloads(r))

    timings: dict[str, float] = {}
    start = time.perf_counter()
    pushed = source.push(refs, "bench/tags")
    timings["push (new repo)"] = time.perf_counter() - start
    start = time.perf_counter()
    again = source.push(refs, "bench/tags")
    timings["re-push, unchanged (no commit)"] = time.perf_counter() - start
    assert pushed.committed and not again.committed

    target = Registry(f"sqlite:///{work}/target.db")
    start = time.perf_counter()
    pulled = target.pull("bench/tags")
    timings["pull (download + verify + register)"] = time.perf_counter() - start
    assert len(pulled) == args.tags
    second = Registry(f"sqlite:///{work}/second.db")
    start = time.perf_counter()
    second.pull("bench/tags")
    timings["pull (cached files, new registry)"] = time.perf_counter() - start

    mode = "LFS" if args.lfs else "regular (inline)"
    print(f"{args.tags} tags x ({args.vectors} x {args.hidden}) float32, {size / 1e6:.2f} MB of "
          f"safetensors, upload mode {mode}, {len(pushed.files)} files")
    for label, seconds in timings.items():
        print(f"  {label:<40} {seconds:7.2f} s")
    server.stop()


if __name__ == "__main__":
    main()
