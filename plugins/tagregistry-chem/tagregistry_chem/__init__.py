"""tagregistry-chem: the SMILES domain, its tokenizer, QED/LogP/TPSA functions and data sets.

Importing this package is cheap: RDKit is imported only by the modules that need it
(``tokenizer``, ``validation``, ``datasets``), never by the plugin module.
"""

from __future__ import annotations

__version__ = "0.1.0"
