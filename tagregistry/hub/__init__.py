"""Tag packs: a folder of safetensors files with a manifest and a model card, shared on the Hub.

``pack`` writes and verifies pack folders, ``push`` publishes them with ``huggingface_hub``,
``pull`` downloads (cache-aware, offline-capable), verifies and registers them. Nothing here
is imported by ``import tagregistry``; ``huggingface_hub`` loads only when a pack moves.
"""

from __future__ import annotations
