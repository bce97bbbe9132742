"""The ``tagregistry`` command line: thin parsing over the Python API, lazy imports."""
