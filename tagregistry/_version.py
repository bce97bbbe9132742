"""The library version, recorded in every tag and pack."""

__version__ = "0.1.0"
