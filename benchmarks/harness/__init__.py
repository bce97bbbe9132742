"""Parts of ``benchmarks/baselines.py``: PEFT baselines, Tag-LLM rows, result files (tasks: ``benchmarks/tasks.py``)."""
