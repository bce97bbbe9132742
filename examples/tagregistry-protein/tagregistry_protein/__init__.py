"""Example tagregistry plugin: proteins as one-letter amino-acid sequences."""

__version__ = "0.1.0"
