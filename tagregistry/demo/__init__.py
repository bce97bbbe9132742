"""``tagregistry demo``: the tag packs plugins ship, installed and scored on held-out samples.

:mod:`~tagregistry.demo.run` is the job (``tagregistry demo``, ``python -m tagregistry.demo``);
:mod:`~tagregistry.demo.samples` finds each shipped function's dataset and predicts a sample
of it; :mod:`~tagregistry.demo.plots` draws the PNGs; :mod:`~tagregistry.demo.published`
reads the Results-page numbers a plugin ships beside its pack.
"""

from __future__ import annotations

from tagregistry.demo.run import add_arguments, main, run_demo

__all__ = ["add_arguments", "main", "run_demo"]
