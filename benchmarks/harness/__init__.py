"""Parts of ``benchmarks/baselines.py``: tasks, frozen-base features, baselines, Tag-LLM rows."""
