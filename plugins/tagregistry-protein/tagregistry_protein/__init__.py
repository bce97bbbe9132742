"""tagregistry-protein: proteins as one-letter sequences, their tasks, data sets and tags.

Importing this package is cheap: data sets, torch and RDKit are imported only by the
modules that need them, never by the plugin module.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: The longest protein (residues) the ``Protein`` domain accepts. The core refuses longer
#: values before any plugin code runs (``DomainSpec.max_length``), and the tokenizer checks
#: it too. 5,000 covers almost every natural protein chain and, one residue per token,
#: keeps a prompt inside the default base's 8,192-token context.
MAX_RESIDUES = 5000
