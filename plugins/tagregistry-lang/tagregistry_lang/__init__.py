"""tagregistry-lang: language domains, the Translate function, parallel-text data sets, the
Gemma 3 270M base and translation metrics.

Importing this package is cheap: torch, transformers and sacrebleu are imported only by the
modules that need them, never by the plugin module.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: The longest text (characters) one language value may have; the core refuses longer values
#: before any plugin code runs. Help paragraphs are far shorter (the longest training one has 1,417).
MAX_TEXT_CHARACTERS = 4000
