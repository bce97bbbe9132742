"""Baselines for the protein plugin's tasks (run ``benchmarks/baselines_protein.py``)."""
